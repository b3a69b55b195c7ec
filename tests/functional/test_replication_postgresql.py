"""PostgreSQL replication at the guest level, on real PostgreSQL 15 and 18, without the stack.

Managers run on 127.80.0.<n>. Replicas are seeded both ways: as the task manager does
(enable_source, prepare, attach: the replica copies its source with pg_basebackup, seed
'stream') and from the source's backup restored through a LocalObjectStore in a temporary
directory (restore_from_storage, attach of restored data). What a tenant reads is checked
over TCP with psycopg; waits poll a condition with a deadline. Every engine is destroyed in teardown.
"""
import itertools
import logging
import os
import signal
import sys
import time
import types
import uuid

import psycopg
import pytest

from api_service.guestagent import errors, replication
from api_service.guestagent.backup import backup_to_storage, restore_from_storage
from api_service.guestagent.replication import postgresql as pg_replication
from api_service.guestagent.replication import postgresql_slots as pg_slots
from api_service.guestagent.datastore import base, get_manager_class
from api_service.guestagent.datastore import postgresql as pg_datastore
from tests.functional import engine_fixtures
from tests.functional.engine_fixtures import managers_on
from tests.functional.test_engines import engine_params, sql_connect

# The shared fixtures, bound here so pytest finds them (an import would look unused).
store, template_root, workdir = (engine_fixtures.store, engine_fixtures.template_root,
                                 engine_fixtures.workdir)
_addresses = itertools.count(1)
CATCH_UP = 30
# A replica whose slot is gone fails within this (before the agent checked the slot, its
# follow and attach waited a minute for WAL that never came; a start may wait 600 s).
FAST = 15


@pytest.fixture
def make_manager(workdir, template_root):
    """Managers on fresh addresses 127.80.0.<n>; all destroyed afterwards."""
    with managers_on('127.80.0', _addresses, workdir, template_root) as factory:
        yield factory


# ------------------------------------------------------------------ helpers

def tenant(manager, password):
    return sql_connect(manager, 'alice', password, 'shop')


def write(manager, password, first, count):
    with tenant(manager, password) as conn:
        conn.cursor().executemany('INSERT INTO items (id, label) VALUES (%s, %s)',
                                  [(i, 'row-%d' % i) for i in range(first, first + count)])


def rows(manager, password):
    with tenant(manager, password) as conn:
        return conn.execute('SELECT id, label FROM items ORDER BY id').fetchall()


def has_rows(manager, password, count):
    base.wait_for(lambda: len(rows(manager, password)) == count, CATCH_UP,
                  '%s to hold %d rows' % (manager.address, count))
    return True


def admin(manager, query):
    with manager._connection('test') as conn:
        return conn.execute(query).fetchone()


def in_recovery(manager):
    return admin(manager, 'SELECT pg_is_in_recovery()')[0]


def slots(manager):
    with manager._connection('test') as conn:
        return {row[0] for row in conn.execute('SELECT slot_name FROM pg_replication_slots')}


def timeline(manager):
    if in_recovery(manager):
        return admin(manager, 'SELECT received_tli FROM pg_stat_wal_receiver')[0]
    return admin(manager, 'SELECT timeline_id FROM pg_control_checkpoint()')[0]


def sources_for(*managers):
    # Connections on loopback come from 127.0.0.1 whatever address they are made to.
    return ['127.0.0.1/32'] + ['%s/32' % manager.address for manager in managers]


def strategy(manager):
    return replication.get_strategy(manager)


def kill_engine(manager):
    """The host is gone: every process of the engine killed at once, nothing flushed."""
    for pid in manager._engine_processes():
        os.kill(pid, signal.SIGKILL)
    base.wait_for(lambda: not manager._engine_processes(), 10, 'the engine to die')


def files_under(*tops):
    for top in tops:
        for root, dirs, files in os.walk(top):
            for name in files:
                yield os.path.join(root, name)


# -------------------------------------------------------------------- tests

@pytest.mark.parametrize('engine', engine_params('postgresql15', 'postgresql18'))
def test_postgresql_replicas_follow_switch_over_fail_over_and_detach(
        engine, make_manager, store, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    source = make_manager(engine)
    password = base.generate_password()
    source.prepare(databases=[{'name': 'shop'}], users=[
        {'name': 'alice', 'password': password, 'databases': [{'name': 'shop'}]}])
    with tenant(source, password) as conn:
        conn.execute('CREATE TABLE items (id INT PRIMARY KEY, label TEXT)')
    write(source, password, 1, 100)
    assert 'replication' in source.capabilities
    # A replica that stays away keeps a bounded amount of WAL on its source (no volume
    # mount here: the fixed bound).
    assert admin(source, 'SHOW max_slot_wal_keep_size')[0] == '1GB'
    one, two = make_manager(engine), make_manager(engine)
    ids = {m: str(uuid.uuid4()) for m in (source, one, two)}
    secrets = []

    # -- seeding: slots first (WAL kept); `one` copies the source itself (seed 'stream', as
    # the task manager sends it: prepared empty, then attach), `two` is restored from a
    # backup of the source (attach of restored data, as seed 'backup' did) -----------------
    info = strategy(source).enable_source([ids[one], ids[two]], sources_for(one, two))
    secrets.append(info['password'])
    assert info['seed'] == 'stream' and info['user'] == 'os_repl'
    assert (info['host'], info['port']) == (source.address, 5432)
    assert set(info['slots']) == {ids[one], ids[two]}
    assert set(info['slots'].values()) <= slots(source)
    # Again with the same ids: the same answer, nothing doubled.
    assert strategy(source).enable_source([ids[one]], sources_for(one)) == dict(
        info, slots={ids[one]: info['slots'][ids[one]]})
    snapshot = backup_to_storage(source, store, 'backups/snapshot/data')
    write(source, password, 101, 100)       # after the backup: reaches replicas by the slot
    for replica in (one, two):
        with monkeypatch.context() as patch:
            if replica is two:
                restore_from_storage(replica, store, [snapshot])
                # Without replica_id in source_info, an agent finds its slot by its own id.
                patch.setattr(pg_replication, 'agent_instance_id', lambda: ids[two])
                status = strategy(replica).attach(dict(info), restored=True)
            else:
                replica.prepare()
                status = strategy(replica).attach(dict(info, replica_id=ids[replica]),
                                                  restored=False)
                # attach returns once it has what the source had: no polling.
                assert len(rows(replica, password)) == 200
        assert status['role'] == 'replica' and status['healthy'] is True
        assert status['source_host'] == source.address
    with pytest.raises(errors.BadRequest) as raised:       # which slot is not said
        strategy(one).follow(dict(info))
    assert info['password'] not in str(raised.value.to_dict())
    write(source, password, 201, 50)
    for replica in (one, two):
        assert has_rows(replica, password, 250)
        assert in_recovery(replica) is True
        # The replica's agent logs in as its os_admin although the data is the source's.
        assert [db['name'] for db in replica.list_databases()[0]] == ['shop']
        assert os.stat(replica.replication_passfile).st_mode & 0o777 == 0o600
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            write(replica, password, 9000, 1)
    assert not in_recovery(source)
    assert strategy(source).status()['role'] == 'source'
    assert {r['streaming'] for r in strategy(source).status()['replicas']} == {True}

    # -- the access rules are rewritten: the replication line stays; a restart stays a replica
    source.apply_access(['127.0.0.0/8'])
    one.restart()
    assert in_recovery(one) is True
    write(source, password, 251, 10)
    assert has_rows(one, password, 260)
    base.wait_for(lambda: strategy(one).status()['healthy'], CATCH_UP, 'one to stream again')
    assert strategy(one).status()['lag_seconds'] is not None

    # -- a switchover that failed before a promotion: unfence takes writes again ------------
    strategy(source).fence()
    with pytest.raises(psycopg.OperationalError):
        tenant(source, password)
    strategy(source).unfence()
    write(source, password, 261, 1)
    assert strategy(one).wait_for('FF/0', 0.2) is False
    with pytest.raises(errors.BadRequest):
        strategy(one).wait_for('not a position', 1)

    # -- switchover: fence, wait, promote `one`, `two` follows, the old source rewinds -------
    fenced = strategy(source).fence()
    with pytest.raises(psycopg.OperationalError):
        tenant(source, password)                            # tenants are refused
    for replica in (one, two):
        assert strategy(replica).wait_for(fenced['token'], 30) is True
    assert strategy(two).position()['order'] >= fenced['order']
    timeline_before = timeline(source)
    promoted = strategy(one).promote([ids[two], ids[source]], sources_for(two, source))
    secrets.append(promoted['password'])
    assert promoted['host'] == one.address and not in_recovery(one)
    strategy(two).follow(dict(promoted, replica_id=ids[two]))
    strategy(source).follow(dict(promoted, replica_id=ids[source]), was_source=True)
    assert in_recovery(source) is True and strategy(source).role() == 'replica'
    assert strategy(source).status()['source_host'] == one.address
    assert timeline(one) > timeline_before
    assert timeline(source) == timeline(two) == timeline(one)
    write(one, password, 1001, 20)
    for member in (two, source):
        assert has_rows(member, password, 281)
    assert rows(one, password) == rows(two, password) == rows(source, password)
    # Promoted, `one` logs in with its own admin password again, not the source's.
    impostor = get_manager_class('postgresql')(
        data_dir=one.data_dir, run_dir=one.run_dir, address=one.address,
        engine_path=one.engine_path, memory_mb=128, run_as=one.run_as,
        admin_password=source.admin_password)
    with pytest.raises(errors.EngineError):
        impostor.list_databases()

    # -- eject: the source's host is gone; the most advanced replica is promoted ------------
    source.stop()                                          # falls behind
    write(one, password, 2001, 30)
    assert has_rows(two, password, 311)
    kill_engine(one)
    source.start()                                         # a standby, with nowhere to stream
    assert in_recovery(source) is True
    with pytest.raises(errors.EngineError):
        strategy(one).position()
    positions = {m: strategy(m).position() for m in (two, source)}
    assert positions[two]['order'] > positions[source]['order']
    assert positions[two]['role'] == 'replica'
    chosen = max(positions, key=lambda m: positions[m]['order'])
    assert chosen is two
    ejected = strategy(two).promote([ids[source]], sources_for(source))
    secrets.append(ejected['password'])
    strategy(source).follow(dict(ejected, replica_id=ids[source]))
    assert has_rows(source, password, 311)
    write(two, password, 3001, 5)
    assert has_rows(source, password, 316)
    assert rows(two, password) == rows(source, password)
    assert timeline(source) == timeline(two) > timeline_before + 1

    # -- detach: writable, out of recovery, no longer follows; the source forgets it ---------
    reached = strategy(source).detach()
    assert reached['role'] is None and not in_recovery(source)
    write(source, password, 4001, 1)
    write(two, password, 3006, 1)
    assert len(rows(source, password)) == 317
    assert 4001 in dict(rows(source, password)) and 4001 not in dict(rows(two, password))
    assert 3006 not in dict(rows(source, password))
    assert admin(source, 'SELECT count(*) FROM pg_stat_wal_receiver')[0] == 0
    assert ejected['slots'][ids[source]] in slots(two)
    assert strategy(two).forget_replica(ids[source]) == {'forgotten': True}
    assert ejected['slots'][ids[source]] not in slots(two)
    assert strategy(two).forget_replica(ids[source]) == {'forgotten': False}
    assert strategy(source).status()['role'] is None
    assert not os.path.exists(source.replication_passfile)

    # -- no replication password in our logs, the engines' logs or their config files ------
    assert all(secret not in caplog.text for secret in secrets)
    for manager in (source, one, two):
        for path in files_under(manager.run_dir):
            if path.endswith(('replication.secret', 'replication.pgpass')):
                assert os.stat(path).st_mode & 0o777 == 0o600
                continue
            with open(path, 'rb') as handle:
                content = handle.read()
            assert not any(secret.encode() in content for secret in secrets), path


@pytest.mark.parametrize('engine', engine_params('postgresql15', 'postgresql18'))
def test_postgresql_replica_of_a_prepared_instance_copies_the_source_itself(
        engine, make_manager, monkeypatch):
    """attach(restored=False), seed 'stream' (the task manager's path, no backup of the
    source): a prepared, running instance is replaced by the source's data (pg_basebackup
    over its slot). The source started before it ran with wal_log_hints: enable_source
    restarts it once."""
    source, replica = make_manager(engine), make_manager(engine)
    password = base.generate_password()
    with monkeypatch.context() as patch:
        patch.setitem(pg_datastore.REPLICATION_SETTINGS, 'wal_log_hints', 'off')
        source.prepare(databases=[{'name': 'shop'}], users=[
            {'name': 'alice', 'password': password, 'databases': [{'name': 'shop'}]}])
    assert admin(source, 'SHOW wal_log_hints')[0] == 'off'
    pid = source.pid()
    with tenant(source, password) as conn:
        conn.execute('CREATE TABLE items (id INT PRIMARY KEY, label TEXT)')
    write(source, password, 1, 10)
    replica.prepare()
    rid = str(uuid.uuid4())
    info = strategy(source).enable_source([rid], sources_for(replica))
    assert admin(source, 'SHOW wal_log_hints')[0] == 'on' and source.pid() != pid
    status = strategy(replica).attach(info, restored=False)     # the only slot named
    assert status['healthy'] and in_recovery(replica)
    write(source, password, 11, 5)
    assert has_rows(replica, password, 15)
    replica.restart()
    write(source, password, 16, 5)
    assert has_rows(replica, password, 20) and in_recovery(replica)


def seeded(engine, make_manager, store, count=2):
    """A source with the table items and rows 1..20, and `count` replicas seeded from its
    backup as the task manager does it: (source, replicas, ids, info, tenant password)."""
    source = make_manager(engine)
    password = base.generate_password()
    source.prepare(databases=[{'name': 'shop'}], users=[
        {'name': 'alice', 'password': password, 'databases': [{'name': 'shop'}]}])
    with tenant(source, password) as conn:
        conn.execute('CREATE TABLE items (id INT PRIMARY KEY, label TEXT)')
    replicas = [make_manager(engine) for _ in range(count)]
    ids = {m: str(uuid.uuid4()) for m in [source] + replicas}
    info = strategy(source).enable_source([ids[r] for r in replicas], sources_for(*replicas))
    snapshot = backup_to_storage(source, store, 'backups/snapshot/data')
    write(source, password, 1, 20)
    for replica in replicas:
        restore_from_storage(replica, store, [snapshot])
        strategy(replica).attach(dict(info, replica_id=ids[replica]), restored=True)
        # attach returns once the replica has replayed what the source had: no polling.
        assert len(rows(replica, password)) == 20
    return source, replicas, ids, info, password


@pytest.mark.parametrize('engine', engine_params('postgresql15', 'postgresql18'))
def test_postgresql_follower_ahead_of_its_new_source_is_rewound(
        engine, make_manager, store, caplog, monkeypatch):
    """An eject's worst case: the replica promoted had not received the source's last
    writes, which the other replica had replayed. That one's history went further than the
    new source's: PostgreSQL would connect and then stop replaying (its WAL receiver says
    'streaming' all the same). follow rewinds it and returns only once it has replayed the
    new source's WAL on the new timeline; one that cannot follow raises an error in words."""
    caplog.set_level(logging.INFO)
    source, (behind, ahead), ids, info, password = seeded(engine, make_manager, store)
    behind.stop()                                   # misses what follows
    write(source, password, 21, 30)
    assert has_rows(ahead, password, 50)
    kill_engine(source)
    behind.start()
    assert in_recovery(behind) and len(rows(behind, password)) == 20
    assert strategy(ahead).position()['order'] > strategy(behind).position()['order']

    promoted = strategy(behind).promote([ids[ahead]], sources_for(ahead))
    write(behind, password, 1001, 5)                # the new source's own history
    with pytest.raises(errors.EngineError) as refused:
        strategy(ahead).follow(dict(promoted, replica_id=ids[ahead], password='wrong-pw-1'))
    assert 'cannot be reached with the replication account' in refused.value.message
    assert promoted['password'] not in str(refused.value.to_dict())

    status = strategy(ahead).follow(dict(promoted, replica_id=ids[ahead]))
    assert 'past its new source\'s fork point' in caplog.text
    # No polling: follow returned once `ahead` had the new source's writes.
    expected = rows(behind, password)
    assert len(expected) == 25 and rows(ahead, password) == expected
    assert in_recovery(ahead) and status['healthy'] and status['source_host'] == behind.address
    assert timeline(ahead) == timeline(behind) == 2
    write(behind, password, 2001, 1)
    assert has_rows(ahead, password, 26)
    # Again: nothing to do, nothing rewound.
    pid = ahead.pid()
    assert strategy(ahead).follow(dict(promoted, replica_id=ids[ahead]))['healthy']
    assert ahead.pid() == pid
    assert promoted['password'] not in caplog.text and info['password'] not in caplog.text


def fails_fast_in_words(call, *secrets):
    """call() raises an EngineError in the user's words within FAST seconds: the replica
    must be recreated; no engine text or password in what a tenant reads."""
    started = time.monotonic()
    with pytest.raises(errors.EngineError) as failed:
        call()
    took = time.monotonic() - started
    print('failed in %.2f s: %s' % (took, failed.value.message))
    assert took < FAST, took
    message = failed.value.message
    assert message == pg_slots.SLOT_GONE
    assert 'delete this replica and create a new one' in message
    assert not any(text in message for text in ('does not exist', 'invalidated', 'WAL', 'r_'))
    assert not any(secret in str(failed.value.to_dict()) for secret in secrets)
    return took


def says_slot_lost(replica):
    """The replica's status says its slot is lost (awaited: its WAL receiver fails a moment
    after the slot goes)."""
    base.wait_for(lambda: strategy(replica).status().get('reason') == pg_slots.SLOT_LOST,
                  CATCH_UP, '%s to say its slot is lost' % replica.address)
    status = strategy(replica).status()
    assert status['role'] == 'replica' and status['healthy'] is False
    assert status['message'] == pg_slots.SLOT_GONE and status['lag_seconds'] is None
    return status


@pytest.mark.parametrize('engine', engine_params('postgresql15', 'postgresql18'))
def test_postgresql_replica_whose_slot_was_dropped_fails_fast_in_words(
        engine, make_manager, store):
    """Its source dropped the replica's slot: status says so; follow and attach fail within
    seconds in words (they checked the slot on the source first), leaving the instance
    running read-only on the data it has."""
    source, (replica,), ids, info, password = seeded(engine, make_manager, store, count=1)
    snapshot = backup_to_storage(source, store, 'backups/late/data')
    assert strategy(replica).status()['healthy'] is True
    assert strategy(source).status()['lost_slots'] == []
    assert strategy(source).forget_replica(ids[replica]) == {'forgotten': True}
    write(source, password, 21, 5)
    says_slot_lost(replica)

    fails_fast_in_words(lambda: strategy(replica).follow(dict(info, replica_id=ids[replica])),
                        info['password'])
    assert in_recovery(replica) and len(rows(replica, password)) == 20
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        write(replica, password, 9000, 1)
    # A restart: a read-only standby again at once, still saying why it does not follow.
    started = time.monotonic()
    replica.restart()
    assert time.monotonic() - started < FAST
    assert in_recovery(replica) and says_slot_lost(replica)

    # Restored data for a replica whose slot is gone: started read-only, and refused.
    late = make_manager(engine)
    restore_from_storage(late, store, [snapshot])
    fails_fast_in_words(lambda: strategy(late).attach(dict(info, replica_id=ids[replica]),
                                                      restored=True), info['password'])
    assert late.pid() is not None and in_recovery(late)
    assert len(rows(late, password)) == 20
    assert strategy(late).role() == 'replica' and says_slot_lost(late)


@pytest.mark.parametrize('engine', engine_params('postgresql15', 'postgresql18'))
def test_postgresql_starting_standby_whose_slot_is_gone_fails_fast(
        engine, make_manager, store, monkeypatch):
    """The slot goes between the check on the source and the replica's start or reload (the
    check is skipped here): what the replica's engine logs ends the wait within seconds, in
    words. Restored data that needs the source's WAL to become consistent (the backup's own
    WAL taken away) cannot answer: that engine is stopped rather than left half-started."""
    source, (replica,), ids, info, password = seeded(engine, make_manager, store, count=1)
    snapshot = backup_to_storage(source, store, 'backups/late/data')
    assert strategy(source).forget_replica(ids[replica]) == {'forgotten': True}
    says_slot_lost(replica)                 # no longer streaming
    monkeypatch.setattr(pg_slots, 'condition', lambda conn, slot: None)
    # A running replica told to follow: its WAL receiver's next try says the slot is gone.
    fails_fast_in_words(lambda: strategy(replica).follow(dict(info, replica_id=ids[replica])),
                        info['password'])
    assert in_recovery(replica) and len(rows(replica, password)) == 20
    late = make_manager(engine)
    restore_from_storage(late, store, [snapshot])
    wal_dir = os.path.join(late.engine_data_dir, 'pg_wal')
    for name in os.listdir(wal_dir):
        if len(name) == 24:
            os.unlink(os.path.join(wal_dir, name))
    fails_fast_in_words(lambda: strategy(late).attach(dict(info, replica_id=ids[replica]),
                                                      restored=True), info['password'])
    assert late.pid() is None and not late._engine_processes()


def lose_slot(source, slot):
    """WAL written on the source, segment after segment, until a checkpoint invalidates the
    slot of a replica that is away (max_slot_wal_keep_size exceeded)."""
    def lost():
        with source._connection('test') as conn:
            conn.execute("SELECT pg_logical_emit_message(false, 'test', 'filler')")
            conn.execute('SELECT pg_switch_wal()')
            conn.execute('CHECKPOINT')
            return conn.execute('SELECT wal_status FROM pg_replication_slots '
                                'WHERE slot_name = %s', (slot,)).fetchone()[0] == 'lost'
    base.wait_for(lost, CATCH_UP, 'the slot %s to be lost' % slot)


@pytest.mark.parametrize('engine', engine_params('postgresql15', 'postgresql18'))
def test_postgresql_replica_whose_slot_was_lost_says_so_and_fails_fast(
        engine, make_manager, store, monkeypatch):
    """A replica away longer than its source keeps WAL for it (a tiny max_slot_wal_keep_size
    here, and no wal_keep_size): the source says whose slot is lost, the replica starts
    read-only and says its slot is lost (not healthy with a growing lag), and follow fails
    within seconds in words."""
    source, (replica, other), ids, info, password = seeded(engine, make_manager, store)
    slot = info['slots'][ids[replica]]
    monkeypatch.setattr(source, 'slot_wal_keep_mb', lambda: 1)
    monkeypatch.setitem(pg_datastore.REPLICATION_SETTINGS, 'wal_keep_size', '0')
    source.reload_config()
    assert admin(source, 'SHOW max_slot_wal_keep_size')[0] == '1MB'
    replica.stop()
    write(source, password, 21, 5)                  # what the replica misses
    lose_slot(source, slot)
    status = strategy(source).status()
    assert status['role'] == 'source' and status['healthy'] is True
    assert status['lost_slots'] == [slot]
    assert {r['slot']: r['lost'] for r in status['replicas']} == {
        slot: True, info['slots'][ids[other]]: False}
    # The other replica streams on: healthy, with its data.
    assert has_rows(other, password, 25) and strategy(other).status()['healthy'] is True

    started = time.monotonic()
    replica.start()
    assert time.monotonic() - started < FAST
    assert in_recovery(replica) and len(rows(replica, password)) == 20
    says_slot_lost(replica)
    fails_fast_in_words(lambda: strategy(replica).follow(dict(info, replica_id=ids[replica])),
                        info['password'])
    assert in_recovery(replica) and len(rows(replica, password)) == 20
    # Without the check on the source, the engine's own report of the lost slot (each
    # version has its words) ends the follow as fast.
    monkeypatch.setattr(pg_slots, 'condition', lambda conn, slot: None)
    fails_fast_in_words(lambda: strategy(replica).follow(dict(info, replica_id=ids[replica])),
                        info['password'])
    assert in_recovery(replica) and len(rows(replica, password)) == 20


def test_agent_instance_id_reads_the_agents_configuration(monkeypatch):
    """The guest agent's [guest] instance_id (api_service.guestagent.config, loaded by the
    agent only); None elsewhere, and then a source_info must name the slot."""
    monkeypatch.delitem(sys.modules, 'api_service.guestagent.config', raising=False)
    assert pg_replication.agent_instance_id() is None
    conf = types.SimpleNamespace(guest=types.SimpleNamespace(instance_id='4a7d-replica'))
    monkeypatch.setitem(sys.modules, 'api_service.guestagent.config',
                        types.SimpleNamespace(CONF=conf))
    assert pg_replication.agent_instance_id() == '4a7d-replica'
    info = {'host': '127.80.0.1', 'port': 5432, 'user': 'os_repl', 'password': 'x-secret',
            'slots': {'4a7d-replica': 'r_4a7dreplica', 'other': 'r_other'}}
    assert pg_replication.PostgreSQLReplication._check_info(info)['slot'] == 'r_4a7dreplica'
    conf.guest.instance_id = None
    with pytest.raises(errors.BadRequest) as raised:
        pg_replication.PostgreSQLReplication._check_info(info)
    assert 'which slot' in raised.value.message and 'x-secret' not in str(raised.value)
