"""GET /mgmt/quotas: every project's quotas and usage at once, paged, for admins only."""
from sqlalchemy import event

from api_service.db import session as db_session
from api_service.domain import quotas
from tests.unit.conftest import OTHER_PROJECT, PROJECT

ADMIN = 'admin'


def index(client, query='', roles=ADMIN):
    return client.get('/mgmt/quotas' + query, roles=roles)


def use(project_id, **amounts):
    """Count `amounts` as used by the project, as a create does."""
    with db_session.session_scope() as session:
        quotas.reserve(session, project_id, amounts)


def by_resource(entry):
    return {item['resource']: item for item in entry['quotas']}


def marker_of(page):
    return page['links'][0]['href'].split('marker=')[1].split('&')[0]


def test_no_project_has_rows_yet_the_defaults_are_there(client, conf):
    body = index(client).json_body_or_none
    assert body['projects'] == [] and body['links'] == []
    assert body['defaults'] == [
        {'resource': 'instances', 'limit': conf.quota.max_instances_per_tenant},
        {'resource': 'ram', 'limit': conf.quota.max_ram_per_tenant},
        {'resource': 'volumes', 'limit': conf.quota.max_volumes_per_tenant},
        {'resource': 'backups', 'limit': conf.quota.max_backups_per_tenant}]


def test_projects_with_usage_or_overrides_each_as_show_gives_them(client, conf):
    use(PROJECT, instances=2, volumes=5)
    quotas.update(OTHER_PROJECT, {'instances': 1, 'backups': -1})
    body = index(client).json_body_or_none

    assert [p['project_id'] for p in body['projects']] == [PROJECT, OTHER_PROJECT]
    for entry in body['projects']:
        shown = client.get('/mgmt/quotas/%s' % entry['project_id'], roles=ADMIN)
        assert entry['quotas'] == shown.json_body_or_none['quotas']
    used = by_resource(body['projects'][0])
    assert used['instances'] == {'resource': 'instances', 'in_use': 2, 'reserved': 0,
                                 'limit': conf.quota.max_instances_per_tenant}
    assert used['volumes']['in_use'] == 5 and used['ram']['in_use'] == 0
    limited = by_resource(body['projects'][1])
    assert limited['instances']['limit'] == 1 and limited['instances']['in_use'] == 0
    assert limited['backups']['limit'] == -1      # unlimited, as stored
    assert limited['ram']['limit'] == conf.quota.max_ram_per_tenant


def test_a_project_with_both_usage_and_overrides_is_listed_once(client):
    use(PROJECT, instances=1)
    quotas.update(PROJECT, {'instances': 1})
    projects = index(client).json_body_or_none['projects']
    assert len(projects) == 1
    assert by_resource(projects[0])['instances'] == {
        'resource': 'instances', 'in_use': 1, 'reserved': 0, 'limit': 1}


def test_pages_follow_the_marker_and_cost_the_same_few_queries(client):
    names = ['p%02d' % i for i in range(25)]
    for i, name in enumerate(names):
        if i % 2:
            use(name, instances=1)
        else:
            quotas.update(name, {'ram': 1024 + i})
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db_session.get_reader(), 'before_cursor_execute', listener)
    try:
        seen, query, pages = [], '?limit=10', 0
        while True:
            page = index(client, query).json_body_or_none
            seen += [p['project_id'] for p in page['projects']]
            pages += 1
            if not page['links']:
                break
            query = '?limit=10&marker=%s' % marker_of(page)
    finally:
        event.remove(db_session.get_reader(), 'before_cursor_execute', listener)
    assert seen == names and pages == 3
    # The page's ids, their overrides, their usage: never one query per project.
    assert len(statements) <= 3 * pages


def test_a_marker_past_the_end_is_an_empty_last_page(client):
    use(PROJECT, instances=1)
    body = index(client, '?marker=%s' % PROJECT).json_body_or_none
    assert body['projects'] == [] and body['links'] == [] and body['defaults']


def test_a_member_is_refused_in_troves_envelope(client):
    use(PROJECT, instances=1)
    resp = index(client, roles='member')
    assert resp.status_code == 403
    assert resp.json_body_or_none['forbidden']['code'] == 403
    assert 'quota:index' in resp.json_body_or_none['forbidden']['message']


def test_a_bad_page_size_names_the_parameter(client):
    resp = index(client, '?limit=0')
    assert resp.status_code == 400 and 'limit' in resp.json_body_or_none['badRequest']['message']


def test_the_openapi_document_describes_it(client):
    doc = client.get('/openapi.json', token=False).json_body_or_none
    operation = doc['paths']['/v1.0/{project_id}/mgmt/quotas']['get']
    assert 'Every project' in operation['summary']
    assert {p['name'] for p in operation['parameters']} >= {'limit', 'marker'}
