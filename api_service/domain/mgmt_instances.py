"""Instances as an operator sees them: every project's, deleted ones on request, and the
operator's actions (ping the guest, stop the engine, reboot, reset a stuck status).

Deleted instances keep their rows (taskmanager/flows.py delete), so a deleted one can
still be shown with its faults and events. Tenants never see them: their reads in
domain/instances.py leave deleted rows out; the reads here are the only ones that don't.
"""
import collections
import datetime

import oslo_messaging as messaging
from sqlalchemy import bindparam, select

from api_service.common import exceptions
from api_service.common.config import CONF
from api_service.db import models
from api_service.db import models_configurations as mc
from api_service.db import models_instances as m
from api_service.db.session import read_scope, session_scope
from api_service.domain import events as instance_events
from api_service.domain import faults
from api_service.domain import instances
from api_service.domain import status
from api_service.rpc import clients
from api_service.rpc import guest_client

# An operator's show: the tenant's view plus when root was last enabled, and by whom.
View = collections.namedtuple('View', 'instance datastore version fault configuration '
                                      'root_enabled')

# Statuses a stop may start from: the engine runs (or already stopped: stopping again is
# harmless). Any other status belongs to an operation the stop would cut off.
STOPPABLE = frozenset({status.ACTIVE, status.RESTART_REQUIRED, status.SHUTDOWN})


# -- list -------------------------------------------------------------------------------

_I = m.Instance.__table__
_V = models.DatastoreVersion.__table__
_D = models.Datastore.__table__
_C = mc.Configuration.__table__


def _page_stmt(by_project, by_status, with_marker):
    """One page in id order; each filter an equality on an indexed column, so the page
    costs O(page) rows: (project_id, deleted, id), (deleted, status, id) or (deleted, id)."""
    stmt = (select(_I, _V.c.name.label('version_name'), _V.c.version.label('version_number'),
                   _D.c.name.label('datastore_name'), _C.c.name.label('configuration_name'))
            .join(_V, _V.c.id == _I.c.datastore_version_id).join(_D, _D.c.id == _V.c.datastore_id)
            .outerjoin(_C, _C.c.id == _I.c.configuration_id)
            .where(_I.c.deleted == bindparam('deleted'))
            .order_by(_I.c.id).limit(bindparam('limit')))
    if by_project:
        stmt = stmt.where(_I.c.project_id == bindparam('project'))
    if by_status:
        stmt = stmt.where(_I.c.status == bindparam('status'))
    if with_marker:
        stmt = stmt.where(_I.c.id > bindparam('marker'))
    return stmt


# Built once: every combination of the three optional filters.
_PAGES = {(p, s, k): _page_stmt(p, s, k) for p in (False, True) for s in (False, True)
          for k in (False, True)}


def list_page(limit, marker=None, project_id=None, status_filter=None, deleted=False):
    """One page of every project's instances (or `project_id`'s), live or deleted, with
    their datastore names: one query."""
    params = {'deleted': bool(deleted), 'limit': limit + 1}
    if project_id:
        params['project'] = project_id
    if status_filter:
        params['status'] = status_filter.upper()
    if marker:
        params['marker'] = marker
    stmt = _PAGES[(bool(project_id), bool(status_filter), bool(marker))]
    with read_scope() as conn:
        rows = conn.execute(stmt, params).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more else None)


# -- show -------------------------------------------------------------------------------

def _load(session, instance_id, include_deleted=False, lock=False):
    instances._require_uuid(instance_id)
    instance = session.get(m.Instance, instance_id, with_for_update=lock)
    if instance is None or (instance.deleted and not include_deleted):
        raise exceptions.NotFound("Instance '%s' cannot be found%s." % (
            instance_id, '' if include_deleted else
            ' (a deleted one is shown with ?deleted=true)'))
    return instance


def get(instance_id, include_deleted=False):
    """The instance of any project; a deleted one only with `include_deleted`."""
    with session_scope() as session:
        instance = _load(session, instance_id, include_deleted)
        version = session.get(models.DatastoreVersion, instance.datastore_version_id)
        datastore = session.get(models.Datastore, version.datastore_id)
        group = (session.get(mc.Configuration, instance.configuration_id)
                 if instance.configuration_id else None)
        return View(instance, datastore, version, faults.latest(session, instance_id), group,
                    _latest_root_enabled(session, instance_id))


def task_description(instance):
    """Trove's task_description, in words, from the stored task."""
    if instance.deleted:
        return 'The instance was deleted.'
    return TASK_DESCRIPTIONS.get(instance.task, 'No tasks for the instance.')


TASK_DESCRIPTIONS = {
    'create': 'The instance is being built.',
    'restart': 'The database is restarting.',
    'resize_volume': 'The volume is being resized.',
    'resize_flavor': 'The flavor is being changed.',
    'backup': 'A backup is being taken.',
    'delete': 'The instance is being deleted.',
    'promote_to_replica_source': 'The replica is being promoted to the source of its '
                                 'replica set.',
    'eject_replica_source': 'The source is being ejected from its replica set; a replica '
                            'becomes the source.',
    'detach_replica': 'The replica is being detached from its source.',
}


# -- root history -------------------------------------------------------------------------

def record_root_enabled(ctx, instance_id):
    """Remember that `ctx`'s user enabled root on the instance just now."""
    with session_scope() as session:
        session.add(m.RootEnabled(instance_id=instance_id, user_id=ctx.user_id))


def _latest_root_enabled(session, instance_id):
    return session.scalars(select(m.RootEnabled).where(m.RootEnabled.instance_id == instance_id)
                           .order_by(m.RootEnabled.created.desc()).limit(1)).first()


def root_history(instance_id):
    """(instance id, when root was last enabled or None, by whom or None); deleted
    instances too: the history outlives them."""
    with session_scope() as session:
        _load(session, instance_id, include_deleted=True)
        latest = _latest_root_enabled(session, instance_id)
        return (instance_id, latest.created if latest else None,
                latest.user_id if latest else None)


def events(instance_id):
    """Every step of any instance's operations, a deleted one's too (its rows are kept)."""
    with session_scope() as session:
        _load(session, instance_id, include_deleted=True)
    return instance_events.for_instance(instance_id)


# -- the guest ------------------------------------------------------------------------------

def _guest(instance_id, timeout):
    with session_scope() as session:
        _load(session, instance_id)
    return guest_client.GuestAPI(instance_id, instances.instance_key(instance_id),
                                 timeout=timeout)


def _guest_timeout(instance_id, method, timeout):
    # The spec's words (guest-rpc-ping-pong), and how long we waited.
    return exceptions.BadRequest(
        'An error occurred communicating with the guest: Timeout while waiting on RPC '
        'response - topic: "guestagent.%s", RPC method: "%s" info: "<unknown>" (no answer '
        'within %d seconds; the guest agent is not running or cannot reach the message '
        'broker).' % (instance_id, method, timeout))


def rpc_ping(ctx, instance_id):
    """Ask the guest agent to answer, within [rpc] rpc_ping_timeout; no driver call."""
    timeout = CONF.rpc.rpc_ping_timeout
    guest = _guest(instance_id, timeout)
    try:
        guest.ping(ctx, timeout=timeout)
    except messaging.MessagingTimeout:
        raise _guest_timeout(instance_id, 'rpc_ping', timeout)


def hwinfo(instance_id):
    """The machine the instance has: its flavor's memory (kB, as /proc/meminfo's MemTotal)
    and CPUs. The engine is configured for exactly this memory; the local driver runs it
    on a shared host, so the host's own figures would not be the instance's."""
    instance = get(instance_id).instance
    return {'mem_total': instance.ram_mb * 1024, 'num_cpus': instance.vcpus}


# Trove's DiagnosticsView key -> the guest's (the engine process's /proc figures, kB).
DIAGNOSTICS_KEYS = {'version': 'version', 'threads': 'threads', 'fdSize': 'fd_size',
                    'vmSize': 'vm_size', 'vmPeak': 'vm_peak', 'vmRss': 'vm_rss',
                    'vmHwm': 'vm_hwm'}


def diagnostics(ctx, instance_id):
    """What is known of the instance now, in one guest call (a 400 if it does not answer, a
    409 if its agent is older than the call: guest_client.OLDER_AGENT):
    the engine's version and its process's figures (null while the engine is stopped), the
    volume's use; then the last heartbeat's report and the flavor's size."""
    timeout = CONF.rpc.rpc_ping_timeout
    guest = _guest(instance_id, timeout)
    try:
        figures = guest.get_diagnostics(ctx, timeout=timeout)
    except messaging.MessagingTimeout:
        raise _guest_timeout(instance_id, 'get_diagnostics', timeout)
    instance = get(instance_id).instance
    return {**{key: figures.get(guest_key) for key, guest_key in DIAGNOSTICS_KEYS.items()},
            'volume_used_bytes': figures.get('used_bytes'),
            'volume_size_bytes': instance.volume_size * 1024 ** 3,
            'memory_mb': instance.ram_mb, 'vcpus': instance.vcpus,
            'operating_status': instance.operating_status,
            'last_heartbeat': instance.service_status_updated}


# -- actions --------------------------------------------------------------------------------

def stop(ctx, instance_id):
    """Stop the engine through the task manager; its guest agent stays up (it answers
    pings and diagnostics). The instance is claimed meanwhile, as a live change claims it,
    so a restart, resize or configuration change asked during the stop is a 409; it ends
    SHUTDOWN, and only a restart (the tenant's, or the operator's reboot) starts it again."""
    with session_scope() as session:
        instance = _load(session, instance_id, lock=True)
        if instance.status not in STOPPABLE:
            raise exceptions.Conflict(
                'Instance %s is %s; stop needs it to be %s.' % (
                    instance_id, instance.status, ' or '.join(sorted(STOPPABLE))))
        claim = instances.claim_change(instance, STOP_CLAIM_SECONDS)
    clients.taskmanager_api().stop(ctx, instance_id, claim.isoformat())


# Longer than the task manager waits for the guest's stop, so the claim outlives the call.
STOP_CLAIM_SECONDS = guest_client.STOP_TIMEOUT + 30


def claim_of(text):
    """The claim stop() sent, back from its text."""
    return datetime.datetime.fromisoformat(text)


def reboot(ctx, instance_id):
    """Restart the engine, as the tenant's restart does: it starts an engine the operator
    stopped (and a guest agent that is not running first)."""
    with session_scope() as session:
        _load(session, instance_id)
    instances.begin(ctx, instance_id, 'restart', CONF.instance.operation_deadline)
    clients.taskmanager_api().restart(ctx, instance_id)


def reset_status(ctx, instance_id):
    """End whatever is stuck: ERROR, with a fault saying an administrator did it."""
    with session_scope() as session:
        _load(session, instance_id)
    instances.reset_status(ctx, instance_id)
