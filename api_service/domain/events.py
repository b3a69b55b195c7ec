"""Events: each step of each operation on an instance, with its outcome."""
import contextlib

from sqlalchemy import insert, select

from api_service.common import exceptions
from api_service.db import models
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.drivers.compute.base import DriverError

RUNNING, SUCCESS, FAILED = 'RUNNING', 'SUCCESS', 'FAILED'


def start(instance_id, operation, step, message=''):
    with session_scope() as session:
        event = m.InstanceEvent(instance_id=instance_id, operation=operation, step=step,
                                message=message[:255])
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
                event.message = message[:255]


def record_done(session, messages, operation, step, outcome=SUCCESS):
    """Finished steps of many instances at once ({instance_id: message}): one insert."""
    if not messages:
        return
    now = models.utcnow()
    session.execute(insert(m.InstanceEvent), [
        {'id': models.new_id(), 'instance_id': instance_id, 'operation': operation,
         'step': step, 'message': message[:255], 'outcome': outcome, 'started': now,
         'finished': now}
        for instance_id, message in sorted(messages.items())])


def close_running(session, instance_id, outcome, message=''):
    """Close every step still running: the operation ended (well or not) around them."""
    for event in session.scalars(select(m.InstanceEvent).where(
            m.InstanceEvent.instance_id == instance_id, m.InstanceEvent.outcome == RUNNING)):
        event.outcome = outcome
        event.finished = models.utcnow()
        if message:
            event.message = message[:255]


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
    with session_scope() as session:
        return list(session.scalars(select(m.InstanceEvent)
                                    .where(m.InstanceEvent.instance_id == instance_id)
                                    .order_by(m.InstanceEvent.started, m.InstanceEvent.id)))
