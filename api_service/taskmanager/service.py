"""The task manager's RPC endpoint: each operation runs in its own thread."""
import logging
import threading

import oslo_messaging as messaging
from sqlalchemy import select

from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import status
from api_service.drivers.compute import get_driver
from api_service.taskmanager import flows
from api_service.taskmanager import janitor
from api_service.taskmanager import scheduler

LOG = logging.getLogger(__name__)
JANITOR_INTERVAL = 1.0
SCHEDULER_INTERVAL = 1.0
# Backups killed midway leave partial objects; sweep those older than an hour.
PARTIALS_EVERY_TICKS = 300
PARTIAL_MAX_AGE = 3600


def _run(func, *args):
    def guarded():
        try:
            func(*args)
        except Exception:
            LOG.exception('%s failed', func.__name__)
    threading.Thread(target=guarded, name=func.__name__, daemon=True).start()


class TaskManagerEndpoint:
    """Casts from the API (RPC API 1.0)."""

    target = messaging.Target(version='1.0')

    def create_instance(self, ctxt, instance_id, databases, users, restore=None):
        _run(flows.create, ctxt, instance_id, databases, users, restore)

    def delete_instance(self, ctxt, instance_id):
        _run(flows.delete, ctxt, instance_id)

    def restart(self, ctxt, instance_id):
        _run(flows.restart, ctxt, instance_id)

    def resize_volume(self, ctxt, instance_id, new_size):
        _run(flows.resize_volume, ctxt, instance_id, new_size)

    def resize_flavor(self, ctxt, instance_id, flavor_id):
        _run(flows.resize_flavor, ctxt, instance_id, flavor_id)

    def create_backup(self, ctxt, instance_id, backup_id):
        _run(flows.create_backup, ctxt, instance_id, backup_id)

    def delete_backup_objects(self, ctxt, locations):
        _run(flows.delete_backup_objects, ctxt, locations)


def janitor_forever(stop):
    ticks = 0
    while not stop.wait(JANITOR_INTERVAL):
        ticks += 1
        try:
            for instance_id in janitor.expire_deadlines():
                _run(flows.delete, {}, instance_id)
            if ticks % PARTIALS_EVERY_TICKS == 0:
                flows.cleanup_backup_partials(PARTIAL_MAX_AGE)
        except Exception:
            LOG.exception('janitor failed')


def _start_scheduled_backup(instance_id, backup_id):
    _run(flows.create_backup, {}, instance_id, backup_id)


def _delete_backup_objects(locations):
    _run(flows.delete_backup_objects, {}, locations)


def scheduler_forever(stop):
    while not stop.wait(SCHEDULER_INTERVAL):
        try:
            scheduler.tick(_start_scheduled_backup, _delete_backup_objects)
        except Exception:
            LOG.exception('scheduler tick failed')


def resume_guests():
    """After the host (the embedded stack) restarts, start the agents of live instances."""
    with session_scope() as session:
        ids = list(session.scalars(select(m.Instance.id).where(
            m.Instance.deleted.is_(False), m.Instance.host.is_not(None),
            m.Instance.status.in_([status.ACTIVE, status.SHUTDOWN, status.REBOOT,
                                   status.RESIZE]))))
    for instance_id in get_driver().resume(ids):
        LOG.info('started the guest agent of instance %s', instance_id)
