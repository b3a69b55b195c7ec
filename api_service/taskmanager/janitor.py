"""Deadlines and recovery: no operation outlives its deadline, no ACTIVE instance stays dark.

Runs in the task manager every couple of seconds.
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

LOG = logging.getLogger(__name__)

WHAT_TIMED_OUT = {
    'create': 'The build did not finish within its deadline: the guest never reported '
              'the database ready.',
    'restart': 'The restart did not finish within its deadline.',
    'resize_volume': 'The volume resize did not finish within its deadline.',
    'resize_flavor': 'The flavor resize did not finish within its deadline.',
    'backup': 'The backup did not finish within its deadline.',
}


def expire_deadlines():
    """Operations past their deadline end in ERROR with a fault naming the step they were in.

    Returns the ids of deletes that ran out of time, for the caller to retry.
    """
    retry_deletes, timed_out_backups = [], []
    now = models.utcnow()
    with session_scope() as session:
        # Locked, so a status another transaction changes meanwhile (a delete) is not
        # overwritten; rows locked right now are looked at again on the next tick.
        overdue = session.scalars(select(m.Instance).where(
            m.Instance.task_deadline.is_not(None), m.Instance.task_deadline < now)
            .with_for_update(skip_locked=True))
        for instance in overdue:
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
    for instance_id, message in timed_out_backups:
        _fail_backups_of(instance_id, message)
    return retry_deletes


def _fail_backups_of(instance_id, message):
    with session_scope() as session:
        ids = list(session.scalars(select(b.Backup.id).where(
            b.Backup.instance_id == instance_id, b.Backup.status.in_(['NEW', 'BUILDING']))))
    for backup_id in ids:
        backups.fail(instance_id, backup_id, message)
