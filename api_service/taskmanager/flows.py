"""The task manager's operations on instances, each a series of recorded steps.

A step that fails ends the operation: the instance goes to ERROR with a fault that
says which step failed and why. Deadlines are enforced by the janitor, so an
operation whose guest never answers still ends.
"""
import json
import logging
import time
import traceback

import oslo_messaging as messaging

from sqlalchemy import delete as sql_delete, select

from api_service.db import models
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import backup_deletes
from api_service.domain import backups as backups_domain
from api_service.domain import events
from api_service.domain import faults
from api_service.domain import instance_modules
from api_service.domain import instances as instances_domain
from api_service.domain import metrics
from api_service.domain import quotas
from api_service.domain import status
from api_service.drivers.compute import get_driver
from api_service.drivers.compute.base import DriverError, GuestSpec, PlacementError
from api_service.drivers.storage import StorageError
from api_service.rpc import guest_client
from api_service.taskmanager import configuration_steps
from api_service.taskmanager import owners

LOG = logging.getLogger(__name__)


class StepFailed(Exception):
    """A step failed with a message for the tenant."""
    for_tenant = True


class Abandoned(Exception):
    """The instance left the operation meanwhile (deleted, or failed by its deadline)."""
    for_tenant = True   # it has no text


def _fail(instance_id, operation, message, details='', end=status.fail):
    """End the operation with a fault (`end`=status.abort: refused before it changed
    anything, the database runs as before)."""
    LOG.warning('instance %s: %s failed: %s', instance_id, operation, message)
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id, with_for_update=True)
        if instance is None or instance.deleted:
            return
        try:
            if not end(instance):
                return
        except status.IllegalTransition:
            # Another path ended the operation first (e.g. a late report): keep its status,
            # but the tenant still learns why this one failed.
            LOG.warning('instance %s: %s ended while %s', instance_id, operation,
                        instance.status)
        faults.record(instance_id, message, details, session=session)
        events.fail_running(session, instance_id, message)


def _tenant_message(what, error):
    """`what` failed, in words a tenant may read: our own errors' messages are written for
    the tenant; of anything else (another process's text, a traceback) only its kind."""
    if isinstance(error, messaging.MessagingTimeout):
        return '%s: the guest did not answer in time.' % what
    if events.written_for_tenant(error):
        return '%s: %s' % (what, error)
    return '%s (%s).' % (what, type(error).__name__)


def _fail_with(instance_id, operation, what, error, **kwargs):
    """End the operation with a fault a tenant can read; the error's text and traceback go
    to the fault's details, for admins."""
    _fail(instance_id, operation, _tenant_message(what, error), traceback.format_exc(),
          **kwargs)


def _guest(instance_id):
    return guest_client.GuestAPI(instance_id, instances_domain.instance_key(instance_id))


guest_of = _guest


def _check_status(instance_id, expected):
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id)
        if instance is None or instance.deleted or instance.status != expected:
            raise Abandoned()


# -- create ---------------------------------------------------------------------------

def create(ctx, instance_id, databases, users, restore=None, replica_of=None):
    """`replica_of`: the source_info of the source a replica follows (taskmanager/
    replication.py), handed to the guest with prepare; never logged or recorded."""
    driver = get_driver()
    try:
        with events.step(instance_id, 'create', 'placement'):
            _check_status(instance_id, status.BUILD)
            if driver.place(instance_id) is None:
                raise Abandoned()
        with events.step(instance_id, 'create', 'volume'):
            volume = driver.provision_volume(instance_id)
        with events.step(instance_id, 'create', 'guest'):
            driver.spawn_guest(instance_id, _guest_spec(instance_id))
            guest = _guest(instance_id)
            _await_guest(driver, instance_id, guest, ctx, status.BUILD)
        if restore:
            events.start(instance_id, 'create', 'restore', 'restoring backup %s' % restore[-1]['id'])
        else:
            events.start(instance_id, 'create', 'prepare', 'sent to the guest')
        # Modules go only when there are some: an older agent takes a prepare without them.
        # One the guest fails is its create step 'modules' FAILED; the build goes on.
        modules = instance_modules.prepare_payloads(instance_id)
        guest.prepare(ctx, databases, users, restore,
                      access=instances_domain.access_sources(instance_id),
                      overrides=configuration_steps.values_of(instance_id),
                      **({'modules': modules} if modules else {}),
                      **({'replica_of': replica_of} if replica_of else {}))
        LOG.info('instance %s: prepare sent (volume %s)', instance_id, volume)
    except Exception as error:
        if _deleted_meanwhile(instance_id):
            # The delete's destroy may have run before a step of this build made its part
            # (a volume, an agent): destroy again, so the delete leaves nothing behind.
            LOG.info('instance %s: deleted while it was built; removing what the build made',
                     instance_id)
            driver.destroy(instance_id)
        elif isinstance(error, Abandoned):
            LOG.info('instance %s: build abandoned', instance_id)
        elif isinstance(error, (DriverError, StepFailed)):
            _fail(instance_id, 'create', str(error), getattr(error, 'details', ''))
        else:
            # Our own errors in their words (the service database unreachable for longer
            # than [database] connect_retry_seconds); of anything else only its kind.
            _fail(instance_id, 'create', _tenant_message('Building the instance failed', error),
                  traceback.format_exc())


def _deleted_meanwhile(instance_id):
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id)
        return instance is None or instance.deleted or instance.status == status.DELETING


def _guest_spec(instance_id):
    key = instances_domain.instance_key(instance_id)
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id)
        version = session.get(models.DatastoreVersion, instance.datastore_version_id)
        return GuestSpec(instance_id=instance_id, manager=version.manager,
                         version=version.version, engine_path=version.engine_path,
                         memory_mb=instance.ram_mb, instance_key=key)


class GuestExited(StepFailed):
    """The guest agent exited before it answered; `details` (admin-only) say what it said."""

    def __init__(self, message, details=''):
        super().__init__(message)
        self.details = details


# Waiting for a new agent: its pings are published "mandatory", so while its queue does not
# exist the broker hands each back at once and the next goes AGENT_RETRY later; once the
# queue exists a ping waits up to AGENT_PING_TIMEOUT for the agent's answer (a busy host's
# agent may take a while), and one not answered in time is sent again. The operation's
# deadline bounds the whole wait (the janitor fails the instance: _check_status).
AGENT_RETRY = 0.05
AGENT_PING_TIMEOUT = 2.0


def _ping_listening(guest, ctx, timeout):
    """A ping that fails at once (MessageUndeliverable) while no queue takes it. Guests
    without it (tests' stand-ins) are pinged as usual."""
    ping = getattr(guest, 'ping_delivered', None)
    if ping is None:
        return guest.ping(ctx, timeout=timeout)
    return ping(ctx, timeout)


def _await_guest(driver, instance_id, guest, ctx, expected_status):
    """Until the agent answers a ping its queue may not exist, and a cast would be lost.
    Answers as soon as the queue exists and the agent replies (see AGENT_RETRY); an agent
    that exits meanwhile ends the wait at once, with the reason it gave."""
    while True:
        _check_status(instance_id, expected_status)
        if driver.guest_exited(instance_id):
            reason = driver.guest_exit_reason(instance_id)
            if reason is None:
                raise GuestExited('The guest agent exited while starting.')
            message, details = reason
            raise GuestExited('The guest agent exited while starting: %s' % message, details)
        try:
            return _ping_listening(guest, ctx, AGENT_PING_TIMEOUT)
        except messaging.MessageUndeliverable:
            time.sleep(AGENT_RETRY)         # no queue yet: the agent is still starting
        except messaging.MessagingTimeout:
            continue


# -- delete ---------------------------------------------------------------------------

def delete(ctx, instance_id):
    """Destroy what the driver made, then free the quota, the address and the RPC key and
    mark the row deleted. The row, its events and its faults stay, so an operator can still
    explain the instance (GET /mgmt/instances/{id}?deleted=true); every tenant read and
    every host, address and group count leaves deleted rows out."""
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id)
        if instance is None or instance.deleted:
            return
        source_id = getattr(instance, 'replica_of_id', None)
    if source_id:
        from api_service.taskmanager import replication   # it builds on these flows
        replication.forget_on_source(ctx, source_id, instance_id)
    with events.step(instance_id, 'delete', 'destroy'):
        get_driver().destroy(instance_id)
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id, with_for_update=True)
        if instance is None or instance.deleted:
            return      # a retried delete (the janitor's) finished first
        owners.settle_quota(session, instance)      # a resize the delete cut short
        quotas.release(session, instance.project_id, {'instances': 1, 'ram': instance.ram_mb,
                                                      'volumes': instance.volume_size})
        session.execute(sql_delete(m.InstanceKey).where(m.InstanceKey.instance_id == instance_id))
        metrics.forget(session, instance_id)      # its ring of samples: no one reads it now
        # Its modules went with its guest's directory: no module counts it any more.
        instance_modules.forget_instance(session, instance_id)
        # Addresses are unique: a deleted instance's go back to its network.
        instance.address = instance.requested_address = None
        instance.deleted, instance.deleted_at = True, models.utcnow()
        # The status stays DELETING (the last transition); `deleted` is the final marker.
        instance.task_deadline = None
        # Steps of an operation the delete cut short (a build's) did not finish.
        events.close_running(session, instance_id, events.FAILED, 'The instance was deleted.')
        group_id, instance.server_group_id = instance.server_group_id, None
        session.flush()
        if group_id and not session.scalars(select(m.Instance.id).where(
                m.Instance.server_group_id == group_id)).first():
            session.execute(sql_delete(m.ServerGroup).where(m.ServerGroup.id == group_id))
    LOG.info('instance %s deleted', instance_id)


# -- restart and resizes ---------------------------------------------------------------------

def _finish(instance_id, **changes):
    """End the operation well, recording `changes`; False when the instance left it
    meanwhile (a delete began): then nothing is recorded."""
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id, with_for_update=True)
        if instance is None or not status.finish(instance):
            return False
        instance.operating_status = 'HEALTHY'
        status.refuse_state_fields(changes)
        for key, value in changes.items():
            setattr(instance, key, value)
        owners.settle_quota(session, instance)      # a resize's new sizes are now the row's
        return True


# -- access sources sent again -----------------------------------------------------------

# One call per instance, this long at most: the guest applies the sources at once (or
# records them for its engine's next start).
RESEND_ACCESS_TIMEOUT = 15


def resend_access(ctx, instance_id, timeout=RESEND_ACCESS_TIMEOUT):
    """Send the guest the sources of the instance's recorded access again: guests made
    before access was enforced never got any, and [access] service_cidrs may have changed
    since they did. A failure is logged for admins (the engine keeps the sources it had)
    and is not the caller's: True when sent or nothing to send."""
    try:
        sources = instances_domain.resend_access(ctx, instance_id, timeout)
    except Exception as error:
        LOG.warning('instance %s: sending its access sources again failed; its engine keeps '
                    'the ones it had: %s: %s', instance_id, type(error).__name__, error)
        return False
    if sources is not None:
        LOG.info('instance %s: access sources sent again (%s)', instance_id,
                 ', '.join(sources) or 'none')
    return True


def restart(ctx, instance_id):
    """Restart the engine; a guest that is not running is started first (it starts its engine).
    The guest gets its access sources again on the way (access.py may have changed them)."""
    driver = get_driver()
    try:
        guest = _guest(instance_id)
        if driver.guest_exited(instance_id):
            with events.step(instance_id, 'restart', 'start guest'):
                driver.start(instance_id)
                _await_guest(driver, instance_id, guest, ctx, status.REBOOT)
        resend_access(ctx, instance_id)
        with events.step(instance_id, 'restart', 'restart engine'):
            answer = guest.restart(ctx)
        configuration_steps.report_rollback(instance_id, 'restart', answer)
        _finish(instance_id)
    except Abandoned:
        LOG.info('instance %s: restart abandoned', instance_id)
    except Exception as error:
        _fail_with(instance_id, 'restart', 'Restarting the database failed', error)


def _settle(instance_id):
    """The resize ended without its new sizes recorded (failed, refused, or a delete began):
    what the API reserved beyond what the row holds goes back, once (owners.settle_quota)."""
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id, with_for_update=True)
        if instance is not None:
            owners.settle_quota(session, instance)


def resize_volume(ctx, instance_id, new_size):
    owners.expect(instance_id, {'volumes': new_size})
    try:
        with events.step(instance_id, 'resize_volume', 'grow volume'):
            get_driver().resize_volume(instance_id, new_size)
        if not _finish(instance_id, volume_size=new_size):
            # A delete began meanwhile: it releases the size the row still has, so the
            # growth the API reserved is given back here (or by the delete, if it ran first).
            _settle(instance_id)
    except Exception as error:
        _settle(instance_id)
        _fail_with(instance_id, 'resize_volume', 'Resizing the volume failed', error)


def resize_flavor(ctx, instance_id, flavor_id):
    driver = get_driver()
    flavor = driver.get_flavor(flavor_id)
    owners.expect(instance_id, {'ram': flavor.ram})
    try:
        with events.step(instance_id, 'resize_flavor', 'host room'):
            # The room is taken at once (the larger of both sizes until the resize ends), so
            # a placement made while the engine restarts already counts it.
            driver.reserve_resize(instance_id, flavor.ram, flavor.vcpus)
    except PlacementError as error:
        # Refused before anything changed: the database keeps running as it was.
        _settle(instance_id)
        _fail(instance_id, 'resize_flavor', str(error), end=status.abort)
        return
    try:
        with events.step(instance_id, 'resize_flavor', 'apply memory and restart'):
            answer = _guest(instance_id).resize_memory(ctx, flavor.ram)
        configuration_steps.report_rollback(instance_id, 'resize_flavor', answer)
        if not _finish(instance_id, flavor_id=flavor.id, ram_mb=flavor.ram, vcpus=flavor.vcpus):
            # A delete began meanwhile and releases the memory the row holds (the larger of
            # both flavors once the room was taken): the rest is settled here.
            _settle(instance_id)
    except Exception as error:
        # The host keeps the room taken for it (the row's ram_mb: the larger of both), and
        # the usage keeps the same: what the engine now runs with is not known.
        _settle(instance_id)
        _fail_with(instance_id, 'resize_flavor', 'Resizing the flavor failed', error)


# -- backups ----------------------------------------------------------------------------

def create_backup(ctx, instance_id, backup_id):
    """Ask the guest to stream a backup to storage; the conductor records how it ends."""
    from api_service.db import models_backups as b
    try:
        with session_scope() as session:
            backup = session.get(b.Backup, backup_id)
            backup.status = 'BUILDING'
            parent = session.get(b.Backup, backup.parent_id) if backup.parent_id else None
            parent_info = ({'id': parent.id, 'location': parent.location,
                            'metadata': json.loads(parent.engine_metadata or '{}')}
                           if parent else None)
            location = backup.location
        events.start(instance_id, 'backup', 'stream to storage', 'backup %s' % backup_id)
        _guest(instance_id).create_backup(ctx, backup_id, location, parent_info)
    except Exception as error:
        backups_domain.fail(instance_id, backup_id,
                            _tenant_message('Starting the backup failed', error),
                            traceback.format_exc())


def delete_backups(ctx, backup_ids):
    """Delete the objects of backups whose delete is recorded (backup_deletes.begin, or the
    janitor's claim); each row then says how it ended: DELETED, or DELETE_FAILED with the
    reason and its next attempt."""
    store = None
    for backup_id in backup_ids:
        location = backup_deletes.location_of(backup_id)
        if location is None:
            continue    # no delete pending any more: another attempt finished it
        try:
            if location:
                store = store or backups_domain.object_store()
                store.delete(location)
        except Exception as error:
            retry_in = backup_deletes.attempt_failed(backup_id, _delete_failure(error))
            LOG.warning('backup %s: deleting %s failed (%s: %s); retrying in %s s', backup_id,
                        location, type(error).__name__, getattr(error, 'details', None) or error,
                        retry_in)
            continue
        backup_deletes.objects_gone(backup_id)
        LOG.info('backup %s deleted', backup_id)


def _delete_failure(error):
    """The owner's reason: the store's own tenant-safe sentence, never another's text."""
    said = error.message if isinstance(error, StorageError) else 'The backup storage failed.'
    return ("The backup's data could not be deleted: %s%s It is retried automatically; "
            "delete the backup again to retry now." % (said[:1].lower(), said[1:]))


# How far back a backup that may have left a partial in another container is looked for.
PARTIAL_SWEEP_WINDOW = 2 * 24 * 3600


def cleanup_backup_partials(older_than_seconds):
    """Partial objects of backups that died midway: never visible, but they take space."""
    store = backups_domain.object_store()
    removed = store.cleanup_partials(older_than_seconds)
    if hasattr(store, 'in_container'):
        # Backups may go to other containers (strategies, swift_container): sweep those
        # that backups used lately, as a partial is at most that old.
        for container in backups_domain.recent_swift_containers(PARTIAL_SWEEP_WINDOW):
            removed += store.in_container(container).cleanup_partials(older_than_seconds)
    if removed:
        LOG.info('removed %d partial backup object(s)', removed)
