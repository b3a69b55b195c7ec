"""Instances end to end on real engines, checked by connecting to them."""
import os
import signal
import socket
import sqlite3
import time

import psycopg
import pymysql
import pytest
import redis as redis_py
import requests
from troveclient import exceptions

from tests.functional.instance_helpers import (leftovers, trove,
                                               wait_gone, wait_status)


@pytest.fixture(scope='module')
def demo(stack):
    return trove(stack, 'demo')


def create(client, name, datastore, version, **kwargs):
    return client.instances.create(name, flavor_id='1', volume={'size': 1},
                                   datastore=datastore, datastore_version=version, **kwargs)


def mysql(host, user, password, database=None):
    return pymysql.connect(host=host, port=3306, user=user, password=password,
                           database=database, connect_timeout=5)


def test_mariadb_end_to_end(stack, demo):
    instance = create(demo, 'maria', 'mariadb', '10.11', databases=[{'name': 'shop'}],
                      users=[{'name': 'app', 'password': 'app-pw-1',
                              'databases': [{'name': 'shop'}]}])
    instance = wait_status(demo, instance.id, 'ACTIVE')
    ip = instance.ip[0]
    with mysql(ip, 'app', 'app-pw-1', 'shop') as conn, conn.cursor() as cur:
        cur.execute('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))')
        cur.execute("INSERT INTO t VALUES (1, 'one')")
        conn.commit()
        cur.execute('SELECT v FROM t')
        assert cur.fetchall() == (('one',),)
    # users and databases through the API, seen in the engine
    demo.databases.create(instance.id, [{'name': 'crm'}])
    demo.users.create(instance.id, [{'name': 'ops', 'password': 'ops-pw-1',
                                     'databases': [{'name': 'crm'}]}])
    assert {d.name for d in demo.databases.list(instance.id)} == {'shop', 'crm'}
    assert {u.name for u in demo.users.list(instance.id)} == {'app', 'ops'}
    with mysql(ip, 'ops', 'ops-pw-1', 'crm') as conn, conn.cursor() as cur:
        cur.execute('SELECT DATABASE()')
        assert cur.fetchone() == ('crm',)
    # access: grant, see it in the engine, revoke, see it refused
    demo.users.grant(instance.id, 'ops', ['shop'], hostname='%')
    assert {d.name for d in demo.users.list_access(instance.id, 'ops', hostname='%')} == \
        {'crm', 'shop'}
    with mysql(ip, 'ops', 'ops-pw-1', 'shop') as conn, conn.cursor() as cur:
        cur.execute('SELECT v FROM t')
        assert cur.fetchall() == (('one',),)
    demo.users.revoke(instance.id, 'ops', 'shop', hostname='%')
    with pytest.raises(pymysql.err.OperationalError):
        mysql(ip, 'ops', 'ops-pw-1', 'shop')
    # password change
    demo.users.update_attributes(instance.id, 'ops', {'password': 'ops-pw-2'}, hostname='%')
    mysql(ip, 'ops', 'ops-pw-2', 'crm').close()
    with pytest.raises(pymysql.err.OperationalError):
        mysql(ip, 'ops', 'ops-pw-1', 'crm')
    # bad names are a 4xx naming the problem
    with pytest.raises(exceptions.BadRequest):
        demo.databases.create(instance.id, [{'name': 'mysql'}])
    # restart keeps the data
    demo.instances.restart(instance.id)
    instance = wait_status(demo, instance.id, 'ACTIVE')
    assert instance.volume['used'] > 0
    with mysql(ip, 'app', 'app-pw-1', 'shop') as conn, conn.cursor() as cur:
        cur.execute('SELECT COUNT(*) FROM t')
        assert cur.fetchone() == (1,)
    # root
    name, password = demo.root.create(instance.id)
    assert demo.root.is_root_enabled(instance.id).rootEnabled is True
    with mysql(ip, name, password) as conn, conn.cursor() as cur:
        cur.execute('SELECT COUNT(*) FROM shop.t')
        assert cur.fetchone() == (1,)
    token, project = stack.token('demo')
    resp = requests.delete(stack.api(project) + '/instances/%s/root' % instance.id,
                           headers={'X-Auth-Token': token}, timeout=60)
    assert resp.status_code == 204      # upstream Trove's answer (python-troveclient takes any 2xx)
    with pytest.raises(pymysql.err.OperationalError):
        mysql(ip, name, password)
    # resize flavor changes the buffer pool
    with mysql(ip, 'app', 'app-pw-1') as conn, conn.cursor() as cur:
        cur.execute('SELECT @@innodb_buffer_pool_size')
        before = cur.fetchone()[0]
    demo.instances.resize_instance(instance.id, '3')
    instance = wait_status(demo, instance.id, 'ACTIVE')
    assert instance.flavor['id'] == '3'
    with mysql(ip, 'app', 'app-pw-1') as conn, conn.cursor() as cur:
        cur.execute('SELECT @@innodb_buffer_pool_size')
        assert cur.fetchone()[0] > before
    # resize volume
    demo.instances.resize_volume(instance.id, 2)
    assert wait_status(demo, instance.id, 'ACTIVE').volume['size'] == 2
    delete_and_check_nothing_left(stack, demo, instance.id, ip)


def test_postgresql_end_to_end(stack, demo):
    instance = create(demo, 'pg', 'postgresql', '15', databases=[{'name': 'shop'}],
                      users=[{'name': 'app', 'password': 'app-pw-1',
                              'databases': [{'name': 'shop'}]}])
    instance = wait_status(demo, instance.id, 'ACTIVE')
    ip = instance.ip[0]
    dsn = 'host=%s port=5432 dbname=shop user=app password=app-pw-1 connect_timeout=5' % ip
    with psycopg.connect(dsn) as conn:
        conn.execute('CREATE TABLE t (id int PRIMARY KEY, v text)')
        conn.execute("INSERT INTO t VALUES (1, 'one')")
        conn.commit()
        assert conn.execute('SELECT v FROM t').fetchall() == [('one',)]
    assert [u.name for u in demo.users.list(instance.id)] == ['app']
    assert [d.name for d in demo.databases.list(instance.id)] == ['shop']
    demo.users.create(instance.id, [{'name': 'reader', 'password': 'reader-pw-1'}])
    demo.users.grant(instance.id, 'reader', ['shop'])
    with psycopg.connect('host=%s port=5432 dbname=shop user=reader password=reader-pw-1'
                         % ip) as conn:
        assert conn.execute('SELECT 1').fetchone() == (1,)
    demo.users.delete(instance.id, 'reader')
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect('host=%s port=5432 dbname=shop user=reader password=reader-pw-1' % ip)
    name, password = demo.root.create(instance.id)
    assert name == 'root'       # as upstream Trove's guest: Trove's tooling logs in as 'root'
    assert demo.root.is_root_enabled(instance.id).rootEnabled is True
    with psycopg.connect('host=%s port=5432 dbname=shop user=root password=%s' % (
            ip, password)) as conn:
        assert conn.execute('SELECT count(*) FROM t').fetchone() == (1,)
    with psycopg.connect(dsn) as conn:
        before = conn.execute('SHOW shared_buffers').fetchone()[0]
    demo.instances.resize_instance(instance.id, '3')
    wait_status(demo, instance.id, 'ACTIVE')
    with psycopg.connect(dsn) as conn:
        assert conn.execute('SHOW shared_buffers').fetchone()[0] != before
    delete_and_check_nothing_left(stack, demo, instance.id, ip)


def test_redis_end_to_end_with_root_and_engine_recovery(stack, demo):
    instance = create(demo, 'cache', 'redis', '7.0')
    instance = wait_status(demo, instance.id, 'ACTIVE')
    ip = instance.ip[0]
    name, password = demo.root.create(instance.id)
    client = redis_py.Redis(host=ip, port=6379, password=password, socket_timeout=5)
    client.set('k', 'v')
    assert client.get('k') == b'v'
    with pytest.raises(redis_py.exceptions.AuthenticationError):
        redis_py.Redis(host=ip, port=6379, password='wrong', socket_timeout=5).ping()
    # kill the engine: SHUTDOWN is reported, then the agent brings it back with the data
    engine_pid = client.info('server')['process_id']
    os.kill(engine_pid, signal.SIGKILL)
    wait_status(demo, instance.id, 'SHUTDOWN', timeout=15)
    wait_status(demo, instance.id, 'ACTIVE', timeout=30)
    deadline = time.monotonic() + 15
    while True:
        try:
            assert redis_py.Redis(host=ip, port=6379, password=password).get('k') == b'v'
            break
        except redis_py.exceptions.ConnectionError:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    delete_and_check_nothing_left(stack, demo, instance.id, ip)


def delete_and_check_nothing_left(stack, client, instance_id, ip=None):
    client.instances.delete(instance_id)
    wait_gone(client, instance_id)
    procs, dirs = leftovers(stack, instance_id)
    assert procs == [] and dirs == []
    with sqlite3.connect(os.path.join(stack.root, 'dbaas.sqlite')) as db:
        # The row stays for operators (mgmt show ?deleted=true), marked deleted, its address
        # released; its RPC key goes; its events stay, the delete's own among them.
        deleted, address, requested = db.execute(
            'SELECT deleted, address, requested_address FROM instances WHERE id = ?',
            (instance_id,)).fetchone()
        assert (deleted, address, requested) == (1, None, None)
        assert db.execute('SELECT count(*) FROM instance_keys WHERE instance_id = ?',
                          (instance_id,)).fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM instance_events WHERE instance_id = ? AND "
                          "operation = 'delete' AND outcome = 'SUCCESS'",
                          (instance_id,)).fetchone()[0] == 1
    if ip:
        for port in (3306, 5432, 6379):
            with socket.socket() as sock:
                assert sock.connect_ex((ip, port)) != 0


def test_delete_during_build_leaves_nothing(stack, demo):
    instance = create(demo, 'short-lived', 'mariadb', '10.11')
    demo.instances.delete(instance.id)
    wait_gone(demo, instance.id)
    assert leftovers(stack, instance.id) == ([], [])


def _agent_pid(stack, instance_id):
    pid_file = os.path.join(stack.instance_root, 'instances', instance_id, 'agent.pid')
    deadline = time.monotonic() + 30
    while True:     # the agent creates the file, then writes its pid: wait for both
        try:
            with open(pid_file) as handle:
                return int(handle.read())
        except (OSError, ValueError):
            assert time.monotonic() < deadline
            time.sleep(0.005)


def _events(client, instance_id):
    return client.instances.api.client.get('/instances/%s/events' % instance_id)[1]['events']


def test_killed_guest_agent_fails_the_build_with_a_fault(stack, demo):
    instance = create(demo, 'doomed', 'postgresql', '15')
    os.kill(_agent_pid(stack, instance.id), signal.SIGKILL)
    failed = wait_status(demo, instance.id, 'ERROR', timeout=40)
    assert 'guest agent exited' in failed.fault['message']
    assert [(e['name'], e['outcome']) for e in _events(demo, instance.id)][-1] == \
        ('guest', 'FAILED')
    delete_and_check_nothing_left(stack, demo, instance.id)


def test_guest_that_never_answers_fails_at_the_build_deadline(stack, demo):
    began = time.monotonic()
    instance = create(demo, 'frozen', 'mariadb', '10.11')
    os.kill(_agent_pid(stack, instance.id), signal.SIGSTOP)
    failed = wait_status(demo, instance.id, 'ERROR', timeout=60)
    assert time.monotonic() - began < 40          # the test stack's build deadline is 30 s
    assert 'deadline' in failed.fault['message'] and '(step: guest)' in failed.fault['message']
    assert _events(demo, instance.id)[-1]['outcome'] == 'FAILED'
    delete_and_check_nothing_left(stack, demo, instance.id)


def test_instance_that_does_not_fit_its_zone_fails_with_a_fault(stack, demo):
    subprocess_manage(stack, 'flavor', 'create', '90', 'db.huge', '--ram', '12000', '--vcpus', '1')
    instance = demo.instances.create('too-big', flavor_id='90', volume={'size': 1},
                                     datastore='redis', datastore_version='7.0',
                                     availability_zone='zone-b')
    failed = wait_status(demo, instance.id, 'ERROR', timeout=30)
    assert "availability zone 'zone-b'" in failed.fault['message']
    assert '12000 MB' in failed.fault['message']
    assert 'details' not in failed.fault
    assert [(s['name'], s['outcome']) for s in _events(demo, instance.id)] == [
        ('placement', 'FAILED')]
    delete_and_check_nothing_left(stack, demo, instance.id)


def test_resize_to_a_flavor_its_host_cannot_hold_is_refused_and_the_database_keeps_running(
        stack, demo):
    subprocess_manage(stack, 'flavor', 'create', '91', 'db.vast', '--ram', '12000', '--vcpus', '1')
    instance = create(demo, 'stays', 'redis', '7.0', availability_zone='zone-b')  # an 8 GiB host
    instance = wait_status(demo, instance.id, 'ACTIVE')
    ip = instance.ip[0]
    name, password = demo.root.create(instance.id)
    redis_py.Redis(host=ip, port=6379, password=password).set('kept', 'yes')
    ram_in_use = _quota_usage(demo, stack.demo_project_id)
    demo.instances.resize_instance(instance.id, '91')
    refused = _wait_refused(demo, instance.id)
    assert refused.flavor['id'] == instance.flavor['id']
    assert "Host 'host-3'" in refused.fault['message'] and '12000 MB' in refused.fault['message']
    assert [(s['name'], s['outcome']) for s in _events(demo, instance.id)
            if s['operation'] == 'resize_flavor'] == [('host room', 'FAILED')]
    assert _quota_usage(demo, stack.demo_project_id) == ram_in_use   # the reservation is back
    assert redis_py.Redis(host=ip, port=6379, password=password).get('kept') == b'yes'
    delete_and_check_nothing_left(stack, demo, instance.id, ip)


def _wait_refused(client, instance_id, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        instance = client.instances.get(instance_id)
        assert instance.status in ('RESIZE', 'ACTIVE'), instance.status
        if instance.status == 'ACTIVE' and getattr(instance, 'fault', None):
            return instance
        time.sleep(0.2)
    raise AssertionError('the resize of %s was not refused in %d s' % (instance_id, timeout))


def _quota_usage(client, project_id):
    quotas = client.instances.api.client.get('/mgmt/quotas/%s' % project_id)[1]['quotas']
    return {q['resource']: (q['in_use'], q['reserved']) for q in quotas}


def subprocess_manage(stack, *args):
    import subprocess
    from tests.conftest import BIN
    subprocess.run([os.path.join(BIN, 'dbaas-manage'), '--config-file',
                    os.path.join(stack.root, 'etc', 'dbaas.conf'), *args], check=True,
                   capture_output=True)


def test_demo_user_gets_404_for_admin_instances(stack, demo):
    admin = trove(stack, 'admin')
    instance = create(admin, 'admins', 'redis', '7.0')
    try:
        with pytest.raises(exceptions.NotFound):
            demo.instances.get(instance.id)
        assert instance.id not in {i.id for i in demo.instances.list()}
    finally:
        admin.instances.delete(instance.id)
        wait_gone(admin, instance.id)
