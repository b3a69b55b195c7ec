"""Faults (persist-error-message spec): why an operation failed, kept with the instance."""
from sqlalchemy import select, update

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


def latest(session, instance_id):
    return session.scalars(select(m.InstanceFault)
                           .where(m.InstanceFault.instance_id == instance_id,
                                  m.InstanceFault.deleted.is_(False))
                           .order_by(m.InstanceFault.created.desc()).limit(1)).first()


def hide_all(session, instance_id):
    session.execute(update(m.InstanceFault).where(m.InstanceFault.instance_id == instance_id)
                    .values(deleted=True))
