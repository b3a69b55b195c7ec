"""Configuration groups on the guest, against real MariaDB, PostgreSQL (15 and 18) and Redis.

Each test prepares a real engine with test_engines.py's managers and reads every value back
from the engine itself, over its socket with its own client (PyMySQL, psycopg, redis-py), not
through the agent. What is checked: a dynamic value is taken live by the same process, a
static one waits for a restart, detaching puts the engine's own values back, a group's memory
value beats the flavor's default, a value the engine refuses changes nothing, and a value the
engine cannot start with is rolled back by the restart, which says so in the engine's words.
"""
import dataclasses
import os
import types

import psycopg
import pymysql
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from api_service.guestagent import errors
from api_service.guestagent import service as guest_service
from api_service.guestagent.datastore import base, mariadb, postgresql
from api_service.guestagent.datastore import redis as redis_manager
from tests.functional.test_engines import (ENGINES, engine_params,  # noqa: F401 (fixtures)
                                           make_manager, read_rows, sql_connect,
                                           template_root, tenant_redis, workdir, write_row)

ALL = engine_params('mariadb', 'postgresql15', 'postgresql18', 'redis')


@dataclasses.dataclass(frozen=True)
class Case:
    """What each engine is tried with: (name, value, the engine's text for it)."""
    dynamic: tuple
    static: tuple
    memory: tuple            # (name, value, bytes the engine reports)
    previous: dict           # a group the engine runs with before `refused` is tried
    refused: dict            # a whole set, with one value the engine refuses ...
    refused_name: str        # ... this one's
    refused_reason: str
    unstartable: tuple       # (name, value, words of the engine's reason)


CASES = {
    'mariadb': Case(
        dynamic=('max_connections', 150, '150'),
        static=('innodb_log_buffer_size', 32 * base.MIB, str(32 * base.MIB)),
        memory=('innodb_buffer_pool_size', 256 * base.MIB, 256 * base.MIB),
        previous={'max_connections': 120},
        refused={'max_connections': 150, 'sql_mode': 'NOT_A_MODE'},
        refused_name='sql_mode',
        refused_reason="can't be set to the value of 'NOT_A_MODE'",
        unstartable=('innodb_flush_method', 'bogus',
                     "Error while setting value 'bogus' to 'innodb-flush-method'")),
    'postgresql': Case(
        dynamic=('work_mem', 8192, '8MB'),
        static=('max_connections', 120, '120'),
        memory=('shared_buffers', 6144, 48 * base.MIB),          # 8 kB pages
        previous={'work_mem': 6144},
        refused={'synchronous_commit': 'bogus', 'work_mem': 8192},
        refused_name='synchronous_commit',
        refused_reason='invalid value for parameter "synchronous_commit": "bogus"',
        unstartable=('shared_buffers', 1073741823, 'shared memory')),
    'redis': Case(
        dynamic=('maxmemory-policy', 'allkeys-lru', 'allkeys-lru'),
        static=('databases', 32, '32'),
        memory=('maxmemory', 100 * base.MIB, 100 * base.MIB),
        previous={'hz': 15},
        refused={'hz': 20, 'maxmemory-policy': 'bogus'},
        refused_name='maxmemory-policy',
        refused_reason='must be one of the following',
        unstartable=('databases', 0, "argument must be between 1 and 2147483647 inclusive")),
}


def case_of(manager):
    return CASES[manager.manager]


# ---------------------------------------------------------------- the engine, read directly

def engine_value(manager, name):
    """The running engine's value of `name` as text, read with the engine's own client."""
    if manager.manager == 'mariadb':
        conn = pymysql.connect(unix_socket=manager.socket_path, user=manager.admin_user,
                               password=manager.admin_password, connect_timeout=5)
        try:
            with conn.cursor() as cursor:
                cursor.execute('SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES '
                               'WHERE VARIABLE_NAME = %s', (name.upper(),))
                return cursor.fetchone()[0]
        finally:
            conn.close()
    if manager.manager == 'postgresql':
        with psycopg.connect(host=manager.socket_dir, port=manager.port, dbname='postgres',
                             user=manager.admin_user, password=manager.admin_password,
                             connect_timeout=5, sslmode='disable') as conn:
            return conn.execute('SELECT current_setting(%s)', (name,)).fetchone()[0]
    client = redis.Redis(unix_socket_path=manager.socket_path, username=manager.admin_user,
                         password=manager.admin_password, socket_timeout=5,
                         decode_responses=True, retry=Retry(NoBackoff(), 0))
    try:
        return client.config_get(name)[name]
    finally:
        client.close()


def memory_bytes(manager, name):
    if manager.manager == 'postgresql':
        with psycopg.connect(host=manager.socket_dir, port=manager.port, dbname='postgres',
                             user=manager.admin_user, password=manager.admin_password,
                             sslmode='disable') as conn:
            return int(conn.execute('SELECT pg_size_bytes(current_setting(%s))',
                                    (name,)).fetchone()[0])
    return int(engine_value(manager, name))


def prepare_with_data(manager):
    """Prepare, then write one row (SQL) or key (Redis) as the tenant; returns a reader."""
    if manager.manager == 'redis':
        manager.prepare()
        tenant_redis(manager).set('fruit', 'apple')
        return lambda: tenant_redis(manager).get('fruit')
    password = base.generate_password()
    manager.prepare(databases=[{'name': 'shop'}], users=[
        {'name': 'alice', 'password': password, 'databases': [{'name': 'shop'}]}])
    conn = sql_connect(manager, 'alice', password, 'shop')
    write_row(conn, 1, 'apple')
    conn.close()

    def rows():
        conn = sql_connect(manager, 'alice', password, 'shop')
        try:
            return read_rows(conn)
        finally:
            conn.close()
    return rows


class _Reporter:
    def __init__(self):
        self.done, self.beats, self.steps, self.rollbacks = [], [], [], []

    def step(self, operation, step, outcome, message=''):
        self.steps.append((operation, step, outcome, message))

    def operation_done(self, operation, ok, *args):
        self.done.append((operation, ok))

    def heartbeat(self, status, *args, last_rollback=None, metrics=None):
        self.beats.append(status)
        self.rollbacks.append(last_rollback)


def endpoint_for(manager):
    return guest_service.GuestEndpoint(manager, _Reporter(), types.SimpleNamespace(
        run_dir=manager.run_dir, restart_failed_engines=True))


# -------------------------------------------------------------------------- tests

@pytest.mark.parametrize('engine', ALL)
def test_dynamic_live_static_at_restart_and_detach_restores(engine, make_manager):
    manager = make_manager(engine)
    prepare_with_data(manager)
    case = case_of(manager)
    dynamic, static = case.dynamic, case.static
    own = {name: engine_value(manager, name) for name in (dynamic[0], static[0])}
    pid = manager.pid()

    answer = manager.update_overrides({dynamic[0]: dynamic[1], static[0]: static[1]})
    assert answer == {'pending_restart': [static[0]]}
    assert engine_value(manager, dynamic[0]) == dynamic[2]       # live ...
    assert manager.pid() == pid                                   # ... in the same process
    assert engine_value(manager, static[0]) == own[static[0]]     # not yet
    assert manager.get_configuration([dynamic[0], static[0], 'no_such_name']) == {
        dynamic[0]: dynamic[2], static[0]: own[static[0]]}

    manager.restart()
    assert engine_value(manager, static[0]) == static[2]
    assert engine_value(manager, dynamic[0]) == dynamic[2]
    assert manager.applied_overrides == manager.overrides
    # Nothing waits any more: the same set again changes nothing.
    assert manager.update_overrides(manager.overrides) == {'pending_restart': []}

    # Detach: the dynamic value goes back at once, the static one at the next start.
    pid = manager.pid()
    assert manager.update_overrides({}) == {'pending_restart': [static[0]]}
    assert engine_value(manager, dynamic[0]) == own[dynamic[0]]
    assert manager.pid() == pid
    assert engine_value(manager, static[0]) == static[2]
    manager.restart()
    assert {name: engine_value(manager, name) for name in own} == own
    assert manager.overrides == manager.applied_overrides == {}
    with open(manager.overrides_path) as handle:     # the include stays, empty
        assert handle.read().strip() in ('', '[mariadbd]')


@pytest.mark.parametrize('engine', ALL)
def test_the_groups_memory_value_beats_the_flavor_default(engine, make_manager):
    manager = make_manager(engine, memory_mb=128)
    name, value, expected = case_of(manager).memory
    default = manager.memory_setting_bytes(128)
    assert default != expected
    os.makedirs(manager.run_dir, exist_ok=True)
    endpoint = endpoint_for(manager)
    # As the service's prepare sends it: written before the first start.
    endpoint._prepare([], [], overrides={name: value})
    assert endpoint.reporter.done == [('create', True)]
    assert memory_bytes(manager, name) == expected
    assert manager.applied_overrides == {name: value}
    # The base config keeps the flavor's default; the include is read after it.
    with open(manager._config_path()) as handle:
        text = handle.read()
    assert str(default) in text or '%dMB' % (default // base.MIB) in text
    # Resizing the flavor changes the default, not the group's value.
    answer = endpoint.resize_memory(None, 256)
    assert answer == {'memory_bytes': expected}
    # Detached, the flavor's default is back.
    manager.update_overrides({})
    manager.restart()
    assert memory_bytes(manager, name) == manager.memory_setting_bytes(256)


@pytest.mark.parametrize('engine', ALL)
def test_a_value_the_engine_refuses_changes_nothing(engine, make_manager):
    manager = make_manager(engine)
    prepare_with_data(manager)
    case = case_of(manager)
    names = sorted(case.refused)
    refused_name, previous = case.refused_name, case.previous
    manager.update_overrides(previous)
    before = {name: engine_value(manager, name) for name in names}
    with open(manager.overrides_path) as handle:
        include = handle.read()
    pid = manager.pid()

    with pytest.raises(errors.BadRequest) as raised:
        manager.update_overrides(case.refused)
    message = raised.value.message
    assert "'%s'" % refused_name in message and case.refused_reason in message, message
    assert 'Traceback' not in message and 'SET GLOBAL' not in message
    # Nothing changed: the engine's values, the include, the state, the process.
    assert {name: engine_value(manager, name) for name in names} == before
    with open(manager.overrides_path) as handle:
        assert handle.read() == include
    assert manager.overrides == manager.applied_overrides == previous
    assert manager.pid() == pid
    # Over RPC it is a 400 that names the parameter, without the engine's details.
    answer = endpoint_for(manager).guest_call(None, 'update_overrides',
                                              {'values': case.refused})
    assert answer['error']['code'] == 400 and refused_name in answer['error']['message']


@pytest.mark.parametrize('engine', ALL)
def test_a_value_the_engine_cannot_start_with_is_rolled_back(engine, make_manager):
    manager = make_manager(engine)
    rows = prepare_with_data(manager)
    before = rows()
    case = case_of(manager)
    name, value, reason = case.unstartable
    keep = {case.dynamic[0]: case.dynamic[1]}
    manager.update_overrides(keep)

    answer = manager.update_overrides(dict(keep, **{name: value}))
    assert answer == {'pending_restart': [name]}
    endpoint = endpoint_for(manager)
    answer = endpoint.restart(None)
    assert answer['status'] == 'HEALTHY'
    assert answer['rolled_back']['parameters'] == [name]
    assert reason in answer['rolled_back']['reason'], answer
    # Up with the values it ran with before, the data intact.
    assert manager.is_running()
    assert engine_value(manager, case.dynamic[0]) == case.dynamic[2]
    assert manager.overrides == manager.applied_overrides == keep
    assert rows() == before
    # The heartbeat sees it healthy; a restart now is an ordinary one.
    endpoint._heartbeat()
    assert endpoint.reporter.beats[-1] == 'HEALTHY'
    assert endpoint.restart(None) == {'status': 'HEALTHY'}


@pytest.mark.parametrize('engine', ALL)
def test_resume_and_resize_roll_back_too(engine, make_manager):
    manager = make_manager(engine)
    rows = prepare_with_data(manager)
    before = rows()
    name, value, reason = case_of(manager).unstartable
    endpoint = endpoint_for(manager)

    # A host restart: the agent resumes with a value the engine cannot start with.
    manager.update_overrides({name: value})
    manager.stop()
    endpoint.resume()
    assert manager.is_running() and rows() == before
    assert manager.overrides == manager.applied_overrides == {}
    # No call answered with it: the next heartbeat tells the service, once.
    endpoint.prepared.set()
    endpoint._heartbeat()
    assert endpoint.reporter.rollbacks[-1]['parameters'] == [name]
    assert reason in endpoint.reporter.rollbacks[-1]['reason']
    endpoint._heartbeat()
    assert endpoint.reporter.rollbacks[-1] is None

    # A flavor resize restarts as well.
    manager.update_overrides({name: value})
    answer = endpoint.resize_memory(None, 192)
    assert answer['rolled_back']['parameters'] == [name]
    assert reason in answer['rolled_back']['reason']
    assert answer['memory_bytes'] == manager.memory_setting_bytes(192)
    assert rows() == before


def test_redis_save_and_values_without_a_base_setting(make_manager):
    """'save' lines add up in Redis: the group's replaces the base file's, live and at start.
    A value the base file lacks goes back to the engine's own when removed."""
    manager = make_manager(ENGINES['redis'])
    manager.prepare()
    own_save, own_timeout = engine_value(manager, 'save'), engine_value(manager, 'timeout')
    assert manager.update_overrides({'save': '60 5', 'timeout': 300,
                                     'appendonly': False}) == {'pending_restart': []}
    assert engine_value(manager, 'save') == '60 5'
    assert engine_value(manager, 'appendonly') == 'no'
    manager.restart()
    assert engine_value(manager, 'save') == '60 5'
    assert engine_value(manager, 'timeout') == '300'
    assert manager.update_overrides({}) == {'pending_restart': []}
    assert engine_value(manager, 'save') == own_save
    assert engine_value(manager, 'timeout') == own_timeout
    assert engine_value(manager, 'appendonly') == 'yes'


@pytest.mark.parametrize('engine', ALL)
def test_names_the_agent_controls_and_unsafe_values_are_refused(engine, make_manager):
    manager = make_manager(engine)
    controlled = {'mariadb': 'bind-address', 'postgresql': 'data_directory',
                  'redis': 'requirepass'}[manager.manager]
    with pytest.raises(errors.BadRequest) as raised:
        manager.update_overrides({controlled: 'x'})
    assert controlled in raised.value.message
    with pytest.raises(errors.BadRequest) as raised:
        manager.update_overrides({case_of(manager).dynamic[0]: 'a\ninclude /etc/passwd'})
    assert 'control characters' in raised.value.message
    for bad in ({'Bad Name': 1}, {'x': None}, {'x': float('nan')}, ['x']):
        with pytest.raises(errors.BadRequest):
            manager.update_overrides(bad)
    assert manager.overrides == {}


def test_values_are_written_in_each_engines_syntax():
    assert mariadb.render_value(True) == 'ON' and mariadb.render_value(False) == 'OFF'
    assert mariadb.render_value('STRICT_TRANS_TABLES,NO_ZERO_DATE') == \
        'STRICT_TRANS_TABLES,NO_ZERO_DATE'
    assert mariadb.render_value('a #b "c"') == '"a #b \\"c\\""'
    assert postgresql.render_value(True) == 'on' and postgresql.render_value(0.5) == '0.5'
    assert postgresql.render_value("it's") == "'it''s'"
    assert redis_manager.render_value(True) == 'yes'
    assert redis_manager.render_value('900 1 300 10') == '"900 1 300 10"'


@pytest.mark.parametrize('engine', engine_params('mariadb'))
def test_mariadb_reads_quoted_and_boolean_values(engine, make_manager):
    manager = make_manager(engine)
    manager.prepare()
    modes = 'STRICT_TRANS_TABLES,NO_ZERO_DATE'
    manager.update_overrides({'sql_mode': modes, 'slow_query_log': True,
                              'long_query_time': 2.5})
    assert engine_value(manager, 'slow_query_log') == 'ON'
    manager.restart()          # the same values read from the include
    assert engine_value(manager, 'sql_mode') == modes
    assert engine_value(manager, 'slow_query_log') == 'ON'
    assert float(engine_value(manager, 'long_query_time')) == 2.5
    # A removed value goes back to my.cnf's (100), not to MariaDB's default (151).
    manager.update_overrides({'max_connections': 42})
    manager.update_overrides({})
    assert engine_value(manager, 'max_connections') == '100'
    assert engine_value(manager, 'slow_query_log') == 'OFF'


@pytest.mark.parametrize('engine', engine_params('mariadb', 'redis'))
def test_prepare_with_values_the_engine_cannot_start_with(engine, make_manager):
    """The instance is created, running without them, and the create says so."""
    manager = make_manager(engine)
    os.makedirs(manager.run_dir, exist_ok=True)
    endpoint = endpoint_for(manager)
    name, value, reason = case_of(manager).unstartable
    dynamic = case_of(manager).dynamic
    endpoint._prepare([], [], overrides={name: value, dynamic[0]: dynamic[1]})
    assert endpoint.reporter.done == [('create', True)]
    failed = [step for step in endpoint.reporter.steps if step[2] == 'FAILED']
    assert len(failed) == 1 and name in failed[0][3] and reason in failed[0][3], failed
    assert manager.is_running()
    assert manager.overrides == manager.applied_overrides == {}


def test_mariadb_takes_only_exact_variable_names(make_manager, monkeypatch):
    """MariaDB's option parser also takes '-' forms, modifiers (loose_, skip_, ...) and unique
    abbreviations ('bind_addr' is bind_address): none may dodge the names the agent controls."""
    manager = make_manager(ENGINES['mariadb'])
    manager.prepare()
    refusals = {'bind-address': "with '_' ('bind_address')",
                'max-connections': "with '_' ('max_connections')",
                'loose_bind_address': "'loose_' is an option-file modifier",
                'skip_show_database': "'skip_' is an option-file modifier",
                'enable_named_pipe': "'enable_' is an option-file modifier",
                'disable_log_bin': "'disable_' is an option-file modifier",
                'maximum_max_connections': "'maximum_' is an option-file modifier",
                'bind_addr': "MariaDB has no parameter 'bind_addr'",
                'no_such_variable': "MariaDB has no parameter 'no_such_variable'"}
    for name, words in refusals.items():
        with pytest.raises(errors.BadRequest) as raised:
            manager.update_overrides({'max_connections': 90, name: 1})
        assert words in raised.value.message, (name, raised.value.message)
    assert manager.overrides == {} and engine_value(manager, 'max_connections') == '100'
    # Stopped (as at create, before the first start), the binary's option list decides.
    manager.stop()
    for name in ('bind_addr', 'no_such_variable', 'skip_grant_tables'):
        with pytest.raises(errors.BadRequest):
            manager.update_overrides({name: 1})
    assert manager.update_overrides({'max_connections': 90}) == {
        'pending_restart': ['max_connections']}
    manager.start()
    assert engine_value(manager, 'max_connections') == '90'
    # And the engine itself takes full names only, whatever reaches its option file.
    render = manager._render_overrides
    monkeypatch.setattr(manager, '_render_overrides',
                        lambda values: render(values) + 'bind_addr = 127.0.0.2\n')
    manager.stop()
    with pytest.raises(errors.EngineExited):
        manager._start_once(10)
    assert "unknown variable 'bind_addr=127.0.0.2'" in manager._log_tail()


@pytest.mark.parametrize('engine', ALL)
def test_a_start_that_only_takes_long_keeps_the_new_values(engine, make_manager,
                                                           monkeypatch):
    """Crash recovery, WAL replay or a large AOF can outlast the start's wait: the engine is
    left to finish with the group's values, not killed and started without them."""
    manager = make_manager(engine)
    prepare_with_data(manager)
    name, value, expected = case_of(manager).static
    assert manager.update_overrides({name: value}) == {'pending_restart': [name]}
    real_wait = base.wait_for
    timed_out = []

    def slow_once(condition, timeout, what, *args, **kwargs):
        if what.endswith(' to start') and not timed_out:
            timed_out.append(what)
            raise errors.EngineTimeout('Timed out after %s s waiting for %s.' % (timeout, what))
        return real_wait(condition, timeout, what, *args, **kwargs)

    monkeypatch.setattr(base, 'wait_for', slow_once)
    with pytest.raises(errors.EngineTimeout):
        endpoint_for(manager).restart(None)
    assert timed_out and manager.pid() is not None         # still starting, not killed
    assert manager.overrides == {name: value} and manager.last_rollback is None
    with open(manager.overrides_path) as handle:
        assert name in handle.read()
    # Once it answers, it runs with the group's values, and the agent knows it did.
    assert manager.start() is None
    assert engine_value(manager, name) == expected
    assert manager.applied_overrides == manager.overrides == {name: value}


@pytest.mark.parametrize('engine', engine_params('mariadb', 'redis'))
def test_a_fallback_that_fails_too_keeps_the_groups_values(engine, make_manager,
                                                           monkeypatch):
    manager = make_manager(engine)
    manager.prepare()
    name, value, _ = case_of(manager).unstartable
    manager.update_overrides({name: value})
    real_start_once = manager._start_once
    calls = []

    def second_fails(timeout):
        calls.append(timeout)
        if len(calls) == 1:
            return real_start_once(timeout)
        raise errors.EngineError('The previous values do not start either.')

    monkeypatch.setattr(manager, '_start_once', second_fails)
    with pytest.raises(errors.EngineExited):        # the first start's error
        manager.restart()
    assert len(calls) == 2
    assert manager.overrides == {name: value} and manager.applied_overrides == {}
    with open(manager.overrides_path) as handle:
        assert name in handle.read()


def test_heartbeat_reports_the_fallback_of_its_own_restart(make_manager):
    manager = make_manager(ENGINES['redis'])
    manager.prepare()
    name, value, reason = case_of(manager).unstartable
    manager.update_overrides({name: value})
    endpoint = endpoint_for(manager)
    endpoint.prepared.set()
    os.kill(manager.pid(), 9)
    base.wait_for(lambda: manager.pid() is None, 10, 'the engine to die')
    endpoint._heartbeat()               # found dead: reported, restarted next time
    assert endpoint.reporter.beats[-1] == 'SHUTDOWN'
    endpoint._heartbeat()
    assert endpoint.reporter.beats[-1] == 'HEALTHY'
    assert endpoint.reporter.rollbacks[-1]['parameters'] == [name]
    assert reason in endpoint.reporter.rollbacks[-1]['reason']
    assert manager.overrides == manager.applied_overrides == {}


SESSION_LIMITS = {
    'mariadb': {'wait_timeout': 1, 'lock_wait_timeout': 1, 'innodb_lock_wait_timeout': 1,
                'max_statement_time': 0.001},
    'postgresql': {'statement_timeout': 1, 'lock_timeout': 1, 'idle_session_timeout': 1,
                   'idle_in_transaction_session_timeout': 1},
}


def groups_file_value(manager, name):
    """PostgreSQL: the value the server took from its files (a session's own may differ)."""
    with psycopg.connect(host=manager.socket_dir, port=manager.port, dbname='postgres',
                         user=manager.admin_user, password=manager.admin_password,
                         sslmode='disable', options=postgresql.ADMIN_SESSION_OPTIONS) as conn:
        return conn.execute('SELECT setting FROM pg_file_settings WHERE name = %s AND applied',
                            (name,)).fetchone()[0]


@pytest.mark.parametrize('engine', engine_params('mariadb', 'postgresql15', 'postgresql18'))
def test_a_groups_session_limits_leave_the_agents_sessions_alone(engine, make_manager):
    """Tiny timeouts are the tenants' (statement_timeout=1 ms, wait_timeout=1 s): the agent
    still creates databases and users."""
    manager = make_manager(engine)
    manager.prepare()
    limits = SESSION_LIMITS[manager.manager]
    assert manager.update_overrides(limits) == {'pending_restart': []}
    for name in limits:
        found = (groups_file_value(manager, name) if manager.manager == 'postgresql'
                 else engine_value(manager, name))
        assert float(found) == limits[name], name
    password = base.generate_password()
    manager.create_databases([{'name': 'limited'}])
    manager.create_users([{'name': 'bob', 'password': password,
                           'databases': [{'name': 'limited'}]}])
    assert [db['name'] for db in manager.list_access('bob', None)] == ['limited']
    sql_connect(manager, 'bob', password, 'limited').close()


@pytest.mark.parametrize('engine', engine_params('postgresql15'))
def test_postgresql_files_and_libraries_are_the_agents(engine, make_manager):
    manager = make_manager(engine)
    for name in ('include_dir', 'include', 'include_if_exists', 'archive_cleanup_command',
                 'recovery_end_command', 'restore_command', 'ssl_passphrase_command',
                 'jit_provider', 'dynamic_library_path', 'shared_preload_libraries',
                 'local_preload_libraries', 'session_preload_libraries', 'ssl_cert_file',
                 'ssl_key_file', 'ssl_ca_file', 'ssl_crl_file', 'ssl_crl_dir',
                 'ssl_dh_params_file'):
        with pytest.raises(errors.BadRequest) as raised:
            manager.update_overrides({name: 'x'})
        assert raised.value.message == ("The parameter '%s' is set by the guest agent and "
                                        'cannot be configured.' % name)


@pytest.mark.parametrize('engine', engine_params('postgresql15', 'postgresql18'))
def test_postgresql_refuses_a_bad_restart_only_value_at_once(engine, make_manager):
    """`postgres -C` reads the files as a start would: a value the next start would refuse
    is refused now, and nothing is reloaded."""
    manager = make_manager(engine)
    manager.prepare()
    manager.update_overrides({'work_mem': 6144})
    with pytest.raises(errors.BadRequest) as raised:
        manager.update_overrides({'work_mem': 8192, 'max_connections': 'lots'})
    assert raised.value.message == ("PostgreSQL refused the value of 'max_connections': invalid "
                                    'value for parameter "max_connections": "lots".')
    assert engine_value(manager, 'work_mem') == '6MB'
    with pytest.raises(errors.BadRequest) as raised:
        manager.update_overrides({'no_such_parameter': 1})
    assert raised.value.message == ("PostgreSQL refused the value of 'no_such_parameter': "
                                    'unrecognized configuration parameter "no_such_parameter".')
    assert manager.overrides == {'work_mem': 6144}
