"""Engine and session factory; SQLite gets WAL and a busy timeout."""
import contextlib
import threading

from sqlalchemy import create_engine, event
from sqlalchemy.orm import sessionmaker

from api_service.common.config import CONF

_LOCK = threading.Lock()
_FACTORY = None
_READER = None


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


def make_engine(url, for_writes=True):
    kwargs = {}
    if url.startswith('sqlite'):
        kwargs['connect_args'] = {'check_same_thread': False, 'timeout': 10}
    else:
        kwargs['pool_pre_ping'] = True
    engine = create_engine(url, **kwargs)
    if url.startswith('sqlite'):
        event.listen(engine, 'connect', _sqlite_pragmas)
        if for_writes:
            event.listen(engine, 'connect', _sqlite_autocommit_driver)
            event.listen(engine, 'begin', _sqlite_begin_immediate)
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
    """The engine for read_scope(); on SQLite separate, so reads never take the write lock."""
    global _READER
    if _READER is None:
        with _LOCK:
            if _READER is None:
                url = CONF.database.connection
                _READER = (make_engine(url, for_writes=False) if url.startswith('sqlite')
                           else get_factory().kw['bind'])
    return _READER


def reset():
    """Forget the engines (tests, or after CONF changes)."""
    global _FACTORY, _READER
    if _READER is not None and _FACTORY is not None and _READER is not _FACTORY.kw['bind']:
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
    """A plain connection for hot read paths: SQL Core rows, no ORM bookkeeping."""
    with get_reader().connect() as connection:
        yield connection
