"""The guest agent's engine managers against real MariaDB, PostgreSQL (15 and 18) and Redis.

No mocks: every test prepares a real engine on its own loopback address
(127.77.<engine>.<n>, standard ports), checks what a tenant sees by connecting
to that address with the engine's own client, and destroys the engine in
teardown. Waits poll a condition with a deadline; nothing sleeps a fixed time.
Run as root, the engines run as their system users (mysql, postgres, redis);
some MariaDB and Redis tests run them as root instead, to cover both.
"""
import dataclasses
import itertools
import logging
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import psycopg
import pymysql
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from api_service.drivers.compute import local_engines
from api_service.guestagent import errors
from api_service.guestagent.datastore import base, get_manager_class

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IS_ROOT = os.geteuid() == 0


def _pg18_bin():
    """PyPI's build in the venv or, as root when the venv lies in a private directory (root's
    home), the copy the postgres user can reach, as the launcher uses it."""
    return local_engines.reachable_pypi_postgresql_bindir()


@dataclasses.dataclass(frozen=True)
class Engine:
    key: str
    manager: str
    path: str
    system_user: str
    net: int

    @property
    def sql(self):
        return self.manager != 'redis'

    @property
    def run_as(self):
        """The engine's system user when the tests run as root, else the current user."""
        return self.system_user if IS_ROOT else None

    def available(self):
        binary = {'mariadb': 'mariadbd', 'postgresql': 'postgres', 'redis': 'redis-server'}
        return bool(self.path) and os.access(os.path.join(self.path, binary[self.manager]),
                                             os.X_OK)


ENGINES = {engine.key: engine for engine in (
    Engine('mariadb', 'mariadb', '/usr/sbin', 'mysql', 1),
    Engine('postgresql15', 'postgresql', '/usr/lib/postgresql/15/bin', 'postgres', 2),
    Engine('postgresql18', 'postgresql', _pg18_bin(), 'postgres', 3),
    Engine('redis', 'redis', '/usr/bin', 'redis', 4),
)}


def engine_params(*keys):
    # No skip for a missing engine: `make test` installs every one, so a missing binary is a
    # broken install, and the test that needs it fails (in the engine fixture) saying which.
    keys = keys or tuple(ENGINES)
    return [pytest.param(ENGINES[key], id=key) for key in keys]


def require_installed(engine):
    """Fail, naming the missing binary, when the install did not provide the engine."""
    if not engine.available():
        pytest.fail('%s is not installed at %r: `make test` installs every engine '
                    '(scripts/install.sh).' % (engine.key, engine.path))


SQL_ENGINES = engine_params('mariadb', 'postgresql15', 'postgresql18')
ALL_ENGINES = engine_params()
_addresses = itertools.count(1)


# ----------------------------------------------------------------- fixtures

def _shared_tmp(prefix):
    # pytest's tmp_path is private to root (0700); the engines' users must get in.
    path = tempfile.mkdtemp(prefix=prefix, dir='/tmp')
    os.chmod(path, 0o755)
    return path


@pytest.fixture(scope='session')
def template_root():
    path = _shared_tmp('eng-tpl-')
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def workdir():
    path = _shared_tmp('eng-')
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def make_manager(workdir, template_root):
    """A factory of managers, each on a fresh address and directories; all destroyed afterwards."""
    made = []

    def factory(engine, *, run_as='default', memory_mb=128, template_dir='shared', **kwargs):
        require_installed(engine)
        n = next(_addresses)
        home = os.path.join(workdir, '%s-%d' % (engine.key, n))
        manager = get_manager_class(engine.manager)(
            data_dir=os.path.join(home, 'volume'), run_dir=os.path.join(home, 'run'),
            address='127.77.%d.%d' % (engine.net, n), engine_path=engine.path,
            memory_mb=memory_mb, run_as=engine.run_as if run_as == 'default' else run_as,
            template_dir=template_root if template_dir == 'shared' else template_dir,
            admin_password=kwargs.pop('admin_password', base.generate_password()), **kwargs)
        made.append(manager)
        return manager

    yield factory
    for manager in made:
        manager.destroy()
        assert manager.pid() is None


# ------------------------------------------------------------------ clients

def sql_connect(manager, user, password, database):
    """A tenant's connection over TCP to the instance's own address."""
    if manager.manager == 'mariadb':
        return pymysql.connect(host=manager.address, port=3306, user=user, password=password,
                               database=database, connect_timeout=5, autocommit=True)
    return psycopg.connect(host=manager.address, port=5432, user=user, password=password,
                           dbname=database, connect_timeout=5, autocommit=True,
                           sslmode='disable')


def refused(manager, user, password, database):
    """True when the engine answers but refuses this login (not when it is unreachable)."""
    try:
        sql_connect(manager, user, password, database).close()
    except pymysql.err.OperationalError as exc:
        assert exc.args[0] in (1044, 1045), exc
        return True
    except psycopg.OperationalError as exc:
        text = str(exc)
        assert any(reason in text for reason in (
            'password authentication failed', 'permission denied', 'CONNECT privilege',
            'pg_hba.conf rejects')), text
        return True
    return False


def write_row(conn, row_id, label):
    with conn.cursor() as cursor:
        cursor.execute('CREATE TABLE IF NOT EXISTS items (id INT PRIMARY KEY, label VARCHAR(40))')
        cursor.execute('INSERT INTO items (id, label) VALUES (%s, %s)', (row_id, label))


def read_rows(conn):
    with conn.cursor() as cursor:
        cursor.execute('SELECT id, label FROM items ORDER BY id')
        return [tuple(row) for row in cursor.fetchall()]


def tenant_redis(manager, password=None):
    return redis.Redis(host=manager.address, port=6379, password=password, socket_timeout=5,
                       decode_responses=True, retry=Retry(NoBackoff(), 0))


def prepare_with_tenant(manager):
    """Prepare with one database and one user (SQL engines) and return the user's password."""
    if manager.manager == 'redis':
        manager.prepare()
        return None
    password = base.generate_password()
    manager.prepare(databases=[{'name': 'shop'}], users=[
        {'name': 'alice', 'password': password, 'databases': [{'name': 'shop'}]}])
    return password


def listening_addresses(pid):
    out = subprocess.run(['ss', '-ltnpH'], capture_output=True, text=True, check=True).stdout
    return sorted({line.split()[3] for line in out.splitlines() if 'pid=%d,' % pid in line})


def instance_processes(manager):
    """Any process still running the engine binary in the instance's directories."""
    binary = os.path.realpath(manager.binary)
    found = []
    for entry in filter(str.isdigit, os.listdir('/proc')):
        try:
            exe = os.readlink('/proc/%s/exe' % entry)
            cwd = os.readlink('/proc/%s/cwd' % entry)
        except OSError:
            continue
        if exe == binary and (cwd.startswith(manager.data_dir) or cwd.startswith(manager.run_dir)):
            if base.process_alive(int(entry)):
                found.append(int(entry))
    return found


def files_under(*tops):
    return [os.path.join(root, name) for top in tops for root, _, names in os.walk(top)
            for name in names]


# -------------------------------------------------------------------- tests

@pytest.mark.parametrize('engine', SQL_ENGINES)
def test_prepare_then_tenant_writes_and_reads_over_tcp(engine, make_manager):
    manager = make_manager(engine)
    password = prepare_with_tenant(manager)

    assert manager.is_running()
    conn = sql_connect(manager, 'alice', password, 'shop')
    write_row(conn, 1, 'apple')
    write_row(conn, 2, 'pear')
    assert read_rows(conn) == [(1, 'apple'), (2, 'pear')]
    conn.close()
    assert refused(manager, 'alice', 'wrong-password', 'shop')

    # The engine listens only on the instance's address, at the standard port.
    assert listening_addresses(manager.pid()) == ['%s:%d' % (manager.address, manager.port)]
    # It runs as the requested system user and owns its files.
    uid = pwd.getpwnam(engine.run_as).pw_uid if engine.run_as else os.geteuid()
    assert os.stat('/proc/%d' % manager.pid()).st_uid == uid
    assert os.stat(manager.engine_data_dir).st_uid == uid
    assert manager.data_size_bytes() > 1024 * 1024


@pytest.mark.parametrize('engine', SQL_ENGINES)
def test_databases_and_users(engine, make_manager):
    manager = make_manager(engine)
    alice_pw = prepare_with_tenant(manager)
    bob_pw = base.generate_password()
    maria = manager.manager == 'mariadb'

    # Databases: system ones are hidden, paging follows Trove's marker.
    manager.create_databases([{'name': 'archive'}, {'name': 'logs_2024'}])
    names = [db['name'] for db in manager.list_databases()[0]]
    assert names == ['archive', 'logs_2024', 'shop']
    page, marker = manager.list_databases(limit=2)
    assert [db['name'] for db in page] == ['archive', 'logs_2024'] and marker == 'logs_2024'
    page, marker = manager.list_databases(limit=2, marker=marker)
    assert [db['name'] for db in page] == ['shop'] and marker is None
    with pytest.raises(errors.Conflict):
        manager.create_databases([{'name': 'archive'}])
    for reserved in ('mysql', 'information_schema') if maria else ('postgres', 'template1'):
        with pytest.raises(errors.ReservedName):
            manager.create_databases([{'name': reserved}])
        with pytest.raises(errors.ReservedName):
            manager.delete_database(reserved)

    # Users: create, list, get; internal accounts stay hidden.
    manager.create_users([{'name': 'bob', 'password': bob_pw, 'databases': [{'name': 'archive'}]}])
    users = manager.list_users()[0]
    assert [(u['name'], [d['name'] for d in u['databases']]) for u in users] == [
        ('alice', ['shop']), ('bob', ['archive'])]
    assert manager.get_user('bob')['databases'] == [{'name': 'archive'}]
    page, marker = manager.list_users(limit=1)
    assert [u['name'] for u in page] == ['alice']
    assert marker == ('alice@%' if maria else 'alice')
    assert [u['name'] for u in manager.list_users(limit=1, marker=marker)[0]] == ['bob']
    with pytest.raises(errors.Conflict):
        manager.create_users([{'name': 'bob', 'password': 'x'}])
    with pytest.raises(errors.ReservedName):
        manager.delete_user('os_admin')
    with pytest.raises(errors.NotFound):
        manager.get_user('nobody')
    with pytest.raises(errors.NotFound):
        manager.create_users([{'name': 'carol', 'password': 'x', 'databases': [{'name': 'nope'}]}])

    # Access follows grants, seen by logging in.
    assert not refused(manager, 'bob', bob_pw, 'archive')
    assert refused(manager, 'alice', alice_pw, 'archive')
    manager.grant_access('alice', None, [{'name': 'archive'}])
    assert manager.list_access('alice', None) == [{'name': 'archive'}, {'name': 'shop'}]
    conn = sql_connect(manager, 'alice', alice_pw, 'archive')
    write_row(conn, 7, 'kept')
    conn.close()
    assert read_rows(sql_connect(manager, 'bob', bob_pw, 'archive')) == [(7, 'kept')]
    manager.revoke_access('alice', None, 'archive')
    assert manager.list_access('alice', None) == [{'name': 'shop'}]
    assert refused(manager, 'alice', alice_pw, 'archive')
    if maria:
        # '_' is a GRANT wildcard; a grant on logs_2024 must not reach logsX2024.
        manager.create_databases([{'name': 'logsX2024'}])
        manager.grant_access('bob', '%', [{'name': 'logs_2024'}])
        assert not refused(manager, 'bob', bob_pw, 'logs_2024')
        assert refused(manager, 'bob', bob_pw, 'logsX2024')

    # Password change and rename.
    new_pw = base.generate_password()
    manager.change_passwords([{'name': 'bob', 'password': new_pw}])
    assert refused(manager, 'bob', bob_pw, 'archive')
    assert not refused(manager, 'bob', new_pw, 'archive')
    manager.update_attributes('bob', None, new_name='robert')
    assert refused(manager, 'bob', new_pw, 'archive')
    assert not refused(manager, 'robert', new_pw, 'archive')
    if maria:
        manager.update_attributes('robert', '%', new_host='127.0.0.1')
        assert manager.get_user('robert', '127.0.0.1')['host'] == '127.0.0.1'
        assert not refused(manager, 'robert', new_pw, 'archive')
        with pytest.raises(errors.NotFound):
            manager.get_user('robert', '%')
        robert_host = '127.0.0.1'
    else:
        # Its users have no host: one given is refused in words, never ignored.
        with pytest.raises(errors.BadRequest, match='PostgreSQL users have no host'):
            manager.update_attributes('robert', None, new_host='127.0.0.1')
        with pytest.raises(errors.BadRequest, match='PostgreSQL users have no host'):
            manager.create_users([{'name': 'carol', 'password': 'pw', 'host': 'localhost'}])
        assert [u['name'] for u in manager.list_users()[0]] == ['alice', 'robert']
        robert_host = None

    # Deleting: the user can no longer log in; the database is gone.
    manager.delete_user('robert', robert_host)
    assert refused(manager, 'robert', new_pw, 'archive')
    assert [u['name'] for u in manager.list_users()[0]] == ['alice']
    manager.delete_database('archive')
    assert 'archive' not in [db['name'] for db in manager.list_databases()[0]]
    with pytest.raises(errors.NotFound):
        manager.delete_database('archive')
    assert manager.list_access('alice', None) == [{'name': 'shop'}]


@pytest.mark.parametrize('engine', engine_params('mariadb', 'postgresql15'))
def test_character_sets_and_collations(engine, make_manager):
    manager = make_manager(engine)
    manager.prepare()
    if manager.manager == 'mariadb':
        manager.create_databases([{'name': 'latin', 'character_set': 'latin1',
                                   'collate': 'latin1_swedish_ci'}])
        expected = ('latin1', 'latin1_swedish_ci')
        bad = {'name': 'bad', 'collate': 'no_such_collation'}
    else:
        manager.create_databases([{'name': 'latin', 'character_set': 'SQL_ASCII',
                                   'collate': 'C'}])
        expected = ('SQL_ASCII', 'C')
        bad = {'name': 'bad', 'collate': 'xx_NOPE.UTF-8'}
    db = manager.list_databases()[0][0]
    assert (db['character_set'], db['collate']) == expected
    with pytest.raises(errors.BadRequest):
        manager.create_databases([bad])


@pytest.mark.parametrize('engine', ALL_ENGINES)
def test_root_enable_and_disable(engine, make_manager):
    run_as = None if engine.manager == 'mariadb' else 'default'  # MariaDB as root here
    manager = make_manager(engine, run_as=run_as)
    prepare_with_tenant(manager)
    assert manager.is_root_enabled() is False

    root = manager.enable_root()
    # Named as upstream Trove's guest names it: Trove's tooling logs in as 'root'.
    assert root['name'] == {'mariadb': 'root', 'postgresql': 'root', 'redis': '-'}[
        engine.manager]
    assert len(root['password']) >= 20
    assert manager.is_root_enabled() is True
    if engine.sql:
        database = 'mysql' if engine.manager == 'mariadb' else 'postgres'
        conn = sql_connect(manager, 'root', root['password'], database)
        with conn.cursor() as cursor:
            if engine.manager == 'postgresql':
                cursor.execute('SELECT current_user, rolsuper FROM pg_roles '
                               'WHERE rolname = current_user')
                assert cursor.fetchone() == ('root', True)
            cursor.execute('CREATE DATABASE rootmade')
        conn.close()
        # A second enable resets the password.
        again = manager.enable_root('Chosen-Pass-123')
        assert again['password'] == 'Chosen-Pass-123'
        assert refused(manager, root['name'], root['password'], database)
        sql_connect(manager, root['name'], 'Chosen-Pass-123', database).close()

        manager.disable_root()
        assert manager.is_root_enabled() is False
        assert refused(manager, root['name'], 'Chosen-Pass-123', database)
    else:
        with pytest.raises(redis.exceptions.AuthenticationError):
            tenant_redis(manager).ping()
        with pytest.raises(redis.exceptions.AuthenticationError):
            tenant_redis(manager, 'wrong').ping()
        client = tenant_redis(manager, root['password'])
        assert client.set('greeting', 'hello') and client.get('greeting') == 'hello'
        # The tenant cannot reconfigure the server or touch the agent's account.
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.config_get('dir')
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.execute_command('ACL', 'SETUSER', 'os_admin', 'off')
        # Root survives a restart (it is in the config the agent writes).
        manager.restart()
        with pytest.raises(redis.exceptions.AuthenticationError):
            tenant_redis(manager).ping()
        assert tenant_redis(manager, root['password']).get('greeting') == 'hello'

        manager.disable_root()
        assert manager.is_root_enabled() is False
        # Disabled root = no password at all (Trove's requirepass removed).
        assert tenant_redis(manager).get('greeting') == 'hello'


@pytest.mark.parametrize('engine', engine_params('postgresql15'))
def test_postgresql_root_of_older_data_named_postgres_is_retired(engine, make_manager):
    """Data from before root was named 'root' (an old backup restored) has it as 'postgres'."""
    manager = make_manager(engine)
    prepare_with_tenant(manager)
    with manager._connection('test') as conn:
        conn.execute("CREATE ROLE postgres WITH SUPERUSER LOGIN PASSWORD 'Old-Root-Pass-1'")
    assert manager.is_root_enabled() is True     # it is a root, whatever its name
    sql_connect(manager, 'postgres', 'Old-Root-Pass-1', 'postgres').close()

    root = manager.enable_root()
    assert root['name'] == 'root'
    sql_connect(manager, 'root', root['password'], 'postgres').close()
    assert refused(manager, 'postgres', 'Old-Root-Pass-1', 'postgres')   # one root remains

    with manager._connection('test') as conn:
        conn.execute("ALTER ROLE postgres WITH LOGIN PASSWORD 'Old-Root-Pass-1'")
    manager.disable_root()
    assert manager.is_root_enabled() is False
    assert refused(manager, 'root', root['password'], 'postgres')
    assert refused(manager, 'postgres', 'Old-Root-Pass-1', 'postgres')


@pytest.mark.parametrize('engine', ALL_ENGINES)
def test_set_memory_applies_on_restart(engine, make_manager):
    manager = make_manager(engine, memory_mb=128)
    manager.prepare()
    before = manager.current_memory_setting()
    assert before == manager.memory_setting_bytes(128)

    manager.set_memory(512)
    assert manager.current_memory_setting() == before  # not until the restart
    manager.restart()
    assert manager.current_memory_setting() == manager.memory_setting_bytes(512) > before
    expected = {'mariadb': 256, 'postgresql': 128, 'redis': 256}[engine.manager]
    assert manager.current_memory_setting() == expected * 1024 * 1024
    # A restarted agent keeps the setting, whatever it is constructed with.
    again = get_manager_class(engine.manager)(
        data_dir=manager.data_dir, run_dir=manager.run_dir, address=manager.address,
        engine_path=manager.engine_path, memory_mb=64, run_as=manager.run_as,
        admin_password=manager.admin_password)
    again.restart()
    assert again.memory_mb == 512
    assert again.current_memory_setting() == expected * 1024 * 1024
    # Tiny flavors get the floor, not a useless sliver.
    assert manager.memory_setting_bytes(8) == {'mariadb': 32, 'postgresql': 16,
                                               'redis': 16}[engine.manager] * 1024 * 1024


@pytest.mark.parametrize('engine', ALL_ENGINES)
def test_kill_9_then_start_recovers_with_data(engine, make_manager):
    run_as = None if engine.manager == 'redis' else 'default'  # Redis as root here
    manager = make_manager(engine, run_as=run_as)
    password = prepare_with_tenant(manager)
    if engine.sql:
        conn = sql_connect(manager, 'alice', password, 'shop')
        write_row(conn, 1, 'survives')
        conn.close()
    else:
        tenant_redis(manager).set('survives', 'yes')

    pid = manager.pid()
    os.kill(pid, signal.SIGKILL)
    base.wait_for(lambda: not manager.is_running(), 10, 'is_running() to turn False')
    base.wait_for(lambda: manager.pid() is None, 10, 'the killed pid to be gone')

    manager.start()
    assert manager.is_running() and manager.pid() != pid
    if engine.sql:
        assert read_rows(sql_connect(manager, 'alice', password, 'shop')) == [(1, 'survives')]
    else:
        assert tenant_redis(manager).get('survives') == 'yes'
    # Exactly one engine instance runs (nothing left over from the killed one).
    if engine.manager != 'postgresql':
        assert instance_processes(manager) == [manager.pid()]


@pytest.mark.parametrize('engine', SQL_ENGINES)
def test_second_prepare_copies_the_template(engine, make_manager, workdir):
    templates = os.path.join(workdir, 'templates')
    first = make_manager(engine, template_dir=templates)
    first.prepare()
    assert first.last_prepare['data_source'] == 'new-template'

    # MariaDB's second instance runs as root: the template is re-owned on copy.
    run_as = None if engine.manager == 'mariadb' else 'default'
    second = make_manager(engine, template_dir=templates, run_as=run_as)
    password = prepare_with_tenant(second)
    assert second.last_prepare['data_source'] == 'template'
    assert len(os.listdir(templates)) == 1
    conn = sql_connect(second, 'alice', password, 'shop')
    write_row(conn, 1, 'from-template')
    assert read_rows(conn) == [(1, 'from-template')]
    conn.close()
    # The template holds no credentials: each instance has its own admin password...
    impostor = get_manager_class(engine.manager)(
        data_dir=second.data_dir, run_dir=second.run_dir, address=second.address,
        engine_path=second.engine_path, memory_mb=128, run_as=second.run_as,
        admin_password=first.admin_password)
    with pytest.raises(errors.EngineError):
        impostor.current_memory_setting()
    # ...and no password-less root or admin login over TCP.
    if engine.manager == 'mariadb':
        assert refused(second, 'root', '', 'mysql')
        assert refused(second, 'os_admin', '', 'mysql')
    else:
        assert refused(second, 'os_admin', second.admin_password, 'postgres')
        assert refused(second, 'postgres', 'guess', 'postgres')

    without = make_manager(engine, template_dir=None)
    without.prepare()
    assert without.last_prepare['data_source'] == 'init'


@pytest.mark.parametrize('engine', engine_params('postgresql15'))
def test_template_built_by_two_agents_at_once(engine, make_manager, workdir):
    templates = os.path.join(workdir, 'templates')
    managers = [make_manager(engine, template_dir=templates) for _ in range(2)]
    results, failures = [], []

    def build(manager):
        try:
            results.append(manager.ensure_template())
        except Exception as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=build, args=(manager,)) for manager in managers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures
    assert len({path for path, _ in results}) == 1
    assert os.listdir(templates) == [os.path.basename(results[0][0])]
    assert os.path.isfile(os.path.join(results[0][0], 'PG_VERSION'))


@pytest.mark.parametrize('engine', ALL_ENGINES)
def test_prepare_is_retryable_and_state_survives_a_new_agent(engine, make_manager):
    manager = make_manager(engine)
    password = prepare_with_tenant(manager)
    # A retried prepare (e.g. the RPC was redelivered after an agent crash).
    os.kill(manager.pid(), signal.SIGKILL)
    base.wait_for(lambda: not manager.is_running(), 10, 'the engine to die')
    if engine.sql:
        manager.prepare(databases=[{'name': 'shop'}], users=[
            {'name': 'alice', 'password': password, 'databases': [{'name': 'shop'}]}])
    else:
        manager.prepare()
    assert manager.last_prepare['data_source'] == 'existing'
    if engine.sql:
        assert [u['name'] for u in manager.list_users()[0]] == ['alice']
        sql_connect(manager, 'alice', password, 'shop').close()

    # A new manager object (a restarted agent) finds the running engine.
    again = get_manager_class(engine.manager)(
        data_dir=manager.data_dir, run_dir=manager.run_dir, address=manager.address,
        engine_path=manager.engine_path, memory_mb=128, run_as=manager.run_as,
        admin_password=manager.admin_password)
    assert again.pid() == manager.pid() and again.is_running()


@pytest.mark.parametrize('engine', ALL_ENGINES)
def test_destroy_from_another_process_leaves_nothing(engine, make_manager):
    manager = make_manager(engine)
    manager.prepare()
    pid = manager.pid()
    script = (
        'from api_service.guestagent.datastore import get_manager_class\n'
        'm = get_manager_class(%r)(data_dir=%r, run_dir=%r, address=%r, engine_path=%r, '
        'memory_mb=128, run_as=%r)\n'
        'm.destroy()\n' % (engine.manager, manager.data_dir, manager.run_dir, manager.address,
                           manager.engine_path, manager.run_as))
    subprocess.run([sys.executable, '-c', script], cwd=REPO, check=True, timeout=60)

    assert not base.process_alive(pid)
    assert instance_processes(manager) == []
    assert manager.pid() is None and not manager.is_running()
    assert os.listdir(manager.data_dir) == [] and os.listdir(manager.run_dir) == []


@pytest.mark.parametrize('engine', ALL_ENGINES)
def test_passwords_never_reach_logs_or_files(engine, make_manager, caplog):
    caplog.set_level(logging.DEBUG)
    admin_password = 'Admin-' + base.generate_password()
    manager = make_manager(engine, admin_password=admin_password)
    user_password = prepare_with_tenant(manager)
    root_password = 'Root-' + base.generate_password()
    manager.enable_root(root_password)
    if engine.sql:
        manager.change_passwords([{'name': 'alice', 'password': 'Changed-' + root_password}])
        with pytest.raises(errors.InvalidName) as raised:
            manager.create_users([{'name': 'bad name', 'password': root_password}])
        assert root_password not in str(raised.value)
    manager.stop()  # flush the engine's logs and data files

    secrets = [p for p in (admin_password, user_password, root_password) if p]
    for record in caplog.records:
        assert not any(secret in record.getMessage() for secret in secrets)
    for path in files_under(manager.run_dir, manager.data_dir):
        with open(path, 'rb') as handle:
            content = handle.read()
        for secret in secrets:
            assert secret.encode() not in content, '%s holds a plaintext password' % path


def test_validation_and_capabilities(make_manager):
    maria = make_manager(ENGINES['mariadb'])
    pg = make_manager(ENGINES['postgresql15'])
    cache = make_manager(ENGINES['redis'])
    # Names are checked before the engine is asked anything (none is running here).
    for manager in (maria, pg):
        for bad in ('', 'white space', 'semi;colon', 'quote`', "it's", '-dash', 'x' * 65):
            with pytest.raises(errors.InvalidName):
                manager.create_databases([{'name': bad}])
        with pytest.raises(errors.InvalidName):
            manager.create_users([{'name': 'a' * 81, 'password': 'pw'}])
        with pytest.raises(errors.BadRequest):
            manager.create_users([{'name': 'nopass'}])
        with pytest.raises(errors.BadRequest):
            manager.create_databases([{'name': 'ok', 'character_set': "utf8'; DROP"}])
        with pytest.raises(errors.BadRequest):
            manager.list_databases(limit=0)
    with pytest.raises(errors.ReservedName):
        maria.create_users([{'name': 'root', 'password': 'pw'}])
    with pytest.raises(errors.InvalidName):
        maria.create_users([{'name': 'ok', 'host': "bad'host", 'password': 'pw'}])
    with pytest.raises(errors.ReservedName):
        pg.create_users([{'name': 'pg_monitor', 'password': 'pw'}])
    with pytest.raises(errors.ReservedName):
        pg.delete_user('postgres')
    with pytest.raises(errors.ReservedName):   # root's name, as in MariaDB
        pg.create_users([{'name': 'root', 'password': 'pw'}])
    # Capabilities are declared, and checked first.
    assert cache.capabilities == {'root', 'configuration', 'modules', 'replication',
                                  'root_per_member'}
    assert pg.capabilities == {'databases', 'users', 'root', 'access', 'configuration',
                               'modules', 'replication'}
    assert maria.capabilities == pg.capabilities | {'user_hosts'}   # users are name@host
    for call in (lambda: cache.list_databases(), lambda: cache.create_users([]),
                 lambda: cache.prepare(databases=[{'name': 'x'}])):
        with pytest.raises(errors.NotSupported) as raised:
            call()
        assert raised.value.code == 400 and 'redis' in raised.value.message
    with pytest.raises(errors.UnknownManager):
        get_manager_class('mongodb')
    if IS_ROOT:
        with pytest.raises(errors.EngineError):
            make_manager(ENGINES['postgresql15'], run_as=None).prepare()
    error = errors.GuestError.from_dict(errors.NotFound('gone').to_dict())
    assert isinstance(error, errors.NotFound) and error.code == 404


@pytest.mark.parametrize('engine', engine_params('postgresql18'))
def test_postgresql18_from_pypi(engine, make_manager):
    manager = make_manager(engine)
    password = prepare_with_tenant(manager)
    conn = sql_connect(manager, 'alice', password, 'shop')
    with conn.cursor() as cursor:
        cursor.execute('SHOW server_version_num')
        assert int(cursor.fetchone()[0]) >= 180000
    write_row(conn, 1, 'eighteen')
    assert read_rows(conn) == [(1, 'eighteen')]
    conn.close()

