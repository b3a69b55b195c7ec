"""Access sources enforced by the engines themselves (MariaDB, PostgreSQL 15 and 18).

Each test prepares a real engine with test_engines.py's managers (its own loopback address,
sharing the engines' templates) and connects to it over TCP
from chosen source addresses: any 127.x address is this machine's, and a client socket
can bind to it (PyMySQL's bind_address, pg8000's source_address; libpq cannot). A
refused source must get the engine's own refusal: MariaDB's error 1184 from its
init_connect rule, PostgreSQL's "no pg_hba.conf entry" for that host.
"""
import os
import threading
import types

import pg8000.dbapi
import pymysql
import pytest

from api_service.domain.access import ANY_SOURCE
from api_service.drivers.storage import LocalObjectStore
from api_service.guestagent import errors
from api_service.guestagent import service as guest_service
from api_service.guestagent.backup import backup_to_storage
from api_service.guestagent.datastore import base, get_manager_class
from tests.functional.test_engines import (ENGINES, engine_params,  # noqa: F401 (fixtures)
                                           make_manager, template_root, workdir)

SQL_ENGINES = engine_params('mariadb', 'postgresql15', 'postgresql18')
# Client source addresses: any 127.x is this machine's.
FIRST, SECOND, THIRD = '127.78.250.1', '127.78.250.2', '127.78.250.3'


def connect_from(manager, source, user, password, database):
    """A tenant's TCP connection to the instance, from the client address `source`."""
    if manager.manager == 'mariadb':
        return pymysql.connect(host=manager.address, port=manager.port, user=user,
                               password=password, database=database, bind_address=source,
                               connect_timeout=5, autocommit=True)
    conn = pg8000.dbapi.connect(user=user, host=manager.address, port=manager.port,
                                password=password, database=database,
                                source_address=(source, 0), timeout=5)
    conn.autocommit = True
    return conn


def engine_refuses(manager, source, user, password, database):
    """True when the engine itself refuses a login from `source` for its address."""
    try:
        conn = connect_from(manager, source, user, password, database)
    except pymysql.err.OperationalError as exc:
        # The server ran init_connect for this client and dropped it.
        assert exc.args[0] == 1184 and 'init_connect command failed' in exc.args[1], exc
        assert "host: '%s'" % source in exc.args[1], exc
        return True
    except pg8000.dbapi.DatabaseError as exc:
        assert 'no pg_hba.conf entry for host "%s"' % source in str(exc), exc
        return True
    conn.close()
    return False


def rows_from(manager, source, user, password, database):
    conn = connect_from(manager, source, user, password, database)
    try:
        cursor = conn.cursor()
        cursor.execute('SELECT id, label FROM items ORDER BY id')
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        conn.close()


def prepare_shop(manager, source):
    """Prepare with database shop, user alice and one row, written from `source`."""
    password = base.generate_password()
    manager.prepare(databases=[{'name': 'shop'}], users=[
        {'name': 'alice', 'password': password, 'databases': [{'name': 'shop'}]}])
    conn = connect_from(manager, source, 'alice', password, 'shop')
    cursor = conn.cursor()
    cursor.execute('CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(40))')
    cursor.execute("INSERT INTO items (id, label) VALUES (1, 'apple')")
    conn.close()
    return password


@pytest.mark.parametrize('engine', SQL_ENGINES)
def test_sources_are_enforced_by_the_engine_and_change_live(engine, make_manager):
    manager = make_manager(engine)
    # Sent before the first start (as prepare does): the engine never runs without them.
    assert manager.apply_access([FIRST + '/32'])['applied'] == 'at start'
    password = prepare_shop(manager, FIRST)
    login = ('alice', password, 'shop')

    assert rows_from(manager, FIRST, *login) == [(1, 'apple')]
    assert engine_refuses(manager, SECOND, *login)

    # Live: the same engine process, new connections follow the new sources at once.
    pid = manager.pid()
    assert manager.apply_access([SECOND + '/32', '10.0.0.0/8'])['applied'] == 'live'
    assert manager.pid() == pid
    assert engine_refuses(manager, FIRST, *login)
    assert rows_from(manager, SECOND, *login) == [(1, 'apple')]

    # A network admits all its addresses, and nothing next to it.
    manager.apply_access(['127.78.250.0/31'])
    assert rows_from(manager, FIRST, *login) == [(1, 'apple')]
    assert not engine_refuses(manager, FIRST, *login)
    assert engine_refuses(manager, SECOND, *login)

    # Kept across a restart and by a new agent (the state is in run_dir).
    manager.restart()
    assert engine_refuses(manager, SECOND, *login)
    again = get_manager_class(engine.manager)(
        data_dir=manager.data_dir, run_dir=manager.run_dir, address=manager.address,
        engine_path=manager.engine_path, memory_mb=128, run_as=engine.run_as,
        admin_password=manager.admin_password)
    assert again.access_sources == ['127.78.250.0/31']

    # No source (a recorded access that admits nothing on this deployment): none gets in.
    manager.apply_access([])
    for source in (FIRST, SECOND, '127.0.0.1'):
        assert engine_refuses(manager, source, *login)

    # Public: any source.
    manager.apply_access(list(ANY_SOURCE))
    for source in (FIRST, SECOND, THIRD):
        assert rows_from(manager, source, *login) == [(1, 'apple')]


@pytest.mark.parametrize('engine', SQL_ENGINES)
def test_root_is_subject_to_the_sources_too(engine, make_manager):
    manager = make_manager(engine)
    manager.apply_access([FIRST + '/32'])
    prepare_shop(manager, FIRST)
    root = manager.enable_root()
    database = 'mysql' if engine.manager == 'mariadb' else 'postgres'
    login = (root['name'], root['password'], database)
    connect_from(manager, FIRST, *login).close()
    assert engine_refuses(manager, SECOND, *login)
    if engine.manager == 'mariadb':
        # Root cannot lift the rule with the server's own switches.
        conn = connect_from(manager, FIRST, *login)
        with pytest.raises(pymysql.err.OperationalError) as raised:
            conn.cursor().execute("SET GLOBAL init_connect = ''")
        assert raised.value.args[0] == 1227
        with pytest.raises(pymysql.err.OperationalError):
            conn.cursor().execute("GRANT CONNECTION ADMIN ON *.* TO 'alice'@'%'")
        conn.close()
        assert engine_refuses(manager, SECOND, *login)


def test_mariadb_accounts_that_would_bypass_the_rule_lose_that(make_manager):
    manager = make_manager(ENGINES['mariadb'])
    manager.apply_access([FIRST + '/32'])
    prepare_shop(manager, FIRST)
    with manager._cursor('test') as cursor:   # as restored data could carry
        cursor.execute("CREATE USER 'ops'@'%' IDENTIFIED BY 'ops-pass-1'")
        cursor.execute("GRANT SUPER ON *.* TO 'ops'@'%'")
    assert not engine_refuses(manager, SECOND, 'ops', 'ops-pass-1', None)
    manager.apply_access([FIRST + '/32'])
    assert engine_refuses(manager, SECOND, 'ops', 'ops-pass-1', None)
    connect_from(manager, FIRST, 'ops', 'ops-pass-1', None).close()


def test_mariadb_accounts_exempt_through_a_role_lose_that(make_manager):
    """A role holding SUPER, or CONNECTION ADMIN, set as a user's default role would carry the
    exemption to the user at login (restored data may hold one): apply_access revokes from
    roles too."""
    manager = make_manager(ENGINES['mariadb'])
    manager.apply_access([FIRST + '/32'])
    prepare_shop(manager, FIRST)
    with manager._cursor('test') as cursor:
        for role, privilege, user in (('ops_role', 'SUPER', 'carol'),
                                      ("it's admin", 'CONNECTION ADMIN', 'dave')):
            for statement in ('CREATE ROLE `{role}`', 'GRANT {privilege} ON *.* TO `{role}`',
                              "CREATE USER '{user}'@'%' IDENTIFIED BY 'role-pass-1'",
                              "GRANT `{role}` TO '{user}'@'%'",
                              "SET DEFAULT ROLE `{role}` FOR '{user}'@'%'"):
                cursor.execute(statement.format(role=role, privilege=privilege, user=user))
    for user in ('carol', 'dave'):
        # The exemption is real before: the rule does not run for them.
        assert not engine_refuses(manager, SECOND, user, 'role-pass-1', None)
    manager.apply_access([FIRST + '/32'])
    for user in ('carol', 'dave'):
        assert engine_refuses(manager, SECOND, user, 'role-pass-1', None)
        connect_from(manager, FIRST, user, 'role-pass-1', None).close()
    with manager._cursor('test') as cursor:
        cursor.execute('SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE '
                       "PRIVILEGE_TYPE IN ('SUPER', 'CONNECTION ADMIN') AND GRANTEE <> %s",
                       ("'%s'@'localhost'" % manager.admin_user,))
        assert cursor.fetchone()[0] == 0


def test_mariadb_socket_gives_tenant_accounts_no_pass(make_manager):
    """Tenants cannot reach the engine's socket: it is in the engine user's private directory
    (0700), and tenants connect over TCP to the instance's address. What matters is that the
    rule itself grants the socket no exemption: a tenant account that does get there (this
    test, as root, can) is refused like any source outside the sources, while the agent's
    own os_admin (exempt through SUPER, the one account meant to use the socket) still works."""
    manager = make_manager(ENGINES['mariadb'])
    manager.apply_access([FIRST + '/32'])
    prepare_shop(manager, FIRST)
    assert os.stat(manager.socket_dir).st_mode & 0o077 == 0
    manager.create_users([{'name': 'local', 'host': 'localhost', 'password': 'local-pass-1',
                           'databases': [{'name': 'shop'}]}])
    with pytest.raises(pymysql.err.OperationalError) as raised:
        pymysql.connect(unix_socket=manager.socket_path, user='local',
                        password='local-pass-1', database='shop', connect_timeout=5)
    assert raised.value.args[0] == 1184, raised.value
    assert "host: 'localhost'" in raised.value.args[1]
    # The agent's own account still works over the socket.
    assert 'shop' in [db['name'] for db in manager.list_databases()[0]]


class _Reporter:
    def __init__(self):
        self.done = []

    def step(self, *args):
        pass

    def operation_done(self, operation, ok, *args):
        self.done.append((operation, ok) + args)

    def heartbeat(self, *args, **kwargs):
        pass


def test_a_restored_mariadb_never_admits_a_refused_source(make_manager, tmp_path):
    """Restored accounts may hold SUPER (exempt from the rule) until apply_access revokes it.
    The guest's restore applies the sources while the engine listens on its socket only, and
    only then lets it listen on its address: a client from a refused source never gets in,
    neither during the restore (watched throughout, and checked at the moment the restored
    grants are still there) nor after."""
    engine = ENGINES['mariadb']
    source = make_manager(engine)
    password = prepare_shop(source, FIRST)           # no sources: the source admits anyone
    with source._cursor('test') as cursor:
        cursor.execute("CREATE USER 'ops'@'%' IDENTIFIED BY 'ops-pass-1'")
        cursor.execute("GRANT SUPER ON *.* TO 'ops'@'%'")
    store_root = str(tmp_path / 'objects')
    record = backup_to_storage(source, LocalObjectStore(store_root), 'backups/acc/data')
    source.stop()

    target = make_manager(engine)
    os.makedirs(target.run_dir, exist_ok=True)
    endpoint = guest_service.GuestEndpoint(target, _Reporter(), types.SimpleNamespace(
        run_dir=target.run_dir, backup_storage_backend='local', backup_storage_root=store_root))

    admitted, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            try:
                connect_from(target, SECOND, 'ops', 'ops-pass-1', None).close()
                admitted.append('during the restore')
            except pymysql.err.MySQLError:
                pass
            stop.wait(0.05)

    real_apply = target.apply_access
    seen = []

    def apply_access(sources):
        if target.pid() is not None:
            # The engine runs with the restored grants, not yet revoked: nothing on TCP.
            with pytest.raises(pymysql.err.OperationalError) as raised:
                connect_from(target, SECOND, 'ops', 'ops-pass-1', None)
            seen.append(raised.value.args[0])
        return real_apply(sources)

    target.apply_access = apply_access
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        endpoint._prepare([], [], restore=[{'location': record['key'],
                                            'checksum': record['checksum'],
                                            'size': record['size'],
                                            'metadata': record['metadata']}],
                          access=[FIRST + '/32'])
    finally:
        stop.set()
        watcher.join()
    assert endpoint.reporter.done == [('create', True)], endpoint.reporter.done
    assert seen == [2003]                 # "can't connect": not listening on its address
    assert admitted == []
    assert engine_refuses(target, SECOND, 'ops', 'ops-pass-1', None)
    connect_from(target, FIRST, 'ops', 'ops-pass-1', None).close()
    assert rows_from(target, FIRST, 'alice', password, 'shop') == [(1, 'apple')]
    assert engine_refuses(target, SECOND, 'alice', password, 'shop')


@pytest.mark.parametrize('engine', engine_params('mariadb', 'postgresql15'))
def test_a_change_the_engine_refuses_keeps_the_previous_sources(engine, make_manager,
                                                                 monkeypatch):
    manager = make_manager(engine)
    manager.apply_access([FIRST + '/32'])
    password = prepare_shop(manager, FIRST)
    login = ('alice', password, 'shop')
    real = type(manager)._apply_access_live
    calls = []

    def refuse_once(self):
        calls.append(self.access_sources)
        if len(calls) == 1:
            raise errors.EngineError('refused', details='test')
        return real(self)

    monkeypatch.setattr(type(manager), '_apply_access_live', refuse_once)
    with pytest.raises(errors.EngineError) as raised:
        manager.apply_access([SECOND + '/32'])
    assert 'keeps the previous ones' in raised.value.message
    assert calls == [[SECOND + '/32'], [FIRST + '/32']]   # then the previous re-applied
    assert manager.access_sources == [FIRST + '/32']
    assert rows_from(manager, FIRST, *login) == [(1, 'apple')]
    assert engine_refuses(manager, SECOND, *login)


def test_engines_that_cannot_restrict_say_so(make_manager):
    manager = make_manager(ENGINES['redis'])
    assert 'access' not in manager.capabilities
    with pytest.raises(errors.NotSupported):
        manager.apply_access([FIRST + '/32'])
    assert {'access'} <= get_manager_class('mariadb').capabilities
    assert {'access'} <= get_manager_class('postgresql').capabilities
