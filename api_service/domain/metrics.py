"""Instance metrics: each heartbeat's sample kept in a fixed-size ring per instance.

A sample lands in slot (epoch // interval) % (86400 // interval) of its instance
([metrics] interval_seconds), overwriting what the slot held: heartbeats more frequent than
the interval overwrite the current slot, and a day later the slot is reused, so an instance
never holds more than a day's slots. Reads answer the samples newer than a time, at most a
day old (older rows are slots no heartbeat reached since: a stopped agent's).
"""
import datetime
import math
import uuid

from sqlalchemy import and_, delete, select
from sqlalchemy.dialects import mysql, postgresql, sqlite

from api_service.common import exceptions
from api_service.common.config import CONF
from api_service.db import models_instances as m
from api_service.db import models_metrics as mm
from api_service.db.session import read_scope

DAY = 86400
# What a heartbeat's sample may carry, and how each is stored; anything else is ignored.
FIGURES = {'cpu_percent': float, 'memory_bytes': int, 'connections': int,
           'queries_per_second': float}
# A stored figure beyond what the column holds is no figure (a guest is not trusted).
LARGEST = 2 ** 62


def interval():
    return CONF.metrics.interval_seconds


def slot_of(epoch_seconds, seconds=None):
    """The ring slot of a time: its interval's number within the day's intervals."""
    seconds = seconds or interval()
    return int(epoch_seconds // seconds) % (DAY // seconds)


def _figure(value, kind):
    """A reported figure as stored, or None when it is not a finite, non-negative number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or value < 0 or value > LARGEST:
        return None
    return round(value, 2) if kind is float else int(value)


def _upsert(dialect_name):
    """INSERT … that overwrites the slot's row when it exists, in the service database's
    dialect (SQLite and PostgreSQL: ON CONFLICT; MariaDB: ON DUPLICATE KEY)."""
    table = mm.InstanceMetric.__table__
    values = {c.name for c in table.columns} - {'instance_id', 'slot'}
    if dialect_name == 'mysql':
        statement = mysql.insert(table)
        return statement.on_duplicate_key_update(
            {name: statement.inserted[name] for name in values})
    dialect = postgresql if dialect_name == 'postgresql' else sqlite
    statement = dialect.insert(table)
    return statement.on_conflict_do_update(
        index_elements=['instance_id', 'slot'],
        set_={name: statement.excluded[name] for name in values})


def record(session, instance_id, sampled_at, figures, volume_used_bytes):
    """Write one heartbeat's sample into its slot (one statement, in the caller's
    transaction). `figures`: what the guest reported (FIGURES; missing ones are None)."""
    sampled_at = sampled_at.replace(microsecond=0)
    epoch = sampled_at.replace(tzinfo=datetime.timezone.utc).timestamp()
    if not isinstance(figures, dict):
        figures = {}        # none sent (an older agent), or not what an agent sends
    row = {name: _figure(figures.get(name), kind) for name, kind in FIGURES.items()}
    row.update(instance_id=instance_id, slot=slot_of(epoch), sampled_at=sampled_at,
               volume_used_bytes=_figure(volume_used_bytes, int))
    session.execute(_upsert(session.get_bind().dialect.name), [row])


def forget(session, instance_id):
    """Remove a deleted instance's ring."""
    session.execute(delete(mm.InstanceMetric).where(mm.InstanceMetric.instance_id == instance_id))


class Samples:
    """An instance's samples newer than a time, oldest first, and its project (the caller
    enforces its policy with it)."""

    def __init__(self, project_id, rows):
        self.project_id = project_id
        self.rows = rows


def recent(ctx, instance_id, since, now):
    """The instance's samples newer than `since` and than a day before `now`, in one query;
    404 for an instance that is not the caller's project's (admins see any)."""
    try:
        uuid.UUID(instance_id)
    except ValueError:
        raise exceptions.NotFound("Instance '%s' cannot be found: ids are UUIDs."
                                  % instance_id[:64])
    oldest = now - datetime.timedelta(seconds=DAY)
    if since is None or since < oldest:
        since = oldest
    metric = mm.InstanceMetric
    # The instance row always comes back (outer join), so "no such instance" and "no
    # samples yet" are told apart without a second query.
    query = (select(m.Instance.project_id, *metric.__table__.columns)
             .select_from(m.Instance)
             .outerjoin(metric, and_(metric.instance_id == m.Instance.id,
                                     metric.sampled_at > since))
             .where(m.Instance.id == instance_id, m.Instance.deleted.is_(False))
             .order_by(metric.sampled_at))
    with read_scope() as connection:
        rows = connection.execute(query).all()
    if not rows or (rows[0].project_id != ctx.project_id and not ctx.is_admin):
        raise exceptions.NotFound("Instance '%s' cannot be found." % instance_id)
    return Samples(rows[0].project_id, [row for row in rows if row.slot is not None])
