"""Configuration groups through the API: shapes, validation, isolation, paging, the flavor
check, and attach/detach/group changes applied through (fake) guests all or nothing.

The guests' side (include files, live values, restarts) is tested on real engines in
tests/functional/test_configurations.py.
"""
import threading

import pytest

from api_service.api.controllers import instances as controller
from api_service.common import exceptions
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.rpc import guest_client
from api_service.rpc import secure
from tests.unit.conftest import OTHER_PROJECT, PROJECT

MIB = 1024 * 1024


class Recorder:
    def __init__(self):
        self.casts = []

    def __getattr__(self, method):
        return lambda ctx, *args, **kwargs: self.casts.append((method, args, kwargs))


class FakeGuest:
    """Records update_overrides calls per instance and keeps what each engine runs with.
    `refuse` {instance_id: exception} makes that guest refuse; `pending` {instance_id:
    names} is what it answers as waiting for a restart."""
    calls = []
    engines = {}
    refuse = {}
    pending = {}
    hold = entered = None

    def __init__(self, instance_id, key, timeout=30):
        self.instance_id = instance_id

    def update_overrides(self, ctx, values, timeout=guest_client.APPLY_CONFIGURATION_TIMEOUT):
        FakeGuest.calls.append((self.instance_id, dict(values)))
        if FakeGuest.hold is not None:
            FakeGuest.entered.set()
            assert FakeGuest.hold.wait(30)
        if self.instance_id in FakeGuest.refuse:
            raise FakeGuest.refuse[self.instance_id]
        FakeGuest.engines[self.instance_id] = dict(values)
        return {'pending_restart': FakeGuest.pending.get(self.instance_id, [])}

    def get_configuration(self, ctx, names, timeout=30):
        FakeGuest.calls.append((self.instance_id, ('get', tuple(names))))
        return {name: '1' for name in names}

    def apply_access(self, ctx, sources, timeout=guest_client.APPLY_ACCESS_TIMEOUT):
        return {'sources': sources}


@pytest.fixture
def api(client, catalogue, conf, monkeypatch):
    conf.set_override('master_key', secure.new_key(), 'instance')
    catalogue.upsert_datastore_version('mariadb', '10.11', '10.11.19', 'mariadb', '/usr/sbin',
                                       capabilities='access,configuration,databases,root,users')
    catalogue.upsert_datastore_version('redis', '7.0', '7.0.15', 'redis', '/usr/bin',
                                       capabilities='configuration,root')
    monkeypatch.setattr(controller.Instances, 'taskmanager', Recorder())
    monkeypatch.setattr(guest_client, 'GuestAPI', FakeGuest)
    FakeGuest.calls, FakeGuest.engines, FakeGuest.refuse, FakeGuest.pending = [], {}, {}, {}
    FakeGuest.hold = FakeGuest.entered = None
    yield client
    conf.clear_override('master_key', 'instance')


def message(resp):
    return list(resp.json_body_or_none.values())[0]['message']


def create_group(api, values=None, name='tuned', datastore='mariadb', version='10.11',
                 project=PROJECT, **extra):
    body = {'name': name, 'values': values if values is not None else {},
            'datastore': {'type': datastore, 'version': version}}
    body.update(extra)
    return api.request('POST', '/configurations', body={'configuration': body},
                       project=project)


def group_id(api, values=None, **kw):
    resp = create_group(api, values, **kw)
    assert resp.status_code == 200, resp.body
    return resp.json_body_or_none['configuration']['id']


def create_instance(api, flavor='2', datastore='mariadb', version='10.11', active=True, **extra):
    instance = {'name': 'db1', 'flavorRef': flavor, 'volume': {'size': 1},
                'datastore': {'type': datastore, 'version': version}}
    instance.update(extra)
    resp = api.request('POST', '/instances', body={'instance': instance})
    assert resp.status_code == 200, resp.body
    instance_id = resp.json_body_or_none['instance']['id']
    if active:
        set_status(instance_id, 'ACTIVE')
    return instance_id


def set_status(instance_id, value):
    with session_scope() as session:
        session.get(m.Instance, instance_id).status = value


def shown(api, instance_id):
    return api.get('/instances/%s' % instance_id).json_body_or_none['instance']


def attach(api, instance_id, configuration_id):
    return api.request('PUT', '/instances/%s' % instance_id,
                       body={'instance': {'configuration': configuration_id}})


def values_of(api, configuration_id):
    return api.get('/configurations/%s' % configuration_id).json_body_or_none[
        'configuration']['values']


# -- groups ---------------------------------------------------------------------------

def test_create_show_list_in_trove_shape_with_typed_values(api):
    resp = create_group(api, {'max_connections': '200', 'sort_buffer_size': 4 * MIB,
                              'slow_query_log': 'on', 'sql_mode': 'STRICT_ALL_TABLES'},
                        description='for reports')
    assert resp.status_code == 200, resp.body
    made = resp.json_body_or_none['configuration']
    version = api.get('/datastores/mariadb/versions/10.11').json_body_or_none['version']
    assert made['values'] == {'max_connections': 200, 'sort_buffer_size': 4 * MIB,
                              'slow_query_log': True, 'sql_mode': 'STRICT_ALL_TABLES'}
    assert made['instance_count'] == 0 and made['description'] == 'for reports'
    assert (made['datastore_name'], made['datastore_version_id'],
            made['datastore_version_name'], made['datastore_version_number']) == (
        'mariadb', version['id'], '10.11', '10.11.19')
    shown_group = api.get('/configurations/%s' % made['id']).json_body_or_none['configuration']
    assert shown_group == made
    listed = api.get('/configurations').json_body_or_none
    assert listed['links'] == []
    (item,) = listed['configurations']
    assert set(item) == {'id', 'name', 'description', 'created', 'updated',
                         'datastore_version_id', 'datastore_name', 'datastore_version_name',
                         'datastore_version_number'}
    assert item['id'] == made['id'] and item['datastore_version_name'] == '10.11'


def test_postgresql_sizes_are_converted_to_the_parameters_unit(api):
    resp = create_group(api, {'shared_buffers': '128MB', 'work_mem': '8MB',
                              'checkpoint_completion_target': '0.8'},
                        datastore='postgresql', version='15')
    assert resp.status_code == 200, resp.body
    assert resp.json_body_or_none['configuration']['values'] == {
        'shared_buffers': 128 * 1024 // 8, 'work_mem': 8 * 1024,
        'checkpoint_completion_target': 0.8}
    resp = create_group(api, {'shared_buffers': '12kB'}, datastore='postgresql', version='15')
    assert resp.status_code == 400 and '8kB' in message(resp) and 'shared_buffers' in message(resp)


@pytest.mark.parametrize('values, words', [
    ({'no_such_thing': 1}, ["'no_such_thing'", 'not supported', 'mariadb 10.11']),
    ({'max_connections': 'many'}, ["'max_connections'", 'integer', 'between 10 and 100000']),
    ({'max_connections': 5}, ["'max_connections'", 'between 10 and 100000', '5']),
    ({'max_connections': 100001}, ["'max_connections'", 'between 10 and 100000']),
    ({'slow_query_log': 'maybe'}, ["'slow_query_log'", 'true or false']),
    ({'max_connections': True}, ["'max_connections'", 'integer']),
    ({'sql_mode': 'A\nplugin_load = evil'}, ["'sql_mode'", 'one line']),
    ({'sql_mode': 7}, ["'sql_mode'", 'a string']),
])
def test_bad_values_are_400_naming_the_parameter(api, values, words):
    resp = create_group(api, values)
    assert resp.status_code == 400, resp.body
    for word in words:
        assert word in message(resp)
    assert api.get('/configurations').json_body_or_none['configurations'] == []


def test_bodies_are_checked_by_their_schemas(api):
    resp = api.request('POST', '/configurations', body={'configuration': {'name': 'x'}})
    assert resp.status_code == 400 and 'values' in message(resp)
    resp = create_group(api, {'max_connections': [1]})
    assert resp.status_code == 400 and 'max_connections' in message(resp)
    resp = create_group(api, {}, colour='red')
    assert resp.status_code == 400 and 'colour' in message(resp)
    resp = create_group(api, {}, datastore='mongodb')
    assert resp.status_code == 404


def test_tenants_never_see_each_others_groups(api):
    configuration_id = group_id(api, {'interactive_timeout': 200})
    path = '/configurations/%s' % configuration_id
    for method, body in (('GET', None), ('PUT', {'configuration': {'values': {}}}),
                         ('PATCH', {'configuration': {'values': {}}}), ('DELETE', None)):
        resp = api.request(method, path, body=body, project=OTHER_PROJECT)
        assert resp.status_code == 404, (method, resp.body)
    assert api.get(path + '/instances', project=OTHER_PROJECT).status_code == 404
    assert api.get('/configurations', project=OTHER_PROJECT).json_body_or_none[
        'configurations'] == []
    other = group_id(api, {}, project=OTHER_PROJECT)
    instance_id = create_instance(api)
    resp = attach(api, instance_id, other)
    assert resp.status_code == 404 and other in message(resp)
    assert values_of(api, configuration_id) == {'interactive_timeout': 200}
    assert api.get('/configurations/not-a-uuid').status_code == 404


def test_groups_and_their_instances_are_paged(api):
    made = sorted(group_id(api, {}, name='g%d' % i) for i in range(5))
    seen, marker = [], None
    while True:
        page = api.get('/configurations?limit=2' + ('&marker=%s' % marker if marker else '')
                       ).json_body_or_none
        seen += [g['id'] for g in page['configurations']]
        if not page['links']:
            break
        marker = page['links'][0]['href'].split('marker=')[1].split('&')[0]
    assert seen == made
    ids = sorted(create_instance(api, configuration=made[0], active=False) for _ in range(3))
    first = api.get('/configurations/%s/instances?limit=2' % made[0]).json_body_or_none
    assert [i['id'] for i in first['instances']] == ids[:2]
    assert first['instances'][0] == {'id': ids[0], 'name': 'db1'}
    marker = first['links'][0]['href'].split('marker=')[1].split('&')[0]
    rest = api.get('/configurations/%s/instances?limit=2&marker=%s' % (made[0], marker))
    assert [i['id'] for i in rest.json_body_or_none['instances']] == ids[2:]
    assert api.get('/configurations/%s' % made[0]).json_body_or_none[
        'configuration']['instance_count'] == 3


def test_put_replaces_and_patch_merges_values_and_names(api):
    configuration_id = group_id(api, {'interactive_timeout': 200, 'wait_timeout': 60})
    path = '/configurations/%s' % configuration_id
    resp = api.request('PATCH', path, body={'configuration': {'values': {'wait_timeout': 90}}})
    assert resp.status_code == 200, resp.body
    assert values_of(api, configuration_id) == {'interactive_timeout': 200, 'wait_timeout': 90}
    resp = api.request('PUT', path, body={'configuration': {
        'values': {'wait_timeout': 30}, 'name': 'renamed', 'description': 'd'}})
    assert resp.status_code == 202, resp.body
    group = api.get(path).json_body_or_none['configuration']
    assert (group['values'], group['name'], group['description']) == (
        {'wait_timeout': 30}, 'renamed', 'd')
    resp = api.request('PUT', path, body={'configuration': {'name': 'only'}})
    assert resp.status_code == 202
    assert values_of(api, configuration_id) == {'wait_timeout': 30}
    resp = api.request('PATCH', path, body={'configuration': {'values': {'wait_timeout': 0}}})
    assert resp.status_code == 400 and 'wait_timeout' in message(resp)
    assert FakeGuest.calls == []        # no instance has it


# -- instances ------------------------------------------------------------------------

def test_create_with_a_group_records_it_and_shows_it(api):
    configuration_id = group_id(api, {'interactive_timeout': 200}, name='tuned')
    instance_id = create_instance(api, configuration=configuration_id, active=False)
    with session_scope() as session:
        assert session.get(m.Instance, instance_id).configuration_id == configuration_id
    shown_instance = shown(api, instance_id)
    assert shown_instance['configuration']['id'] == configuration_id
    assert shown_instance['configuration']['name'] == 'tuned'
    assert shown_instance['configuration']['links'][0]['href'].endswith(
        '/configurations/%s' % configuration_id)
    listed = api.get('/instances').json_body_or_none['instances'][0]
    assert listed['configuration'] == shown_instance['configuration']
    plain = create_instance(api)
    assert 'configuration' not in shown(api, plain)


def test_create_refuses_a_group_of_another_version_or_that_does_not_fit(api):
    redis_group = group_id(api, {'maxmemory': 64 * MIB}, datastore='redis', version='7.0')
    resp = api.request('POST', '/instances', body={'instance': {
        'name': 'x', 'flavorRef': '2', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb', 'version': '10.11'}, 'configuration': redis_group}})
    assert resp.status_code == 400 and 'another datastore version' in message(resp)
    big = group_id(api, {'innodb_buffer_pool_size': 512 * MIB})
    resp = api.request('POST', '/instances', body={'instance': {
        'name': 'x', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb', 'version': '10.11'}, 'configuration': big}})
    assert resp.status_code == 400
    assert '256 MB of RAM' in message(resp) and 'innodb_buffer_pool_size' in message(resp)
    assert api.get('/instances').json_body_or_none['instances'] == []
    assert create_instance(api, flavor='3', configuration=big)


def test_attach_applies_then_records_and_a_second_attach_is_refused(api):
    configuration_id = group_id(api, {'interactive_timeout': 200})
    instance_id = create_instance(api)
    resp = attach(api, instance_id, configuration_id)
    assert resp.status_code == 202, resp.body
    assert FakeGuest.calls == [(instance_id, {'interactive_timeout': 200})]
    instance = shown(api, instance_id)
    assert instance['configuration']['id'] == configuration_id
    assert instance['status'] == 'ACTIVE'
    other = group_id(api, {'wait_timeout': 60}, name='other')
    resp = attach(api, instance_id, other)
    assert resp.status_code == 400 and 'detach it first' in message(resp)
    resp = api.request('DELETE', '/configurations/%s' % configuration_id)
    assert resp.status_code == 409 and instance_id in message(resp)
    resp = attach(api, instance_id, None)
    assert resp.status_code == 202, resp.body
    assert FakeGuest.calls[-1] == (instance_id, {})
    assert 'configuration' not in shown(api, instance_id)
    assert api.request('DELETE', '/configurations/%s' % configuration_id).status_code == 202
    assert api.get('/configurations/%s' % configuration_id).status_code == 404
    assert attach(api, instance_id, None).status_code == 202    # nothing attached: no-op
    assert len(FakeGuest.calls) == 2


def test_attach_needs_an_active_instance_and_a_fitting_group(api):
    configuration_id = group_id(api, {'interactive_timeout': 200})
    building = create_instance(api, active=False)
    resp = attach(api, building, configuration_id)
    assert resp.status_code == 409 and 'BUILD' in message(resp)
    big = group_id(api, {'innodb_buffer_pool_size': 1024 * MIB}, name='big')
    small = create_instance(api, flavor='2')
    resp = attach(api, small, big)
    assert resp.status_code == 400
    assert '512 MB of RAM' in message(resp) and 'innodb_buffer_pool_size' in message(resp)
    assert FakeGuest.calls == []
    assert 'configuration' not in shown(api, small)


def test_pending_values_mean_restart_required_until_a_detach_takes_them_away(api):
    configuration_id = group_id(api, {'innodb_log_buffer_size': 32 * MIB})
    instance_id = create_instance(api)
    FakeGuest.pending[instance_id] = ['innodb_log_buffer_size']
    assert attach(api, instance_id, configuration_id).status_code == 202
    assert shown(api, instance_id)['status'] == 'RESTART_REQUIRED'
    FakeGuest.pending[instance_id] = []
    assert attach(api, instance_id, None).status_code == 202
    assert shown(api, instance_id)['status'] == 'ACTIVE'


def test_group_changes_reach_every_instance_or_none(api):
    configuration_id = group_id(api, {'interactive_timeout': 200})
    first, second = create_instance(api), create_instance(api)
    for instance_id in (first, second):
        assert attach(api, instance_id, configuration_id).status_code == 202
    FakeGuest.calls = []
    path = '/configurations/%s' % configuration_id
    resp = api.request('PATCH', path, body={'configuration': {'values': {'wait_timeout': 90}}})
    assert resp.status_code == 200, resp.body
    merged = {'interactive_timeout': 200, 'wait_timeout': 90}
    assert sorted(FakeGuest.calls) == sorted([(first, merged), (second, merged)])
    # One guest refuses: the other gets its previous values back, nothing is recorded.
    FakeGuest.refuse[second] = exceptions.BadRequest(
        "MariaDB refused wait_timeout = 5: Variable 'wait_timeout' can't be set.")
    FakeGuest.calls = []
    resp = api.request('PUT', path, body={'configuration': {'values': {'wait_timeout': 5}}})
    assert resp.status_code == 400, resp.body
    assert second in message(resp) and 'wait_timeout' in message(resp)
    assert 'other instances keep their previous values' in message(resp)
    assert FakeGuest.engines[first] == merged and FakeGuest.engines[second] == merged
    assert (first, merged) in FakeGuest.calls     # given back
    assert values_of(api, configuration_id) == merged
    with session_scope() as session:
        assert all(session.get(m.Instance, i).access_change_until is None
                   for i in (first, second))
    # A value that does not fit one of the instances' flavors is refused before any guest.
    FakeGuest.refuse, FakeGuest.calls = {}, []
    resp = api.request('PATCH', path, body={'configuration': {
        'values': {'innodb_buffer_pool_size': 600 * MIB}}})
    assert resp.status_code == 400 and '512 MB of RAM' in message(resp)
    assert FakeGuest.calls == []
    # An instance not ACTIVE stops the change, naming it.
    set_status(second, 'SHUTDOWN')
    resp = api.request('PATCH', path, body={'configuration': {'values': {'wait_timeout': 70}}})
    assert resp.status_code == 409 and second in message(resp) and 'SHUTDOWN' in message(resp)
    assert FakeGuest.calls == [] and values_of(api, configuration_id) == merged


def test_access_and_configuration_changes_exclude_each_other(api):
    configuration_id = group_id(api, {'interactive_timeout': 200})
    instance_id = create_instance(api)
    FakeGuest.hold, FakeGuest.entered = threading.Event(), threading.Event()
    answers = []
    thread = threading.Thread(target=lambda: answers.append(
        attach(api, instance_id, configuration_id)))
    thread.start()
    try:
        assert FakeGuest.entered.wait(30)
        resp = api.request('PUT', '/instances/%s' % instance_id,
                           body={'instance': {'access': {'is_public': True}}})
        assert resp.status_code == 409 and 'configuration change' in message(resp)
    finally:
        FakeGuest.hold.set()
        thread.join(30)
    assert answers[0].status_code == 202


def test_a_resize_the_group_would_not_fit_is_refused(api):
    configuration_id = group_id(api, {'innodb_buffer_pool_size': 768 * MIB}, name='big')
    instance_id = create_instance(api, flavor='3', configuration=configuration_id)
    resp = api.request('POST', '/instances/%s/action' % instance_id,
                       body={'resize': {'flavorRef': '2'}})
    assert resp.status_code == 400, resp.body
    for word in ("'big'", 'innodb_buffer_pool_size', '512 MB of RAM'):
        assert word in message(resp)
    assert shown(api, instance_id)['status'] == 'ACTIVE'


def test_instance_configuration_is_what_the_engine_reports(api):
    instance_id = create_instance(api)
    resp = api.get('/instances/%s/configuration' % instance_id)
    assert resp.status_code == 200, resp.body
    names = api.get('/datastores/mariadb/versions/10.11/parameters').json_body_or_none[
        'configuration-parameters']
    expected = sorted(p['name'] for p in names)
    assert sorted(resp.json_body_or_none['instance']['configuration']) == expected
    assert FakeGuest.calls == [(instance_id, ('get', tuple(expected)))]
    set_status(instance_id, 'BUILD')
    assert api.get('/instances/%s/configuration' % instance_id).status_code == 409
