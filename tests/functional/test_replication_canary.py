"""The canary account (guest RPC 1.4) and the task manager's canary writers, on real engines.

One source and its replica per engine (MariaDB, PostgreSQL 15 and 18, Redis) on
127.82.0.<n>, made as the replication tests make them (the other replication tests use
127.79-81) and shared by this module's tests. The account is set through the guest
endpoint's replication_canary_account as the task manager sets it; what it may do is
checked from the engine's side: the writer's write() acknowledged on the source and its
seq read on the replica, refused on the replica, on a fenced source, and after the account
is removed; the tenant's data out of its reach; the canary's database none of the tenant's;
replicas the account was never set on still replicating. No password in the agent's log or
the engines' logs.
"""
import itertools
import logging
import os
import shutil
import types
import uuid

import psycopg
import pymysql
import pytest
import redis

from api_service.common import canary_writers
from api_service.drivers.storage import LocalObjectStore
from api_service.guestagent import errors, service
from api_service.guestagent.backup import backup_to_storage, restore_from_storage
from api_service.guestagent.datastore import base
from tests.functional.engine_fixtures import managers_on, shared_tmp
from tests.functional.test_engines import (ENGINES, SQL_ENGINES, engine_params, refused,
                                            sql_connect)
from tests.functional.test_replication_mariadb import build_set
from tests.functional.test_replication_postgresql import sources_for, strategy, tenant, write
from tests.functional.test_replication_redis import tenant as redis_tenant

_addresses = itertools.count(1)
# Loopback clients come from 127.0.0.1, whatever address they connect to: the service's host.
SERVICE = ['127.0.0.1/32']
CATCH_UP = 30


class Pair:
    """A source, its replica, and what the tests need of them."""

    def __init__(self, engine, source, replica, tenant_password=None, others=()):
        self.engine, self.source, self.replica = engine, source, replica
        self.tenant_password = tenant_password
        # Replicas the canary account is never set on: the canary must not trouble them.
        self.others = list(others)

    @property
    def members(self):
        return (self.source, self.replica)


def _mariadb_pair(factory, store):
    source, replicas, password, _ = build_set(lambda: factory(ENGINES['mariadb']), store)
    return Pair(ENGINES['mariadb'], source, replicas[0], password, others=replicas[1:])


def _postgresql_pair(engine, factory, store):
    source, replica = factory(engine), factory(engine)
    password = base.generate_password()
    source.prepare(databases=[{'name': 'shop'}], users=[
        {'name': 'alice', 'password': password, 'databases': [{'name': 'shop'}]}])
    with tenant(source, password) as conn:
        conn.execute('CREATE TABLE items (id INT PRIMARY KEY, label TEXT)')
    write(source, password, 1, 10)
    replica_id = str(uuid.uuid4())
    info = strategy(source).enable_source([replica_id], sources_for(replica))
    restore_from_storage(replica, store, [backup_to_storage(source, store, 'seed/data')])
    strategy(replica).attach(dict(info, replica_id=replica_id), restored=True)
    return Pair(engine, source, replica, password)


def _redis_pair(factory):
    source, replica = factory(ENGINES['redis']), factory(ENGINES['redis'])
    for manager in (source, replica):
        manager.prepare()
    redis_tenant(source).set('tenant-key', 'tenant-value')
    strategy(replica).attach(strategy(source).enable_source(['r-1'], []), restored=False)
    return Pair(ENGINES['redis'], source, replica)


@pytest.fixture(scope='module', params=engine_params(
    'mariadb', 'postgresql15', 'postgresql18', 'redis'))
def pair(request):
    """One source and replica of the engine, for every test of this module."""
    engine = request.param
    workdir = shared_tmp('canary-')
    store = LocalObjectStore(os.path.join(workdir, 'objects'))
    with managers_on('127.82.0', _addresses, workdir) as factory:
        if engine.manager == 'mariadb':
            yield _mariadb_pair(factory, store)
        elif engine.manager == 'postgresql':
            yield _postgresql_pair(engine, factory, store)
        else:
            yield _redis_pair(factory)
    shutil.rmtree(workdir, ignore_errors=True)


def endpoint(manager, run_dir):
    """The guest endpoint of `manager`, as the agent serves it."""
    conf = types.SimpleNamespace(instance_id='i-canary', run_dir=run_dir)
    return service.GuestEndpoint(manager, None, conf)


@pytest.fixture
def account(pair, caplog, tmp_path):
    """The canary account set on the source, then the replica (the task manager's order),
    through the endpoint, with a fresh password; the writers close afterwards. Every test
    ends checking that no password reached the agent's log."""
    caplog.set_level(logging.DEBUG)
    password = base.generate_password()
    answers = []
    for manager in pair.members:
        answer = endpoint(manager, str(tmp_path)).replication_canary_account(
            {}, password, SERVICE)
        assert 'error' not in answer, answer
        answers.append(answer['result'])
    opened = []

    def writer(manager, secret=password):
        made = canary_writers.writer_for(pair.engine.manager, manager.address, manager.port,
                                         answers[0], secret)
        opened.append(made)
        return made

    yield types.SimpleNamespace(password=password, answers=answers, writer=writer)
    for made in opened:
        made.close()
    assert password not in caplog.text
    assert all(password not in repr(record.args) for record in caplog.records)
    for manager in pair.members:
        with open(manager.log_path, errors='replace') as handle:
            assert password not in handle.read()


def until(condition, what, timeout=CATCH_UP):
    return base.wait_for(condition, timeout, what)


# ------------------------------------------------------------------------ tests

def test_the_answer_says_where_the_canary_writes(pair, account):
    expected = {'mariadb': ('os_canary', 'os_canary.beat', 3306),
                'postgresql': ('postgres', 'os_canary.beat', 5432),
                'redis': (None, 'os:canary', 6379)}[pair.engine.manager]
    for answer in account.answers:
        assert answer == dict(zip(('user', 'database', 'target', 'port'),
                                  ('os_canary',) + expected))


def test_writes_on_the_source_reach_the_replica_which_refuses_them(pair, account):
    on_source, on_replica = account.writer(pair.source), account.writer(pair.replica)
    assert [on_source.write(seq) for seq in range(1, 6)] == [True] * 5
    assert on_source.read_seq() == 5
    until(lambda: on_replica.read_seq() == 5, 'the canary seq on the replica')
    assert on_replica.write(6) is False                 # read-only
    assert on_replica.read_seq() == 5
    assert on_source.write(7) is True                   # the failure left the source alone
    until(lambda: on_replica.read_seq() == 7, 'the next seq on the replica')


def test_a_fenced_source_refuses_the_canary_until_unfenced(pair, account):
    writer = account.writer(pair.source)
    assert writer.write(10) is True
    strategy(pair.source).fence()
    try:
        assert writer.write(11) is False
        assert writer.write(12) is False                # a new connection: refused too
    finally:
        strategy(pair.source).unfence()
    until(lambda: writer.write(13), 'the canary write after the unfence', timeout=10)
    assert writer.read_seq() == 13
    until(lambda: account.writer(pair.replica).read_seq() == 13, 'the seq on the replica')


def test_the_canary_cannot_reach_the_tenants_data(pair, account):
    source, password = pair.source, account.password
    if pair.engine.manager == 'mariadb':
        conn = pymysql.connect(host=source.address, user='os_canary', password=password,
                               database='os_canary', connect_timeout=5, autocommit=True)
        try:
            with conn.cursor() as cursor:
                for statement in ('SELECT * FROM shop.items',
                                  "INSERT INTO shop.items (id, label) VALUES (9999, 'x')",
                                  'CREATE TABLE os_canary.other (id INT)',
                                  'SET GLOBAL read_only = OFF',
                                  "CREATE USER 'x'@'%'"):
                    with pytest.raises(pymysql.MySQLError) as denied:
                        cursor.execute(statement)
                    assert denied.value.args[0] in (1044, 1142, 1227), denied.value
        finally:
            conn.close()
        assert refused(source, 'os_canary', password, 'shop')
    elif pair.engine.manager == 'postgresql':
        assert refused(source, 'os_canary', password, 'shop')       # no CONNECT there
        with psycopg.connect(host=source.address, port=5432, user='os_canary',
                             password=password, dbname='postgres', autocommit=True,
                             sslmode='disable', connect_timeout=5) as conn:
            for statement in ('CREATE TABLE public.mine (id INT)',
                              'CREATE TABLE os_canary.mine (id INT)',
                              'SELECT * FROM pg_authid',
                              'CREATE TEMPORARY TABLE mine (id INT)',
                              'DROP TABLE os_canary.beat'):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
    else:
        client = redis.Redis(host=source.address, port=6379, username='os_canary',
                             password=password, socket_timeout=5)
        try:
            for command in (('GET', 'tenant-key'), ('SET', 'tenant-key', 'x'), ('KEYS', '*'),
                            ('FLUSHALL',), ('DEL', 'os:canary'), ('CONFIG', 'GET', '*')):
                with pytest.raises(redis.exceptions.NoPermissionError):
                    client.execute_command(*command)
            assert client.ping() is True
        finally:
            client.close()
        assert redis_tenant(source).get('tenant-key') == b'tenant-value'


# MariaDB alone restricts an account by address itself (the access sources restrict
# PostgreSQL; Redis admits any address).
@pytest.mark.parametrize('pair', engine_params('mariadb'), indirect=True)
def test_the_canary_is_admitted_only_from_its_sources(pair, account, tmp_path):
    elsewhere = endpoint(pair.source, str(tmp_path)).replication_canary_account(
        {}, account.password, ['10.0.0.0/8'])['result']
    try:
        writer = account.writer(pair.source)
        assert writer.write(1) is False
        with pytest.raises(pymysql.err.OperationalError) as denied:
            pymysql.connect(host=pair.source.address, user='os_canary',
                            password=account.password, connect_timeout=5)
        assert denied.value.args[0] == 1045
    finally:
        endpoint(pair.source, str(tmp_path)).replication_canary_account(
            {}, account.password, SERVICE)
    assert elsewhere['user'] == 'os_canary'
    assert account.writer(pair.source).write(2) is True


@pytest.mark.parametrize('pair', SQL_ENGINES, indirect=True)     # Redis admits any address
def test_the_canary_is_admitted_from_its_sources_whatever_the_tenants(pair, account):
    source, writer = pair.source, account.writer(pair.source)
    previous = source.access_sources
    source.apply_access(['10.0.0.0/8'])           # the tenants' own network, not the service's
    try:
        with pytest.raises((pymysql.err.OperationalError, psycopg.OperationalError)):
            sql_connect(source, 'alice', pair.tenant_password, 'shop').close()
        assert writer.write(41) is True
        strategy(source).fence()
        try:
            assert writer.write(42) is False
        finally:
            strategy(source).unfence()
        until(lambda: writer.write(43), 'the canary write after the unfence', timeout=10)
    finally:
        source.apply_access(previous if previous is not None else ['127.0.0.0/8'])
    sql_connect(source, 'alice', pair.tenant_password, 'shop').close()


# Redis has no databases or users for tenants to list.
@pytest.mark.parametrize('pair', SQL_ENGINES, indirect=True)
def test_the_canary_is_none_of_the_tenants_databases_or_users(pair, account):
    for manager in pair.members:
        assert [db['name'] for db in manager.list_databases()[0]] == ['shop']
        users = [user['name'] for user in manager.list_users()[0]]
        assert 'os_canary' not in users and 'alice' in users
    with pytest.raises(errors.BadRequest):
        pair.source.create_users([{'name': 'os_canary', 'password': 'x' * 12}])


def test_no_password_removes_the_account(pair, account, tmp_path):
    on_source, on_replica = account.writer(pair.source), account.writer(pair.replica)
    assert on_source.write(21) is True
    until(lambda: on_replica.read_seq() == 21, 'the seq on the replica')
    on_source.close()
    on_replica.close()
    for manager in (pair.replica, pair.source):     # replicas first: the source's rows stop
        answer = endpoint(manager, str(tmp_path)).replication_canary_account({}, None, None)
        assert answer['result']['user'] == 'os_canary'
    # Refused by the engine from now on (PostgreSQL's replica once the drop is replayed).
    assert on_source.write(22) is False and on_source.read_seq() is None
    until(lambda: on_replica.read_seq() is None, 'the replica to refuse the canary')
    if pair.engine.manager == 'postgresql':
        with pytest.raises(psycopg.OperationalError) as failed:
            psycopg.connect(host=pair.source.address, port=5432, user='os_canary',
                            password=account.password, dbname='postgres', sslmode='disable',
                            connect_timeout=5)
        # No role any more (and, where the manager admits the canary by its sources, no
        # admission either).
        assert any(reason in str(failed.value) for reason in (
            'password authentication failed', 'pg_hba.conf rejects')), failed.value
    if pair.engine.manager == 'redis':
        assert redis_tenant(pair.source).exists('os:canary') == 0
    if pair.engine.manager == 'mariadb':
        # Dropped by the source, in its binlog: gone from every replica in its turn.
        for replica in [pair.replica] + pair.others:
            until(lambda: 'os_canary' not in mariadb_schemas(replica),
                  'the canary database to go from %s' % replica.address)
    # Removing again is no error; setting it again works at once.
    assert 'result' in endpoint(pair.source, str(tmp_path)).replication_canary_account(
        {}, None, None)
    for manager in pair.members:
        endpoint(manager, str(tmp_path)).replication_canary_account(
            {}, account.password, SERVICE)
    # (after its refusals, the writer connects again once its backoff, 250 ms at most, ran)
    until(lambda: on_source.write(23), 'the canary write once set again', timeout=5)
    until(lambda: on_replica.read_seq() == 23, 'the seq on the replica again')


def test_a_removal_by_an_earlier_run_leaves_a_later_runs_account(pair, account, tmp_path):
    """Two overlapping switchovers: the first run's end must not take the second's
    account away while the second still writes."""
    later = base.generate_password()
    for manager in pair.members:
        endpoint(manager, str(tmp_path)).replication_canary_account(
            {}, account.password, SERVICE, run='first')
    answers = [endpoint(manager, str(tmp_path)).replication_canary_account(
        {}, later, SERVICE, run='second')['result'] for manager in pair.members]
    if pair.engine.manager == 'redis':
        # A run's own key: none a tenant may have, none another run writes.
        assert {answer['target'] for answer in answers} == {'os:canary:second'}
    for manager in (pair.replica, pair.source):
        assert 'result' in endpoint(manager, str(tmp_path)).replication_canary_account(
            {}, None, None, run='first')
    writer = canary_writers.writer_for(pair.engine.manager, pair.source.address,
                                       pair.source.port, answers[0], later)
    assert writer.write(31) is True                     # the second run's account is there
    writer.close()
    for manager in (pair.replica, pair.source):
        endpoint(manager, str(tmp_path)).replication_canary_account(
            {}, None, None, run='second')
    assert writer.write(32) is False                    # removed by the run that set it
    writer.close()
    if pair.engine.manager == 'redis':
        assert redis_tenant(pair.source).exists('os:canary:second') == 0
    for manager in pair.members:                        # as the fixture found it
        endpoint(manager, str(tmp_path)).replication_canary_account(
            {}, account.password, SERVICE)
    assert later not in caplog_text(pair)


def caplog_text(pair):
    text = ''
    for manager in pair.members:
        with open(manager.log_path, errors='replace') as handle:
            text += handle.read()
    return text


def test_refused_writes_keep_their_connection(pair, account):
    """A replica's refusals (read-only) are answered on the connection the canary has: it
    does not open one per write while a switchover lasts."""
    writer = account.writer(pair.replica)
    writer.read_seq()                                   # connected
    before = connections_received(pair.replica)
    assert [writer.write(seq) for seq in range(100, 130)] == [False] * 30
    after = connections_received(pair.replica)
    if isinstance(before, int):
        assert after - before <= 1                      # the counting's own
    else:
        assert after == before and len(after) == 1      # the same backend all along


def connections_received(manager):
    """The engine's own count of the connections it accepted."""
    if manager.manager == 'mariadb':
        with manager._cursor('Counting connections') as cursor:
            cursor.execute("SHOW GLOBAL STATUS LIKE 'Connections'")
            return int(cursor.fetchone()[1])
    if manager.manager == 'redis':
        with manager._admin('Counting connections') as client:
            return int(client.info('stats')['total_connections_received'])
    with manager._connection('Counting connections') as conn:
        # PostgreSQL keeps no count: the canary's backends (their pids) tell it.
        return frozenset(row[0] for row in conn.execute(
            'SELECT pid FROM pg_stat_activity WHERE usename = %s', ('os_canary',)))


def test_every_replica_keeps_replicating(pair, account):
    # The canary's rows reach replicas the account was never set on without stopping them
    # (MariaDB: the table came through the binlog), and every replica stays healthy.
    writer = account.writer(pair.source)
    assert writer.write(31) is True
    for replica in [pair.replica] + pair.others:
        until(lambda: strategy(replica).status()['healthy'] is True,
              'the replica %s to be healthy' % replica.address)
    if pair.others:
        mariadb_target = 'SELECT seq FROM os_canary.beat WHERE id = 1'
        for other in pair.others:
            until(lambda: admin_value(other, mariadb_target) == 31,
                  'the seq on the replica without the account')


def mariadb_schemas(manager):
    with manager._cursor('test') as cursor:
        cursor.execute('SHOW DATABASES')
        return {row[0] for row in cursor.fetchall()}


def admin_value(manager, query):
    with manager._cursor('test') as cursor:
        cursor.execute(query)
        row = cursor.fetchone()
    return row[0] if row else None


def test_bad_arguments_are_refused_naming_no_password(pair, tmp_path):
    guest = endpoint(pair.source, str(tmp_path))
    for password, sources in (('with space', SERVICE), ('', SERVICE), (12, SERVICE),
                              (base.generate_password(), 'not-a-list'),
                              (base.generate_password(), ['nowhere'])):
        answer = guest.replication_canary_account({}, password, sources)
        assert answer['error']['code'] == 400
        if isinstance(password, str) and password:
            assert password not in answer['error']['message']


@pytest.mark.parametrize('pair', engine_params('mariadb'), indirect=True)
def test_only_the_canary_itself_passes_the_canarys_admission(pair, account):
    """MariaDB's access rule admits the canary by its exact account name: a tenant-made
    account whose name starts like it ('os_canary@…') or differs by case is a tenant's."""
    source = pair.source
    with pytest.raises(errors.BadRequest):
        source.create_users([{'name': 'OS_CANARY', 'password': 'x' * 12}])
    secret = base.generate_password()
    lookalikes = ['os_canary@127.0.0.1', 'OS_CANARY']
    with source._cursor('Making look-alike accounts') as cursor:
        for name in lookalikes:
            cursor.execute('CREATE USER %s@%s IDENTIFIED BY %s', (name, '%', secret))
    previous = source.access_sources
    source.apply_access(['10.0.0.0/8'])           # tenants: not this test's address
    try:
        assert account.writer(source).write(51) is True
        for name in lookalikes:
            with pytest.raises(pymysql.err.OperationalError):
                pymysql.connect(host=source.address, port=3306, user=name, password=secret,
                                connect_timeout=5).cursor().execute('SELECT 1')
    finally:
        source.apply_access(previous if previous is not None else ['127.0.0.0/8'])
        with source._cursor('Dropping look-alike accounts') as cursor:
            for name in lookalikes:
                cursor.execute('DROP USER IF EXISTS %s@%s', (name, '%'))
