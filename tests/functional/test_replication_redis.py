"""Redis replication on the guest, against real Redis 7 servers, without the service.

No mocks: managers run redis-server on 127.81.0.<n> (the other engines' replication tests
use 127.79 and 127.80), the replicas copy their source themselves (seed 'sync'), and a
tenant's redis-py client on each address checks what it reads and may write. One test walks
a set of three through the life the task manager gives it (replicas made, a restart, a
switchover, an eject after the source's engine is killed, a detach, a forgotten replica);
waits poll a condition with a deadline. Every engine is destroyed in teardown.
"""
import itertools
import logging
import os
import signal
import stat
import threading

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from api_service.guestagent import errors, replication
from api_service.guestagent.datastore import base
from api_service.guestagent.datastore import redis as redis_manager
from api_service.guestagent.replication import redis as redis_replication
from tests.functional.engine_fixtures import managers_on, workdir  # noqa: F401
from tests.functional.test_engines import ENGINES

ENGINE = ENGINES['redis']
_addresses = itertools.count(1)


@pytest.fixture
def make_manager(workdir):
    """Prepared Redis managers on fresh addresses 127.81.0.<n>; all destroyed afterwards."""
    with managers_on('127.81.0', _addresses, workdir) as factory:
        def prepared():
            manager = factory(ENGINE)
            manager.prepare()
            return manager
        yield prepared


def tenant(manager, timeout=5, password=None):
    """The tenant's client (the default user) on the instance's address."""
    return redis.Redis(host=manager.address, port=6379, socket_timeout=timeout,
                       password=password, retry=Retry(NoBackoff(), 0))


def strategy(manager):
    return replication.get_strategy(manager)


def wait_until(condition, what, timeout=20):
    return base.wait_for(condition, timeout, what)


def load(client):
    """Keys of each type, one with a TTL, one of 1 MiB."""
    client.hset('hash', mapping={'a': '1', 'b': '2'})
    client.rpush('list', *range(100))
    client.sadd('set', *('m%d' % i for i in range(50)))
    client.zadd('zset', {'x': 1.5, 'y': 2.5})
    client.set('ttl', 'soon', ex=3600)
    client.set('big', os.urandom(1024 * 1024))
    client.mset({'k%d' % i: 'v%d' % i for i in range(1000)})


def snapshot(client):
    """Every key's type and value (sets sorted, as a copy may reorder them), pipelined."""
    keys = sorted(client.scan_iter(count=1000))
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.type(key)
    types = pipe.execute()
    readers = {b'string': pipe.get, b'hash': pipe.hgetall, b'list': lambda k: pipe.lrange(k, 0, -1),
               b'set': pipe.smembers, b'zset': lambda k: pipe.zrange(k, 0, -1, withscores=True)}
    for key, kind in zip(keys, types):
        readers[kind](key)
    values = [sorted(value) if isinstance(value, set) else value for value in pipe.execute()]
    return dict(zip(keys, zip(types, values)))


def same_data(*managers):
    """True once every instance holds what the first one holds."""
    expected = snapshot(tenant(managers[0]))
    return all(snapshot(tenant(other)) == expected for other in managers[1:])


def sees(manager, key, value):
    return tenant(manager).get(key) == value


def info(manager):
    with manager._admin('test') as client:
        return client.info('replication')


def test_redis_replicas_switchover_eject_detach(make_manager, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = []
    source = make_manager()
    load(tenant(source))
    assert 'replication' in source.capabilities

    # Replicas made: each prepared empty, then attached; the engine copies the data itself.
    source_info = strategy(source).enable_source(['r-1', 'r-2'], ['127.81.0.0/24'])
    secrets.append(source_info['password'])
    assert source_info['seed'] == 'sync' == strategy(source).seed
    assert (source_info['host'], source_info['port']) == (source.address, 6379)
    assert strategy(source).enable_source(['r-2'], [])['password'] == source_info['password']
    first, second = make_manager(), make_manager()
    for replica in (first, second):
        strategy(replica).attach(source_info, restored=False)
    count = tenant(source).dbsize()
    assert count > 1000
    assert [tenant(replica).dbsize() for replica in (first, second)] == [count, count]
    assert same_data(source, first, second)

    # Writes flow; a replica refuses the tenant's writes; each announces its own address.
    tenant(source).set('after', 'attach')
    wait_until(lambda: sees(first, 'after', b'attach') and sees(second, 'after', b'attach'),
               'the write on the replicas')
    with pytest.raises(redis.exceptions.ReadOnlyError):
        tenant(first).set('refused', 'yes')
    status = strategy(source).status()
    assert status['role'] == replication.SOURCE and status['healthy']
    assert sorted(item['host'] for item in status['replicas']) == sorted(
        [first.address, second.address])
    replica_status = strategy(first).status()
    assert replica_status == dict(replica_status, role=replication.REPLICA,
                                  source_host=source.address, healthy=True, lag_seconds=0)
    assert source._load_state()['replication_replica_ids'] == ['r-1', 'r-2']

    # What keeps the roles across a restart is in files the agent writes, the password in
    # a file of its own (0600) and in redis.conf (0600), never in the agent's state.
    for manager, name in ((source, redis_manager.REPLICATION_SECRET),
                          (first, redis_manager.FOLLOW_SECRET)):
        for path in (manager._run_file(name), manager._config_path()):
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        with open(manager._state_path) as handle:
            assert source_info['password'] not in handle.read()
    with open(first._config_path()) as handle:
        config = handle.read()
    assert 'replicaof %s 6379' % source.address in config
    assert 'replica-read-only yes' in config

    # A restarted replica is still a replica, and catches up.
    first.restart()
    assert info(first)['role'] == 'slave'
    tenant(source).set('after', 'restart')
    wait_until(lambda: sees(first, 'after', b'restart'), 'the write on the restarted replica')
    with pytest.raises(redis.exceptions.ReadOnlyError):
        tenant(first).set('refused', 'yes')
    wait_until(lambda: strategy(first).status()['healthy'], 'the restarted replica in sync')

    # A source keeps its data: a group cannot turn appendonly off.
    with pytest.raises(errors.BadRequest) as refused:
        source.update_overrides({'appendonly': False})
    assert 'appendonly' in refused.value.message
    assert second.update_overrides({'appendonly': False}) == {'pending_restart': []}
    second.update_overrides({})

    # Switchover to `first`: a write held by the fence is refused afterwards, never lost.
    fenced = strategy(source).fence()
    assert fenced['order'] == fenced['token'] > 0
    held = {}

    def write_during_fence():
        try:
            held['answer'] = tenant(source, timeout=60).set('during', 'fence')
        except redis.exceptions.RedisError as exc:
            held['error'] = exc

    writer = threading.Thread(target=write_during_fence)
    writer.start()
    for replica in (first, second):
        assert strategy(replica).wait_for(fenced['token'], 10) is True
        assert strategy(replica).position()['order'] >= fenced['order']
    new_info = strategy(first).promote(['r-2', 'old-source'], ['127.81.0.0/24'])
    secrets.append(new_info['password'])
    assert new_info['host'] == first.address and new_info['password'] != source_info['password']
    strategy(second).follow(new_info)
    strategy(source).follow(new_info, was_source=True)
    writer.join(30)
    assert not writer.is_alive()
    assert 'answer' not in held and isinstance(held['error'], redis.exceptions.ReadOnlyError)
    assert [strategy(m).role() for m in (first, second, source)] == [
        replication.SOURCE, replication.REPLICA, replication.REPLICA]
    tenant(first).set('after', 'switchover')
    wait_until(lambda: sees(second, 'after', b'switchover') and sees(source,
               'after', b'switchover'), 'the new source\'s write on the others')
    wait_until(lambda: same_data(first, second, source), 'the same data everywhere')
    with pytest.raises(redis.exceptions.ReadOnlyError):
        tenant(source).set('refused', 'yes')
    with first._admin('test') as client:       # both continued where they were
        assert client.info('stats')['sync_full'] == 0
    assert strategy(source).status()['source_host'] == first.address

    # Unfence: a held write goes through.
    strategy(first).fence()
    writer = threading.Thread(target=lambda: tenant(first, timeout=30).set('held', 'then'))
    writer.start()
    writer.join(0.3)
    assert writer.is_alive()                   # held by the pause
    strategy(first).unfence()
    writer.join(30)
    assert sees(first, 'held', b'then')

    # Eject: `second` falls behind (its link refused), the source's engine is killed; the
    # replica with the higher offset is promoted and the other follows it.
    with second._admin('test') as client:
        client.execute_command('CONFIG', 'SET', 'masterauth', 'not-the-password')
        client.execute_command('CLIENT', 'KILL', 'TYPE', 'master')
    wait_until(lambda: info(second)['master_link_status'] == 'down', 'the lagging replica')
    tenant(first).mset({'late%d' % i: i for i in range(100)})
    target = strategy(first).position()['order']
    assert strategy(source).wait_for(target, 10) is True
    os.kill(first.pid(), signal.SIGKILL)
    wait_until(lambda: info(source)['master_link_status'] == 'down', 'the source\'s loss')
    positions = [(strategy(m).position(), m) for m in (second, source)]
    assert not any(position['running'] for position, _ in positions)    # no link left
    assert positions[1][0]['order'] > positions[0][0]['order'] >= 0
    chosen = max(positions, key=lambda pair: pair[0]['order'])[1]       # as eject chooses
    assert chosen is source
    ejected_info = strategy(source).promote(['r-2'], ['127.81.0.0/24'])
    secrets.append(ejected_info['password'])
    strategy(second).follow(ejected_info)
    wait_until(lambda: same_data(source, second), 'the survivor\'s data on the other')
    assert sees(second, 'late99', b'99')
    tenant(source).set('after', 'eject')
    wait_until(lambda: sees(second, 'after', b'eject'), 'the write after the eject')
    with pytest.raises(redis.exceptions.ReadOnlyError):
        tenant(second).set('refused', 'yes')

    # Detach: `second` becomes writable and no longer follows.
    detached = strategy(second).detach()
    assert detached['role'] is None and info(second)['role'] == 'master'
    tenant(second).set('own', 'write')
    wait_until(lambda: info(source)['connected_slaves'] == 0, 'the detached replica leaving')
    tenant(source).set('after', 'detach')
    assert sees(second, 'after', b'eject') and sees(source, 'after', b'detach')
    assert strategy(second).status() == dict(strategy(second).status(), role=None,
                                             source_host=None, healthy=True)
    second.restart()                           # and stays standalone
    assert info(second)['role'] == 'master' and sees(second, 'own', b'write')
    assert not os.path.exists(second._run_file(redis_manager.FOLLOW_SECRET))

    # forget_replica: the source's list only (Redis keeps nothing per replica).
    assert strategy(source).forget_replica('r-2') == {'forgotten': 'r-2'}
    assert strategy(source).forget_replica('r-2') == {'forgotten': 'r-2'}
    assert source._load_state()['replication_replica_ids'] == []
    assert strategy(source).status()['replicas'] == []

    # No password in the agent's log or the engines' logs.
    secrets += [m.admin_password for m in (source, first, second)]
    for secret in secrets:
        assert secret not in caplog.text
        for manager in (source, first, second):
            with open(manager.log_path) as handle:
                assert secret not in handle.read()


def reads_with(manager, password):
    """The tenant reads `manager` with `password` (None: without AUTH): True, or False when
    Redis refuses the client (NOAUTH, or WRONGPASS)."""
    try:
        tenant(manager, password=password).get('k1')
    except redis.exceptions.AuthenticationError:
        return False
    return True


def test_a_redis_replica_has_its_sources_root_password(make_manager, caplog):
    # Accounts are per node, but the data is the source's: a replica's default user always
    # has its source's password, at attach, across restarts, after a root change on the
    # source (pushed by the API with set_root_hash), and after a follow.
    caplog.set_level(logging.DEBUG)
    source = make_manager()
    assert redis_manager.ROOT_PER_MEMBER in source.capabilities
    first_password = source.enable_root()['password']
    tenant(source, password=first_password).set('k1', 'v1')
    source_info = strategy(source).enable_source(['r-1', 'r-2'], [])
    assert source_info['root_hash'] == redis_manager.acl_hash(first_password)
    assert first_password not in repr(source_info)
    first = make_manager()
    assert reads_with(first, None)               # standalone: no root yet
    strategy(first).attach(source_info, restored=False)
    assert not reads_with(first, None) and reads_with(first, first_password)
    assert tenant(first, password=first_password).get('k1') == b'v1'
    assert first.is_root_enabled()
    first.restart()
    assert not reads_with(first, None) and reads_with(first, first_password)

    # Root enabled again on the source (a new password): the API sets its hash on the
    # replica; the old password is refused there.
    second_password = source.enable_root()['password']
    assert first.set_root_hash(redis_manager.acl_hash(second_password)) == {
        'root_enabled': True}
    assert not reads_with(first, first_password) and reads_with(first, second_password)
    # Root disabled on the source: the replica's default user has no password either.
    source.disable_root()
    assert first.set_root_hash(None) == {'root_enabled': False}
    assert reads_with(first, None) and not first.is_root_enabled()
    first.restart()
    assert reads_with(first, None)

    # A replica attached without root, then root on the source pushed to `first` only: a
    # switchover's follow gives the new source's password to the other replica and keeps
    # it on the old source.
    second = make_manager()
    strategy(second).attach(strategy(source).enable_source(['r-2'], []), restored=False)
    third_password = source.enable_root()['password']
    first.set_root_hash(redis_manager.acl_hash(third_password))
    assert reads_with(second, None)              # not pushed (yet)
    token = strategy(source).fence()['token']
    assert strategy(first).wait_for(token, 10)
    new_info = strategy(first).promote(['r-2', 'old'], [])
    assert new_info['root_hash'] == redis_manager.acl_hash(third_password)
    strategy(second).follow(new_info)
    strategy(source).follow(new_info, was_source=True)
    for member in (first, second, source):
        assert not reads_with(member, None) and reads_with(member, third_password)
    second.restart()
    assert not reads_with(second, None) and reads_with(second, third_password)

    # A hash in another form is refused, naming no value.
    for bad in ('#' + redis_manager.acl_hash(third_password), 'x' * 64, 12):
        with pytest.raises(errors.BadRequest) as refused:
            first.set_root_hash(bad)
        assert 'SHA-256' in refused.value.message and 'xxxx' not in refused.value.message
    with pytest.raises(errors.BadRequest):
        strategy(second).follow(dict(new_info, root_hash='nopass'))
    assert reads_with(second, third_password)

    secrets = [first_password, second_password, third_password, source_info['password'],
               new_info['password']]
    for secret in secrets:
        assert secret not in caplog.text
        for manager in (source, first, second):
            with open(manager.log_path) as handle:
                assert secret not in handle.read()


def test_redis_replica_refused_by_its_source_fails_in_words(make_manager, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(redis_replication, 'CONNECT_TIMEOUT', 3)
    source, replica = make_manager(), make_manager()
    source_info = strategy(source).enable_source(['r-1'], [])
    wrong = dict(source_info, password=base.generate_password())
    with pytest.raises(errors.EngineError) as failed:
        strategy(replica).attach(wrong, restored=False)
    assert source.address in failed.value.message
    for secret in (wrong['password'], source_info['password']):
        assert secret not in failed.value.message + str(failed.value.details) + caplog.text
    with pytest.raises(errors.BadRequest):
        strategy(replica).attach(dict(source_info, password=''), restored=False)
    with pytest.raises(errors.BadRequest):       # a replica serves no replicas of its own
        strategy(replica).enable_source(['r-2'], [])
    with pytest.raises(errors.BadRequest):
        strategy(source).follow(source_info)


def test_redis_stops_while_writing_its_first_aof(make_manager, caplog):
    # A replica writes its first AOF after each full copy; Redis drops a SIGTERM meanwhile
    # ("Writing initial AOF, can't exit"). Turning appendonly on live does the same.
    caplog.set_level(logging.INFO)
    manager = make_manager()
    tenant(manager).mset({'blob%d' % i: os.urandom(1024 * 1024) for i in range(30)})
    with manager._admin('test') as client:
        client.config_set('appendonly', 'no')
        client.config_set('appendonly', 'yes')
    manager.stop()
    assert 'killing' not in caplog.text            # stopped, not killed after 30 s
    manager.start()
    assert tenant(manager).dbsize() == 30


def test_a_former_source_whose_follow_failed_stays_paused(make_manager, monkeypatch):
    # Unpaused beside the new source, the old one would take writes on both.
    source, replica = make_manager(), make_manager()
    strategy(replica).attach(strategy(source).enable_source(['r-1'], []), restored=False)
    token = strategy(source).fence()['token']
    assert strategy(replica).wait_for(token, 10)
    new_info = strategy(replica).promote(['old'], [])

    def refused(self, source_info):
        raise errors.EngineError('REPLICAOF refused.')

    monkeypatch.setattr(redis_replication.RedisReplication, '_follow_live', refused)
    with pytest.raises(errors.EngineError):
        strategy(source).follow(new_info, was_source=True)
    with pytest.raises(redis.exceptions.TimeoutError):     # the write is held, not taken
        tenant(source, timeout=0.5).set('split', 'brain')
    strategy(source).unfence()
