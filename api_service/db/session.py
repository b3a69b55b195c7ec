"""Engine and session factory for the service database.

SQLite (the embedded default) gets WAL, a busy timeout and writers that begin IMMEDIATE, so
writers exclude each other. PostgreSQL (`postgresql+psycopg://`) and MariaDB/MySQL
(`mysql+pymysql://`) run transactions concurrently: what must not interleave takes a row
lock (`db/locks.py`), and a conditional UPDATE is the atomic check elsewhere. Both read
committed data, so a lock taken mid-transaction sees what its previous holder wrote.

A server database may restart under us. Opening a connection is retried for
[database] connect_retry_seconds (nothing was written yet, so waiting is safe); the pool
pings a connection before lending it, so one the restart cut is replaced by a new one
through the same retry. Past the window, DatabaseUnavailable: a 503 for an API request,
a logged failure for a task manager or conductor loop, which goes on with its next round.
A statement that was running when the server went away is not retried (it may have
written): its error reaches the caller as SQLAlchemy's, flagged connection_invalidated.
"""
import contextlib
import logging
import threading
import time

from sqlalchemy import DateTime, create_engine, event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import sessionmaker

from api_service.common import exceptions
from api_service.common.config import CONF

LOG = logging.getLogger(__name__)
# Pauses between attempts to open a connection: short at first (a restart takes about a
# second), at most a second apart after.
FIRST_PAUSE, LONGEST_PAUSE = 0.05, 1.0

_LOCK = threading.Lock()
_FACTORY = None
_READER = None


@compiles(DateTime, 'mysql')
@compiles(DateTime, 'mariadb')
def _datetime_with_microseconds(_type, _compiler, **_kw):
    # MariaDB's plain DATETIME keeps whole seconds: what is ordered by time (an instance's
    # latest fault, events, backups newest first) would tie within a second. The migrations'
    # DDL is compiled through here, so every time column has microseconds as elsewhere.
    return 'DATETIME(6)'


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute('PRAGMA journal_mode=WAL')
    cur.execute('PRAGMA synchronous=NORMAL')
    cur.execute('PRAGMA foreign_keys=ON')
    cur.execute('PRAGMA busy_timeout=10000')
    cur.close()


def _sqlite_autocommit_driver(dbapi_conn, _record):
    # Let SQLAlchemy's "begin" event decide how transactions start.
    dbapi_conn.isolation_level = None


def _sqlite_begin_immediate(conn):
    # Writers take SQLite's write lock up front: a deferred transaction that reads and
    # then writes fails at once under WAL when another writer got in between.
    conn.exec_driver_sql('BEGIN IMMEDIATE')


def _connect_retrying(dialect, _record, cargs, cparams):
    """SQLAlchemy's do_connect hook: the driver's connect, retried while the server is away
    (restarting, refusing, not listening yet) for [database] connect_retry_seconds."""
    deadline = time.monotonic() + CONF.database.connect_retry_seconds
    pause, attempts = FIRST_PAUSE, 0
    while True:
        attempts += 1
        try:
            connection = dialect.connect(*cargs, **cparams)
        except dialect.loaded_dbapi.OperationalError as error:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                # The driver's text is for operators: it names sockets and hosts.
                LOG.error('the service database is unreachable after %d attempt(s) in %.1f '
                          's: %s', attempts, CONF.database.connect_retry_seconds,
                          str(error).strip())
                raise exceptions.DatabaseUnavailable() from error
            if attempts == 1:
                LOG.warning('the service database is unreachable, retrying for up to %.1f s: '
                            '%s', CONF.database.connect_retry_seconds, str(error).strip())
            time.sleep(min(pause, remaining))    # the last attempt at the deadline
            pause = min(pause * 2, LONGEST_PAUSE)
            continue
        if attempts > 1:
            LOG.info('the service database answers again (after %d attempts)', attempts)
        return connection


def make_engine(url, for_writes=True):
    kwargs = {}
    if url.startswith('sqlite'):
        kwargs['connect_args'] = {'check_same_thread': False, 'timeout': 10}
    else:
        kwargs['pool_pre_ping'] = True     # a restarted database server costs no request
        if not for_writes:
            # Each read is one statement, which READ COMMITTED gives its own snapshot anyway:
            # without a transaction around it, it costs no BEGIN and no ROLLBACK round trip.
            kwargs['isolation_level'] = 'AUTOCOMMIT'
        elif url.startswith('mysql'):
            # InnoDB's default (REPEATABLE READ) would keep reading the snapshot a transaction
            # began with after it waited for a lock; PostgreSQL's default is READ COMMITTED.
            kwargs['isolation_level'] = 'READ COMMITTED'
    engine = create_engine(url, **kwargs)
    if url.startswith('sqlite'):
        event.listen(engine, 'connect', _sqlite_pragmas)
        if for_writes:
            event.listen(engine, 'connect', _sqlite_autocommit_driver)
            event.listen(engine, 'begin', _sqlite_begin_immediate)
    else:
        event.listen(engine, 'do_connect', _connect_retrying)
    return engine


def get_factory():
    global _FACTORY
    if _FACTORY is None:
        with _LOCK:
            if _FACTORY is None:
                _FACTORY = sessionmaker(bind=make_engine(CONF.database.connection),
                                        expire_on_commit=False)
    return _FACTORY


def get_reader():
    """The engine for read_scope(), apart from the writers': on SQLite reads never take the
    write lock; on a server they run outside any transaction (autocommit)."""
    global _READER
    if _READER is None:
        with _LOCK:
            if _READER is None:
                _READER = make_engine(CONF.database.connection, for_writes=False)
    return _READER


def reset():
    """Forget the engines (tests, or after CONF changes)."""
    global _FACTORY, _READER
    if _READER is not None:
        _READER.dispose()
    if _FACTORY is not None:
        _FACTORY.kw['bind'].dispose()
    _FACTORY = _READER = None


@contextlib.contextmanager
def session_scope():
    """One transaction: committed on success, rolled back on error."""
    session = get_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextlib.contextmanager
def read_scope():
    """A plain connection for hot read paths: SQL Core rows, no ORM bookkeeping; each
    statement sees what is committed when it runs (no transaction spans two of them)."""
    with get_reader().connect() as connection:
        yield connection
