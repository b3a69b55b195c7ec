"""GET /instances (page of 20) and /instances/detail with 10,000 instances in the project.

Median of 200 authenticated calls through the full stack, beside Keystone's GET /v3
in the same run, and the SQL statements one page costs (target: median <= 15 ms,
at most 3 statements per page whatever the total). Measured twice: on the stack's own
SQLite file, then with the service database on PostgreSQL (a throw-away server from
tests/pgserver.py, given to the stack as DBAAS_DATABASE_URL).

    .venv/bin/python bench/instance_list.py [sqlite|postgresql]
"""
import contextlib
import os
import statistics
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stackctl  # noqa: E402
from tests import pgserver  # noqa: E402

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


@contextlib.contextmanager
def service_database(kind):
    """The stack's service database for this round: its SQLite file, or a PostgreSQL one."""
    from api_service.db import session as db_session
    db_session.reset()     # this process reads the stack's database too (seeding, counting)
    if kind == 'sqlite':
        yield
        return
    with pgserver.running() as server:
        os.environ['DBAAS_DATABASE_URL'] = server.create_database('dbaas')
        try:
            yield
        finally:
            del os.environ['DBAAS_DATABASE_URL']
            db_session.reset()


def settle_statistics(kind):
    """PostgreSQL plans by table statistics, which autovacuum refreshes within a minute of a
    bulk load like the seed; take them now rather than measure plans made for empty tables."""
    if kind == 'postgresql':
        from api_service.db import session as db_session
        with db_session.get_reader().connect().execution_options(
                isolation_level='AUTOCOMMIT') as conn:
            conn.exec_driver_sql('ANALYZE')


def measure(kind):
    with service_database(kind), stackctl.running_stack() as state:
        token, project = stackctl.token(state)
        stackctl.seed_instances(state, project, TOTAL)
        settle_statistics(kind)
        session = requests.Session()
        auth = {'X-Auth-Token': token}
        api = '%s/v1.0/%s' % (state['urls']['api'], project)
        figures = {'keystone': median_ms(session, state['urls']['keystone'] + '/v3')}
        figures['listed'] = median_ms(session, api + '/instances?limit=20', auth)
        figures['detail'] = median_ms(session, api + '/instances/detail?limit=20', auth)
        deep = session.get(api + '/instances?limit=20', headers=auth).json()['links'][0]['href']
        figures['deep'] = median_ms(session, deep, auth)
        figures['statements'] = statements_per_page(project)
    return figures


def report(kind, figures):
    keystone = figures['keystone']
    print('[%s] %d instances in the project; Keystone GET /v3 median %.2f ms (baseline)'
          % (kind, TOTAL, keystone))
    for name, key in (('GET /instances?limit=20', 'listed'),
                      ('GET /instances/detail?limit=20', 'detail'),
                      ('GET /instances page 2 (marker)', 'deep')):
        print('[%s] %-32s median %.2f ms  ratio to Keystone %.2f  (target <= 15 ms)'
              % (kind, name, figures[key], figures[key] / keystone))
    print('[%s] SQL statements per page: %.0f (target <= 3)' % (kind, figures['statements']))
    return max(figures['listed'], figures['detail'], figures['deep']) <= 15 \
        and figures['statements'] <= 3


def main():
    kinds = sys.argv[1:] or ['sqlite', 'postgresql']
    results = [(kind, measure(kind)) for kind in kinds]
    met = [report(kind, figures) for kind, figures in results]
    return 0 if all(met) else 1


if __name__ == '__main__':
    sys.exit(main())
