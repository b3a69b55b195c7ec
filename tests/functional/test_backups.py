"""Backups end to end on real engines: full and incremental, restore each point and compare
the data exactly; a corrupted object fails the restore; a dead guest fails the backup."""
import os
import signal
import time

import psycopg
import pymysql
import pytest
import redis as redis_py
from troveclient import exceptions

from tests.functional.instance_helpers import trove, wait_gone, wait_status
from tests.functional.test_instances import delete_and_check_nothing_left


@pytest.fixture(scope='module')
def demo(stack):
    return trove(stack, 'demo')


def wait_backup(client, backup_id, wanted='COMPLETED', timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        backup = client.backups.get(backup_id)
        if backup.status == wanted:
            return backup
        assert backup.status != 'FAILED' or wanted == 'FAILED', backup._info
        time.sleep(0.2)
    raise AssertionError('backup %s never became %s' % (backup_id, wanted))


def launch(client, name, datastore, version, **kwargs):
    instance = client.instances.create(name, flavor_id='1', volume={'size': 1},
                                       datastore=datastore, datastore_version=version, **kwargs)
    return wait_status(client, instance.id, 'ACTIVE')


def restore(client, name, datastore, version, backup_id):
    return launch(client, name, datastore, version, restorePoint={'backupRef': backup_id})


# -- MariaDB ----------------------------------------------------------------------------

def maria_rows(ip):
    with pymysql.connect(host=ip, user='app', password='app-pw-1', database='shop') as conn, \
            conn.cursor() as cur:
        cur.execute('SELECT id, v FROM t ORDER BY id')
        return cur.fetchall()


def maria_write(ip, first, last):
    with pymysql.connect(host=ip, user='app', password='app-pw-1', database='shop') as conn, \
            conn.cursor() as cur:
        cur.execute('CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY, v VARCHAR(40))')
        cur.executemany('INSERT INTO t VALUES (%s, %s)',
                        [(i, 'row-%d' % i) for i in range(first, last + 1)])
        conn.commit()


def test_mariadb_full_and_incremental_restore_exactly(stack, demo):
    source = launch(demo, 'maria-src', 'mariadb', '10.11', databases=[{'name': 'shop'}],
                    users=[{'name': 'app', 'password': 'app-pw-1',
                            'databases': [{'name': 'shop'}]}])
    ip = source.ip[0]
    maria_write(ip, 1, 100)
    full = wait_backup(demo, demo.backups.create('full', source.id).id)
    assert full.size > 0 and full.checksum.startswith('sha256:')
    wait_status(demo, source.id, 'ACTIVE')
    at_full = maria_rows(ip)
    maria_write(ip, 101, 250)
    incr = wait_backup(demo, demo.backups.create('incr', source.id, incremental=True).id)
    assert incr.parent_id == full.id
    at_incr = maria_rows(ip)
    maria_write(ip, 251, 260)       # after the incremental: must not come back
    restored = []
    for point, expected in ((full, at_full), (incr, at_incr)):
        copy = restore(demo, 'maria-%s' % point.name, 'mariadb', '10.11', point.id)
        restored.append(copy)
        assert maria_rows(copy.ip[0]) == expected
    assert len(at_full) == 100 and len(at_incr) == 250
    # a parent with a child cannot be deleted alone
    with pytest.raises(exceptions.Conflict):
        demo.backups.delete(full.id)
    for copy in restored:
        delete_and_check_nothing_left(stack, demo, copy.id, copy.ip[0])
    delete_and_check_nothing_left(stack, demo, source.id, ip)


# -- PostgreSQL -------------------------------------------------------------------------

def pg_dsn(ip):
    return 'host=%s dbname=shop user=app password=app-pw-1 connect_timeout=5' % ip


def pg_digest(ip):
    with psycopg.connect(pg_dsn(ip)) as conn:
        return conn.execute("SELECT count(*), md5(string_agg(v, ',' ORDER BY id)) FROM t"
                            ).fetchone()


@pytest.mark.parametrize('version', ['15', '18'])
def test_postgresql_full_and_incremental_restore_exactly(stack, demo, version):
    source = launch(demo, 'pg-src', 'postgresql', version, databases=[{'name': 'shop'}],
                    users=[{'name': 'app', 'password': 'app-pw-1',
                            'databases': [{'name': 'shop'}]}])
    ip = source.ip[0]
    with psycopg.connect(pg_dsn(ip)) as conn:
        conn.execute('CREATE TABLE t (id int PRIMARY KEY, v text)')
        conn.execute("INSERT INTO t SELECT g, 'row-' || g FROM generate_series(1, 1000) g")
    full = wait_backup(demo, demo.backups.create('full', source.id).id)
    at_full = pg_digest(ip)
    wait_status(demo, source.id, 'ACTIVE')
    with psycopg.connect(pg_dsn(ip)) as conn:
        conn.execute("INSERT INTO t SELECT g, 'row-' || g FROM generate_series(1001, 2000) g")
    incr = wait_backup(demo, demo.backups.create('incr', source.id, incremental=True).id)
    at_incr = pg_digest(ip)
    wait_status(demo, source.id, 'ACTIVE')
    with psycopg.connect(pg_dsn(ip)) as conn:
        conn.execute("INSERT INTO t VALUES (5000, 'late')")
    assert at_full[0] == 1000 and at_incr[0] == 2000
    for point, expected in ((full, at_full), (incr, at_incr)):
        copy = restore(demo, 'pg-%s' % point.name, 'postgresql', version, point.id)
        assert pg_digest(copy.ip[0]) == expected
        delete_and_check_nothing_left(stack, demo, copy.id, copy.ip[0])
    delete_and_check_nothing_left(stack, demo, source.id, ip)


# -- Redis ------------------------------------------------------------------------------

def test_redis_backup_restores_every_key(stack, demo):
    source = launch(demo, 'redis-src', 'redis', '7.0')
    _, password = demo.root.create(source.id)
    client = redis_py.Redis(host=source.ip[0], password=password)
    client.set('s', 'v')
    client.hset('h', mapping={'a': '1', 'b': '2'})
    client.rpush('l', 'x', 'y')
    client.set('ttl', 'soon', ex=3600)
    client.set('big', os.urandom(1024 * 1024))
    dumps = {k: client.dump(k) for k in client.keys()}
    full = wait_backup(demo, demo.backups.create('full', source.id).id)
    copy = restore(demo, 'redis-copy', 'redis', '7.0', full.id)
    restored = redis_py.Redis(host=copy.ip[0], password=password)
    assert {k: restored.dump(k) for k in restored.keys()} == dumps
    assert 3500 < restored.ttl('ttl') <= 3600
    delete_and_check_nothing_left(stack, demo, copy.id, copy.ip[0])
    delete_and_check_nothing_left(stack, demo, source.id, source.ip[0])


# -- failures ---------------------------------------------------------------------------

def test_corrupted_backup_fails_the_restore_with_a_fault(stack, demo):
    source = launch(demo, 'corrupt-src', 'redis', '7.0')
    backup = wait_backup(demo, demo.backups.create('full', source.id).id)
    path = os.path.join(stack.root, 'backups', backup.locationRef)
    with open(path, 'r+b') as handle:
        handle.seek(os.path.getsize(path) // 2)
        handle.write(b'corruption')
    copy = demo.instances.create('from-corrupt', flavor_id='1', volume={'size': 1},
                                 datastore='redis', datastore_version='7.0',
                                 restorePoint={'backupRef': backup.id})
    failed = wait_status(demo, copy.id, 'ERROR')
    assert 'corrupted' in failed.fault['message']
    delete_and_check_nothing_left(stack, demo, copy.id)
    delete_and_check_nothing_left(stack, demo, source.id, source.ip[0])


def test_dead_guest_fails_the_backup_and_commits_nothing(stack, demo):
    source = launch(demo, 'dies', 'mariadb', '10.11')
    with open(os.path.join(stack.instance_root, 'instances', source.id, 'agent.pid')) as handle:
        os.kill(int(handle.read()), signal.SIGSTOP)   # never answers, never finishes
    backup = demo.backups.create('doomed', source.id)
    failed = wait_backup(demo, backup.id, 'FAILED', timeout=60)
    assert 'deadline' in failed._info['fail_reason']
    assert not os.path.exists(os.path.join(stack.root, 'backups', failed.locationRef))
    instance = demo.instances.get(source.id)
    assert instance.status in ('ACTIVE', 'SHUTDOWN') and 'deadline' in instance.fault['message']
    delete_and_check_nothing_left(stack, demo, source.id)
    with pytest.raises(exceptions.NotFound):
        demo.instances.get(source.id)
    wait_gone(demo, source.id)


def test_a_refused_delete_is_delete_failed_and_retried_until_its_object_is_gone(stack, demo):
    source = launch(demo, 'undeletable', 'redis', '7.0')
    backup = wait_backup(demo, demo.backups.create('stuck', source.id).id)
    path = os.path.join(stack.root, 'backups', backup.locationRef)
    os.unlink(path)
    os.mkdir(path)      # the store cannot unlink it (EISDIR), even as root
    demo.backups.delete(backup.id)
    failed = wait_backup(demo, backup.id, 'DELETE_FAILED', timeout=30)
    assert 'retried automatically' in failed._info['fail_reason']
    assert backup.id in [b.id for b in demo.backups.list()]
    os.rmdir(path)
    with open(path, 'wb') as handle:   # the store lets go: the janitor's retry deletes it
        handle.write(b'left behind')
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            demo.backups.get(backup.id)
        except exceptions.NotFound:
            break
        time.sleep(0.5)
    else:
        raise AssertionError('the janitor never deleted backup %s' % backup.id)
    assert not os.path.exists(os.path.dirname(path))
    delete_and_check_nothing_left(stack, demo, source.id, source.ip[0])
