"""Instances through the API, in-process: validation, quotas, isolation, paging, actions.

The task manager is replaced by a recorder: the flows are exercised by the functional
tests on real engines.
"""
import concurrent.futures

import pytest
from sqlalchemy import event

from api_service.api.controllers import instances as controller
from api_service.db import session as db_session
from api_service.rpc import secure
from tests.unit.conftest import OTHER_PROJECT, PROJECT


class Recorder:
    def __init__(self):
        self.casts = []

    def __getattr__(self, method):
        return lambda ctx, *args, **kwargs: self.casts.append((method, args, kwargs))


@pytest.fixture
def api(client, catalogue, conf, monkeypatch):
    conf.set_override('master_key', secure.new_key(), 'instance')
    conf.set_override('hosts', ['h1:nova:4096:4', 'h2:east:2048:2'], 'local_driver')
    from api_service.domain import catalogue_admin
    catalogue_admin.upsert_datastore_version('mariadb', '10.11', '10.11.19', 'mariadb',
                                             '/usr/sbin', capabilities='databases,root,users')
    catalogue_admin.upsert_datastore_version('redis', '7.0', '7.0.15', 'redis', '/usr/bin',
                                             capabilities='root')
    recorder = Recorder()
    monkeypatch.setattr(controller.Instances, 'taskmanager', recorder)
    client.recorder = recorder
    yield client
    conf.clear_override('master_key', 'instance')
    conf.clear_override('hosts', 'local_driver')


def body(**overrides):
    instance = {'name': 'db1', 'flavorRef': '2', 'volume': {'size': 1},
                'datastore': {'type': 'mariadb', 'version': '10.11'}}
    instance.update(overrides)
    return {'instance': instance}


def create(api, project=PROJECT, **overrides):
    return api.request('POST', '/instances', body=body(**overrides), project=project)


def message(resp):
    return list(resp.json_body_or_none.values())[0]['message']


def test_create_records_build_and_casts_to_taskmanager(api):
    resp = create(api, databases=[{'name': 'shop'}],
                  users=[{'name': 'app', 'password': 'pw', 'databases': [{'name': 'shop'}]}])
    assert resp.status_code == 200, resp.body
    instance = resp.json_body_or_none['instance']
    assert instance['status'] == 'BUILD' and instance['name'] == 'db1'
    assert instance['datastore'] == {'type': 'mariadb', 'version': '10.11',
                                     'version_number': '10.11.19'}
    assert instance['volume']['size'] == 1 and instance['flavor']['id'] == '2'
    (method, _, kwargs), = api.recorder.casts
    assert method == 'create_instance' and kwargs['instance_id'] == instance['id']
    assert kwargs['users'][0]['password'] == 'pw'
    shown = api.get('/instances/%s' % instance['id']).json_body_or_none['instance']
    assert shown['id'] == instance['id'] and 'fault' not in shown


@pytest.mark.parametrize('overrides, status, words', [
    ({'flavorRef': '99'}, 404, ["Flavor '99'"]),
    ({'volume': {'size': 0}}, 400, ["'instance.volume.size'", 'from 1 to', 'not 0']),
    ({'volume': {'size': 1, 'type': 'gold'}}, 400, ["'gold'", 'fast', 'standard']),
    ({'availability_zone': 'mars'}, 400, ["'mars'", 'east', 'nova']),
    ({'datastore': {'type': 'redis'}, 'databases': [{'name': 'x'}]}, 400,
     ['redis does not support databases']),
    ({'datastore': {'type': 'mongodb'}}, 404, ["'mongodb'"]),
    ({'datastore': {}}, 400, ['datastore.type is required']),
    ({'nics': [{'net-id': 'x'}]}, 400, ["Network 'x' does not exist", 'default']),
    ({'configuration': 'abc'}, 404, ['Configuration group', 'abc']),
    ({'configuration': 'n' * 256}, 400, ['configuration']),
    ({'locality': 'sideways'}, 400, ['locality']),
    ({'access': {'allowed_cidrs': ['10.0.0.0/33']}}, 400, ['10.0.0.0/33']),
    ({'name': 'x' * 256}, 400, ['too long']),
    ({'flavorRef': {'id': 2}}, 400, ['flavorRef']),
    ({'bogus': 1}, 400, ['bogus']),
])
def test_bad_creates_are_4xx_naming_the_problem(api, overrides, status, words):
    resp = create(api, **overrides)
    assert resp.status_code == status, resp.body
    for word in words:
        assert word in message(resp)
    assert api.recorder.casts == []


def test_restricted_volume_types_and_flavors_are_enforced(api, catalogue):
    catalogue.restrict_volume_types('mariadb', '10.11', ['fast'])
    catalogue.restrict_flavors('mariadb', '10.11', ['3'])
    resp = create(api, flavorRef='3')
    assert resp.status_code == 400 and 'needs a volume type: fast' in message(resp)
    resp = create(api, flavorRef='2', volume={'size': 1, 'type': 'fast'})
    assert resp.status_code == 400 and 'allowed: 3' in message(resp)
    assert create(api, flavorRef='3', volume={'size': 1, 'type': 'fast'}).status_code == 200


def test_tenants_never_see_each_other(api):
    instance_id = create(api).json_body_or_none['instance']['id']
    assert api.get('/instances/%s' % instance_id, project=OTHER_PROJECT).status_code == 404
    assert api.get('/instances', project=OTHER_PROJECT).json_body_or_none['instances'] == []
    resp = api.request('DELETE', '/instances/%s' % instance_id, project=OTHER_PROJECT)
    assert resp.status_code == 404
    assert api.get('/instances/%s' % instance_id, roles='admin',
                   project=OTHER_PROJECT).status_code == 200


def test_non_uuid_instance_id_is_404_with_reason(api):
    resp = api.get('/instances/not-an-id')
    assert resp.status_code == 404 and 'UUID' in message(resp)


def test_quota_is_enforced_and_freed_values_reported(api):
    api.request('PUT', '/mgmt/quotas/%s' % PROJECT, body={'quotas': {'instances': 2}},
                roles='admin')
    assert create(api).status_code == 200
    assert create(api).status_code == 200
    resp = create(api)
    assert resp.status_code == 413 and 'instances (limit 2)' in message(resp)
    quotas = {q['resource']: q for q in
              api.get('/mgmt/quotas/%s' % PROJECT).json_body_or_none['quotas']}
    assert quotas['instances']['in_use'] == 2 and quotas['ram']['in_use'] == 1024
    assert quotas['volumes']['in_use'] == 2


def test_twenty_concurrent_creates_never_pass_the_quota(api):
    api.request('PUT', '/mgmt/quotas/%s' % PROJECT, body={'quotas': {'instances': 5}},
                roles='admin')
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(lambda i: create(api, name='c%d' % i).status_code, range(20)))
    assert sorted(codes) == [200] * 5 + [413] * 15
    assert len(api.get('/instances?limit=100').json_body_or_none['instances']) == 5


def test_list_pages_cost_one_query_whatever_the_total(api, conf):
    conf.set_override('max_instances_per_tenant', 100, 'quota')
    try:
        ids = {create(api, name='i%02d' % i).json_body_or_none['instance']['id']
               for i in range(25)}
    finally:
        conf.clear_override('max_instances_per_tenant', 'quota')
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db_session.get_reader(), 'before_cursor_execute', listener)
    try:
        seen, marker, pages = set(), None, 0
        while True:
            path = '/instances/detail?limit=10' + ('&marker=%s' % marker if marker else '')
            page = api.get(path).json_body_or_none
            seen |= {i['id'] for i in page['instances']}
            pages += 1
            if not page['links']:
                break
            marker = page['links'][0]['href'].split('marker=')[1].split('&')[0]
    finally:
        event.remove(db_session.get_reader(), 'before_cursor_execute', listener)
    assert seen == ids and pages == 3
    assert len(statements) <= 3 * pages


def test_actions_follow_the_state_machine(api):
    instance_id = create(api).json_body_or_none['instance']['id']
    resp = api.request('POST', '/instances/%s/action' % instance_id, body={'restart': {}})
    assert resp.status_code == 409 and 'BUILD' in message(resp)
    resp = api.request('POST', '/instances/%s/action' % instance_id, body={'dance': {}})
    assert resp.status_code == 400 and '"restart"' in message(resp)
    resp = api.request('POST', '/instances/%s/action' % instance_id, body={'reset_status': {}})
    assert resp.status_code == 403
    resp = api.request('POST', '/instances/%s/action' % instance_id, body={'reset_status': {}},
                       roles='admin')
    assert resp.status_code == 202
    shown = api.get('/instances/%s' % instance_id, roles='admin').json_body_or_none['instance']
    assert shown['status'] == 'ERROR' and shown['fault']['message'].startswith('Status reset')
    assert 'details' in shown['fault']
    member_view = api.get('/instances/%s' % instance_id).json_body_or_none['instance']
    assert 'details' not in member_view['fault']


def test_rename_and_delete_in_any_state(api):
    instance_id = create(api).json_body_or_none['instance']['id']
    resp = api.request('PUT', '/instances/%s' % instance_id, body={'instance': {'name': 'new'}})
    assert resp.status_code == 202
    assert api.get('/instances/%s' % instance_id).json_body_or_none['instance']['name'] == 'new'
    assert api.request('DELETE', '/instances/%s' % instance_id).status_code == 202
    shown = api.get('/instances/%s' % instance_id).json_body_or_none['instance']
    assert shown['status'] == 'DELETING'
    assert api.recorder.casts[-1][0] == 'delete_instance'


def test_guest_calls_need_an_active_instance(api):
    instance_id = create(api).json_body_or_none['instance']['id']
    resp = api.get('/instances/%s/databases' % instance_id)
    assert resp.status_code == 409 and 'BUILD' in message(resp)
    redis_id = create(api, datastore={'type': 'redis'}).json_body_or_none['instance']['id']
    resp = api.get('/instances/%s/users' % redis_id)
    assert resp.status_code == 400 and 'do not support users' in message(resp)


def test_a_create_with_users_needs_the_user_create_rule_too(api, conf, tmp_path):   # POL-04
    (tmp_path / 'policy.yaml').write_text('"instance:extension:user:create": "!"\n')
    from api_service.common import policy
    policy.reset()
    try:
        refused = create(api, users=[{'name': 'app', 'password': 'pw-Secret-1'}])
        assert refused.status_code == 403
        assert 'instance:extension:user:create' in message(refused)
        assert api.get('/instances').json_body_or_none['instances'] == []
        assert api.recorder.casts == []
        assert create(api).status_code == 200
    finally:
        policy.reset()
