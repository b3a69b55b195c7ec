"""Raw HTTP against the real stack: auth through real Keystone, and bad input."""
import pytest
import requests


@pytest.fixture(scope='module')
def demo(stack):
    token, project = stack.token('demo')
    return {'token': token, 'project': project, 'url': stack.api(project)}


def call(method, url, token=None, **kw):
    headers = kw.pop('headers', {})
    if token:
        headers['X-Auth-Token'] = token
    return requests.request(method, url, headers=headers, timeout=10, **kw)


def envelope(resp):
    (name, body), = resp.json().items()
    assert body['code'] == resp.status_code
    return name, body['message']


def test_versions_document(stack):
    resp = call('GET', stack.urls['api'] + '/')
    assert resp.status_code == 200 and resp.json()['versions'][0]['status'] == 'CURRENT'


def test_no_token_and_bad_token_are_401(demo):
    assert call('GET', demo['url'] + '/flavors').status_code == 401
    resp = call('GET', demo['url'] + '/flavors', token='not-a-real-token')
    assert resp.status_code == 401 and envelope(resp)[0] == 'unauthorized'


def test_token_of_another_project_is_403(stack, demo):
    admin_token, _ = stack.token('admin')
    resp = call('GET', demo['url'] + '/datastores', token=admin_token)
    assert resp.status_code == 403 and envelope(resp)[0] == 'forbidden'
    # ... and the demo user cannot read the admin project's quotas either.
    resp = call('GET', stack.api(demo['project']) + '/mgmt/quotas/' + stack.admin_project_id,
                token=demo['token'])
    assert resp.status_code == 403


def test_catalogue_with_a_real_token(demo):
    resp = call('GET', demo['url'] + '/datastores', token=demo['token'])
    assert resp.status_code == 200
    assert {d['name'] for d in resp.json()['datastores']} >= {'mariadb', 'postgresql', 'redis'}
    zones = call('GET', demo['url'] + '/availability-zones', token=demo['token']).json()
    assert zones['availability_zones'][0]['available'] is True


@pytest.mark.parametrize('kwargs, status, words', [
    ({'data': '{"quotas": '}, 400, ['not valid JSON']),
    ({'json': {'quotas': {'instances': 1}, 'bogus': 1}}, 400, ['unknown field', 'bogus']),
    ({'json': {'quotas': {'instances': 'many'}}}, 400, ["'quotas.instances'", 'whole number',
                                                        "'many'"]),
    ({'json': {'quotas': {'x' * 300: 1}}}, 400, ['unknown field']),
    # Issue #15: nested 5,000 deep was a 500; a NUL in a name was accepted.
    ({'data': '{"quotas": ' + '[' * 5000 + ']' * 5000 + '}'}, 400, ['more than 32 levels']),
    ({'data': '{"quotas": {"instances": 1, "instances": 2}}'}, 400, ["'instances' twice"]),
])
def test_bad_bodies_get_4xx_naming_the_problem(stack, demo, kwargs, status, words):
    admin_token, admin_project = stack.token('admin')
    headers = {'Content-Type': 'application/json'}
    resp = call('PUT', stack.api(admin_project) + '/mgmt/quotas/' + demo['project'],
                token=admin_token, headers=headers, **kwargs)
    assert resp.status_code == status, resp.text
    message = envelope(resp)[1]
    for word in words:
        assert word in message


def test_non_uuid_and_unknown_ids(demo):
    # A malformed id is an unknown one, as upstream Trove answers (404).
    resp = call('GET', demo['url'] + '/datastores/versions/abc', token=demo['token'])
    assert resp.status_code == 404 and envelope(resp)[0] == 'itemNotFound'
    resp = call('GET', demo['url'] + '/flavors/12345', token=demo['token'])
    assert resp.status_code == 404 and envelope(resp)[0] == 'itemNotFound'


def test_openapi_document_is_served(stack):
    doc = call('GET', stack.urls['api'] + '/openapi.json').json()
    assert doc['openapi'].startswith('3.') and '/v1.0/{project_id}/flavors' in doc['paths']
