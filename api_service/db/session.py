"""Engine and session factory; SQLite gets WAL and a busy timeout."""
import contextlib
import threading

from sqlalchemy import create_engine, event
from sqlalchemy.orm import sessionmaker

from api_service.common.config import CONF

_LOCK = threading.Lock()
_FACTORY = None


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute('PRAGMA journal_mode=WAL')
    cur.execute('PRAGMA synchronous=NORMAL')
    cur.execute('PRAGMA foreign_keys=ON')
    cur.execute('PRAGMA busy_timeout=10000')
    cur.close()


def make_engine(url):
    kwargs = {'future': True}
    if url.startswith('sqlite'):
        kwargs['connect_args'] = {'check_same_thread': False, 'timeout': 10}
    else:
        kwargs['pool_pre_ping'] = True
    engine = create_engine(url, **kwargs)
    if url.startswith('sqlite'):
        event.listen(engine, 'connect', _sqlite_pragmas)
    return engine


def get_factory():
    global _FACTORY
    if _FACTORY is None:
        with _LOCK:
            if _FACTORY is None:
                _FACTORY = sessionmaker(bind=make_engine(CONF.database.connection),
                                        expire_on_commit=False)
    return _FACTORY


def reset():
    """Forget the engine (tests, or after CONF changes)."""
    global _FACTORY
    if _FACTORY is not None:
        _FACTORY.kw['bind'].dispose()
    _FACTORY = None


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
    with get_factory().kw['bind'].connect() as connection:
        yield connection
