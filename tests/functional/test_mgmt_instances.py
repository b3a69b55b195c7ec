"""The operator's instances against the real stack (MSD-, PING- series): every project's
list, show of a deleted instance, the guest ping; stop, reboot and diagnostics checked on
the engine and its process."""
import os
import sqlite3
import time

import psutil
import pymysql
import pytest
import redis as redis_py
from troveclient import exceptions

from tests.functional.instance_helpers import (processes_mentioning, raw, trove, wait_gone,
                                               wait_status)


@pytest.fixture(scope='module')
def demo(stack):
    return trove(stack, 'demo')


@pytest.fixture(scope='module')
def admin(stack):
    return trove(stack, 'admin')


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


def test_list_show_ping_root_and_show_deleted(stack, demo, admin):
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
        assert redis_answers(instance.ip[0], password)
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


# -- stop, reboot, diagnostics on MariaDB -------------------------------------------------

def maria(ip, connect_timeout=5):
    return pymysql.connect(host=ip, user='app', password='app-pw-1', database='shop',
                           connect_timeout=connect_timeout)


def maria_refuses(ip, timeout=30):
    """Await the engine refusing connections (True), or the deadline (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            maria(ip, connect_timeout=2).close()
        except pymysql.err.OperationalError:
            return True
        time.sleep(0.2)
    return False


def diagnostics(admin, instance_id):
    resp = raw(admin, 'GET', '/mgmt/instances/%s/diagnostics' % instance_id)
    assert resp.status_code == 200, resp.text
    return resp.json()['diagnostics']


def wait_heartbeats(admin, instance_id, count, timeout=60):
    """Await `count` heartbeats after now (the diagnostics' last_heartbeat moving on)."""
    seen = [diagnostics(admin, instance_id)['last_heartbeat']]
    deadline = time.monotonic() + timeout
    while len(seen) <= count and time.monotonic() < deadline:
        latest = diagnostics(admin, instance_id)['last_heartbeat']
        if latest != seen[-1]:
            seen.append(latest)
        else:
            time.sleep(0.2)
    assert len(seen) > count, 'fewer than %d heartbeats in %d s' % (count, timeout)


def engine_process(instance_id):
    """The instance's mariadbd on this host (the local driver's), found by its directories."""
    found = [psutil.Process(pid) for pid in processes_mentioning(instance_id)
             if psutil.Process(pid).name() == 'mariadbd']
    assert len(found) == 1, found
    return found[0]


def proc_status(process):
    with open('/proc/%d/status' % process.pid) as handle:
        return {name: int(value.split()[0]) for name, _, value in
                (line.partition(':') for line in handle) if name in ('VmHWM', 'FDSize')}


def test_stop_keeps_the_agent_up_and_reboot_starts_the_engine_with_its_data(demo, admin):
    instance = demo.instances.create(
        'mgmt-stop', flavor_id='1', volume={'size': 1}, datastore='mariadb',
        datastore_version='10.11', databases=[{'name': 'shop'}],
        users=[{'name': 'app', 'password': 'app-pw-1', 'databases': [{'name': 'shop'}]}])
    instance = wait_status(demo, instance.id, 'ACTIVE', timeout=180)
    ip = instance.ip[0]
    try:
        with maria(ip) as conn, conn.cursor() as cur:
            cur.execute('CREATE TABLE kept (id INT PRIMARY KEY, v VARCHAR(20))')
            cur.execute("INSERT INTO kept VALUES (1, 'before the stop')")
            conn.commit()
            cur.execute('SELECT VERSION()')
            version = cur.fetchone()[0]
        # Diagnostics: the engine's own figures, as its process has them.
        engine = engine_process(instance.id)
        figures = diagnostics(admin, instance.id)
        assert figures['version'] == version
        assert figures['threads'] > 0 and engine.num_threads() > 0
        assert 0 < figures['vmRss'] <= figures['vmHwm'] <= proc_status(engine)['VmHWM']
        assert figures['fdSize'] == proc_status(engine)['FDSize']
        assert 0 < figures['vmSize'] <= figures['vmPeak']
        # Stop: the engine refuses connections, the instance is SHUTDOWN, the agent answers.
        admin.mgmt_instances.stop(instance.id)
        wait_status(demo, instance.id, 'SHUTDOWN', timeout=60)
        assert maria_refuses(ip)
        assert not engine.is_running()
        ping = raw(admin, 'GET', '/mgmt/instances/%s/rpc_ping' % instance.id)
        assert ping.status_code == 204
        # Heartbeats go on, say the engine is stopped, and leave it stopped: not ACTIVE, no
        # fault (a crash would have been restarted by the second one).
        wait_heartbeats(admin, instance.id, 2)
        stopped = diagnostics(admin, instance.id)
        assert stopped['operating_status'] == 'SHUTDOWN' and stopped['vmRss'] is None
        assert stopped['volume_used_bytes'] > 0
        shown = demo.instances.get(instance.id)
        assert shown.status == 'SHUTDOWN' and not getattr(shown, 'fault', None)
        assert maria_refuses(ip, timeout=2)
        # Reboot starts the engine with the data written before the stop.
        admin.mgmt_instances.reboot(instance.id)
        wait_status(demo, instance.id, 'ACTIVE', timeout=120)
        with maria(ip) as conn, conn.cursor() as cur:
            cur.execute('SELECT id, v FROM kept')
            assert cur.fetchall() == ((1, 'before the stop'),)
        assert diagnostics(admin, instance.id)['vmRss'] > 0
        # A stopped instance deletes.
        admin.mgmt_instances.stop(instance.id)
        wait_status(demo, instance.id, 'SHUTDOWN', timeout=60)
    finally:
        demo.instances.delete(instance.id)
        wait_gone(demo, instance.id)
    assert processes_mentioning(instance.id) == []
