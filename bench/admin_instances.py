"""GET /mgmt/instances and the Admin dashboard's Instances page, 10,000 instances in 100
projects (plus 1,000 deleted ones the live list must step over).

API: the median of 200 authenticated calls through the full stack for the first page
and a deep page (marker in the middle), each with and without a project filter, and the
deleted list, each beside Keystone's GET /v3 median measured alongside it (their calls
alternated, so both meet the same load; target: each <= 2x Keystone), and the SQL
statements one page costs. Page: the admin's Instances page
rendered through Horizon (first page, a deep page, the deleted list, a project filter),
counting the dashboard's calls to the DBaaS API per render (target <= 3) and, apart,
its calls to Keystone. Calls are counted as bench/dashboard_render.py counts them
(DBAAS_HORIZON_LOG_API_CALLS=1). Measured on the stack's SQLite file, then on
PostgreSQL, as bench/instance_list.py does.

    BENCH_PORT_OFFSET=500 .venv/bin/python bench/admin_instances.py [sqlite|postgresql]
"""
import os
import re
import statistics
import sys
import time
import uuid

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stackctl  # noqa: E402
from dashboard_render import ApiCallCounter  # noqa: E402
from instance_list import service_database, settle_statistics  # noqa: E402

PROJECTS = 100
PER_PROJECT = 100
DELETED = 1000
PAGE = 20
CALLS = 200
RENDERS = 10
TARGET_RATIO = 2.0
TARGET_CALLS = 3
STATUSES = ('ACTIVE',) * 8 + ('SHUTDOWN', 'ERROR')


def create_projects(state, token):
    """PROJECTS Keystone projects (so the page has names to join): their ids."""
    ids = []
    for n in range(PROJECTS):
        resp = requests.post(state['urls']['keystone'] + '/v3/projects', timeout=10,
                             headers={'X-Auth-Token': token},
                             json={'project': {'name': 'bench-p%03d' % n,
                                               'domain_id': 'default'}})
        resp.raise_for_status()
        ids.append(resp.json()['project']['id'])
    return ids


def seed(state, project_ids):
    """PER_PROJECT live instances in each project and DELETED deleted ones, straight into the
    stack's database: {project id: sorted live ids}."""
    from api_service.common import config
    from api_service.db import models, models_instances as m
    from api_service.db.session import session_scope
    config.load(['--config-file', os.path.join(state['root'], 'etc', 'dbaas.conf')])
    rows, live = [], {p: [] for p in project_ids}
    now = models.utcnow()
    for i in range(PROJECTS * PER_PROJECT + DELETED):
        project = project_ids[i % PROJECTS]
        deleted = i >= PROJECTS * PER_PROJECT
        row = dict(id=str(uuid.uuid4()), name='bench-%05d' % i, project_id=project,
                   status=STATUSES[i % len(STATUSES)], operating_status='HEALTHY',
                   flavor_id='2', ram_mb=512, vcpus=1, volume_size=1,
                   volume_used_bytes=(i % 100) * 2 ** 20, is_public=False,
                   allowed_cidrs='[]', host='local-%d' % (i % 3),
                   address=None if deleted else '127.200.%d.%d' % (i // 250, i % 250 + 1),
                   created=now, updated=now, deleted=deleted,
                   deleted_at=now if deleted else None, region='RegionOne')
        rows.append(row)
        if not deleted:
            live[project].append(row['id'])
    with session_scope() as session:
        version = session.query(models.DatastoreVersion).first()
        for row in rows:
            row['datastore_version_id'] = version.id
        session.bulk_insert_mappings(m.Instance, rows)
    return {p: sorted(ids) for p, ids in live.items()}


def statements_per_page(project_id, marker):
    """Statements one page costs, counted in-process on the same database."""
    from sqlalchemy import event
    from api_service.db import session as db_session
    from api_service.domain import mgmt_instances
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(db_session.get_reader(), 'before_cursor_execute', listener)
    try:
        for kwargs in ({}, {'marker': marker}, {'project_id': project_id},
                       {'deleted': True}):
            mgmt_instances.list_page(PAGE, **kwargs)
    finally:
        event.remove(db_session.get_reader(), 'before_cursor_execute', listener)
    return len(seen) / 4


def paired_medians(session, url, headers, keystone):
    """Medians (ms) of `url` and of Keystone's GET /v3, their calls alternated: both meet
    the same load (two cores shared with whatever else runs), so their ratio is fair."""
    def timed(target, hdrs=None):
        began = time.perf_counter()
        session.get(target, headers=hdrs, timeout=10).raise_for_status()
        return (time.perf_counter() - began) * 1000
    for _ in range(10):
        timed(url, headers)
        timed(keystone)
    ours, theirs = [], []
    for _ in range(CALLS):
        ours.append(timed(url, headers))
        theirs.append(timed(keystone))
    return statistics.median(ours), statistics.median(theirs)


def api_figures(state, token, admin_project, live):
    """Medians of the list calls, each beside Keystone's GET /v3 measured alongside."""
    session = requests.Session()
    auth = {'X-Auth-Token': token}
    base = '%s/v1.0/%s/mgmt/instances?limit=%d' % (state['urls']['api'], admin_project, PAGE)
    everyone = sorted(i for ids in live.values() for i in ids)
    project = sorted(live)[PROJECTS // 2]
    cases = (
        ('first page', base),
        ('deep page (marker at 5,000)', base + '&marker=' + everyone[len(everyone) // 2]),
        ('project filter, first page', base + '&project_id=' + project),
        ('project filter, deep page', '%s&project_id=%s&marker=%s' % (
            base, project, live[project][PER_PROJECT // 2])),
        ('deleted=true, first page', base + '&deleted=true'),
    )
    figures = {'api': {}}
    for name, url in cases:
        body = session.get(url, headers=auth, timeout=10).json()
        assert len(body['instances']) == PAGE, (name, body)
        figures['api'][name] = paired_medians(session, url, auth,
                                              state['urls']['keystone'] + '/v3')
    figures['statements'] = statements_per_page(project, everyone[len(everyone) // 2])
    return figures


def login(state, user):
    """A requests session logged in to Horizon as `user`."""
    dashboard = state['urls']['dashboard'].rstrip('/')
    session = requests.Session()
    page = session.get(dashboard + '/auth/login/', timeout=30)
    page.raise_for_status()
    fields = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"',
                             page.text))
    fields.update(username=user, password=state['secrets'][user + '_password'])
    done = session.post(dashboard + '/auth/login/', data=fields, timeout=30,
                        headers={'Referer': dashboard + '/auth/login/'})
    done.raise_for_status()
    if '/auth/login' in done.url:
        sys.exit('could not log in to Horizon as %s' % user)
    return session, dashboard


class KeystoneCallCounter(ApiCallCounter):
    """The same log, counting the requests to Keystone instead."""

    def __init__(self, state):
        super().__init__(state)
        self.api = state['urls']['keystone'].rstrip('/')


def page_figures(state, live):
    """Per page kind: (median ms, API calls per render, Keystone calls per render)."""
    session, dashboard = login(state, 'admin')
    index = dashboard + '/admin/database_instances/'
    everyone = sorted(i for ids in live.values() for i in ids)
    pages = (('first page', index), ('deep page', index + '?marker=' + everyone[5000]),
             ('deleted list', index + 'deleted/'))
    figures = {}
    for name, url in pages:
        figures[name] = renders(state, session, url)
    # The project filter is a server filter kept in the session: set it, then render.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                      session.get(index, timeout=60).text).group(1)
    session.post(index, timeout=60, headers={'Referer': index}, data={
        'csrfmiddlewaretoken': token, 'admin_instances__filter__q_field': 'project',
        'admin_instances__filter__q': 'bench-p050'}).raise_for_status()
    figures['project filter'] = renders(state, session, index)
    return figures


def renders(state, session, url):
    counter, keystone = ApiCallCounter(state), KeystoneCallCounter(state)
    for _ in range(2):
        render_page(session, url)
    counter.since_last()
    keystone.since_last()
    samples, calls, keystone_calls = [], [], []
    for _ in range(RENDERS):
        elapsed, html = render_page(session, url)
        samples.append(elapsed)
        calls.append(counter.since_last())
        keystone_calls.append(keystone.since_last())
    rows = html.count('id="admin_instances__row__')
    return statistics.median(samples), calls, keystone_calls, rows


def render_page(session, url):
    began = time.perf_counter()
    resp = session.get(url, timeout=60)
    elapsed = (time.perf_counter() - began) * 1000
    resp.raise_for_status()
    if 'id="admin_instances"' not in resp.text:
        sys.exit('the admin instances table is missing from %s' % resp.url)
    return elapsed, resp.text


def measure(kind):
    os.environ['DBAAS_HORIZON_LOG_API_CALLS'] = '1'
    offset = os.environ.get('BENCH_PORT_OFFSET', stackctl.PORT_OFFSET)
    with service_database(kind), stackctl.running_stack(offset=offset) as state:
        token, admin_project = stackctl.token(state, 'admin')
        live = seed(state, create_projects(state, token))
        settle_statistics(kind)
        figures = api_figures(state, token, admin_project, live)
        figures['pages'] = page_figures(state, live)
    return figures


def report(kind, figures):
    print('[%s] %d instances in %d projects (+%d deleted); page of %d; each call\'s median '
          'beside Keystone GET /v3\'s, their calls alternated' % (
              kind, PROJECTS * PER_PROJECT, PROJECTS, DELETED, PAGE))
    met = True
    for name, (value, keystone) in figures['api'].items():
        ratio = value / keystone
        met &= ratio <= TARGET_RATIO
        print('[%s] GET /mgmt/instances %-30s median %6.2f ms, Keystone %5.2f ms, ratio %.2f '
              '(target <= %.1f)' % (kind, name, value, keystone, ratio, TARGET_RATIO))
    print('[%s] SQL statements per page: %.0f' % (kind, figures['statements']))
    for name, (median, calls, keystone_calls, rows) in figures['pages'].items():
        met &= max(calls) <= TARGET_CALLS and rows > 0
        print('[%s] admin Instances page, %-14s %3d rows, median %6.1f ms, DBaaS API calls '
              'per render %s (target <= %d), Keystone calls %s' % (
                  kind, name + ':', rows, median,
                  '/'.join(str(c) for c in sorted(set(calls))), TARGET_CALLS,
                  '/'.join(str(c) for c in sorted(set(keystone_calls)))))
    return met


def main():
    kinds = sys.argv[1:] or ['sqlite', 'postgresql']
    results = [(kind, measure(kind)) for kind in kinds]
    met = [report(kind, figures) for kind, figures in results]
    return 0 if all(met) else 1


if __name__ == '__main__':
    sys.exit(main())
