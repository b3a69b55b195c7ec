"""The canary account: what the task manager's canary writer logs in with during a switchover.

The task manager measures a promote's or an eject's write downtime by writing a growing
sequence number to the source (api_service/common/canary_writers.py), and counts the writes
the new source lost by reading the number back. It needs an account for that on every
member, one that is no stronger than a tenant's: it can write and read the canary's own
row or key and nothing else, and it has no way past a replica's read-only mode or a
source's fence (so a write it gets acknowledged is one a tenant would have had).

- MariaDB: `os_canary`@each source (CIDRs as IPv4 netmask patterns; an IPv6 prefix other
  than a single address as '%'), granted SELECT, INSERT, UPDATE, DELETE on the database
  `os_canary` (nothing to create anything: its one table is `beat`), never a global
  privilege (no READ_ONLY ADMIN, no SUPER), made on every member locally (sql_log_bin = 0).
  It is subject to the access rule (init_connect) like a tenant's account. The database
  and its table are made as a tenant's would be: by the source taking writes, in its
  binlog, so each replica gets them before any canary row, and dropped there the same way
  (a replica that made or dropped them itself would differ from its source, and stop
  replicating at the next canary row: error 1062 or 1146). A replica, or a fenced source,
  changes only its accounts.
- PostgreSQL: the plain LOGIN role `os_canary`, CONNECT on `postgres` only, USAGE on the
  schema `os_canary` there and SELECT, INSERT, UPDATE on `os_canary.beat`. Made on the
  source (a writable instance) and replicated by WAL; on a replica nothing can be made (the
  role and the table come from the source). Removal on the source drops the schema and the
  role. pg_hba admits it as a tenant (the access sources; a fence admits no tenant).
- Redis: the ACL user `os_canary` (SET, GET and PING on the key `os:canary` only), set on
  every member (ACLs do not replicate; a restart forgets it: set it again). Redis cannot
  restrict an account to addresses: its password guards it.

The sources the account is meant for (the service's hosts) are kept in the agent's state as
`canary_sources`. The password is sent to the engines as their hash or verifier only, and
is never logged or put in an error.
"""
import ipaddress
import logging
import re

from psycopg import sql

from api_service.guestagent import errors
from api_service.guestagent.datastore import mariadb as mariadb_engine
from api_service.guestagent.datastore import redis as redis_engine
from api_service.guestagent.replication import REPLICA

LOG = logging.getLogger(__name__)

USER = 'os_canary'
# MariaDB's database and PostgreSQL's schema of the canary's table; its one row has id 1.
SCHEMA = 'os_canary'
TABLE = 'beat'
TARGET = '%s.%s' % (SCHEMA, TABLE)
REDIS_KEY = 'os:canary'
REDIS_RULES = ('resetkeys', '~' + REDIS_KEY, '-@all', '+set', '+get', '+ping')
STATE_KEY = 'canary_sources'
# The run (task manager's token) that set the account last.
RUN_KEY = 'canary_run'


def account_for(manager):
    """The canary account of an engine manager (NotSupported when its engine has none)."""
    kinds = {'mariadb': MariaDBCanary, 'postgresql': PostgreSQLCanary, 'redis': RedisCanary}
    name = getattr(manager, 'manager', None)
    if 'replication' not in getattr(manager, 'capabilities', ()) or name not in kinds:
        raise errors.NotSupported('replication', name)
    return kinds[name](manager)


def check_run(run):
    """A run token (the task manager's secrets.token_hex), or None."""
    if run is None:
        return None
    if not isinstance(run, str) or not re.fullmatch(r'[A-Za-z0-9_-]{1,64}', run):
        raise errors.BadRequest('The canary run is not valid.')
    return run


def check_password(password):
    if password is None:
        return None
    if not isinstance(password, str) or not password or any(
            ch.isspace() or ch in '"\'\\' for ch in password):
        raise errors.BadRequest('The canary password is not valid.')
    return password


class CanaryAccount:
    """One engine's canary account on this member."""

    database = None
    target = TARGET

    def __init__(self, manager):
        self.manager = manager

    def apply(self, password, sources, run=None):
        """Make the account usable here with `password`, admitted from `sources` (CIDRs);
        `password` None removes it. Answers what a writer needs to know.

        `run` (a task manager's run token; None from a caller that has none) scopes the
        account to the run that set it last: a removal naming another run than the one
        that set the account leaves it (two overlapping switchovers of a set must not
        remove each other's account while the later one still writes)."""
        password, run = check_password(password), check_run(run)
        manager = self.manager
        self.use_run(run)
        answer = {'user': USER, 'database': self.database, 'target': self.target,
                  'port': manager.port}
        if password is None:
            with manager._lock:
                owner = manager._load_state().get(RUN_KEY)
                if run is not None and owner is not None and owner != run:
                    LOG.info('%s: canary account kept (a later run set it)', manager.manager)
                    self.forget_run()
                    return answer
                self.remove()
                self._admit(None)
                manager._save_state(**{RUN_KEY: None})
            LOG.info('%s: canary account removed', manager.manager)
        else:
            sources = manager._check_sources(sources)
            with manager._lock:
                self._admit(sources)
                self.set(password, sources)
                manager._save_state(**{RUN_KEY: run})
            LOG.info('%s: canary account set (%d source(s))', manager.manager, len(sources))
        return answer

    def _admit(self, sources):
        """Keep `sources` in the agent's state, and have the running engine's access rules
        read them again when they changed (an engine whose rules admit the canary by them:
        the managers' access rules, which are rewritten from the state). When the engine
        refuses the change, the state keeps the sources it had (the rules in force)."""
        manager = self.manager
        previous = manager._load_state().get(STATE_KEY)
        if previous == sources:
            return
        manager._save_state(**{STATE_KEY: sources})
        if 'access' in manager.capabilities and manager.pid() is not None:
            try:
                manager._write_config(bootstrap=not manager._load_state().get('prepared'))
                manager._apply_access_live()
            except Exception:
                manager._save_state(**{STATE_KEY: previous})
                try:
                    manager._write_config(
                        bootstrap=not manager._load_state().get('prepared'))
                except Exception:
                    LOG.warning('%s: the access rules could not be written back',
                                manager.manager)
                raise

    def use_run(self, run):
        """An engine whose canary data is per run (Redis's key) names it after `run`."""

    def forget_run(self):
        """The data of a run whose account a later run took over (none by default: the
        later run's removal drops the shared table)."""

    def set(self, password, sources):
        raise NotImplementedError

    def remove(self):
        raise NotImplementedError


def mariadb_host(cidr):
    """A MariaDB account host pattern admitting the clients of `cidr`."""
    network = ipaddress.ip_network(cidr, strict=False)
    if network.prefixlen == 0:
        return '%'
    if network.version == 4:
        if network.prefixlen == 32:
            return str(network.network_address)
        return '%s/%s' % (network.network_address, network.netmask)
    if network.prefixlen == 128:
        return str(network.network_address)
    return '%'      # MariaDB has no IPv6 netmask; the access rule still applies


class MariaDBCanary(CanaryAccount):
    """os_canary@each source on every member; its table made and dropped by the source."""

    database = SCHEMA

    def _table(self):
        return '%s.%s' % (mariadb_engine.quote_identifier(SCHEMA),
                          mariadb_engine.quote_identifier(TABLE))

    def _writable(self, cursor):
        """True on a source (or standalone) taking writes: not a replica, not fenced. Only
        there does the table change, in the binlog, so every replica's copy stays equal to
        it (a replica whose row differs stops replicating on the next canary write)."""
        if self.manager._load_state().get('replication_role') == REPLICA:
            return False
        cursor.execute('SELECT @@GLOBAL.read_only')
        return not int(cursor.fetchone()[0])

    def set(self, password, sources):
        digest = mariadb_engine.native_password_hash(password)
        hosts = sorted({mariadb_host(source) for source in sources})
        table = self._table()
        with self.manager._cursor('Setting up the canary account') as cursor:
            if self._writable(cursor):
                cursor.execute('CREATE DATABASE IF NOT EXISTS %s'
                               % mariadb_engine.quote_identifier(SCHEMA))
                cursor.execute('CREATE TABLE IF NOT EXISTS %s (id TINYINT PRIMARY KEY, '
                               'seq BIGINT NOT NULL)' % table)
            # The accounts are this member's alone. Granted on the database (a replica may
            # not have received the table yet, and a table's grant needs the table): the
            # account creates nothing, so the source's table is all there is in it.
            cursor.execute('SET SESSION sql_log_bin = 0')
            for host in set(self._hosts(cursor)) - set(hosts):
                cursor.execute('DROP USER %s@%s', (USER, host))
            on = '%s.*' % mariadb_engine.grant_identifier(SCHEMA)
            for host in hosts:
                cursor.execute('CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY PASSWORD %s',
                               (USER, host, digest))
                cursor.execute('ALTER USER %s@%s IDENTIFIED BY PASSWORD %s',
                               (USER, host, digest))
                cursor.execute('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO %%s@%%s' % on,
                               (USER, host))

    @staticmethod
    def _hosts(cursor):
        cursor.execute('SELECT Host FROM mysql.user WHERE User = %s', (USER,))
        return [row[0] for row in cursor.fetchall()]

    def remove(self):
        with self.manager._cursor('Removing the canary account') as cursor:
            writable = self._writable(cursor)
            cursor.execute('SET SESSION sql_log_bin = 0')
            for host in self._hosts(cursor):
                cursor.execute('DROP USER %s@%s', (USER, host))
            if writable:
                # In the binlog: each replica drops it after applying the canary's last rows.
                cursor.execute('SET SESSION sql_log_bin = 1')
                cursor.execute('DROP DATABASE IF EXISTS %s'
                               % mariadb_engine.quote_identifier(SCHEMA))


class PostgreSQLCanary(CanaryAccount):
    """The role os_canary and the schema os_canary in 'postgres', made on the source."""

    database = 'postgres'

    def _writable(self, conn):
        return not conn.execute('SELECT pg_is_in_recovery()').fetchone()[0]

    def set(self, password, sources):
        manager = self.manager
        role, schema = sql.Identifier(USER), sql.Identifier(SCHEMA)
        table = sql.Identifier(SCHEMA, TABLE)
        with manager._connection('Setting up the canary account') as conn:
            if not self._writable(conn):
                return      # a replica: the source's role and table arrive by WAL
            verifier = sql.Literal(manager._verifier(conn, USER, password))
            exists = conn.execute('SELECT 1 FROM pg_roles WHERE rolname = %s',
                                  (USER,)).fetchone()
            statement = 'ALTER ROLE {} WITH' if exists else 'CREATE ROLE {} WITH'
            conn.execute(sql.SQL(statement + ' LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE '
                                 'NOREPLICATION NOBYPASSRLS PASSWORD {}').format(role, verifier))
            conn.execute(sql.SQL('GRANT CONNECT ON DATABASE postgres TO {}').format(role))
            conn.execute(sql.SQL('CREATE SCHEMA IF NOT EXISTS {}').format(schema))
            conn.execute(sql.SQL('CREATE TABLE IF NOT EXISTS {} (id SMALLINT PRIMARY KEY, '
                                 'seq BIGINT NOT NULL)').format(table))
            conn.execute(sql.SQL('GRANT USAGE ON SCHEMA {} TO {}').format(schema, role))
            conn.execute(sql.SQL('GRANT SELECT, INSERT, UPDATE ON {} TO {}').format(table, role))

    def remove(self):
        role = sql.Identifier(USER)
        with self.manager._connection('Removing the canary account') as conn:
            if not self._writable(conn):
                return      # the source's removal arrives by WAL
            conn.execute('SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                         'WHERE usename = %s', (USER,))
            conn.execute(sql.SQL('DROP SCHEMA IF EXISTS {} CASCADE').format(
                sql.Identifier(SCHEMA)))
            if conn.execute('SELECT 1 FROM pg_roles WHERE rolname = %s', (USER,)).fetchone():
                conn.execute(sql.SQL('DROP OWNED BY {}').format(role))
                conn.execute(sql.SQL('DROP ROLE {}').format(role))


class RedisCanary(CanaryAccount):
    """The ACL user os_canary on this member (ACLs are per node). Its key lives in the
    tenant's keyspace (database 0): a run's own key, 'os:canary:<run>', so that no key a
    tenant may have is the canary's, and two runs never write the same one."""

    target = REDIS_KEY

    def use_run(self, run):
        self.target = REDIS_KEY if run is None else '%s:%s' % (REDIS_KEY, run)

    def set(self, password, sources):
        # Redis admits an ACL user from any address that reaches it: `sources` cannot be
        # enforced here; the 32-character password is what guards the account.
        rules = ('resetkeys', '~' + self.target) + REDIS_RULES[2:]
        with self.manager._admin('Setting up the canary account') as client:
            client.execute_command('ACL', 'SETUSER', USER, 'reset', 'on',
                                   '#%s' % redis_engine.acl_hash(password), *rules)

    def remove(self):
        with self.manager._admin('Removing the canary account') as client:
            client.execute_command('ACL', 'DELUSER', USER)
            if client.info('replication').get('role') == 'master':
                client.delete(self.target)

    def forget_run(self):
        with self.manager._admin('Removing the canary key') as client:
            if client.info('replication').get('role') == 'master':
                client.delete(self.target)
