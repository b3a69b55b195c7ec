"""The task manager's RPC endpoint: each operation runs in its own thread."""
import logging
import threading
import time

import oslo_messaging as messaging
from sqlalchemy import select

from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import backup_deletes
from api_service.domain import status
from api_service.drivers.compute import get_driver
from api_service.taskmanager import flows
from api_service.taskmanager import janitor
from api_service.taskmanager import module_reapply
from api_service.taskmanager import owners
from api_service.taskmanager import replication
from api_service.taskmanager import scheduler
from api_service.taskmanager import stop as stop_flow

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


def _run_owned(func, ctxt, instance_id, *args, targets=None):
    """Run an operation on an instance as its owner: if this task manager dies meanwhile,
    another settles it (janitor.settle_orphaned), giving back what the resize reserved
    beyond `targets` ({'ram': MB} or {'volumes': GB}, known before the claim)."""
    owners.claim(instance_id, targets)
    _run(func, ctxt, instance_id, *args)


class TaskManagerEndpoint:
    """Casts from the API (RPC API 1.4)."""

    target = messaging.Target(version='1.4')

    def create_instance(self, ctxt, instance_id, databases, users, restore=None):
        _run_owned(flows.create, ctxt, instance_id, databases, users, restore)

    def delete_instance(self, ctxt, instance_id):
        _run_owned(flows.delete, ctxt, instance_id)

    def restart(self, ctxt, instance_id):
        _run_owned(flows.restart, ctxt, instance_id)

    def resize_volume(self, ctxt, instance_id, new_size):
        _run_owned(flows.resize_volume, ctxt, instance_id, new_size,
                   targets={'volumes': new_size})

    def resize_flavor(self, ctxt, instance_id, flavor_id):
        # Read before the claim: the claim holds the row's lock, and a second session
        # under it (the catalogue's) waits for the first on SQLite ("database is locked").
        ram = get_driver().get_flavor(flavor_id).ram
        _run_owned(flows.resize_flavor, ctxt, instance_id, flavor_id, targets={'ram': ram})

    def create_backup(self, ctxt, instance_id, backup_id):
        _run_owned(flows.create_backup, ctxt, instance_id, backup_id)

    def delete_backups(self, ctxt, backup_ids):
        """1.1: delete the objects of backups whose delete the API recorded."""
        _run(flows.delete_backups, ctxt, backup_ids)

    def stop(self, ctxt, instance_id, claim):
        """1.2: the operator's stop of an instance's engine."""
        _run(stop_flow.stop, ctxt, instance_id, claim)

    def reapply_module(self, ctxt, module_id, md5, include_clustered, batch_size, batch_delay,
                       force, project_id=None):
        """1.3: apply a module again to the instances that have it (of `project_id` only,
        when given)."""
        _run(module_reapply.reapply, ctxt, module_id, md5, include_clustered, batch_size,
             batch_delay, force, project_id)

    def create_replicas(self, ctxt, source_id, replica_ids):
        """1.4: build `replica_ids` (rows in BUILD) as replicas of `source_id`; the source
        itself runs no operation of its own (its snapshot is a backup like any)."""
        for replica_id in replica_ids:
            owners.claim(replica_id)
        _run(replication.create_replicas, ctxt, source_id, replica_ids)

    def promote_to_replica_source(self, ctxt, instance_id):
        """1.4: a switchover to the replica `instance_id` (status PROMOTE)."""
        _run_owned(replication.promote_to_replica_source, ctxt, instance_id)

    def eject_replica_source(self, ctxt, instance_id):
        """1.4: the source `instance_id` (status EJECT) is gone: a replica takes its place."""
        _run_owned(replication.eject_replica_source, ctxt, instance_id)

    def detach_replica(self, ctxt, instance_id):
        """1.4: the replica `instance_id` (status DETACH) becomes a standalone instance."""
        _run_owned(replication.detach_replica, ctxt, instance_id)


def janitor_forever(stop):
    ticks = 0
    while not stop.wait(JANITOR_INTERVAL):
        ticks += 1
        try:
            deletes, backups = janitor.settle_orphaned()
            for instance_id in deletes:
                _run_owned(flows.delete, {}, instance_id)
            for instance_id, backup_id in backups:
                _run_owned(flows.create_backup, {}, instance_id, backup_id)
            for instance_id in janitor.expire_deadlines():
                _run_owned(flows.delete, {}, instance_id)
            backup_ids = backup_deletes.claim_due()
            if backup_ids:
                _run(flows.delete_backups, {}, backup_ids)
            if ticks % PARTIALS_EVERY_TICKS == 0:
                flows.cleanup_backup_partials(PARTIAL_MAX_AGE)
                owners.forget_gone()
        except Exception:
            LOG.exception('janitor failed')


def _start_scheduled_backup(instance_id, backup_id):
    _run_owned(flows.create_backup, {}, instance_id, backup_id)


def _delete_backups(backup_ids):
    _run(flows.delete_backups, {}, backup_ids)


def scheduler_forever(stop):
    while not stop.wait(SCHEDULER_INTERVAL):
        try:
            scheduler.tick(_start_scheduled_backup, _delete_backups)
        except Exception:
            LOG.exception('scheduler tick failed')


# How long an agent the task manager started may take to answer before its access
# sources are sent.
RESUMED_AGENT_WAIT = 30


def resume_guests(wait=False):
    """After the host (the embedded stack) restarts, start the agents of live instances;
    then, in the background (`wait`: before returning), send each its access sources again
    (flows.resend_access: agents made before access was enforced never got any, and
    [access] service_cidrs may have changed)."""
    with session_scope() as session:
        ids = list(session.scalars(select(m.Instance.id).where(
            m.Instance.deleted.is_(False), m.Instance.host.is_not(None),
            m.Instance.status.in_([status.ACTIVE, status.SHUTDOWN, status.REBOOT,
                                   status.RESIZE, status.PROMOTE, status.EJECT,
                                   status.DETACH]))))
    started = get_driver().resume(ids)
    for instance_id in started:
        LOG.info('started the guest agent of instance %s', instance_id)
    thread = threading.Thread(target=resend_access_all, args=(ids, set(started)),
                              name='resend_access', daemon=True)
    thread.start()
    if wait:
        thread.join()


def resend_access_all(instance_ids, started=()):
    """One call per instance (flows.resend_access); an agent started just now is first
    given time to answer. One failing is logged and the others still get theirs."""
    for instance_id in instance_ids:
        try:
            if instance_id in started:
                guest = flows.guest_of(instance_id)
                deadline = time.monotonic() + RESUMED_AGENT_WAIT
                while True:
                    try:
                        guest.ping({}, timeout=1)
                        break
                    except messaging.MessagingTimeout:
                        if time.monotonic() > deadline:
                            raise
            flows.resend_access({}, instance_id)
        except Exception:
            LOG.exception('instance %s: its access sources were not sent again', instance_id)
