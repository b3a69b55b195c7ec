"""Deadlines and recovery: no operation outlives its deadline, and the operations of a task
manager that died are settled by a live one (owners.py says who is alive and owns what).

Runs in the task manager every second. Missing heartbeats change no status: only a guest's
own report does (a conductor or broker outage must not make instances flap).
"""
import logging

from sqlalchemy import select

from api_service.db import models
from api_service.db import models_backups as b
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import backups
from api_service.domain import events
from api_service.domain import faults
from api_service.domain import status
from api_service.domain import switchovers
from api_service.taskmanager import owners

LOG = logging.getLogger(__name__)

WHAT_TIMED_OUT = {
    'create': 'The build did not finish within its deadline: the guest never reported '
              'the database ready.',
    'restart': 'The restart did not finish within its deadline.',
    'resize_volume': 'The volume resize did not finish within its deadline.',
    'resize_flavor': 'The flavor resize did not finish within its deadline.',
    'backup': 'The backup did not finish within its deadline.',
    'promote_to_replica_source': 'The promote did not finish within its deadline.',
    'eject_replica_source': 'The eject did not finish within its deadline.',
    'detach_replica': 'The detach did not finish within its deadline.',
}


def expire_deadlines():
    """Operations past their deadline end in ERROR with a fault naming the step they were in.

    A resize whose task manager is gone gives its reservation back here (owners.settle_quota);
    one a live task manager runs settles its own as its flow ends. Until we may judge
    others (owners.may_judge_others), a row another task manager owns is left for later.

    Returns the ids of deletes that ran out of time, for the caller to retry.
    """
    judging = owners.may_judge_others()
    retry_deletes, timed_out_backups = [], []
    now = models.utcnow()
    with session_scope() as session:
        # Locked, so a status another transaction changes meanwhile (a delete) is not
        # overwritten; rows locked right now are looked at again on the next tick.
        overdue = session.scalars(select(m.Instance).where(
            m.Instance.task_deadline.is_not(None), m.Instance.task_deadline < now)
            .with_for_update(skip_locked=True))
        for instance in overdue:
            if instance.task_owner not in (None, owners.ME) and not judging:
                continue
            if instance.status == status.DELETING:
                retry_deletes.append(instance.id)
                instance.task_deadline = None
                continue
            running = session.scalars(select(m.InstanceEvent.step).where(
                m.InstanceEvent.instance_id == instance.id,
                m.InstanceEvent.outcome == events.RUNNING)).first()
            message = WHAT_TIMED_OUT.get(instance.task, 'The operation timed out.')
            if running:
                message += ' (step: %s)' % running
            if instance.task == 'backup':
                # The engine may be fine: the instance returns to ACTIVE, the backup fails.
                timed_out_backups.append((instance.id, message))
                continue
            LOG.warning('instance %s: %s', instance.id, message)
            try:
                status.fail(instance)
            except status.IllegalTransition:
                # A deadline on a status no operation runs in is a bug; one such row must
                # not stop the others' deadlines, tick after tick.
                LOG.exception('instance %s: deadline in status %s', instance.id, instance.status)
                instance.task_deadline = None
                continue
            faults.record(instance.id, message, session=session)
            events.fail_running(session, instance.id, message)
            if owners.is_gone(session, instance.task_owner):
                owners.settle_quota(session, instance)
    for instance_id, message in timed_out_backups:
        _fail_backups_of(instance_id, message)
    return retry_deletes


def _fail_backups_of(instance_id, message):
    with session_scope() as session:
        ids = list(session.scalars(select(b.Backup.id).where(
            b.Backup.instance_id == instance_id, b.Backup.status.in_(['NEW', 'BUILDING']))))
    for backup_id in ids:
        backups.fail(instance_id, backup_id, message)


# -- operations a dead task manager left ----------------------------------------------------

WHAT_STOPPED = {
    'create': 'The task manager building the instance stopped',
    'restart': 'The task manager restarting the database stopped',
    'resize_volume': 'The task manager resizing the volume stopped',
    'resize_flavor': 'The task manager resizing the flavor stopped',
    'promote_to_replica_source': 'The task manager promoting the replica stopped',
    'eject_replica_source': 'The task manager ejecting the source stopped',
    'detach_replica': 'The task manager detaching the replica stopped',
}
# Steps at which the guest has the operation: it reports how it ends (or the deadline
# does, if the cast never left).
GUEST_HAS_IT = ('prepare', 'restore', 'stream to storage')


def settle_orphaned():
    """Instances whose operation a dead task manager ran (owners.orphaned): a build or
    restart or resize it was running ends in ERROR at once with a fault naming the step; a
    delete is returned to retry now; a backup not yet sent to the guest is returned to start
    again; what the guest already has is left to the guest (and the deadline).

    Returns (instance ids to delete, (instance id, backup id) to start)."""
    if not owners.may_judge_others():
        return [], []
    deletes, backups_to_start, backups_to_fail = [], [], []
    with session_scope() as session:
        orphans = session.scalars(select(m.Instance).where(
            m.Instance.deleted.is_(False),
            m.Instance.status.in_(sorted(status.TRANSITIONAL)) | m.Instance.task_quota.is_not(None),
            owners.orphaned()).with_for_update(skip_locked=True))
        for instance in orphans:
            running = session.scalars(select(m.InstanceEvent.step).where(
                m.InstanceEvent.instance_id == instance.id,
                m.InstanceEvent.outcome == events.RUNNING)
                .order_by(m.InstanceEvent.started.desc())).first()
            LOG.warning('instance %s: its task manager stopped during %s (step: %s)',
                        instance.id, instance.task, running)
            if instance.status not in status.TRANSITIONAL:
                # Failed by its deadline or an admin while its task manager still ran, which
                # then died before its flow gave the reservation back.
                instance.task_owner = None
                owners.settle_quota(session, instance)
                continue
            if instance.status == status.DELETING:
                instance.task_owner = owners.ME
                instance.task_deadline = None   # retried now, not by expire_deadlines too
                deletes.append(instance.id)
                continue
            instance.task_owner = None      # ours to settle now, or the guest's
            if running in GUEST_HAS_IT:
                continue
            if instance.status == status.BACKUP:
                _orphaned_backups(session, instance.id, backups_to_start, backups_to_fail)
                continue
            message = WHAT_STOPPED.get(instance.task, 'The task manager running the '
                                       'operation stopped')
            message += ' (step: %s).' % running if running else '.'
            try:
                status.fail(instance)
            except status.IllegalTransition:
                LOG.exception('instance %s: orphaned in status %s', instance.id,
                              instance.status)
                continue
            faults.record(instance.id, message, session=session)
            events.fail_running(session, instance.id, message)
            # As the resize's own failure does: against the row's sizes now.
            owners.settle_quota(session, instance)
    for instance_id, backup_id in backups_to_fail:
        backups.fail(instance_id, backup_id, 'The task manager stopped before the backup '
                                             'was sent to the guest.')
    if switchovers.close_abandoned(owners.is_gone):
        LOG.warning('switchover reports of a stopped task manager closed as failed')
    return deletes, backups_to_start


def _orphaned_backups(session, instance_id, to_start, to_fail):
    """NEW: the task manager never began it, start it again. BUILDING without the guest's
    step: it stopped before the guest was asked, fail it (nothing was written)."""
    for backup_id, backup_status in session.execute(select(b.Backup.id, b.Backup.status).where(
            b.Backup.instance_id == instance_id, b.Backup.status.in_(['NEW', 'BUILDING']))):
        (to_start if backup_status == 'NEW' else to_fail).append((instance_id, backup_id))
