"""Backup schedules (our extension): cron patterns that make backups, with retention."""
import datetime
import uuid

from croniter import croniter
from sqlalchemy import select

from api_service.common import exceptions
from api_service.db import models
from api_service.db import models_schedules as s
from api_service.db.session import session_scope
from api_service.domain import cron_patterns
from api_service.domain import instances

FIELDS = ('name', 'description', 'pattern', 'incremental', 'retention', 'enabled')


def check_pattern(pattern):
    """5 fields (minute hour day month weekday), or 6 with seconds last (croniter's way);
    refused in words naming the field that is wrong (domain/cron_patterns.py)."""
    found = cron_patterns.problem(pattern) if isinstance(pattern, str) else \
        'The pattern must be text, e.g. \'0 3 * * *\' for 03:00 daily.'
    if found:
        raise exceptions.BadRequest(found)
    return pattern


def settle_run(session, backup):
    """The scheduled run that made `backup` ends with it: SUCCESS or FAILED. Called in the
    transaction that finishes the backup, so no reader sees a finished backup whose run is
    still RUNNING."""
    if backup.schedule_id is None or backup.status not in ('COMPLETED', 'FAILED'):
        return
    for execution in session.scalars(select(s.Execution).where(
            s.Execution.schedule_id == backup.schedule_id,
            s.Execution.backup_id == backup.id, s.Execution.state == 'RUNNING')):
        execution.state = 'SUCCESS' if backup.status == 'COMPLETED' else 'FAILED'
        execution.output = backup.id if backup.status == 'COMPLETED' else \
            (backup.fail_reason or 'The backup failed.')
        execution.finished = models.utcnow()


def next_time(pattern, after):
    return croniter(pattern, after).get_next(datetime.datetime)


def _get(ctx, instance_id, schedule_id, session):
    instances.get(ctx, instance_id, session)
    try:
        uuid.UUID(schedule_id)
    except ValueError:
        raise exceptions.NotFound("Schedule '%s' cannot be found: ids are UUIDs."
                                  % schedule_id[:64])
    schedule = session.get(s.Schedule, schedule_id)
    if schedule is None or schedule.instance_id != instance_id:
        raise exceptions.NotFound("Schedule '%s' cannot be found." % schedule_id)
    return schedule


def _check_can_back_up(view, incremental):
    """Refuse a schedule whose every run would fail: the engine must offer what it asks for."""
    capabilities = set(filter(None, (view.version.capabilities or '').split(',')))
    if 'backups' not in capabilities:
        raise exceptions.BadRequest('%s instances cannot be backed up.' % view.datastore.name)
    if incremental and 'incremental_backups' not in capabilities:
        raise exceptions.BadRequest('%s %s instances cannot make incremental backups: schedule '
                                    'full backups (incremental false).'
                                    % (view.datastore.name, view.version.name))


def create(ctx, instance_id, body):
    check_pattern(body['pattern'])
    with session_scope() as session:
        view = instances.get(ctx, instance_id, session)
        _check_can_back_up(view, body.get('incremental', False))
        schedule = s.Schedule(project_id=view.instance.project_id, instance_id=instance_id,
                              name=body['name'], description=body.get('description'),
                              pattern=body['pattern'],
                              incremental=bool(body.get('incremental', False)),
                              retention=body.get('retention', 0),
                              enabled=body.get('enabled', True),
                              next_execution_time=next_time(body['pattern'], models.utcnow()))
        session.add(schedule)
        session.flush()
        return schedule


def list_for(ctx, instance_id):
    with session_scope() as session:
        instances.get(ctx, instance_id, session)
        return list(session.scalars(select(s.Schedule).where(s.Schedule.instance_id ==
                                                             instance_id)
                                    .order_by(s.Schedule.created)))


def get(ctx, instance_id, schedule_id):
    with session_scope() as session:
        return _get(ctx, instance_id, schedule_id, session)


def update(ctx, instance_id, schedule_id, changes):
    with session_scope() as session:
        schedule = _get(ctx, instance_id, schedule_id, session)
        if 'pattern' in changes:
            check_pattern(changes['pattern'])
        if changes.get('incremental'):
            _check_can_back_up(instances.get(ctx, instance_id, session), True)
        for field in FIELDS:
            if field in changes:
                setattr(schedule, field, changes[field])
        if 'pattern' in changes or changes.get('enabled'):
            schedule.next_execution_time = next_time(schedule.pattern, models.utcnow())
        return schedule


def delete(ctx, instance_id, schedule_id):
    with session_scope() as session:
        schedule = _get(ctx, instance_id, schedule_id, session)
        session.query(s.Execution).filter_by(schedule_id=schedule.id).delete()
        session.delete(schedule)


def executions(ctx, instance_id, schedule_id):
    with session_scope() as session:
        _get(ctx, instance_id, schedule_id, session)
        return list(session.scalars(select(s.Execution).where(
            s.Execution.schedule_id == schedule_id).order_by(s.Execution.scheduled_time)))


def delete_execution(ctx, instance_id, schedule_id, execution_id):
    with session_scope() as session:
        _get(ctx, instance_id, schedule_id, session)
        execution = session.get(s.Execution, execution_id)
        if execution is None or execution.schedule_id != schedule_id:
            raise exceptions.NotFound("Execution '%s' cannot be found." % execution_id[:64])
        if execution.state == 'RUNNING':
            raise exceptions.Conflict('Execution %s is still running.' % execution_id)
        session.delete(execution)


def run_now(ctx, instance_id, schedule_id):
    """Make the schedule due now: the scheduler's next tick (about a second) runs it as any
    due run, claimed once, skipped in words if the instance is busy, and retention applies."""
    with session_scope() as session:
        schedule = _get(ctx, instance_id, schedule_id, session)
        if not schedule.enabled:
            raise exceptions.Conflict('The schedule "%s" is disabled: enable it to run it '
                                      'now.' % schedule.name)
        schedule.next_execution_time = models.utcnow()
        return schedule


def last_good_backup(session, schedule_id):
    from api_service.db import models_backups as b
    return session.scalars(select(b.Backup).where(
        b.Backup.schedule_id == schedule_id, b.Backup.status == 'COMPLETED',
        b.Backup.deleted.is_(False)).order_by(b.Backup.created.desc())).first()
