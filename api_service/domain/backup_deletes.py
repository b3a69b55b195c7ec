"""Deleting backups: the intent recorded first, the objects deleted after, the outcome recorded.

A delete (the user's, or retention's) turns each backup it takes into DELETING in one
transaction, before any object is touched, and returns its quota then, once. The task manager
then deletes the backup's objects (`flows.delete_backups`) and records how that went: DELETED
(the row stays, hidden from its owner, as history) or DELETE_FAILED with a reason the owner
reads in GET /backups/{id}. Every pending delete carries `delete_next_attempt`: the janitor
claims those that fall due, so a DELETE_FAILED backup is retried with a bounded backoff until
its objects are gone, and one whose task manager died mid-delete is taken up again once its
attempt's time is over. Deleting objects twice is harmless, so two attempts at once are too.

As in Trove, DELETE_FAILED backups stay in the list and can be deleted again (at once); DELETED
ones are gone from it. DELETING is ours: Trove keeps the old status until the row vanishes.
"""
import datetime

from sqlalchemy import select, update

from api_service.common import exceptions
from api_service.common.config import CONF
from api_service.db import models
from api_service.db import models_backups as b
from api_service.db.session import session_scope
from api_service.domain import backups
from api_service.domain import quotas

DELETING, DELETED, DELETE_FAILED = 'DELETING', 'DELETED', backups.DELETE_FAILED
PENDING = (DELETING, DELETE_FAILED)
# Statuses whose backup still holds its quota (FAILED returned it when it failed).
_HOLDING_QUOTA = (backups.NEW, backups.BUILDING, backups.COMPLETED)


def _after(seconds, now=None):
    return (now or models.utcnow()) + datetime.timedelta(seconds=seconds)


def retry_delay(failures):
    """Seconds before the next attempt after `failures` failed ones: doubling, bounded."""
    first, most = CONF.backup.delete_retry_interval, CONF.backup.delete_retry_max_interval
    return min(most, first * 2 ** min(max(failures - 1, 0), 30))


def _live_children(session, backup_id):
    return list(session.scalars(select(b.Backup).where(b.Backup.parent_id == backup_id,
                                                       b.Backup.deleted.is_(False))))


def begin(ctx, backup_id, with_chain=False):
    """Record the delete of a backup (and, if asked, its descendants): each becomes DELETING
    with an attempt claimed for the caller, which then casts it. Returns their ids.

    Deleting a backup whose delete is pending (DELETING, DELETE_FAILED) claims a new attempt
    at once; its quota was returned the first time.
    """
    with session_scope() as session:
        backup = backups.get(ctx, backup_id, session)
        doomed, kids = [backup], _live_children(session, backup.id)
        blocking = [k for k in kids if k.status not in PENDING]
        if blocking and not with_chain:
            raise exceptions.Conflict(
                'Backup %s is the parent of incremental backup(s) %s: delete those first, or '
                'delete the whole chain with ?delete_chain=true.'
                % (backup_id, ', '.join(k.id for k in blocking)))
        while kids and with_chain:
            doomed.extend(kids)
            kids = [g for k in kids for g in _live_children(session, k.id)]
        # Read again under the rows' locks (in one order): of two deletes at once, the second
        # sees the first's DELETING, so the quota is returned once.
        doomed = [item for item in session.scalars(
            select(b.Backup).where(b.Backup.id.in_([item.id for item in doomed]))
            .order_by(b.Backup.id).with_for_update()
            .execution_options(populate_existing=True)) if not item.deleted]
        busy = [item.id for item in doomed if item.status in (backups.NEW, backups.BUILDING)]
        if busy:
            raise exceptions.Conflict('Backup %s is still being made; delete it once it has '
                                      'finished.' % ', '.join(busy))
        holding = sum(1 for item in doomed if item.status in _HOLDING_QUOTA)
        lease = _after(CONF.backup.delete_attempt_timeout)
        for item in doomed:
            item.status = DELETING
            item.fail_reason = None
            item.delete_next_attempt = lease
        if holding:
            quotas.release(session, backup.project_id, {'backups': holding})
        return [item.id for item in doomed]


def claim_due(limit=20, now=None):
    """Claim pending deletes whose next attempt is due (for the janitor): each is claimed by a
    conditional update, so of several task managers one takes it. Returns the ids claimed."""
    now = now or models.utcnow()
    with session_scope() as session:
        due = list(session.scalars(select(b.Backup.id).where(
            b.Backup.delete_next_attempt <= now, b.Backup.status.in_(PENDING))
            .order_by(b.Backup.delete_next_attempt).limit(limit)))
    claimed = []
    lease = _after(CONF.backup.delete_attempt_timeout, now)
    for backup_id in due:
        with session_scope() as session:
            # A claimed row's next attempt is its lease, after `now`: claimed once.
            taken = session.execute(update(b.Backup).where(
                b.Backup.id == backup_id, b.Backup.delete_next_attempt <= now,
                b.Backup.status.in_(PENDING)).values(delete_next_attempt=lease)).rowcount
        if taken:
            claimed.append(backup_id)
    return claimed


def location_of(backup_id):
    """The object location of a backup whose delete is pending; None if there is nothing
    (left) to delete: no object, or no delete pending (it ended meanwhile)."""
    with session_scope() as session:
        backup = session.get(b.Backup, backup_id)
        if backup is None or backup.status not in PENDING:
            return None
        return backup.location or ''


def objects_gone(backup_id):
    """The backup's objects are gone: DELETED, hidden from its owner, kept as history."""
    now = models.utcnow()
    with session_scope() as session:
        session.execute(update(b.Backup).where(
            b.Backup.id == backup_id, b.Backup.status.in_(PENDING)).values(
            status=DELETED, deleted=True, deleted_at=now, fail_reason=None,
            delete_next_attempt=None))


def attempt_failed(backup_id, reason):
    """The store kept the objects: DELETE_FAILED with `reason`, the next attempt backed off.
    Returns the seconds until it."""
    with session_scope() as session:
        backup = session.get(b.Backup, backup_id, with_for_update=True)
        if backup is None or backup.status not in PENDING:
            return None     # another attempt finished it meanwhile
        backup.delete_attempts = (backup.delete_attempts or 0) + 1
        delay = retry_delay(backup.delete_attempts)
        backup.status = DELETE_FAILED
        backup.fail_reason = reason[:255]
        backup.delete_next_attempt = _after(delay)
        return delay
