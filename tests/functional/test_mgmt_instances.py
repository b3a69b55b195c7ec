"""The operator's instances against the real stack (MSD-, PING- series): every project's
list, show of a deleted instance, the guest ping, stop and reboot checked on the engine."""
import os
import sqlite3
import time

import pytest
import redis as redis_py
from troveclient import exceptions

from tests.functional.instance_helpers import trove, wait_gone, wait_status


@pytest.fixture(scope='module')
def demo(stack):
    return trove(stack, 'demo')


@pytest.fixture(scope='module')
def admin(stack):
    return trove(stack, 'admin')


def raw(client, method, path, **kwargs):
    """A request through the client's session (its token and endpoint), unwrapped."""
    return client.client.session.request(
        client.client.get_endpoint() + path, method, raise_exc=False, **kwargs)


def redis_answers(ip, password, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return redis_py.Redis(host=ip, password=password, socket_timeout=2).ping()
        except redis_py.exceptions.ConnectionError:
            time.sleep(0.2)
    return False


def every_listed(admin, **filters):
    """Every page of GET /mgmt/instances, following the client's markers."""
    found, marker = [], None
    while True:
        page = admin.mgmt_instances.list(marker=marker, **filters)
        found += list(page)
        if not page.next:
            return found
        marker = page.next


def test_list_show_ping_stop_reboot_and_show_deleted(stack, demo, admin):
    instance = demo.instances.create('mgmt', flavor_id='1', volume={'size': 1},
                                     datastore='redis', datastore_version='7.0')
    instance = wait_status(demo, instance.id, 'ACTIVE')
    try:
        # The admin sees the demo project's instance in the list of every project's.
        # (Other tests share the stack: the instance may be on any page of the project's.)
        listed = {i.id: i for i in every_listed(admin, project_id=stack.demo_project_id)}
        assert instance.id in listed and listed[instance.id].tenant_id != \
            admin.client.session.get_project_id()
        shown = admin.mgmt_instances.show(instance.id)
        assert shown.server['id'] == instance.id and shown.host and not shown.deleted
        # MSD-05 / PING-04: the demo user is refused.
        assert raw(demo, 'GET', '/mgmt/instances').status_code == 403
        # PING-01: the guest answers.
        ping = raw(admin, 'GET', '/mgmt/instances/%s/rpc_ping' % instance.id)
        assert ping.status_code == 204 and ping.content == b''
        # Root history records who enabled root.
        password = demo.root.create(instance.id)[1]
        history = admin.mgmt_instances.root_enabled_history(instance.id)
        assert history.enabled != 'Never' and history.user not in ('Nobody', None)
        ip = instance.ip[0]
        assert redis_answers(ip, password)
        # Stop: the engine no longer answers, the instance is SHUTDOWN; a ping times out.
        admin.mgmt_instances.stop(instance.id)
        wait_status(demo, instance.id, 'SHUTDOWN', timeout=60)
        assert not redis_answers(ip, password, timeout=2)
        ping = raw(admin, 'GET', '/mgmt/instances/%s/rpc_ping' % instance.id)
        assert ping.status_code == 400
        message = ping.json()['badRequest']['message']
        assert 'Timeout while waiting on RPC response' in message
        assert 'guestagent.%s' % instance.id in message and 'rpc_ping' in message
        # Reboot starts it again.
        admin.mgmt_instances.reboot(instance.id)
        wait_status(demo, instance.id, 'ACTIVE', timeout=120)
        assert redis_answers(ip, password)
    finally:
        demo.instances.delete(instance.id)
        wait_gone(demo, instance.id)
    # MSD-02: deleted, it is shown only with deleted=true, with its server and volume ids.
    assert raw(admin, 'GET', '/mgmt/instances/%s' % instance.id).status_code == 404
    assert raw(admin, 'GET', '/mgmt/instances/%s?deleted=false' % instance.id
               ).status_code == 404
    gone = raw(admin, 'GET', '/mgmt/instances/%s?deleted=true' % instance.id).json()[
        'instance']
    assert gone['deleted'] is True and gone['server']['id'] == instance.id
    assert gone['volume']['id'] == instance.id
    assert instance.id in [i.id for i in every_listed(admin, deleted=True,
                                                      project_id=stack.demo_project_id)]
    with sqlite3.connect(os.path.join(stack.root, 'dbaas.sqlite')) as db:
        assert db.execute('SELECT deleted, address FROM instances WHERE id = ?',
                          (instance.id,)).fetchone() == (1, None)
    with pytest.raises(exceptions.NotFound):
        demo.instances.get(instance.id)
    # MSD-06, MSD-04
    assert raw(admin, 'GET', '/mgmt/instances?deleted=banana').status_code == 400
    assert raw(admin, 'GET', '/mgmt/instances/00000000-0000-4000-8000-000000000000'
               '?deleted=true').status_code == 404
