"""Named locks that hold across processes and on every supported database.

`hold(session, name)` takes a row lock on the named row of `service_locks` for the rest
of the session's transaction: `SELECT … FOR UPDATE` on PostgreSQL and MariaDB. On SQLite
writers already exclude each other (session.py begins them IMMEDIATE), and the same
statement is a plain read. Anything two task managers may decide at once (placement,
a host's room) reads and writes under one of these.
"""
from sqlalchemy import select

from api_service.db import models

PLACEMENT = 'placement'


def hold(session, name):
    """Block until this transaction holds lock `name` (a row the migrations seed)."""
    row = session.execute(select(models.ServiceLock.name)
                          .where(models.ServiceLock.name == name).with_for_update()).first()
    if row is None:
        raise LookupError('No service lock named %r: the migrations seed every lock.' % name)
