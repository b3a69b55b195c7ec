"""The operator's instances: deleted instances keep their rows (invisible to tenants, their
address, quota and host room freed), the cross-project list and show (MSD-), the guest
ping (PING-), root history, hwinfo, diagnostics and the stop/reboot/reset actions."""
import oslo_messaging as messaging
import pytest

from api_service.api.controllers import instances as instances_controller
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import mgmt_instances
from api_service.drivers import compute
from api_service.rpc import guest_client
from api_service.taskmanager import flows
from api_service.taskmanager import stop as stop_flow
from tests.unit.test_tenant_faults import FakeRPC, InlineTaskManager, create, mem  # noqa: F401

OTHER = 'f' * 32


class Inline(InlineTaskManager):
    def delete_instance(self, ctx, instance_id):
        flows.delete(ctx, instance_id)

    def stop(self, ctx, instance_id, claim):
        stop_flow.stop(ctx, instance_id, claim)


@pytest.fixture
def api(mem, monkeypatch):  # noqa: F811
    inline = Inline()
    monkeypatch.setattr(instances_controller.Instances, 'taskmanager', inline)
    monkeypatch.setattr(mgmt_instances.clients, 'taskmanager_api', lambda: inline)
    return mem


def admin(client, method, path, **kw):
    return client.request(method, '/mgmt/instances' + path, roles='admin', **kw)


def deleted_one(client):
    instance_id = create(client)
    client.request('POST', '/instances/%s/root' % instance_id)
    assert client.request('DELETE', '/instances/%s' % instance_id).status_code == 202
    return instance_id


def test_a_deleted_instance_keeps_its_row_and_frees_what_it_held(api):
    instance_id = create(api)
    with session_scope() as session:
        before = session.get(m.Instance, instance_id)
        address, host = before.address, before.host
    assert address and host
    deleted_one_id = instance_id
    assert api.request('DELETE', '/instances/%s' % deleted_one_id).status_code == 202
    with session_scope() as session:
        row = session.get(m.Instance, instance_id)
        assert row.deleted and row.deleted_at and row.address is None
        assert session.query(m.InstanceKey).filter_by(instance_id=instance_id).count() == 0
        assert session.query(m.InstanceEvent).filter_by(instance_id=instance_id).count() > 0
    # Invisible to the tenant: show, list, actions all 404 or leave it out.
    assert api.get('/instances/%s' % instance_id).status_code == 404
    assert api.request('DELETE', '/instances/%s' % instance_id).status_code == 404
    assert instance_id not in [i['id'] for i in api.get('/instances').json_body_or_none[
        'instances']]
    # Its address and host room are free: a new instance may take the same address.
    again = create(api)
    with session_scope() as session:
        assert session.get(m.Instance, again).address == address


def test_msd_show_live_and_deleted(api):
    live = create(api)
    for query in ('', '?deleted=true', '?deleted=false', '?deleted=False'):
        resp = admin(api, 'GET', '/%s%s' % (live, query))
        assert resp.status_code == 200, (query, resp.body)
    gone = deleted_one(api)
    for query in ('', '?deleted=false'):
        assert admin(api, 'GET', '/%s%s' % (gone, query)).status_code == 404
    shown = admin(api, 'GET', '/%s?deleted=true' % gone).json_body_or_none['instance']
    assert shown['deleted'] is True and shown['deleted_at']
    assert shown['server']['id'] == gone and shown['volume']['id'] == gone
    assert shown['tenant_id'] and shown['task_description'] == 'The instance was deleted.'
    assert admin(api, 'GET', '/00000000-0000-4000-8000-000000000000?deleted=true'
                 ).status_code == 404
    bad = admin(api, 'GET', '/%s?deleted=banana' % live)
    assert bad.status_code == 400 and 'deleted' in bad.json_body_or_none['badRequest'][
        'message']
    denied = api.get('/mgmt/instances/%s' % live)
    assert denied.status_code == 403 and 'forbidden' in denied.json_body_or_none


def test_list_across_projects_with_filters_and_pages(api):
    mine = [create(api) for _ in range(3)]
    theirs = api.request('POST', '/instances', project=OTHER, body={'instance': {
        'name': 'x', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb', 'version': '10.11'}}}).json_body_or_none[
            'instance']['id']
    gone = deleted_one(api)
    listed = admin(api, 'GET', '?include_clustered=False&deleted=False').json_body_or_none
    ids = [i['id'] for i in listed['instances']]
    assert set(ids) == set(mine) | {theirs} and ids == sorted(ids)
    item = listed['instances'][0]
    assert {'tenant_id', 'server_id', 'host', 'deleted'} <= set(item)
    only = admin(api, 'GET', '?project_id=%s' % OTHER).json_body_or_none['instances']
    assert [i['id'] for i in only] == [theirs]
    assert [i['id'] for i in admin(api, 'GET', '?deleted=true').json_body_or_none[
        'instances']] == [gone]
    assert admin(api, 'GET', '?status=active').json_body_or_none['instances']
    assert admin(api, 'GET', '?status=BUILD').json_body_or_none['instances'] == []
    first = admin(api, 'GET', '?limit=2').json_body_or_none
    assert len(first['instances']) == 2 and first['links']
    rest = admin(api, 'GET', '?limit=2&marker=%s' % first['instances'][-1]['id'])
    assert len(first['instances']) + len(rest.json_body_or_none['instances']) == 4
    assert admin(api, 'GET', '?deleted=maybe').status_code == 400
    assert api.get('/mgmt/instances').status_code == 403


def test_rpc_ping(api, monkeypatch):
    instance_id = create(api)
    resp = admin(api, 'GET', '/%s/rpc_ping' % instance_id)
    assert resp.status_code == 204 and resp.body == b''
    calls = []
    monkeypatch.setattr(compute.get_driver().__class__, 'describe',
                        lambda self, i: calls.append(i))
    FakeRPC.failing['rpc_ping'] = messaging.MessagingTimeout('late')
    resp = admin(api, 'GET', '/%s/rpc_ping' % instance_id)
    assert resp.status_code == 400
    message = resp.json_body_or_none['badRequest']['message']
    assert 'Timeout while waiting on RPC response' in message
    assert 'guestagent.%s' % instance_id in message and 'rpc_ping' in message
    assert '5 seconds' in message and calls == []
    assert admin(api, 'GET', '/00000000-0000-4000-8000-000000000000/rpc_ping'
                 ).status_code == 404
    assert api.get('/mgmt/instances/%s/rpc_ping' % instance_id).status_code == 403
    assert admin(api, 'POST', '/%s/rpc_ping' % instance_id).status_code == 405


def test_root_history_hwinfo_and_diagnostics(api, monkeypatch):
    instance_id = create(api)
    never = admin(api, 'GET', '/%s/root' % instance_id).json_body_or_none['root_history']
    assert never == {'id': instance_id, 'enabled': 'Never', 'user': 'Nobody'}
    assert api.request('POST', '/instances/%s/root' % instance_id).status_code == 200
    history = admin(api, 'GET', '/%s/root' % instance_id).json_body_or_none['root_history']
    assert history['enabled'] != 'Never' and history['user'] != 'Nobody'
    shown = admin(api, 'GET', '/%s' % instance_id).json_body_or_none['instance']
    assert shown['root_enabled'] == history['enabled']
    hw = admin(api, 'GET', '/%s/hwinfo' % instance_id).json_body_or_none['hwinfo']
    with session_scope() as session:
        row = session.get(m.Instance, instance_id)
        ram_mb, vcpus = row.ram_mb, row.vcpus
    assert hw == {'mem_total': ram_mb * 1024, 'num_cpus': vcpus}
    monkeypatch.setattr(guest_client.GuestAPI, 'filesystem_stats',
                        lambda self, ctx: {'used_bytes': 12345})
    diag = admin(api, 'GET', '/%s/diagnostics' % instance_id)
    assert diag.status_code == 200, diag.body
    figures = diag.json_body_or_none['diagnostics']
    assert figures['memory_mb'] == ram_mb and figures['volume_used_bytes'] == 12345
    assert figures['vmRss'] is None      # the engine's own figures need a guest call


def test_stop_reboot_and_reset(api):
    instance_id = create(api)
    driver = compute.get_driver()
    assert admin(api, 'POST', '/%s/action' % instance_id,
                 body={'stop': {}}).status_code == 202
    assert ('stop', instance_id) in driver.calls
    assert api.get('/instances/%s' % instance_id).json_body_or_none['instance'][
        'status'] == 'SHUTDOWN'
    with session_scope() as session:
        assert session.get(m.Instance, instance_id).access_change_until is None
    assert admin(api, 'POST', '/%s/action' % instance_id,
                 body={'reboot': {}}).status_code == 202
    assert ('start', instance_id) in driver.calls
    assert api.get('/instances/%s' % instance_id).json_body_or_none['instance'][
        'status'] == 'ACTIVE'
    for body in ({'reset-task-status': {}}, {'reset_status': {}}):
        assert admin(api, 'POST', '/%s/action' % instance_id, body=body).status_code == 202
        assert api.get('/instances/%s' % instance_id).json_body_or_none['instance'][
            'status'] == 'ERROR'
    bad = admin(api, 'POST', '/%s/action' % instance_id, body={'migrate': {}})
    assert bad.status_code == 400 and 'stop' in bad.json_body_or_none['badRequest']['message']
    assert admin(api, 'POST', '/%s/action' % instance_id,
                 body={'stop': {}}).status_code == 409      # ERROR: nothing to stop
    assert api.request('POST', '/mgmt/instances/%s/action' % instance_id,
                       body={'stop': {}}).status_code == 403
