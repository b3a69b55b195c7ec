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


def test_a_deleted_instances_events_stay_readable_by_admins(api):
    gone = deleted_one(api)
    assert api.get('/instances/%s/events' % gone).status_code == 404
    steps = admin(api, 'GET', '/%s/events' % gone).json_body_or_none['events']
    assert [e['operation'] for e in steps][0] == 'create'
    assert 'delete' in {e['operation'] for e in steps}
    assert api.get('/mgmt/instances/%s/events' % gone).status_code == 403
    assert admin(api, 'GET', '/00000000-0000-4000-8000-000000000000/events'
                 ).status_code == 404


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
    assert diag_of(api, instance_id, monkeypatch)[0]['memory_mb'] == ram_mb


# What an agent's get_diagnostics answers for a running MariaDB (kB where /proc says kB).
RUNNING = {'version': '10.11.6-MariaDB', 'threads': 9, 'fd_size': 64, 'vm_size': 1300000,
           'vm_peak': 1400000, 'vm_rss': 90000, 'vm_hwm': 95000, 'used_bytes': 12345}


def diag_of(api, instance_id, monkeypatch, answer=RUNNING):
    calls = []

    def get_diagnostics(self, ctx, timeout=30):
        calls.append(timeout)
        return dict(answer)
    monkeypatch.setattr(guest_client.GuestAPI, 'get_diagnostics', get_diagnostics)
    diag = admin(api, 'GET', '/%s/diagnostics' % instance_id)
    assert diag.status_code == 200, diag.body
    return diag.json_body_or_none['diagnostics'], calls


def test_diagnostics_are_the_engines_own_figures_in_one_guest_call(api, monkeypatch):
    instance_id = create(api)
    figures, calls = diag_of(api, instance_id, monkeypatch)
    assert calls == [5]         # one call, within [rpc] rpc_ping_timeout
    assert {key: figures[key] for key in ('version', 'threads', 'fdSize', 'vmSize', 'vmPeak',
                                          'vmRss', 'vmHwm', 'volume_used_bytes')} == {
        'version': '10.11.6-MariaDB', 'threads': 9, 'fdSize': 64, 'vmSize': 1300000,
        'vmPeak': 1400000, 'vmRss': 90000, 'vmHwm': 95000, 'volume_used_bytes': 12345}
    # A stopped engine has no process: its figures are null, the volume's are not.
    stopped = dict(dict.fromkeys(RUNNING), used_bytes=777)
    figures, _ = diag_of(api, instance_id, monkeypatch, stopped)
    assert figures['vmRss'] is None and figures['version'] is None
    assert figures['volume_used_bytes'] == 777


def test_diagnostics_of_a_guest_that_does_not_answer_is_a_400(api, monkeypatch):
    instance_id = create(api)
    FakeRPC.failing['get_diagnostics'] = messaging.MessagingTimeout('late')
    resp = admin(api, 'GET', '/%s/diagnostics' % instance_id)
    assert resp.status_code == 400
    message = resp.json_body_or_none['badRequest']['message']
    assert 'get_diagnostics' in message and '5 seconds' in message


def older_agent(method):
    """What an agent started before RPC 1.1 raises for a 1.1 call, as the client sees it."""
    return messaging.RemoteError('UnsupportedVersion', 'Endpoint does not support RPC version '
                                 '1.1. Attempted method: %s' % method, 'Traceback ...')


def test_diagnostics_of_an_older_agent_is_a_409_saying_what_to_do(api):
    instance_id = create(api)
    FakeRPC.failing['get_diagnostics'] = older_agent('get_diagnostics')
    resp = admin(api, 'GET', '/%s/diagnostics' % instance_id)
    assert resp.status_code == 409
    assert resp.json_body_or_none['conflictingRequest']['message'] == (
        "The instance's guest agent is older than this call; restart the guest agent to "
        "update it.")


def test_diagnostics_the_agent_fails_is_its_typed_error_not_a_500(api, monkeypatch):
    instance_id = create(api)

    def failed(self, ctx, method, **kwargs):
        return {'error': {'code': 500, 'message':
                          'The guest agent could not complete reading the diagnostics.'}}
    monkeypatch.setattr(FakeRPC, 'call', failed)
    resp = admin(api, 'GET', '/%s/diagnostics' % instance_id)
    assert resp.status_code == 503
    assert resp.json_body_or_none['serviceUnavailable']['message'] == (
        'The guest agent could not complete reading the diagnostics.')


def guest_calls(monkeypatch):
    """The RPC methods the task manager and the API call on guests, in order."""
    calls = []
    real = FakeRPC.call

    def call(self, ctx, method, **kwargs):
        calls.append((method, self.instance_id))
        return real(self, ctx, method, **kwargs)
    monkeypatch.setattr(FakeRPC, 'call', call)
    return calls


def status_of(api, instance_id):
    return api.get('/instances/%s' % instance_id).json_body_or_none['instance']['status']


def claim_of(instance_id):
    with session_scope() as session:
        return session.get(m.Instance, instance_id).access_change_until


def test_stop_reboot_and_reset(api, monkeypatch):
    instance_id = create(api)
    driver = compute.get_driver()
    calls = guest_calls(monkeypatch)
    assert admin(api, 'POST', '/%s/action' % instance_id,
                 body={'stop': {}}).status_code == 202
    # The guest stops its engine; the driver leaves the guest agent running.
    assert ('stop_db', instance_id) in calls and ('stop', instance_id) not in driver.calls
    assert status_of(api, instance_id) == 'SHUTDOWN' and claim_of(instance_id) is None
    assert admin(api, 'POST', '/%s/action' % instance_id,
                 body={'reboot': {}}).status_code == 202
    # The running agent starts its engine: no guest to start.
    assert ('restart', instance_id) in calls and ('start', instance_id) not in driver.calls
    assert status_of(api, instance_id) == 'ACTIVE'
    for body in ({'reset-task-status': {}}, {'reset_status': {}}):
        assert admin(api, 'POST', '/%s/action' % instance_id, body=body).status_code == 202
        assert api.get('/instances/%s' % instance_id).json_body_or_none['instance'][
            'status'] == 'ERROR'
    steps = api.get('/instances/%s/events' % instance_id).json_body_or_none['events']
    resets = [e for e in steps if e['operation'] == 'reset_status']
    assert len(resets) == 2 and resets[0]['message'] == 'asked by an administrator'
    assert not [e for e in steps if e['outcome'] == 'RUNNING']
    bad = admin(api, 'POST', '/%s/action' % instance_id, body={'migrate': {}})
    assert bad.status_code == 400 and 'stop' in bad.json_body_or_none['badRequest']['message']
    assert admin(api, 'POST', '/%s/action' % instance_id,
                 body={'stop': {}}).status_code == 409      # ERROR: nothing to stop
    assert api.request('POST', '/mgmt/instances/%s/action' % instance_id,
                       body={'stop': {}}).status_code == 403


def test_a_stop_the_guest_does_not_answer_ends_with_a_fault_and_the_claim_released(api):
    instance_id = create(api)
    FakeRPC.failing['stop_db'] = messaging.MessagingTimeout('late')
    assert admin(api, 'POST', '/%s/action' % instance_id,
                 body={'stop': {}}).status_code == 202
    assert status_of(api, instance_id) == 'ACTIVE' and claim_of(instance_id) is None
    fault = api.get('/instances/%s' % instance_id, roles='admin').json_body_or_none[
        'instance']['fault']
    assert fault['message'] == (
        'Stopping the database failed: the guest agent did not answer within %d seconds (it '
        'is not running or cannot reach the message broker).' % guest_client.STOP_TIMEOUT)
    assert 'MessagingTimeout' in fault['details']
    # The next stop is not refused: nothing holds the instance.
    FakeRPC.failing.clear()
    assert admin(api, 'POST', '/%s/action' % instance_id,
                 body={'stop': {}}).status_code == 202
    assert status_of(api, instance_id) == 'SHUTDOWN'


def test_a_stop_the_guest_refuses_keeps_its_reason_and_not_its_details(api, monkeypatch):
    instance_id = create(api)

    def refused(self, ctx, method, **kwargs):
        return {'error': {'code': 409, 'message': 'MariaDB did not stop in time.'}}
    monkeypatch.setattr(FakeRPC, 'call', refused)
    assert admin(api, 'POST', '/%s/action' % instance_id,
                 body={'stop': {}}).status_code == 202
    assert status_of(api, instance_id) == 'ACTIVE' and claim_of(instance_id) is None
    fault = api.get('/instances/%s' % instance_id).json_body_or_none['instance']['fault']
    assert fault['message'] == 'Stopping the database failed: MariaDB did not stop in time.'


def test_a_stop_an_older_agent_refuses_says_what_to_do(api):
    instance_id = create(api)
    FakeRPC.failing['stop_db'] = older_agent('stop_db')
    assert admin(api, 'POST', '/%s/action' % instance_id,
                 body={'stop': {}}).status_code == 202
    assert status_of(api, instance_id) == 'ACTIVE' and claim_of(instance_id) is None
    fault = api.get('/instances/%s' % instance_id, roles='admin').json_body_or_none[
        'instance']['fault']
    assert fault['message'] == (
        "Stopping the database failed: The instance's guest agent is older than this call; "
        "restart the guest agent to update it.")
    assert 'UnsupportedVersion' in fault['details']


def test_heartbeats_of_a_stopped_engine_keep_it_shutdown_without_a_fault(api):
    from api_service.conductor.service import ConductorEndpoint
    from api_service.domain import instances as instances_domain
    from api_service.rpc import secure
    instance_id = create(api)
    assert admin(api, 'POST', '/%s/action' % instance_id,
                 body={'stop': {}}).status_code == 202
    key = instances_domain.instance_key(instance_id)
    for _ in range(2):
        ConductorEndpoint().heartbeat({}, instance_id, secure.seal(
            key, {'status': 'SHUTDOWN', 'used_bytes': 1}))
    shown = api.get('/instances/%s' % instance_id, roles='admin').json_body_or_none['instance']
    assert shown['status'] == 'SHUTDOWN' and not shown.get('fault')
    # Delete works for a stopped instance.
    assert api.request('DELETE', '/instances/%s' % instance_id).status_code == 202
    assert api.get('/instances/%s' % instance_id).status_code == 404
