"""Events: each step of each operation on an instance, with its outcome."""
import contextlib
import re

from sqlalchemy import and_, insert, select

from api_service.common import exceptions
from api_service.db import models
from api_service.db import models_backups as b
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.drivers.compute.base import DriverError

RUNNING, SUCCESS, FAILED = 'RUNNING', 'SUCCESS', 'FAILED'

# How a step's message names the backup it works on ('backup <id>', 'restoring backup <id>').
_NAMES_BACKUP = re.compile(r'\bbackup ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                           r'[0-9a-f]{12})\b')


def backup_named(message):
    """The id of the backup a step's message names, or None: the event's `backup_id`, so a
    page can link the step to its backup without a lookup per event."""
    found = _NAMES_BACKUP.search(message or '')
    return found.group(1) if found else None


def start(instance_id, operation, step, message=''):
    with session_scope() as session:
        event = m.InstanceEvent(instance_id=instance_id, operation=operation, step=step)
        _say(event, message)
        session.add(event)
        session.flush()
        return event.id


def finish(event_id, outcome=SUCCESS, message=None):
    with session_scope() as session:
        event = session.get(m.InstanceEvent, event_id)
        if event is not None and event.outcome == RUNNING:
            event.outcome = outcome
            event.finished = models.utcnow()
            if message is not None:
                _say(event, message)


def _say(event, message):
    """The step's message, and the backup it names (a later message naming none keeps the
    backup the step worked on)."""
    event.message = message[:255]
    event.backup_id = backup_named(message) or event.backup_id


def record_done(session, messages, operation, step, outcome=SUCCESS):
    """Finished steps of many instances at once ({instance_id: message}): one insert."""
    if not messages:
        return
    now = models.utcnow()
    session.execute(insert(m.InstanceEvent), [
        {'id': models.new_id(), 'instance_id': instance_id, 'operation': operation,
         'step': step, 'message': message[:255], 'backup_id': backup_named(message),
         'outcome': outcome, 'started': now, 'finished': now}
        for instance_id, message in sorted(messages.items())])


def close_running(session, instance_id, outcome, message=''):
    """Close every step still running: the operation ended (well or not) around them."""
    for event in session.scalars(select(m.InstanceEvent).where(
            m.InstanceEvent.instance_id == instance_id, m.InstanceEvent.outcome == RUNNING)):
        event.outcome = outcome
        event.finished = models.utcnow()
        if message:
            _say(event, message)


def fail_running(session, instance_id, message):
    close_running(session, instance_id, FAILED, message)


def written_for_tenant(error):
    """Whether an error's text was written for the tenant: our typed errors, or one marked
    `for_tenant`. Another process's text (RPC, subprocess) may hold paths, tracebacks or
    secrets."""
    return (isinstance(error, (exceptions.DBaaSError, DriverError))
            or getattr(error, 'for_tenant', False))


def readable(error):
    """What a tenant may read of an error: its text if written for them, else its kind."""
    return str(error) if written_for_tenant(error) else type(error).__name__


@contextlib.contextmanager
def step(instance_id, operation, name, message=''):
    """Record a step around a block; a failure marks it FAILED with the error, readably."""
    event_id = start(instance_id, operation, name, message)
    try:
        yield
    except Exception as error:
        finish(event_id, FAILED, readable(error))
        raise
    finish(event_id, SUCCESS)


def for_instance(instance_id):
    """The instance's steps, oldest first, each as (event, backup): `backup` is the
    (name, deleted) of the backup the step names, or None when it names none or one that is
    not of the instance's project. One query, joined on the stored backup_id (indexed);
    deleted backups keep their rows (history), so they join too, marked deleted."""
    event, backup, instance = m.InstanceEvent, b.Backup, m.Instance
    # Only the instance's own project's backups join: an admin may restore another
    # project's backup, and its name is not this project's to read.
    names_it = and_(backup.id == event.backup_id, backup.project_id == instance.project_id)
    stmt = (select(event, backup.name, backup.deleted)
            .outerjoin(instance, instance.id == event.instance_id)
            .outerjoin(backup, names_it)
            .where(event.instance_id == instance_id)
            .order_by(event.started, event.id))
    with session_scope() as session:
        return [(found, None if name is None else (name, bool(deleted)))
                for found, name, deleted in session.execute(stmt)]
