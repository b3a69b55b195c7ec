"""Another process's error text never reaches the tenant: a guest that fails a call leaves
a fault and events a tenant may read, and the details (traceback, paths, secrets) for admins.

Every flow that calls a guest runs here through the API with the task manager in-line, on
the in-memory compute driver; under the real `GuestAPI`, the oslo.messaging client is a
stand-in whose failing calls raise `RemoteError` as a broken agent's would: its text holds
the agent's traceback, a file path and a password.
"""
import oslo_messaging as messaging
import pytest

from api_service.api.controllers import backups as backups_controller
from api_service.api.controllers import instances as instances_controller
from api_service.conductor.service import ConductorEndpoint
from api_service.drivers import compute
from api_service.rpc import guest_client
from api_service.rpc import secure
from api_service.taskmanager import flows
from tests.unit import memory_driver

SECRET = 's3cr3t-Pa55w0rd'
PATH = '/opt/dbaas/guest/api_service/guestagent/datastore/mariadb.py'
REMOTE_TRACEBACK = (
    'Traceback (most recent call last):\n'
    '  File "/usr/lib/python3/dist-packages/oslo_messaging/rpc/server.py", line 244, in _process\n'
    '    res = self.dispatcher.dispatch(message)\n'
    '  File "%s", line 212, in create_user\n'
    "    cursor.execute(\"CREATE USER 'app'@'%%' IDENTIFIED BY '%s'\")\n"
    "pymysql.err.OperationalError: (1045, \"Access denied for user 'os_admin' (using password: "
    "%s)\")\n" % (PATH, SECRET, SECRET))
LEAKS = ('Traceback', PATH, '.py', SECRET, 'os_admin')


def remote_error():
    return messaging.RemoteError('OperationalError', "(1045, 'Access denied, password %s')"
                                 % SECRET, REMOTE_TRACEBACK)


class FakeRPC:
    """The oslo.messaging client under `GuestAPI`: a guest that answers at once, and reports
    its prepare done through the conductor; a method named in `failing` raises instead."""

    failing = {}
    prepare_report = {'ok': True, 'message': '', 'details': ''}

    def __init__(self, instance_id, key):
        self.instance_id, self.key = instance_id, key

    def prepare(self, **kwargs):
        return self

    def _maybe_fail(self, method, kwargs):
        name = kwargs.get('operation', method)     # guest_call's operation
        if name in self.failing:
            raise self.failing[name]

    def call(self, ctx, method, **kwargs):
        self._maybe_fail(method, kwargs)
        return {'rpc_ping': {'prepared': False}, 'guest_call': {'result': None}}.get(method, {})

    def cast(self, ctx, method, **kwargs):
        self._maybe_fail(method, kwargs)
        if method == 'prepare':
            ConductorEndpoint().operation_done(ctx, self.instance_id, secure.seal(
                self.key, dict(self.prepare_report, operation='create')))


class InlineTaskManager:
    """The task manager's casts, run before the API answers."""

    def create_instance(self, ctx, instance_id, databases, users, restore=None):
        flows.create(ctx, instance_id, databases, users, restore)

    def restart(self, ctx, instance_id):
        flows.restart(ctx, instance_id)

    def resize_volume(self, ctx, instance_id, new_size):
        flows.resize_volume(ctx, instance_id, new_size)

    def resize_flavor(self, ctx, instance_id, flavor_id):
        flows.resize_flavor(ctx, instance_id, flavor_id)

    def create_backup(self, ctx, instance_id, backup_id):
        flows.create_backup(ctx, instance_id, backup_id)


@pytest.fixture
def mem(client, conf, monkeypatch):
    conf.set_override('master_key', secure.new_key(), 'instance')
    conf.set_override('compute_driver', 'memory')
    compute.register('memory', memory_driver.PATH)
    from api_service.domain import catalogue_admin
    catalogue_admin.upsert_datastore_version('mariadb', '10.11', '10.11.19', 'mariadb',
                                             '/usr/sbin',
                                             capabilities='access,backups,databases,root,users')

    def fake_init(self, instance_id, key, timeout=30):
        self._client = FakeRPC(instance_id, key)
    monkeypatch.setattr(guest_client.GuestAPI, '__init__', fake_init)
    monkeypatch.setattr(FakeRPC, 'failing', {})
    monkeypatch.setattr(instances_controller.Instances, 'taskmanager', InlineTaskManager())
    monkeypatch.setattr(backups_controller.Backups, 'taskmanager', InlineTaskManager())
    yield client
    conf.clear_override('compute_driver')
    conf.clear_override('master_key', 'instance')
    compute.DRIVERS.pop('memory', None)
    compute.get_driver.cache_clear()


def create(client):
    resp = client.request('POST', '/instances', body={'instance': {
        'name': 'db1', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb', 'version': '10.11'}}})
    assert resp.status_code == 200, resp.body
    return resp.json_body_or_none['instance']['id']


def active(client):
    instance_id = create(client)
    assert shown(client, instance_id)['status'] == 'ACTIVE'
    return instance_id


def shown(client, instance_id, roles='member'):
    return client.get('/instances/%s' % instance_id, roles=roles).json_body_or_none['instance']


def event_messages(client, instance_id):
    resp = client.get('/instances/%s/events' % instance_id)
    assert resp.status_code == 200
    return [e['message'] or '' for e in resp.json_body_or_none['events']]


def assert_clean(text):
    assert not [leak for leak in LEAKS if leak in text], text


def assert_fault_for_tenant_and_details_for_admins(client, instance_id, says):
    fault = shown(client, instance_id)['fault']
    assert says in fault['message'], fault
    assert_clean(fault['message'])
    assert 'details' not in fault
    for message in event_messages(client, instance_id):
        assert_clean(message)
    details = shown(client, instance_id, roles='admin')['fault']['details']
    assert PATH in details and SECRET in details and 'Traceback' in details, details


# -- flows: the task manager's calls to the guest -----------------------------------------

@pytest.mark.parametrize('method', ['rpc_ping', 'prepare'])
def test_create(mem, method):
    FakeRPC.failing[method] = remote_error()
    instance_id = create(mem)
    assert shown(mem, instance_id)['status'] == 'ERROR'
    assert_fault_for_tenant_and_details_for_admins(mem, instance_id,
                                                   'Building the instance failed')


def test_create_when_the_guest_reports_prepare_failed(mem, monkeypatch):
    """The guest writes its report's message for the tenant; the conductor keeps it so."""
    monkeypatch.setattr(FakeRPC, 'prepare_report', {
        'ok': False, 'message': 'The engine failed to start: OperationalError',
        'details': REMOTE_TRACEBACK})
    instance_id = create(mem)
    assert shown(mem, instance_id)['status'] == 'ERROR'
    assert_fault_for_tenant_and_details_for_admins(mem, instance_id, 'failed to start')


def action(client, instance_id, body):
    resp = client.request('POST', '/instances/%s/action' % instance_id, body=body)
    assert resp.status_code == 202, resp.body


def test_restart(mem):
    instance_id = active(mem)
    FakeRPC.failing['restart'] = remote_error()
    action(mem, instance_id, {'restart': {}})
    assert shown(mem, instance_id)['status'] == 'ERROR'
    assert_fault_for_tenant_and_details_for_admins(mem, instance_id,
                                                   'Restarting the database failed')


def test_resize_flavor(mem):
    instance_id = active(mem)
    FakeRPC.failing['resize_memory'] = remote_error()
    action(mem, instance_id, {'resize': {'flavorRef': '2'}})
    assert shown(mem, instance_id)['status'] == 'ERROR'
    assert_fault_for_tenant_and_details_for_admins(mem, instance_id,
                                                   'Resizing the flavor failed')


def test_resize_volume(mem, monkeypatch):
    """The volume is the driver's, not the guest's: a driver that fails with another
    process's text (a cloud API's error) is kept from the tenant the same way."""
    instance_id = active(mem)

    def failing_resize(self, instance_id, size_gb):
        raise remote_error()
    monkeypatch.setattr(memory_driver.MemoryDriver, 'resize_volume', failing_resize)
    action(mem, instance_id, {'resize': {'volume': {'size': 2}}})
    assert shown(mem, instance_id)['status'] == 'ERROR'
    assert_fault_for_tenant_and_details_for_admins(mem, instance_id,
                                                   'Resizing the volume failed')


def test_backup_start(mem):
    instance_id = active(mem)
    FakeRPC.failing['create_backup'] = remote_error()
    resp = mem.request('POST', '/backups', body={'backup': {'name': 'b1',
                                                            'instance': instance_id}})
    assert resp.status_code == 202, resp.body
    backup_id = resp.json_body_or_none['backup']['id']
    assert shown(mem, instance_id)['status'] == 'ACTIVE'
    assert_fault_for_tenant_and_details_for_admins(mem, instance_id,
                                                   'Starting the backup failed')
    backup = mem.get('/backups/%s' % backup_id).json_body_or_none['backup']
    assert backup['status'] == 'FAILED'
    assert backup['fail_reason'].startswith('Starting the backup failed'), backup
    assert_clean(backup['fail_reason'])


# -- the API's own calls to the guest ------------------------------------------------------

@pytest.mark.parametrize('method, path, body, operation', [
    ('GET', '/users', None, 'list_users'),
    ('POST', '/users', {'users': [{'name': 'app', 'password': SECRET}]}, 'create_users'),
    ('POST', '/databases', {'databases': [{'name': 'shop'}]}, 'create_databases'),
    ('POST', '/root', None, 'enable_root'),
])
def test_api_guest_calls(mem, method, path, body, operation):
    instance_id = active(mem)
    FakeRPC.failing[operation] = remote_error()
    resp = mem.request(method, '/instances/%s%s' % (instance_id, path), body=body)
    assert resp.status_code == 503
    assert 'OperationalError' not in resp.json_body_or_none['serviceUnavailable']['message']
    answer = list(resp.json_body_or_none.values())[0]['message']
    assert_clean(answer)
    assert operation.replace('_', ' ') in answer, answer
    assert shown(mem, instance_id)['status'] == 'ACTIVE'
    assert_fault_for_tenant_and_details_for_admins(mem, instance_id,
                                                   'The guest agent could not complete')


def test_access_update(mem):
    instance_id = active(mem)
    FakeRPC.failing['apply_access'] = remote_error()
    resp = mem.request('PUT', '/instances/%s' % instance_id, body={'instance': {
        'access': {'is_public': True, 'allowed_cidrs': ['10.9.0.0/24']}}})
    assert resp.status_code == 503      # as docs/api-extensions.md says
    assert_clean(list(resp.json_body_or_none.values())[0]['message'])
    assert shown(mem, instance_id)['access']['allowed_cidrs'] != ['10.9.0.0/24']
    assert_fault_for_tenant_and_details_for_admins(mem, instance_id,
                                                   'The guest agent could not complete')
