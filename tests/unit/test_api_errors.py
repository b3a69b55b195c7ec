"""Bad input gets a 4xx in Trove's envelope that names the problem, never a 500."""
import pytest

from tests.unit.conftest import OTHER_PROJECT, PROJECT

ADMIN = 'admin'


def fault_of(resp):
    (name, body), = resp.json_body_or_none.items()
    assert body['code'] == resp.status_code
    return name, body['message']


def test_versions_document_is_public(client):
    resp = client.get('/', token=False)
    assert resp.status_code == 200
    assert resp.json_body_or_none['versions'][0]['id'] == 'v1.0'


def test_missing_token_is_401_in_envelope(client, catalogue):
    resp = client.get('/datastores', token=False)
    assert resp.status_code == 401
    assert fault_of(resp)[0] == 'unauthorized'
    assert 'WWW-Authenticate' in resp.headers


def test_token_of_another_project_is_403(client, catalogue):
    resp = client.get('/datastores', project=OTHER_PROJECT, url_project=PROJECT)
    assert resp.status_code == 403
    name, message = fault_of(resp)
    assert name == 'forbidden' and PROJECT in message


def test_unknown_path_is_404_envelope(client):
    resp = client.get('/no-such-thing')
    assert resp.status_code == 404
    assert fault_of(resp) == ('itemNotFound', 'No such resource: /v1.0/%s/no-such-thing' % PROJECT)


def test_wrong_method_is_405_naming_allowed_ones(client, catalogue):
    resp = client.request('DELETE', '/flavors')
    assert resp.status_code == 405
    assert 'GET' in fault_of(resp)[1]


def test_malformed_json_is_400(client, catalogue):
    resp = client.request('PUT', '/mgmt/quotas/%s' % PROJECT, raw='{"quotas": ', roles=ADMIN)
    assert resp.status_code == 400
    name, message = fault_of(resp)
    assert name == 'badRequest' and 'not valid JSON' in message


def test_missing_body_is_400(client, catalogue):
    resp = client.request('PUT', '/mgmt/quotas/%s' % PROJECT, roles=ADMIN)
    assert resp.status_code == 400
    assert 'body is required' in fault_of(resp)[1]


@pytest.mark.parametrize('body, words', [
    ({'quotas': {'instances': 3}, 'extra': 1}, ['unknown field', 'extra']),
    ({'quotas': {'cores': 3}}, ['unknown field', 'cores']),
    ({'quotas': {'instances': 'three'}}, ["'quotas.instances'", 'whole number', "'three'"]),
    ({'quotas': {'instances': -5}}, ["'quotas.instances'", 'from -1 to', '-5']),
    ({'quotas': {}}, ["'quotas'", 'at least one field']),
    ({}, ["'quotas' is required"]),
    ([], ['body', 'JSON object']),
])
def test_schema_violations_name_the_field(client, catalogue, body, words):
    resp = client.request('PUT', '/mgmt/quotas/%s' % PROJECT, body=body, roles=ADMIN)
    assert resp.status_code == 400, resp.body
    message = fault_of(resp)[1]
    for word in words:
        assert word in message


def test_non_json_content_type_is_415(client, catalogue):
    resp = client.request('PUT', '/mgmt/quotas/%s' % PROJECT, roles=ADMIN,
                          raw='quotas=1', headers={'Content-Type': 'application/x-www-form-urlencoded'})
    assert resp.status_code == 415


def test_oversized_body_is_413(client, catalogue, conf):
    conf.set_override('max_body_bytes', 100, 'api')
    try:
        resp = client.request('PUT', '/mgmt/quotas/%s' % PROJECT, roles=ADMIN,
                              body={'quotas': {'instances': 1}, 'pad': 'x' * 200})
    finally:
        conf.clear_override('max_body_bytes', 'api')
    assert resp.status_code == 413
    assert fault_of(resp)[0] == 'overLimit'


def test_non_uuid_ids_in_paths_are_404_as_unknown_ones(client, catalogue):
    # As upstream Trove: a malformed id cannot name anything (docs/api-extensions.md).
    for path in ('/datastores/versions/not-a-uuid', '/instances/not-a-uuid',
                 '/backups/not-a-uuid'):
        resp = client.get(path)
        assert resp.status_code == 404, path
        assert fault_of(resp)[0] == 'itemNotFound'
        assert 'ids are UUIDs' in fault_of(resp)[1]


def test_bad_paging_parameters_are_400(client, catalogue):
    for query in ('limit=abc', 'limit=0', 'limit=-1'):
        resp = client.get('/datastores?' + query)
        assert resp.status_code == 400, query
        assert 'limit' in fault_of(resp)[1]


def test_unexpected_error_is_generic_500_without_trace(client, catalogue, monkeypatch):
    from api_service.domain import datastores

    def boom(*a, **k):
        raise RuntimeError('secret-password-123 leaked?')
    monkeypatch.setattr(datastores, 'list_datastores', boom)
    resp = client.get('/datastores')
    assert resp.status_code == 500
    name, message = fault_of(resp)
    assert name == 'instanceFault' and 'secret' not in message and 'Traceback' not in message
