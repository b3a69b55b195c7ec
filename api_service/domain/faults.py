"""Faults (persist-error-message spec): why an operation failed, kept with the instance."""
import contextlib

from sqlalchemy import select, update

from api_service.common import exceptions
from api_service.db import models_instances as m
from api_service.db.session import session_scope

MESSAGE_LIMIT = 255


def record(instance_id, message, details='', session=None):
    """Store a fault. `message` is for the tenant; `details` for admins only."""
    row = m.InstanceFault(instance_id=instance_id, message=message[:MESSAGE_LIMIT],
                          details=details or '')
    if session is not None:
        session.add(row)
        return
    with session_scope() as session:
        session.add(row)


@contextlib.contextmanager
def of_guest_calls(instance_id):
    """A guest call the API makes (users, databases, root, access) that the guest fails:
    the tenant's error is a sentence, and the fault keeps the guest's details for admins."""
    try:
        yield
    except exceptions.GuestFailed as error:
        record(instance_id, error.message, error.details)
        raise


def latest(session, instance_id):
    return session.scalars(select(m.InstanceFault)
                           .where(m.InstanceFault.instance_id == instance_id,
                                  m.InstanceFault.deleted.is_(False))
                           .order_by(m.InstanceFault.created.desc()).limit(1)).first()


def hide_all(session, instance_id):
    session.execute(update(m.InstanceFault).where(m.InstanceFault.instance_id == instance_id)
                    .values(deleted=True))
