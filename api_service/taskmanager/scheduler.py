"""The backup scheduler: runs each due schedule exactly once, even with several task managers.

Each tick: a schedule whose next_execution_time has passed is claimed by inserting its
execution row (unique per schedule and time: a second task manager's insert fails), and
its next time is moved on. Runs that fell while no task manager was running are recorded
as MISSED; only the latest is run (one catch-up). A run that finds its instance busy or
not ACTIVE is SKIPPED with the reason. When a scheduled backup completes, retention
deletes the oldest completed backups of the schedule beyond N, never a parent of one kept.
"""
import datetime
import logging

from croniter import croniter
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from api_service.common import context
from api_service.common import exceptions
from api_service.db import models
from api_service.db import models_backups as b
from api_service.db import models_schedules as s
from api_service.db.session import session_scope
from api_service.domain import backup_deletes
from api_service.domain import backups
from api_service.domain import schedules

LOG = logging.getLogger(__name__)
MAX_MISSED_RECORDED = 100
# The longest chain (a full backup and its incrementals) an incremental schedule builds.
MAX_CHAIN = 10


def tick(start_backup, delete_backups, now=None):
    """One pass: claim and start due runs, then settle finished ones. Returns runs started."""
    now = now or models.utcnow()
    started = 0
    with session_scope() as session:
        due = list(session.scalars(select(s.Schedule).where(
            s.Schedule.enabled.is_(True), s.Schedule.next_execution_time <= now)))
    for schedule in due:
        if _claim_and_run(schedule, now, start_backup):
            started += 1
    doomed = settle()
    if doomed:
        delete_backups(doomed)
    return started


def _due_times(schedule, now):
    """The missed times (the first MAX_MISSED_RECORDED) and the latest due time, to run.

    The latest is found directly, not by stepping: a seconds-level pattern after a long
    downtime has far more due times than are recorded, and the run is still the latest.
    """
    latest = max(schedule.next_execution_time, croniter(
        schedule.pattern, now + datetime.timedelta(microseconds=1)).get_prev(datetime.datetime))
    missed = []
    it = croniter(schedule.pattern, schedule.next_execution_time -
                  datetime.timedelta(microseconds=1))
    while len(missed) < MAX_MISSED_RECORDED:
        when = it.get_next(datetime.datetime)
        if when >= latest:
            break
        missed.append(when)
    return missed, latest


def _claim_and_run(schedule, now, start_backup):
    missed, run_time = _due_times(schedule, now)
    following = croniter(schedule.pattern, now).get_next(datetime.datetime)
    try:
        with session_scope() as session:
            moved = session.execute(update(s.Schedule).where(
                s.Schedule.id == schedule.id,
                s.Schedule.next_execution_time == schedule.next_execution_time)
                .values(next_execution_time=following)).rowcount
            if moved != 1:
                _lost(schedule, run_time)
                return False
            for when in missed:
                session.add(s.Execution(schedule_id=schedule.id, scheduled_time=when,
                                        state='MISSED',
                                        output='No task manager ran it in time.'))
            execution = s.Execution(schedule_id=schedule.id, scheduled_time=run_time,
                                    started=now, state='RUNNING')
            session.add(execution)
            session.flush()
            execution_id = execution.id
    except IntegrityError:
        _lost(schedule, run_time)
        return False
    LOG.info('schedule %s: claimed the run of %s (%d missed)', schedule.id,
             run_time.isoformat(), len(missed))
    _run(schedule, execution_id, start_backup)
    return True


def _lost(schedule, run_time):
    LOG.info('schedule %s: the run of %s was claimed by another task manager', schedule.id,
             run_time.isoformat())


def _run(schedule, execution_id, start_backup):
    ctx = context.RequestContext(project_id=schedule.project_id, user_id='scheduler',
                                 is_admin=False)
    try:
        backup, _ = backups.create(ctx, {'name': '%s %s' % (schedule.name,
                                                            models.utcnow().isoformat()),
                                         'instance': schedule.instance_id,
                                         'description': 'Made by schedule %s' % schedule.id,
                                         'incremental': _continues_a_chain(schedule)})
    except exceptions.DBaaSError as error:
        _finish(execution_id, 'SKIPPED', error.message)
        return
    except Exception as error:
        LOG.exception('schedule %s could not start its backup', schedule.id)
        _finish(execution_id, 'FAILED', 'The backup could not start: %s' % type(error).__name__)
        return
    with session_scope() as session:
        session.get(b.Backup, backup.id).schedule_id = schedule.id
        session.get(s.Execution, execution_id).backup_id = backup.id
    start_backup(schedule.instance_id, backup.id)


def _continues_a_chain(schedule):
    """Whether this run is an incremental. An incremental schedule starts a new chain with a
    full backup when the instance has none to build on, or when the chain reached its limit:
    retention (so whole old chains can go) and at most MAX_CHAIN (so restores stay short)."""
    if not schedule.incremental:
        return False
    limit = min(schedule.retention, MAX_CHAIN) if schedule.retention > 0 else MAX_CHAIN
    with session_scope() as session:
        newest = session.scalars(select(b.Backup).where(
            b.Backup.instance_id == schedule.instance_id, b.Backup.status == 'COMPLETED',
            b.Backup.deleted.is_(False)).order_by(b.Backup.created.desc())).first()
        if newest is None:
            return False
        return len(backups.chain(session, newest)) < limit


def _finish(execution_id, state, output):
    with session_scope() as session:
        execution = session.get(s.Execution, execution_id)
        execution.state = state
        execution.output = output[:255]
        execution.finished = models.utcnow()


# Runs a backup's completion settled (in the conductor) since this long before the previous
# tick still get retention: clocks of several hosts, and a tick that overlapped the commit.
RETENTION_LOOKBACK = datetime.timedelta(seconds=60)
_retention_since = None     # None: the first tick in this process looks at every schedule


def settle():
    """RUNNING executions whose backup finished become SUCCESS or FAILED (a backup that
    ended without its completion report, e.g. a deadline); then retention for each schedule
    with a run that succeeded lately.

    Returns the ids of the backups retention deletes, for their objects to be deleted.
    """
    global _retention_since
    mark = models.utcnow()
    with session_scope() as session:
        rows = session.scalars(select(b.Backup).join(
            s.Execution, s.Execution.backup_id == b.Backup.id).where(
            s.Execution.state == 'RUNNING',
            b.Backup.status.in_(['COMPLETED', 'FAILED']))).all()
        for backup in rows:
            schedules.settle_run(session, backup)
    with session_scope() as session:
        if _retention_since is None:
            candidates = session.scalars(select(s.Schedule.id).where(s.Schedule.retention > 0))
        else:
            candidates = session.scalars(select(s.Execution.schedule_id).distinct().where(
                s.Execution.state == 'SUCCESS', s.Execution.finished >= _retention_since))
        finished_schedules = sorted(set(candidates))
    _retention_since = mark - RETENTION_LOOKBACK
    doomed = []
    for schedule_id in finished_schedules:
        doomed += apply_retention(schedule_id)
    return doomed


def apply_retention(schedule_id):
    """Keep the newest `retention` completed backups; never delete a parent of a kept one."""
    with session_scope() as session:
        schedule = session.get(s.Schedule, schedule_id)
        if schedule is None or schedule.retention <= 0:
            return []
        completed = list(session.scalars(select(b.Backup).where(
            b.Backup.schedule_id == schedule_id, b.Backup.status == 'COMPLETED',
            b.Backup.deleted.is_(False)).order_by(b.Backup.created.desc(), b.Backup.id.desc())))
        kept = completed[:schedule.retention]
        needed = set()
        for backup in kept:
            parent_id = backup.parent_id
            while parent_id:
                needed.add(parent_id)
                parent = session.get(b.Backup, parent_id)
                parent_id = parent.parent_id if parent else None
        doomed = [x for x in completed[schedule.retention:] if x.id not in needed]
        project_id = schedule.project_id
    ctx = context.RequestContext(project_id=project_id, is_admin=True)
    deleting = []
    for backup in doomed:
        try:
            deleting += backup_deletes.begin(ctx, backup.id, with_chain=False)
        except exceptions.DBaaSError as error:
            LOG.info('retention keeps backup %s: %s', backup.id, error.message)
    return deleting
