"""Canary writers: one quick write at a time to a member's canary row or key.

The task manager measures a switchover's write downtime by writing a growing sequence
number, every few milliseconds, to whichever member should take writes, with the canary
account the guest made for it (guest RPC 1.4 replication_canary_account; see
guestagent/replication/canary.py). A write counts only when the engine acknowledged it;
anything else (a refusal: read-only, fenced, login refused; a timeout; a lost connection)
is a failed write, and the next write connects again. Each attempt is short (connect and
answer within WRITE_TIMEOUT where the client allows it), so a member that went away costs
the measurement a fraction of a second, never the operation.

No exception leaves write() or read_seq(), and no password reaches a log line: the
engines' errors are logged by their kind only.
"""
import logging
import socket
import time

LOG = logging.getLogger(__name__)

# Seconds a connect or an answer may take.
WRITE_TIMEOUT = 0.25
# The canary's one row.
ROW_ID = 1
# After a connection failure, the next connect waits this, doubled each failure, at most MAX.
RECONNECT_FIRST = 0.1
RECONNECT_MAX = 0.25
# MariaDB's refusals of a statement on a working connection: read-only (1290, also a
# fence's), 1223 (a conflicting read lock: FLUSH TABLES WITH READ LOCK).
MARIADB_REFUSALS = (1290, 1223)
_FAILED = object()


def writer_for(manager, host, port, account, password):
    """A writer for a member's canary: `manager` the datastore manager's name ('mariadb',
    'postgresql', 'redis'), `account` the guest's answer to replication_canary_account
    ({'user', 'database', 'target', 'port'}; a user name alone takes the defaults)."""
    kinds = {'mariadb': MariaDBWriter, 'postgresql': PostgreSQLWriter, 'redis': RedisWriter}
    if manager not in kinds:
        raise ValueError('No canary writer for %r.' % (manager,))
    if not isinstance(account, dict):
        account = {'user': account}
    return kinds[manager](host, port, account, password)


class Refused(Exception):
    """The engine refused the statement on a working connection (read-only, fenced)."""


class CanaryWriter:
    """One member's canary: write(seq), read_seq(), close(). Not shared between threads.

    A statement the engine refuses (a replica's read-only mode, a fence) keeps the
    connection: the canary asks again on it every few milliseconds, which costs the member
    nothing, where a new connection per refused write would be a reconnect storm during
    the whole switchover. After a connection failure, connecting again waits a backoff
    (RECONNECT_FIRST doubling to RECONNECT_MAX); the writes meanwhile fail at once."""

    default_database = None
    default_target = 'os_canary.beat'

    def __init__(self, host, port, account, password):
        self.host, self.port = host, int(port)
        self.user = account.get('user') or 'os_canary'
        self.database = account.get('database') or self.default_database
        self.target = account.get('target') or self.default_target
        self._password = password
        self._conn = None
        self._failures = 0
        self._backoff = 0.0             # the wait before the next connect (0: none)
        self._connect_after = 0.0       # monotonic time before which none is tried

    def __repr__(self):
        return '<%s %s@%s:%d>' % (type(self).__name__, self.user, self.host, self.port)

    def write(self, seq):
        """True when the engine acknowledged `seq` as the canary's value; False otherwise."""
        return self._attempt('write', self._write, int(seq)) is not _FAILED

    def swap(self, seq):
        """Write `seq` and read, in the same transaction, the value it replaced: (True,
        previous value or None) when acknowledged, (False, None) otherwise. The new
        source's first write tells what it had of the old source's writes without a read
        before it (which would delay the first write)."""
        previous = self._attempt('write', self._swap, int(seq))
        if previous is _FAILED:
            return False, None
        return True, None if previous is None else int(previous)

    def read_seq(self):
        """The canary's value stored on this member, or None when it cannot be read."""
        value = self._attempt('read', self._read)
        return None if value is _FAILED or value is None else int(value)

    def close(self):
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    def _attempt(self, what, action, *args):
        try:
            if self._conn is None:
                if time.monotonic() < self._connect_after:
                    return _FAILED          # backing off: no connection tried
                self._conn = self._connect()
            value = action(self._conn, *args)
        except Exception as exc:        # any failure is a failed write, never an error
            self._failed(what, exc)
            return _FAILED
        self._failures = 0
        self._backoff = 0.0
        return value

    def _failed(self, what, exc):
        # The first failure of a run of them is worth a line; the kind only (an engine's
        # text could quote a connection string).
        if not self._failures:
            LOG.info('canary %s on %s:%d failed: %s', what, self.host, self.port,
                     type(exc).__name__)
        self._failures += 1
        if self._conn is not None and self._refused(exc):
            return                      # the connection works: ask again on it
        self.close()
        self._backoff = min(RECONNECT_MAX, self._backoff * 2 or RECONNECT_FIRST)
        self._connect_after = time.monotonic() + self._backoff

    def _refused(self, exc):
        """Whether `exc` is the engine refusing a statement on a working connection."""
        return isinstance(exc, Refused)

    def _connect(self):
        raise NotImplementedError

    def _write(self, conn, seq):
        raise NotImplementedError

    def _swap(self, conn, seq):
        raise NotImplementedError

    def _read(self, conn):
        raise NotImplementedError


def _table(target):
    schema, _, table = target.partition('.')
    return schema, table


class MariaDBWriter(CanaryWriter):
    """REPLACE of the canary's row, autocommit."""

    default_database = 'os_canary'

    def _connect(self):
        import pymysql
        return pymysql.connect(host=self.host, port=self.port, user=self.user,
                               password=self._password, database=self.database,
                               connect_timeout=WRITE_TIMEOUT, read_timeout=WRITE_TIMEOUT,
                               write_timeout=WRITE_TIMEOUT, autocommit=True)

    def _quoted(self):
        return '.'.join('`%s`' % part.replace('`', '``') for part in _table(self.target))

    def _write(self, conn, seq):
        with conn.cursor() as cursor:
            cursor.execute('REPLACE INTO %s (id, seq) VALUES (%%s, %%s)' % self._quoted(),
                           (ROW_ID, seq))

    def _read(self, conn):
        with conn.cursor() as cursor:
            cursor.execute('SELECT seq FROM %s WHERE id = %%s' % self._quoted(), (ROW_ID,))
            row = cursor.fetchone()
        return row[0] if row else None

    def _swap(self, conn, seq):
        try:
            conn.begin()
            with conn.cursor() as cursor:
                cursor.execute('SELECT seq FROM %s WHERE id = %%s FOR UPDATE'
                               % self._quoted(), (ROW_ID,))
                row = cursor.fetchone()
                cursor.execute('REPLACE INTO %s (id, seq) VALUES (%%s, %%s)'
                               % self._quoted(), (ROW_ID, seq))
            conn.commit()
        except Exception:
            try:
                conn.rollback()
            except Exception:
                pass
            raise
        return row[0] if row else None

    def _refused(self, exc):
        import pymysql
        return (isinstance(exc, pymysql.err.MySQLError) and bool(exc.args)
                and exc.args[0] in MARIADB_REFUSALS)


class PostgreSQLWriter(CanaryWriter):
    """INSERT … ON CONFLICT DO UPDATE of the canary's row, committed (autocommit)."""

    default_database = 'postgres'

    def _connect(self):
        import psycopg
        # libpq's connect_timeout is 2 s at least: a plain TCP connect first tells a member
        # that is gone within WRITE_TIMEOUT; tcp_user_timeout and statement_timeout bound
        # a write on a connection that stops answering.
        socket.create_connection((self.host, self.port), WRITE_TIMEOUT).close()
        millis = int(WRITE_TIMEOUT * 1000)
        return psycopg.connect(host=self.host, port=self.port, user=self.user,
                               password=self._password, dbname=self.database,
                               connect_timeout=2, tcp_user_timeout=millis, autocommit=True,
                               sslmode='disable', application_name='canary',
                               options='-c statement_timeout=%d' % millis)

    def _identifier(self):
        from psycopg import sql
        return sql.Identifier(*_table(self.target))

    def _write(self, conn, seq):
        from psycopg import sql
        conn.execute(sql.SQL('INSERT INTO {} (id, seq) VALUES (%s, %s) ON CONFLICT (id) DO '
                             'UPDATE SET seq = EXCLUDED.seq').format(self._identifier()),
                     (ROW_ID, seq))

    def _read(self, conn):
        from psycopg import sql
        row = conn.execute(sql.SQL('SELECT seq FROM {} WHERE id = %s').format(
            self._identifier()), (ROW_ID,)).fetchone()
        return row[0] if row else None

    def _swap(self, conn, seq):
        # The CTE reads the row as it was before the statement (one snapshot).
        from psycopg import sql
        row = conn.execute(sql.SQL(
            'WITH old AS (SELECT seq FROM {0} WHERE id = %s) '
            'INSERT INTO {0} (id, seq) VALUES (%s, %s) ON CONFLICT (id) DO '
            'UPDATE SET seq = EXCLUDED.seq RETURNING (SELECT seq FROM old)').format(
                self._identifier()), (ROW_ID, ROW_ID, seq)).fetchone()
        return row[0] if row else None

    def _refused(self, exc):
        import psycopg
        # A read-only transaction (a standby, or a fence's default_transaction_read_only)
        # on a connection that still answers.
        return (isinstance(exc, psycopg.errors.ReadOnlySqlTransaction)
                and not getattr(self._conn, 'closed', True))


class RedisWriter(CanaryWriter):
    """SET of the canary's key, answered OK."""

    default_target = 'os:canary'

    def _connect(self):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
        return redis.Redis(host=self.host, port=self.port, username=self.user,
                           password=self._password, socket_timeout=WRITE_TIMEOUT,
                           socket_connect_timeout=WRITE_TIMEOUT, retry=Retry(NoBackoff(), 0),
                           single_connection_client=True)

    def _write(self, conn, seq):
        if conn.set(self.target, seq) is not True:
            raise RuntimeError('not acknowledged')

    def _read(self, conn):
        return conn.get(self.target)

    def _swap(self, conn, seq):
        # SET … GET (Redis 6.2): the value replaced, in the same command.
        return conn.set(self.target, seq, get=True)

    def _refused(self, exc):
        import redis
        return isinstance(exc, redis.exceptions.ReadOnlyError)
