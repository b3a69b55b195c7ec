"""API latency: median of 200 authenticated calls to GET /datastores and GET /flavors,
beside 200 calls to Keystone's GET /v3 in the same run, the three taken in turn
(target: ours <= Keystone's).

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


def medians_ms(session, calls):
    """{name: median ms} for calls {name: (url, headers)}, taken in turn, round after round,
    so a change in the machine's load in the middle of the run weighs on each alike."""
    for url, headers in calls.values():
        for _ in range(10):  # warm connections and the token cache
            session.get(url, headers=headers, timeout=10).raise_for_status()
    samples = {name: [] for name in calls}
    for _ in range(CALLS):
        for name, (url, headers) in calls.items():
            began = time.perf_counter()
            resp = session.get(url, headers=headers, timeout=10)
            samples[name].append((time.perf_counter() - began) * 1000)
            resp.raise_for_status()
    return {name: statistics.median(values) for name, values in samples.items()}


def main():
    with stackctl.running_stack() as state:
        token, project = stackctl.token(state)
        auth = {'X-Auth-Token': token}
        api = '%s/v1.0/%s' % (state['urls']['api'], project)
        results = medians_ms(requests.Session(), {
            'Keystone GET /v3': (state['urls']['keystone'] + '/v3', None),
            'GET /datastores': (api + '/datastores', auth),
            'GET /flavors': (api + '/flavors', auth)})
    keystone = results.pop('Keystone GET /v3')
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
