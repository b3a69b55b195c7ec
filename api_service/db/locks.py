"""Named locks that hold across processes and on every supported database.

`hold(session, name)` takes a row lock on the named row of `service_locks` for the rest
of the session's transaction: `SELECT … FOR UPDATE` on PostgreSQL and MariaDB. On SQLite
writers already exclude each other (session.py begins them IMMEDIATE), and the same
statement is a plain read. Anything two task managers may decide at once (placement,
a host's room) reads and writes under one of these.

A wait is bounded: PostgreSQL waits for ever unless told (`lock_timeout`), so `hold` sets it
for its own transaction and a wait past it raises `Busy`; MariaDB's innodb_lock_wait_timeout
(50 s by default) and SQLite's busy timeout bound theirs already.
"""
from sqlalchemy import exc, select, text

from api_service.db import models

PLACEMENT = 'placement'
# Module writes whose checks (unique names, live_update) must hold until they commit.
MODULES = 'modules'
WAIT_SECONDS = 60
_LOCK_NOT_AVAILABLE = '55P03'     # PostgreSQL's SQLSTATE for a lock_timeout


class Busy(Exception):
    """Another transaction held the lock for longer than this one would wait."""


def hold(session, name, wait_seconds=WAIT_SECONDS):
    """Block, at most `wait_seconds`, until this transaction holds lock `name` (a row the
    migrations seed); Busy when the wait runs out."""
    if session.get_bind().dialect.name == 'postgresql':
        session.execute(text("SET LOCAL lock_timeout = '%dms'" % int(wait_seconds * 1000)))
    try:
        row = session.execute(select(models.ServiceLock.name)
                              .where(models.ServiceLock.name == name).with_for_update()).first()
    except exc.OperationalError as error:
        if getattr(error.orig, 'sqlstate', None) == _LOCK_NOT_AVAILABLE:
            raise Busy('The %s lock was held for more than %s seconds by another task manager.'
                       % (name, wait_seconds)) from error
        raise
    if row is None:
        raise LookupError('No service lock named %r: the migrations seed every lock.' % name)
