"""GET /instances (page of 20) and /instances/detail with 10,000 instances in the project.

Median of 200 authenticated calls through the full stack, beside Keystone's GET /v3
in the same run, and the SQL statements one page costs (target: median <= 15 ms,
at most 3 statements per page whatever the total).

    .venv/bin/python bench/instance_list.py
"""
import os
import statistics
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stackctl  # noqa: E402

TOTAL = 10000
CALLS = 200


def statements_per_page(project_id):
    """Statements one page costs, counted in-process on the same database."""
    from sqlalchemy import event
    from api_service.db import session as db_session
    from api_service.domain import instances
    from api_service.common import context
    ctx = context.RequestContext(project_id=project_id)
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(db_session.get_reader(), 'before_cursor_execute', listener)
    rows, marker = instances.list_page(ctx, 20)
    instances.list_page(ctx, 20, marker)
    event.remove(db_session.get_reader(), 'before_cursor_execute', listener)
    return len(seen) / 2


def median_ms(session, url, headers=None):
    for _ in range(10):
        session.get(url, headers=headers, timeout=10).raise_for_status()
    samples = []
    for _ in range(CALLS):
        began = time.perf_counter()
        session.get(url, headers=headers, timeout=10).raise_for_status()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def main():
    with stackctl.running_stack() as state:
        token, project = stackctl.token(state)
        stackctl.seed_instances(state, project, TOTAL)
        session = requests.Session()
        auth = {'X-Auth-Token': token}
        api = '%s/v1.0/%s' % (state['urls']['api'], project)
        keystone = median_ms(session, state['urls']['keystone'] + '/v3')
        listed = median_ms(session, api + '/instances?limit=20', auth)
        detail = median_ms(session, api + '/instances/detail?limit=20', auth)
        deep = session.get(api + '/instances?limit=20', headers=auth).json()['links'][0]['href']
        deep_ms = median_ms(session, deep, auth)
        statements = statements_per_page(project)
    print('%d instances in the project; Keystone GET /v3 median %.2f ms (baseline)'
          % (TOTAL, keystone))
    for name, value in (('GET /instances?limit=20', listed),
                        ('GET /instances/detail?limit=20', detail),
                        ('GET /instances page 2 (marker)', deep_ms)):
        print('%-32s median %.2f ms  ratio to Keystone %.2f  (target <= 15 ms)'
              % (name, value, value / keystone))
    print('SQL statements per page: %.0f (target <= 3)' % statements)
    return 0 if max(listed, detail, deep_ms) <= 15 and statements <= 3 else 1


if __name__ == '__main__':
    sys.exit(main())
