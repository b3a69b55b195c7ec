"""API latency: median of 200 authenticated calls to GET /datastores and GET /flavors,
beside 200 calls to Keystone's GET /v3 in the same run (target: ours <= Keystone's).

    .venv/bin/python bench/api_latency.py
"""
import os
import statistics
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stackctl  # noqa: E402

CALLS = 200


def median_ms(session, url, headers=None):
    for _ in range(10):  # warm connections and the token cache
        session.get(url, headers=headers, timeout=10).raise_for_status()
    samples = []
    for _ in range(CALLS):
        began = time.perf_counter()
        resp = session.get(url, headers=headers, timeout=10)
        samples.append((time.perf_counter() - began) * 1000)
        resp.raise_for_status()
    return statistics.median(samples)


def main():
    with stackctl.running_stack() as state:
        token, project = stackctl.token(state)
        session = requests.Session()
        auth = {'X-Auth-Token': token}
        api = '%s/v1.0/%s' % (state['urls']['api'], project)
        keystone = median_ms(session, state['urls']['keystone'] + '/v3')
        results = {'GET /datastores': median_ms(session, api + '/datastores', auth),
                   'GET /flavors': median_ms(session, api + '/flavors', auth)}
    print('Keystone GET /v3 (baseline): median %.2f ms over %d calls' % (keystone, CALLS))
    worst = 0
    for name, value in results.items():
        ratio = value / keystone
        worst = max(worst, ratio)
        print('%-16s median %.2f ms  ratio to Keystone %.2f  (target <= 1.00)'
              % (name, value, ratio))
    return 0 if worst <= 1.0 else 1


if __name__ == '__main__':
    sys.exit(main())
