"""Replication through the API, in-process (issue #17): replica creates and their rules, the
views of a set, delete of a source, detach, promote, eject, users on a replica, and the
migration. The task manager is a recorder; the flows have tests of their own
(test_replication_flows.py) and the engines theirs (tests/functional/test_replication_*).
"""
import hashlib

import pytest
from sqlalchemy import event

from api_service.api.controllers import instances as controller
from api_service.common import exceptions
from api_service.db import models_instances as m
from api_service.db import session as db_session
from api_service.db.session import session_scope
from api_service.domain import status
from api_service.rpc import guest_client
from api_service.rpc import secure
from tests.unit.conftest import OTHER_PROJECT, PROJECT


class Recorder:
    """The task manager: records each cast; `refuse` makes them 503 as a missing one."""

    def __init__(self):
        self.casts = []
        self.refuse = False

    def __getattr__(self, method):
        if method.startswith('_'):
            raise AttributeError(method)

        def cast(ctx, *args, **kwargs):
            if self.refuse:
                raise exceptions.ServiceUnavailable('No task manager is reachable.')
            self.casts.append((method, args, kwargs))
        return cast


@pytest.fixture
def api(client, catalogue, conf, monkeypatch):
    conf.set_override('master_key', secure.new_key(), 'instance')
    conf.set_override('hosts', ['h1:nova:8192:8', 'h2:east:8192:8'], 'local_driver')
    catalogue.upsert_datastore_version('mariadb', '10.11', '10.11.19', 'mariadb', '/usr/sbin',
                                       capabilities='access,databases,replication,root,users')
    catalogue.upsert_datastore_version('mariadb', '11.4', '11.4.2', 'mariadb', '/usr/sbin',
                                       capabilities='access,databases,replication,root,users')
    catalogue.upsert_datastore_version('redis', '7.0', '7.0.15', 'redis', '/usr/bin',
                                       capabilities='replication,root,root_per_member')
    catalogue.upsert_datastore_version('postgresql', '15', '15.18', 'postgresql', '/pg15',
                                       capabilities='databases,root,users')
    recorder = Recorder()
    monkeypatch.setattr(controller.Instances, 'taskmanager', recorder)
    client.recorder = recorder
    yield client
    conf.clear_override('master_key', 'instance')
    conf.clear_override('hosts', 'local_driver')


def message(resp):
    return list(resp.json_body_or_none.values())[0]['message']


def create(api, project=PROJECT, **fields):
    instance = {'name': 'src', 'flavorRef': '2', 'volume': {'size': 2},
                'datastore': {'type': 'mariadb', 'version': '10.11'}}
    instance.update(fields)
    return api.request('POST', '/instances', body={'instance': instance}, project=project)


def source(api, **fields):
    """An ACTIVE instance's id."""
    resp = create(api, **fields)
    assert resp.status_code == 200, resp.body
    instance_id = resp.json_body_or_none['instance']['id']
    settle(instance_id)
    return instance_id


def replicate(api, source_id, project=PROJECT, roles='member', **fields):
    """A replica create as Trove's tooling sends it: name and replica_of only."""
    instance = dict({'name': 'rep', 'replica_of': source_id}, **fields)
    return api.request('POST', '/instances', body={'instance': instance}, project=project,
                       roles=roles)


def replicas(api, source_id, count=2):
    resp = replicate(api, source_id, replica_count=count)
    assert resp.status_code == 200, resp.body
    method, (_source, ids), _ = api.recorder.casts[-1]
    assert method == 'create_replicas'
    for replica_id in ids:
        settle(replica_id)
    return ids


def settle(instance_id, transition=status.finish, **fields):
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id)
        transition(instance)
        for key, value in fields.items():
            setattr(instance, key, value)


def row(instance_id):
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id)
        session.expunge(instance)
        return instance


def show(api, instance_id, **kw):
    return api.get('/instances/%s' % instance_id, **kw).json_body_or_none['instance']


def action(api, instance_id, name, **kw):
    return api.request('POST', '/instances/%s/action' % instance_id, body={name: {}}, **kw)


def usage(api):
    limits = api.get('/limits').json_body_or_none['limits'][0]
    return limits['in_use_instances'], limits['in_use_ram'], limits['in_use_volumes']


# -- create -------------------------------------------------------------------------------

def test_a_replica_takes_its_sources_shape_and_the_set_shows_in_both_views(api):
    source_id = source(api, locality='anti-affinity',
                       access={'is_public': True, 'allowed_cidrs': ['10.1.0.0/16']})
    resp = replicate(api, source_id)
    assert resp.status_code == 200, resp.body
    replica = resp.json_body_or_none['instance']
    assert replica['name'] == 'rep' and replica['status'] == 'BUILD'
    assert replica['flavor']['id'] == '2' and replica['volume']['size'] == 2
    assert replica['datastore'] == {'type': 'mariadb', 'version': '10.11',
                                    'version_number': '10.11.19'}
    assert replica['access'] == {'is_public': True, 'allowed_cidrs': ['10.1.0.0/16']}
    assert replica['locality'] == 'anti-affinity'
    assert replica['replica_of']['id'] == source_id
    assert replica['replica_of']['links'][0]['href'].endswith('/instances/%s' % source_id)
    assert [link['rel'] for link in replica['replica_of']['links']] == ['self', 'bookmark']
    assert api.recorder.casts[-1] == ('create_replicas', (source_id, [replica['id']]), {})
    # It joins its source's server group: placement keeps them apart.
    assert row(replica['id']).server_group_id == row(source_id).server_group_id is not None

    shown = show(api, source_id)
    assert [r['id'] for r in shown['replicas']] == [replica['id']]
    assert 'replica_of' not in shown
    assert show(api, replica['id'])['replica_of']['id'] == source_id
    assert 'replicas' not in show(api, replica['id'])
    for path in ('/instances', '/instances/detail'):
        listed = {i['id']: i for i in api.get(path).json_body_or_none['instances']}
        assert [r['id'] for r in listed[source_id]['replicas']] == [replica['id']]
        assert listed[replica['id']]['replica_of']['id'] == source_id
        assert 'replicas' not in listed[replica['id']]


@pytest.mark.parametrize('count', [3, '3'])
def test_several_replicas_are_named_by_index_and_reserved_at_once(api, count):
    source_id = source(api)
    before = usage(api)
    resp = replicate(api, source_id, replica_count=count)
    assert resp.status_code == 200, resp.body
    method, (cast_source, ids), _ = api.recorder.casts[-1]
    assert method == 'create_replicas' and cast_source == source_id and len(ids) == 3
    assert resp.json_body_or_none['instance']['id'] == ids[0]
    assert sorted(row(i).name for i in ids) == ['rep-1', 'rep-2', 'rep-3']
    assert all(row(i).status == 'BUILD' and row(i).task_deadline for i in ids)
    assert usage(api) == (before[0] + 3, before[1] + 3 * 512, before[2] + 3 * 2)
    assert sorted(r['id'] for r in show(api, source_id)['replicas']) == sorted(ids)


def test_replicas_are_all_or_none_within_the_quota(api, conf):
    source_id = source(api)
    conf.set_override('max_instances_per_tenant', 3, 'quota')
    try:
        resp = replicate(api, source_id, replica_count=3)
        assert resp.status_code == 413, resp.body
        assert api.recorder.casts[-1][0] == 'create_instance'
        assert len(api.get('/instances').json_body_or_none['instances']) == 1
        assert replicate(api, source_id, replica_count=2).status_code == 200
    finally:
        conf.clear_override('max_instances_per_tenant', 'quota')


def test_a_replica_may_name_its_own_shape_within_the_sources(api):
    source_id = source(api)
    resp = replicate(api, source_id, flavorRef='3', volume={'size': 5, 'type': 'fast'},
                     datastore={'type': 'mariadb', 'version': '10.11'},
                     access={'is_public': False}, nics=[])
    assert resp.status_code == 200, resp.body
    replica = resp.json_body_or_none['instance']
    assert replica['flavor']['id'] == '3' and replica['volume']['size'] == 5
    assert replica['access'] == {'is_public': False, 'allowed_cidrs': []}
    assert show(api, replica['id'])['volume']['type'] == row(replica['id']).volume_type_id
    assert row(replica['id']).ram_mb == 1024


@pytest.mark.parametrize('fields, words', [
    ({'users': [{'name': 'app', 'password': 'pw'}]}, 'users cannot be given with replica_of'),
    ({'databases': [{'name': 'shop'}]}, 'databases cannot be given with replica_of'),
    ({'restorePoint': {'backupRef': '00000000-0000-0000-0000-000000000000'}},
     'restorePoint cannot be given with replica_of'),
    ({'locality': 'affinity'}, "replicas join their source's server group"),
    ({'datastore': {'type': 'redis'}}, "A replica has its source's datastore (mariadb)"),
    ({'datastore': {'type': 'mariadb', 'version': '11.4'}},
     "source's datastore version (mariadb 10.11)"),
    ({'volume': {'size': 1}}, "The volume (1 GB) is smaller than the source's data (1.50 GB)."),
    ({'volume': {'size': 0}}, "'instance.volume.size'"),
    ({'replica_count': 11}, "'instance.replica_count'"),
    ({'replica_count': 0}, "'instance.replica_count'"),
    ({'replica_count': '11'}, 'a whole number from 1 to 10'),
    ({'replica_count': 2, 'nics': [{'ip_address': '127.10.0.77', 'net-id': 'NET'}]},
     'one ip_address cannot be given to 2 replicas'),
    ({'region_name': 'east'}, 'region_name (other regions) is not available'),
    ({'datastore': {'type': 'nosuchdb'}}, "Datastore 'nosuchdb' cannot be found. A replica "
                                          "has its source's datastore (mariadb 10.11)"),
    ({'datastore': {'type': 'mariadb', 'version': '9.9'}}, "Datastore version '9.9' cannot "
                                                           'be found'),
    ({'name': 'n' * 254, 'replica_count': 2}, 'an instance name has at most 255 characters: '
                                              'give a name of at most 253 characters.'),
    ({'name': 'n' * 253, 'replica_count': 10}, 'give a name of at most 252 characters.'),
])
def test_refused_replica_creates_say_why(api, fields, words):
    source_id = source(api)
    settle(source_id, lambda instance: None, volume_used_bytes=int(1.5 * 1024 ** 3))
    if 'nics' in fields:
        network = api.get('/networks').json_body_or_none['networks'][0]
        fields['nics'][0]['net-id'] = network['id']
    casts = len(api.recorder.casts)
    resp = replicate(api, source_id, **fields)
    assert resp.status_code == 400, resp.body
    assert words in message(resp)
    assert len(api.recorder.casts) == casts
    assert len(api.get('/instances').json_body_or_none['instances']) == 1


def test_replica_count_without_replica_of_and_a_create_without_flavor_are_400(api):
    resp = create(api, replica_count=2)
    assert resp.status_code == 400
    assert message(resp) == 'replica_count needs replica_of: name the instance to replicate.'
    resp = api.request('POST', '/instances', body={'instance': {'name': 'x'}})
    assert resp.status_code == 400 and message(resp) == "'instance.flavorRef' is required."
    resp = api.request('POST', '/instances', body={'instance': {'name': 'x', 'flavorRef': '2'}})
    assert resp.status_code == 400 and message(resp) == "'instance.volume' is required."


def test_a_replica_of_a_replica_or_of_a_version_without_replication_is_400(api):
    source_id = source(api)
    replica_id, = replicas(api, source_id, 1)
    resp = replicate(api, replica_id)
    assert resp.status_code == 400
    assert message(resp) == ("Instance 'rep' is a replica of 'src': a replica of a replica is "
                             'not possible; make it a replica of the source.')
    pg = source(api, name='pg', datastore={'type': 'postgresql', 'version': '15'})
    resp = replicate(api, pg)
    assert resp.status_code == 400
    assert message(resp) == 'postgresql 15 instances cannot have replicas.'


def test_a_source_must_be_the_projects_and_active(api):
    other = source(api, project=OTHER_PROJECT)
    for source_id in (other, '00000000-0000-0000-0000-000000000000'):
        resp = replicate(api, source_id)
        assert resp.status_code == 404 and 'replica_of takes the id' in message(resp)
    resp = replicate(api, 'src')
    assert resp.status_code == 404 and 'ids are UUIDs' in message(resp)
    # Admins too: a replica lives in its source's project.
    assert replicate(api, other, roles='admin').status_code == 404
    building = create(api).json_body_or_none['instance']['id']
    resp = replicate(api, building)
    assert resp.status_code == 409
    assert message(resp) == "Instance 'src' is BUILD; a replica needs its source to be ACTIVE."


def test_a_create_no_task_manager_takes_fails_every_replica(api):
    source_id = source(api)
    api.recorder.refuse = True
    resp = replicate(api, source_id, replica_count=2)
    assert resp.status_code == 503
    listed = api.get('/instances').json_body_or_none['instances']
    built = [i for i in listed if i['id'] != source_id]
    assert len(built) == 2 and {i['status'] for i in built} == {'ERROR'}
    assert all('No task manager' in show(api, i['id'])['fault']['message'] for i in built)
    assert show(api, source_id)['status'] == 'ACTIVE'


def test_a_page_of_sources_and_replicas_costs_one_query_more(api, conf):
    conf.set_override('max_instances_per_tenant', 100, 'quota')
    try:
        sources = [source(api, name='s%d' % i) for i in range(4)]
        for source_id in sources:
            replicas(api, source_id, 2)
    finally:
        conf.clear_override('max_instances_per_tenant', 'quota')
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db_session.get_reader(), 'before_cursor_execute', listener)
    try:
        page = api.get('/instances/detail?limit=12').json_body_or_none['instances']
    finally:
        event.remove(db_session.get_reader(), 'before_cursor_execute', listener)
    assert len(page) == 12 and len(statements) <= 4
    assert sum(len(i.get('replicas', ())) for i in page) == 8


# -- delete, detach -----------------------------------------------------------------------

def test_a_source_with_replicas_cannot_be_deleted_until_they_go(api):
    source_id = source(api)
    first, second = replicas(api, source_id, 2)
    resp = api.request('DELETE', '/instances/%s' % source_id)
    assert resp.status_code == 409
    assert message(resp) == ("Instance %s has replicas ('rep-1', 'rep-2'); detach or delete "
                             'them first.' % source_id)
    assert show(api, source_id)['status'] == 'ACTIVE'
    assert api.request('DELETE', '/instances/%s' % first).status_code == 202
    assert api.recorder.casts[-1] == ('delete_instance', (first,), {})
    assert "('rep-2')" in message(api.request('DELETE', '/instances/%s' % source_id))
    # A replica being deleted holds nothing back; still listed until it is gone.
    assert api.request('DELETE', '/instances/%s' % second).status_code == 202
    assert len(show(api, source_id)['replicas']) == 2
    assert api.request('DELETE', '/instances/%s' % source_id).status_code == 202


@pytest.mark.parametrize('method, request_body', [
    ('PUT', {'instance': {'replica_of': None}}),
    ('PATCH', {'instance': {'replica_of': None}}),
    ('PUT', {'instance': {'slave_of': None}}),
    ('PATCH', {'instance': {'slave_of': None, 'name': 'alone'}}),
    ('POST', {'detach_replica': {}}),
])
def test_detach_in_each_spelling(api, method, request_body):
    source_id = source(api)
    replica_id, = replicas(api, source_id, 1)
    path = '/instances/%s' % replica_id + ('/action' if method == 'POST' else '')
    resp = api.request(method, path, body=request_body)
    assert resp.status_code == 202, resp.body
    assert resp.json_body_or_none is None
    assert api.recorder.casts[-1] == ('detach_replica', (replica_id,), {})
    shown = show(api, replica_id)
    assert shown['status'] == 'DETACH'
    assert shown['name'] == request_body.get('instance', {}).get('name', 'rep')
    # The task manager clears replica_of_id when it has detached the engine.
    again = api.request(method, path, body=request_body)
    assert again.status_code == 409 and 'DETACH' in message(again)


def test_detach_of_an_instance_that_is_no_replica_is_400(api):
    standalone = source(api)
    for method, path, request_body in (
            ('PUT', '', {'instance': {'replica_of': None}}),
            ('POST', '/action', {'detach_replica': {}})):
        resp = api.request(method, '/instances/%s%s' % (standalone, path), body=request_body)
        assert resp.status_code == 400
        assert message(resp) == ("Instance 'src' is not a replica: there is nothing to detach "
                                 'it from.')
    replica_id, = replicas(api, standalone, 1)
    resp = api.request('PUT', '/instances/%s' % replica_id,
                       body={'instance': {'replica_of': None, 'access': {'is_public': True}}})
    assert resp.status_code == 400 and 'in a request of its own' in message(resp)
    resp = api.request('PUT', '/instances/%s' % replica_id,
                       body={'instance': {'replica_of': source(api, name='x')}})
    assert resp.status_code == 400 and "'instance.replica_of'" in message(resp)


def test_detach_has_its_own_rule(api, conf, tmp_path):
    source_id = source(api)
    replica_id, = replicas(api, source_id, 1)
    (tmp_path / 'policy.yaml').write_text('"instance:detach_replica": "!"\n')
    from api_service.common import policy
    policy.reset()
    try:
        for method, path, request_body in (
                ('PUT', '', {'instance': {'replica_of': None}}),
                ('PATCH', '', {'instance': {'slave_of': None}}),
                ('POST', '/action', {'detach_replica': {}})):
            resp = api.request(method, '/instances/%s%s' % (replica_id, path),
                               body=request_body)
            assert resp.status_code == 403 and 'instance:detach_replica' in message(resp)
        assert show(api, replica_id)['status'] == 'ACTIVE'
    finally:
        policy.reset()


# -- promote, eject ---------------------------------------------------------------------------

def test_promote_a_replica_of_a_set_all_active(api):
    source_id = source(api)
    first, second = replicas(api, source_id, 2)
    resp = action(api, first, 'promote_to_replica_source')
    assert resp.status_code == 202 and resp.json_body_or_none is None
    assert api.recorder.casts[-1] == ('promote_to_replica_source', (first,), {})
    assert show(api, first)['status'] == 'PROMOTE'
    assert row(first).task == 'promote_to_replica_source'
    # Meanwhile the set is the task manager's: another promote, a detach, a restart, a new
    # replica wait.
    resp = action(api, second, 'promote_to_replica_source')
    assert resp.status_code == 409
    assert message(resp) == ("Instance 'rep-1' of the replica set is PROMOTE; promote to "
                             'replica source needs every member of the set to be ACTIVE.')
    resp = action(api, second, 'detach_replica')
    assert resp.status_code == 409 and 'is being promoted' in message(resp)
    resp = action(api, source_id, 'restart')
    assert resp.status_code == 409
    assert message(resp) == ("The replica set of instance 'src' is being promoted; try again "
                             'when it has finished.')
    assert replicate(api, source_id).status_code == 409


def test_promote_needs_a_replica_and_every_member_active(api):
    source_id = source(api)
    resp = action(api, source_id, 'promote_to_replica_source')
    assert resp.status_code == 400
    assert message(resp) == ("Instance 'src' is not a replica: only a replica can be promoted "
                             'to replica source.')
    first, second = replicas(api, source_id, 2)
    settle(second, status.engine_stopped)
    resp = action(api, first, 'promote_to_replica_source')
    assert resp.status_code == 409 and "'rep-2' of the replica set is SHUTDOWN" in message(resp)
    settle(second, status.engine_running)
    settle(source_id, status.reset)
    resp = action(api, first, 'promote_to_replica_source')
    assert resp.status_code == 409 and "'src' of the replica set is ERROR" in message(resp)
    assert show(api, first)['status'] == 'ACTIVE'


def test_eject_a_source_that_is_gone(api):
    source_id = source(api)
    first, second = replicas(api, source_id, 2)
    settle(source_id, status.reset)
    resp = action(api, source_id, 'eject_replica_source')
    assert resp.status_code == 202 and resp.json_body_or_none is None
    assert api.recorder.casts[-1] == ('eject_replica_source', (source_id,), {})
    assert show(api, source_id)['status'] == 'EJECT'
    assert action(api, first, 'restart').status_code == 409


def test_eject_needs_a_source_with_active_replicas(api):
    source_id = source(api)
    resp = action(api, source_id, 'eject_replica_source')
    assert resp.status_code == 400
    assert message(resp) == "Instance 'src' is not a replica source: it has no replicas."
    first, second = replicas(api, source_id, 2)
    resp = action(api, first, 'eject_replica_source')
    assert resp.status_code == 400
    assert message(resp) == "Instance 'rep-1' is a replica: eject its source 'src' instead."
    settle(second, status.reset)
    resp = action(api, source_id, 'eject_replica_source')
    assert resp.status_code == 409 and "'rep-2' of the replica set is ERROR" in message(resp)
    settle(second, status.finish)
    settle(source_id, status.engine_stopped)
    assert action(api, source_id, 'eject_replica_source').status_code == 202


def test_promote_and_eject_deadlines_cover_their_calls_for_the_sets_size(api):
    # Each follow may take the guest's REPLICATION_FOLLOW_TIMEOUT: the janitor must not fail
    # a promote of a larger set that is still within its calls' time.
    source_id = source(api)
    ids = replicas(api, source_id, 3)

    def seconds_left(instance_id):
        from api_service.db import models
        return (row(instance_id).task_deadline - models.utcnow()).total_seconds()

    assert action(api, ids[0], 'promote_to_replica_source').status_code == 202
    follows = 3 * guest_client.REPLICATION_FOLLOW_TIMEOUT      # 2 other replicas, old source
    assert seconds_left(ids[0]) > follows + guest_client.REPLICATION_TIMEOUT + 3 * 75
    settle(ids[0], status.finish)
    settle(source_id, status.engine_stopped)
    assert action(api, source_id, 'eject_replica_source').status_code == 202
    assert seconds_left(source_id) > (2 * guest_client.REPLICATION_FOLLOW_TIMEOUT
                                      + guest_client.REPLICATION_TIMEOUT)


def test_a_promote_no_task_manager_takes_is_undone(api):
    source_id = source(api)
    first, = replicas(api, source_id, 1)
    api.recorder.refuse = True
    assert action(api, first, 'promote_to_replica_source').status_code == 503
    assert action(api, first, 'detach_replica').status_code == 503
    assert action(api, source_id, 'eject_replica_source').status_code == 503
    assert {show(api, i)['status'] for i in (source_id, first)} == {'ACTIVE'}
    assert row(first).replica_of_id == source_id


@pytest.mark.parametrize('name', ['promote_to_replica_source', 'eject_replica_source'])
def test_promote_and_eject_follow_their_rules(api, conf, tmp_path, name):
    source_id = source(api)
    first, = replicas(api, source_id, 1)
    target = first if name.startswith('promote') else source_id
    (tmp_path / 'policy.yaml').write_text('"instance:%s": "!"\n' % name)
    from api_service.common import policy
    policy.reset()
    try:
        resp = action(api, target, name)
        assert resp.status_code == 403 and 'instance:' + name in message(resp)
    finally:
        (tmp_path / 'policy.yaml').write_text('')
        policy.reset()
    assert action(api, target, name, roles='reader').status_code == 403
    assert action(api, target, name, project=OTHER_PROJECT).status_code == 404
    assert {show(api, i)['status'] for i in (source_id, first)} == {'ACTIVE'}


# -- users, databases and root on a replica -------------------------------------------------

@pytest.fixture
def guest_calls(monkeypatch):
    calls = []

    def call(self, ctx, method, timeout=30, **kwargs):
        calls.append(method)
        return ([], None) if method.startswith('list_') else False
    monkeypatch.setattr(guest_client.GuestAPI, 'call', call)
    monkeypatch.setattr(guest_client.GuestAPI, '__init__', lambda self, *a, **kw: None)
    return calls


@pytest.mark.parametrize('method, path, request_body', [
    ('POST', '/users', {'users': [{'name': 'app', 'password': 'pw-1'}]}),
    ('DELETE', '/users/app', None),
    ('PUT', '/users/app', {'user': {'password': 'pw-2'}}),
    ('PUT', '/users', {'users': [{'name': 'app', 'password': 'pw-2'}]}),
    ('PUT', '/users/app/databases', {'databases': [{'name': 'shop'}]}),
    ('DELETE', '/users/app/databases/shop', None),
    ('POST', '/databases', {'databases': [{'name': 'shop'}]}),
    ('DELETE', '/databases/shop', None),
    ('POST', '/root', None),
])
def test_a_replica_takes_changes_from_its_source_only(api, guest_calls, method, path,
                                                      request_body):
    source_id = source(api)
    replica_id, = replicas(api, source_id, 1)
    resp = api.request(method, '/instances/%s%s' % (replica_id, path), body=request_body)
    assert resp.status_code == 400, resp.body
    assert message(resp) == ("Instance 'rep' is a replica of 'src': make changes on its "
                             'source (they replicate).')
    assert guest_calls == []
    # Reads are answered; the source takes the change.
    assert api.get('/instances/%s/users' % replica_id).status_code == 200
    assert api.get('/instances/%s/databases' % replica_id).status_code == 200
    assert api.get('/instances/%s/root' % replica_id).status_code == 200
    assert api.request(method, '/instances/%s%s' % (source_id, path),
                       body=request_body).status_code < 300 or path == '/root'


def test_redis_root_on_a_replica_is_refused_too(api, guest_calls):
    source_id = source(api, datastore={'type': 'redis', 'version': '7.0'})
    replica_id, = replicas(api, source_id, 1)
    resp = api.request('POST', '/instances/%s/root' % replica_id)
    assert resp.status_code == 400 and 'is a replica of' in message(resp)


# -- root of a Redis set: per member, so set on the replicas too ------------------------------

class Guests:
    """Every guest: records (instance id, method, kwargs) and answers as an agent would;
    `failing` holds the ids whose guest fails the call."""

    def __init__(self):
        self.calls = []
        self.failing = set()

    def __call__(self, guest, ctx, method, timeout=30, **kwargs):
        self.calls.append((guest.instance_id, method, kwargs))
        if guest.instance_id in self.failing:
            raise exceptions.GuestFailed('The guest agent could not complete set root hash.',
                                         details='a traceback')
        if method == 'enable_root':
            return {'name': '-', 'password': kwargs.get('password') or 'made-by-the-guest-1'}
        if method == 'is_root_enabled':
            return True
        if method == 'set_root_hash':
            return {'root_enabled': kwargs['root_hash'] is not None}
        return None

    def changes(self):
        return [(instance_id, method, kwargs) for instance_id, method, kwargs in self.calls
                if method != 'is_root_enabled']


@pytest.fixture
def guests(monkeypatch):
    recorded = Guests()

    def init(self, instance_id, key, *args, **kwargs):
        self.instance_id = instance_id
    monkeypatch.setattr(guest_client.GuestAPI, '__init__', init)
    monkeypatch.setattr(guest_client.GuestAPI, 'call', lambda self, *a, **kw: recorded(
        self, *a, **kw))
    return recorded


def redis_set(api, count=2):
    source_id = source(api, datastore={'type': 'redis', 'version': '7.0'})
    return source_id, replicas(api, source_id, count)


def test_root_enabled_on_a_redis_source_is_set_on_its_replicas_by_hash(api, guests):
    source_id, (first, second) = redis_set(api)
    resp = api.request('POST', '/instances/%s/root' % source_id)
    assert resp.status_code == 200, resp.body
    password = resp.json_body_or_none['user']['password']
    hashed = hashlib.sha256(password.encode()).hexdigest()
    assert sorted(guests.changes()) == sorted([
        (source_id, 'enable_root', {'password': None}),
        (first, 'set_root_hash', {'root_hash': hashed}),
        (second, 'set_root_hash', {'root_hash': hashed})])
    assert guests.changes()[0][0] == source_id         # the source's answer first
    # The operator's root history names the replicas too.
    for instance_id in (source_id, first, second):
        shown = api.get('/mgmt/instances/%s/root' % instance_id, roles='admin')
        assert shown.json_body_or_none['root_history']['enabled'] != 'Never', shown.body

    # A password given: the same hash everywhere, the password sent to the source only.
    guests.calls.clear()
    resp = api.request('POST', '/instances/%s/root' % source_id,
                       body={'password': 'Given-Pw-2'})
    assert resp.status_code == 200, resp.body
    given = hashlib.sha256(b'Given-Pw-2').hexdigest()
    assert [kwargs for _id, method, kwargs in guests.changes()
            if method == 'set_root_hash'] == [{'root_hash': given}] * 2
    assert 'Given-Pw-2' not in repr([c for c in guests.calls if c[0] != source_id])

    # Disabled: the replicas first (a failure leaves root on the source to disable again).
    guests.calls.clear()
    assert api.request('DELETE', '/instances/%s/root' % source_id).status_code == 204
    assert guests.changes() == [(replica_id, 'set_root_hash', {'root_hash': None})
                                for replica_id in sorted([first, second])] + [
                                    (source_id, 'disable_root', {})]
    # A replica's root is its source's: read there, refused as a change.
    assert api.get('/instances/%s/root' % first).json_body_or_none == {'rootEnabled': True}
    assert api.request('DELETE', '/instances/%s/root' % first).status_code == 400


def test_root_on_a_redis_source_waits_for_every_replica_to_run(api, guests):
    source_id, (first, second) = redis_set(api)
    settle(second, status.reset)
    resp = api.request('POST', '/instances/%s/root' % source_id)
    assert resp.status_code == 409
    assert message(resp) == ("Root on instance 'src' is set on its replicas too, and replica "
                             "'rep-2' is ERROR; try again when every replica is ACTIVE.")
    assert guests.changes() == []
    # A replica being deleted does not count.
    settle(second, lambda instance: status.mark_deleting(instance, 60))
    assert api.request('POST', '/instances/%s/root' % source_id).status_code == 200
    assert [c[0] for c in guests.changes()] == [source_id, first]


def test_a_replica_that_fails_to_take_root_is_named(api, guests):
    source_id, (first, second) = redis_set(api)
    guests.failing.add(second)
    resp = api.request('POST', '/instances/%s/root' % source_id)
    assert resp.status_code == 503
    assert message(resp) == (
        "Root could not be enabled on replica 'rep-2' of instance 'src' (The guest agent "
        "could not complete set root hash); enable root on 'src' again: its replicas take "
        'the change too.')
    assert 'made-by-the-guest-1' not in resp.body.decode()
    assert 'set root hash' in show(api, second)['fault']['message']
    guests.calls.clear()
    resp = api.request('DELETE', '/instances/%s/root' % source_id)
    assert resp.status_code == 503 and "disable root on 'src' again" in message(resp)
    assert (source_id, 'disable_root', {}) not in guests.changes()


def test_root_on_sources_whose_accounts_replicate_stays_on_the_source(api, guests):
    source_id = source(api)                      # MariaDB: root replicates as any account
    replicas(api, source_id, 2)
    assert api.request('POST', '/instances/%s/root' % source_id).status_code == 200
    assert [(c[0], c[1]) for c in guests.changes()] == [(source_id, 'enable_root')]
    guests.calls.clear()
    alone = source(api, name='alone', datastore={'type': 'redis', 'version': '7.0'})
    assert api.request('POST', '/instances/%s/root' % alone).status_code == 200
    assert [(c[0], c[1]) for c in guests.changes()] == [(alone, 'enable_root')]


# -- backups while a set is promoted or ejected -----------------------------------------------

@pytest.mark.parametrize('operation', ['promote_to_replica_source', 'eject_replica_source'])
def test_no_backup_of_a_member_while_its_set_is_promoted_or_ejected(api, catalogue, operation,
                                                                    monkeypatch):
    from api_service.api.controllers import backups as backups_controller
    monkeypatch.setattr(backups_controller.Backups, 'taskmanager', Recorder())
    catalogue.upsert_datastore_version('mariadb', '10.11', '10.11.19', 'mariadb', '/usr/sbin',
                                       capabilities='access,backups,databases,replication,'
                                                    'root,users')
    source_id = source(api)
    first, second = replicas(api, source_id, 2)
    acted_on = first if operation == 'promote_to_replica_source' else source_id
    assert action(api, acted_on, operation).status_code == 202
    word = 'promoted' if operation == 'promote_to_replica_source' else 'ejected'
    for member in (source_id, first, second):
        resp = api.request('POST', '/backups', body={'backup': {'name': 'b',
                                                                'instance': member}})
        if member == acted_on:
            assert resp.status_code == 409 and 'needs it to be ACTIVE' in message(resp)
            continue
        assert resp.status_code == 409, resp.body
        assert message(resp) == ("The replica set of instance '%s' is being %s; try again "
                                 'when it has finished.' % (row(member).name, word))
    settle(acted_on, status.finish)
    assert api.request('POST', '/backups', body={'backup': {
        'name': 'b', 'instance': second}}).status_code == 202


# -- the migration ----------------------------------------------------------------------------

def test_the_migration_adds_replica_of_and_replication_to_registered_versions(database_url):
    """Versions an operator registered before replication would refuse every replica."""
    import sqlalchemy as sa
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from api_service.db import migration

    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            cfg = migration._config(connection)
            if MigrationContext.configure(connection).get_current_revision() is None:
                command.upgrade(cfg, '0020')
            else:   # PostgreSQL's copies are made at head
                command.downgrade(cfg, '0020')
            assert 'replica_of_id' not in {c['name'] for c in
                                           sa.inspect(connection).get_columns('instances')}
            connection.execute(sa.text(
                "INSERT INTO datastores (id, name) VALUES ('ds-m', 'mariadb'), "
                "('ds-p', 'postgresql'), ('ds-r', 'redis'), ('ds-o', 'other')"))
            versions = sa.table('datastore_versions', *(sa.column(c) for c in (
                'id', 'datastore_id', 'name', 'version', 'manager', 'active', 'capabilities')))
            row_ = dict(active=True, version='1')
            connection.execute(versions.insert(), [
                dict(row_, id='m', datastore_id='ds-m', name='10.11', manager='mariadb',
                     capabilities='databases,root,users'),
                dict(row_, id='p', datastore_id='ds-p', name='15', manager='postgresql',
                     capabilities='users'),
                dict(row_, id='r', datastore_id='ds-r', name='7.0', manager='redis',
                     capabilities=''),
                dict(row_, id='o', datastore_id='ds-o', name='1', manager='other',
                     capabilities='root')])
            command.upgrade(cfg, '0021')
            found = dict(connection.execute(sa.text(
                'SELECT id, capabilities FROM datastore_versions')).all())
            inspector = sa.inspect(connection)
            assert 'replica_of_id' in {c['name'] for c in inspector.get_columns('instances')}
            assert 'ix_instances_replica_of' in {i['name']
                                                 for i in inspector.get_indexes('instances')}
            command.downgrade(cfg, '0020')
            back = dict(connection.execute(sa.text(
                'SELECT id, capabilities FROM datastore_versions')).all())
            command.upgrade(cfg, 'head')
    finally:
        engine.dispose()
    assert found == {'m': 'databases,replication,root,users', 'p': 'replication,users',
                     'r': 'replication,root_per_member', 'o': 'root'}
    assert back == {'m': 'databases,root,users', 'p': 'users', 'r': '', 'o': 'root'}
