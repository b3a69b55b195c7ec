"""MariaDB GTID replication on the guest, against real engines, without the stack.

A source and two replicas on 127.79.0.<n> (test_engines.py uses 127.77,
test_backups_engines.py 127.78): the replicas are restored from a backup of the source in
a LocalObjectStore and attached as the guest endpoint does after a restore, then the
strategies are driven as the task manager drives them (fence, wait_for, promote, follow,
detach, forget_replica; an eject after a kill -9 of the source's engine). What a tenant
reads and writes is checked through alice's own TCP connection; waits poll a condition.
"""
import itertools
import logging
import os
import signal

import pymysql
import pytest

from api_service.guestagent import errors, replication
from api_service.guestagent.backup import backup_to_storage, restore_from_storage
from api_service.guestagent.datastore import base, get_manager_class, mariadb
from tests.functional.test_backups_engines import prepare_shop, table_digest, write_rows
from tests.functional.engine_fixtures import managers_on, store, template_root, workdir  # noqa: F401
from tests.functional.test_engines import ENGINES

ENGINE = ENGINES['mariadb']
TENANT_SOURCES = ['127.0.0.0/8']
_addresses = itertools.count(1)


@pytest.fixture
def make_manager(workdir, template_root):
    """MariaDB managers on fresh addresses 127.79.0.<n>; all destroyed afterwards."""
    with managers_on('127.79.0', _addresses, workdir, template_root) as factory:
        yield lambda: factory(ENGINE)


# ------------------------------------------------------------------ helpers

def strategy(manager):
    return replication.get_strategy(manager)


def replication_sources(*managers):
    """The replicas' addresses and the service's (loopback clients come from 127.0.0.1)."""
    return ['%s/32' % manager.address for manager in managers] + ['127.0.0.1/32']


def build_set(make_manager, store):
    """A source with alice's rows 1-70 and two replicas restored from its backup (taken at
    row 60) and attached; returns (source, [replicas], alice's password, source_info)."""
    source = make_manager()
    password = prepare_shop(source)
    source.apply_access(TENANT_SOURCES)
    write_rows(source, password, 1, 50)
    replicas = [make_manager(), make_manager()]
    pid = source.pid()
    info = strategy(source).enable_source(['r1', 'r2'], replication_sources(*replicas))
    assert source.pid() != pid          # restarted once, with the binlog
    assert set(info) >= {'host', 'port', 'user', 'password', 'seed'}
    assert info['user'] == mariadb.REPLICATION_USER
    assert (info['host'], info['port'], info['seed']) == (source.address, 3306, 'backup')
    write_rows(source, password, 51, 10)
    record = backup_to_storage(source, store, 'backups/seed/data')
    gtid = record['metadata']['gtid_position']
    assert gtid.startswith('0-%d-' % source.server_id), record['metadata']
    write_rows(source, password, 61, 10)       # after the backup: only replication brings it
    for replica in replicas:
        replica.apply_access(TENANT_SOURCES)     # as prepare does before the restore
        restore_from_storage(replica, store, [record])
        position = strategy(replica).attach(info, restored=True)
        assert position['role'] == replication.REPLICA and position['running']
    for replica in replicas:
        await_same_rows(source, replica, password)
    return source, replicas, password, info


def await_same_rows(source, replica, password, timeout=30):
    expected = table_digest(source, password)
    base.wait_for(lambda: table_digest(replica, password) == expected, timeout,
                  'the replica %s to have the rows of %s' % (replica.address, source.address))


def has_row(manager, password, row_id):
    conn = pymysql.connect(host=manager.address, user='alice', password=password,
                           database='shop', connect_timeout=5, autocommit=True)
    try:
        with conn.cursor() as cursor:
            cursor.execute('SELECT COUNT(*) FROM items WHERE id = %s', (row_id,))
            return cursor.fetchone()[0] == 1
    finally:
        conn.close()


def replication_login(manager, info):
    """None when the replication account logs in to `manager`, else MariaDB's error number."""
    try:
        pymysql.connect(host=manager.address, user=info['user'], password=info['password'],
                        connect_timeout=5).close()
    except pymysql.err.OperationalError as exc:
        return exc.args[0]
    return None


def assert_write_refused(manager, password, row_id):
    with pytest.raises(pymysql.err.OperationalError) as raised:
        write_rows(manager, password, row_id, 1)
    assert raised.value.args[0] == 1290, raised.value      # --read-only


def assert_no_secret_logged(caplog, *secrets):
    text = caplog.text + ''.join(repr(record.args) for record in caplog.records)
    for secret in secrets:
        assert secret not in text


# -------------------------------------------------------------------- tests

def test_replicas_follow_switch_over_and_detach(make_manager, store, caplog):
    caplog.set_level(logging.DEBUG)
    source, (one, two), password, info = build_set(make_manager, store)

    # Writes flow to both; tenants cannot write on a replica (not even root would: it has
    # no READ_ONLY ADMIN); the replica's agent logs in with its own credential.
    write_rows(source, password, 100, 5)
    for replica in (one, two):
        await_same_rows(source, replica, password)
        assert_write_refused(replica, password, 200)
        assert replica.list_users()[0]
        impostor = get_manager_class('mariadb')(
            data_dir=replica.data_dir, run_dir=replica.run_dir, address=replica.address,
            engine_path=replica.engine_path, memory_mb=128, run_as=replica.run_as,
            admin_password=source.admin_password)
        with pytest.raises(errors.EngineError):
            impostor.current_memory_setting()
        # The replication account came with the data, but a replica admits it from nowhere.
        assert replication_login(replica, info) == 1184
        # Nothing of the replica's own in its binlog (GTID strict mode would break on it).
        assert strategy(replica).position()['token'].startswith('0-%d-' % source.server_id)
    assert one.server_id != two.server_id != source.server_id
    root = source.enable_root()
    root_password = root['password']
    await_same_rows(source, one, password)
    base.wait_for(lambda: one.is_root_enabled(), 30, 'root to reach the replica')
    conn = pymysql.connect(host=one.address, user='root', password=root_password,
                           database='shop', connect_timeout=5, autocommit=True)
    with pytest.raises(pymysql.err.OperationalError) as raised, conn.cursor() as cursor:
        cursor.execute("INSERT INTO items (id, label, payload) VALUES (300, 'root', '')")
    conn.close()
    assert raised.value.args[0] == 1290

    status = strategy(one).status()
    assert status['role'] == replication.REPLICA and status['healthy']
    assert status['source_host'] == source.address and status['lag_seconds'] is not None
    assert strategy(source).status()['role'] == replication.SOURCE
    # enable_source again (a lost answer): the same account, the replicas keep following.
    pid = source.pid()
    assert strategy(source).enable_source(['r2'], replication_sources(two)) == info
    assert source.pid() == pid

    # A restart of a replica's engine: still a read-only replica, still following.
    one.restart()
    assert_write_refused(one, password, 201)
    write_rows(source, password, 105, 5)
    await_same_rows(source, one, password)
    assert strategy(one).position()['running']

    # Switchover to `one`: the source is fenced, both replicas reach its position.
    fenced = strategy(source).fence()
    assert_write_refused(source, password, 202)
    assert fenced['order'] > 0
    for replica in (one, two):
        assert strategy(replica).wait_for(fenced['token'], 10) is True
        assert strategy(replica).position()['order'] == fenced['order']
    new_info = strategy(one).promote(['r2', 'old-source'], replication_sources(two, source))
    assert new_info['host'] == one.address and new_info['password'] != info['password']
    strategy(two).follow(new_info)
    strategy(source).follow(new_info, was_source=True)
    assert [strategy(m).role() for m in (one, two, source)] == [
        replication.SOURCE, replication.REPLICA, replication.REPLICA]
    write_rows(one, password, 110, 5)
    for replica in (two, source):
        await_same_rows(one, replica, password)
        assert_write_refused(replica, password, 203)
    assert strategy(source).status()['source_host'] == one.address
    # The old source refuses writes after a restart too.
    source.restart()
    assert_write_refused(source, password, 204)
    write_rows(one, password, 115, 1)
    await_same_rows(one, source, password)

    # Detach `two`: writable on its own, no longer following.
    detached = strategy(two).detach()
    assert detached['role'] is None and strategy(two).detach() == detached
    write_rows(two, password, 400, 1)
    write_rows(one, password, 120, 1)
    await_same_rows(one, source, password)
    assert not has_row(two, password, 120) and has_row(two, password, 400)
    assert strategy(two).status() == {'role': None, 'source_host': None,
                                      'lag_seconds': None, 'healthy': True}
    # Restored data may give an account READ_ONLY ADMIN: applying access takes it away.
    with two._cursor('test') as cursor:
        cursor.execute("GRANT READ_ONLY ADMIN ON *.* TO 'root'@'%'")
    two.apply_access(TENANT_SOURCES)
    with two._cursor('test') as cursor:
        cursor.execute("SHOW GRANTS FOR 'root'@'%'")
        assert 'READ_ONLY ADMIN' not in repr(cursor.fetchall())
    # The replication account and tenants are admitted each from their own sources.
    one.apply_access(['10.9.0.0/16'])
    assert replication_login(one, new_info) is None
    with pytest.raises(pymysql.err.OperationalError):
        has_row(one, password, 120)
    one.apply_access(TENANT_SOURCES)
    assert replication_login(source, new_info) == 1184     # a replica now
    assert strategy(one).forget_replica('r2')['forgotten'] is True
    assert strategy(one).forget_replica('r2')['forgotten'] is False

    # An unfence after a failed switchover (before a promotion) takes writes again.
    strategy(one).fence()
    assert_write_refused(one, password, 500)
    strategy(one).unfence()
    write_rows(one, password, 500, 1)
    await_same_rows(one, source, password)
    assert_no_secret_logged(caplog, info['password'], new_info['password'], root_password)


def test_eject_promotes_the_most_advanced_replica(make_manager, store, caplog):
    caplog.set_level(logging.DEBUG)
    source, (one, two), password, info = build_set(make_manager, store)
    # `two` stops applying, so the replicas' positions differ when the source dies.
    with two._cursor('test') as cursor:
        cursor.execute('STOP SLAVE')
    write_rows(source, password, 100, 20)
    await_same_rows(source, one, password)
    pid = source.pid()
    os.kill(pid, signal.SIGKILL)
    base.wait_for(lambda: not base.process_alive(pid), 10, 'the source to die')
    with pytest.raises(errors.GuestError):
        strategy(source).position()

    positions = {replica.address: strategy(replica).position() for replica in (one, two)}
    assert positions[one.address]['order'] > positions[two.address]['order']
    assert positions[one.address]['token'] != positions[two.address]['token']
    new_info = strategy(one).promote(['r2'], replication_sources(two))
    wrong = base.generate_password()
    with pytest.raises(errors.EngineError) as raised:
        strategy(two).follow(dict(new_info, password=wrong))
    assert wrong not in '%s %s' % (raised.value.message, raised.value.details)
    assert 'Access denied' in raised.value.details
    position = strategy(two).follow(new_info)
    assert position['running']
    await_same_rows(one, two, password)
    write_rows(one, password, 200, 5)
    await_same_rows(one, two, password)
    assert has_row(two, password, 119) and has_row(two, password, 204)
    status = strategy(two).status()
    assert status['healthy'] and status['source_host'] == one.address
    assert_write_refused(two, password, 300)
    assert_no_secret_logged(caplog, info['password'], new_info['password'], wrong)
