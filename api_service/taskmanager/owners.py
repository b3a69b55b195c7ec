"""Which task manager runs an instance's operation, and which task managers are alive (#15).

Each task manager process has an id for its life (a restarted one has a new one) and
heartbeats its row of task_managers every second from its own thread (before it serves
any cast, too). Before it runs an operation on an
instance it writes its id into instances.task_owner (claim). An instance in a transitional
status whose owner has not been seen for OWNER_STALE_SECONDS was left by a task manager that
died (kill -9, a crash, a stop while it worked): the janitor of a live one settles it
(janitor.settle_orphaned) instead of waiting for its deadline.

Several task managers may run at once, so a live one must never be taken for dead: a task
manager judges others only once its own heartbeats have gone through for OWNER_STALE_SECONDS
in a row. An outage of the service database holds everyone's heartbeats back alike; after
it, the others have had as long as we have to be seen again.
"""
import datetime
import json
import logging
import os
import socket
import time

from sqlalchemy import delete, exists, select

from api_service.db import models
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import quotas
from api_service.domain import status

LOG = logging.getLogger(__name__)

ME = models.new_id()
OWNER_STALE_SECONDS = 10.0
# Rows of task managers gone this long are removed once no instance names them.
FORGET_AFTER = datetime.timedelta(hours=1)

_healthy_since = None      # time.monotonic() of the first heartbeat of the current run


def touch():
    """Our heartbeat (our row is made on the first). An error goes to the caller."""
    global _healthy_since
    now = models.utcnow()
    try:
        with session_scope() as session:
            row = session.get(m.TaskManager, ME)
            if row is None:
                session.add(m.TaskManager(id=ME, host=socket.gethostname(), pid=os.getpid(),
                                          started_at=now, seen_at=now))
            else:
                row.seen_at = now
    except Exception:
        _healthy_since = None
        raise
    if _healthy_since is None:
        _healthy_since = time.monotonic()


def may_judge_others():
    return (_healthy_since is not None
            and time.monotonic() - _healthy_since >= OWNER_STALE_SECONDS)


def claim(instance_id, targets=None):
    """We run the instance's operation from now on; `targets`: the sizes a resize reserved
    quota for ({'ram': MB} or {'volumes': GB}, read before this call: nothing slow may run
    under the row's lock). Never fails the operation: without an owner only its deadline
    ends it if we die."""
    try:
        with session_scope() as session:
            row = session.get(m.Instance, instance_id, with_for_update=True)
            if row is not None:
                row.task_owner = ME
                if targets:
                    row.task_quota = json.dumps(targets)
    except Exception:
        LOG.exception('instance %s: could not record this task manager as its owner',
                      instance_id)


def expect(instance_id, targets):
    """The resize flow's own record of its targets, when no claim wrote them (a caller that
    runs the flow directly); never replaces a claim's."""
    with session_scope() as session:
        row = session.get(m.Instance, instance_id, with_for_update=True)
        if row is not None and row.status == status.RESIZE and row.task_quota is None:
            row.task_quota = json.dumps(targets)


def reserved_of(instance):
    """The sizes a resize reserved quota for ({} if no reservation is outstanding)."""
    return json.loads(instance.task_quota or '{}')


# resource -> the instance's field that holds what its usage counts now
HELD_IN = {'ram': 'ram_mb', 'volumes': 'volume_size'}


def settle_quota(session, instance):
    """Give back what a resize reserved beyond what the row now holds, exactly once: call
    with the row locked. task_quota is the one record of a reservation still outstanding:
    whoever ends the resize (its flow, a delete, the janitor, an admin's reset) settles
    against the row's sizes *now* (the host step may have raised ram_mb to the larger
    flavor; a finished resize wrote the new sizes) and clears it, so the next finds nothing."""
    targets = reserved_of(instance)
    instance.task_quota = None
    deltas = {resource: target - getattr(instance, HELD_IN[resource])
              for resource, target in targets.items()}
    deltas = {resource: delta for resource, delta in deltas.items() if delta}
    if deltas:
        quotas.release(session, instance.project_id, deltas)
    return deltas


def is_gone(session, owner):
    """True when no task manager runs the operation any more: none claimed it, or the one
    that did has not been seen for OWNER_STALE_SECONDS. Never true of ourselves."""
    if owner is None:
        return True
    if owner == ME:
        return False
    row = session.get(m.TaskManager, owner)
    stale = models.utcnow() - datetime.timedelta(seconds=OWNER_STALE_SECONDS)
    return row is None or row.seen_at < stale


def heartbeat_forever(stop, interval=1.0):
    """Our heartbeat in its own thread: janitor work that takes long (a storage sweep, a
    row lock waited for) must never make us look dead to the others."""
    while not stop.wait(interval):
        try:
            touch()
        except Exception:
            LOG.exception('heartbeat failed')


def orphaned():
    """SQL condition: the instance's owner is another task manager, not seen lately."""
    seen_after = models.utcnow() - datetime.timedelta(seconds=OWNER_STALE_SECONDS)
    alive = exists().where(m.TaskManager.id == m.Instance.task_owner,
                           m.TaskManager.seen_at >= seen_after)
    return (m.Instance.task_owner.is_not(None) & (m.Instance.task_owner != ME) & ~alive)


def forget_gone():
    """Remove rows of task managers gone long ago that no instance names any more."""
    with session_scope() as session:
        # Only rows that may still be settled name their owner for good: a deleted or ended
        # one keeps its last owner's id but needs nothing from it.
        named = select(m.Instance.task_owner).where(
            m.Instance.task_owner.is_not(None), m.Instance.deleted.is_(False),
            m.Instance.status.in_(sorted(status.TRANSITIONAL)) | m.Instance.task_quota.is_not(None))
        session.execute(delete(m.TaskManager).where(
            m.TaskManager.seen_at < models.utcnow() - FORGET_AFTER,
            m.TaskManager.id.not_in(named)))
