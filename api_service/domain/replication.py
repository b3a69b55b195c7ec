"""Replica sets as users see them: create replicas, read a set, begin promote, eject, detach.

A replica set is a source and the live instances whose `replica_of_id` names it; a replica
of a replica is refused, so a set is one level deep. This module validates and records;
the task manager (taskmanager/replication.py) seeds, promotes and repoints the engines.
A request on a set locks its rows, the source's first: a replica create, a delete of the
source, a promote, an eject and a detach of one set happen one after the other, and each
sees the statuses the one before left.
"""
import collections
import json

from sqlalchemy import bindparam, select

from api_service.common import exceptions
from api_service.common.config import CONF
from api_service.db import models_instances as m
from api_service.db.session import read_scope, session_scope
from api_service.domain import datastores
from api_service.domain import instances
from api_service.domain import module_payloads
from api_service.domain import networks
from api_service.domain import quotas
from api_service.domain import status
from api_service.rpc import secure

# The capability of a datastore version whose guest can seed, promote and repoint replicas.
CAPABILITY = 'replication'
MAX_REPLICAS = 10
# An instance name's longest (the column's length, and the API schema's).
NAME_LENGTH = 255
# A create with replica_of builds the instance from its source: these would build
# something else, or are decided by the source.
REFUSED_WITH_REPLICA_OF = {
    'users': 'users replicate from the source: create them there',
    'databases': 'databases replicate from the source: create them there',
    'restorePoint': 'a replica starts from a fresh copy of its source, not from a backup',
    'locality': "replicas join their source's server group",
}
# The task manager's waits in a promote or an eject (taskmanager/replication.py), here
# so that the operations' deadlines are computed from them (operation_deadline).
# A member that does not answer a ping this fast is taken as not answering.
PING_TIMEOUT = 5
# How long each replica may take to apply what the fenced source had (design: 60 s).
CATCH_UP_SECONDS = 60
# Eject asks the source this briefly whether it still answers.
SOURCE_PROBE_TIMEOUT = 3
# replication_wait_for's call waits this much longer than its wait (rpc/guest_client.py).
WAIT_FOR_CALL_MARGIN = 15
# Beyond the guest calls' timeouts, for the flows' own reads and writes (seconds).
DEADLINE_MARGIN = 60
# Statuses of a set's members while a promote or an eject runs on the set.
SET_OPERATIONS = {status.PROMOTE: 'promoted', status.EJECT: 'ejected'}

# The flavor a replica takes from its source when none is named (the source's row keeps
# its sizes, whatever became of its flavor since).
_Flavor = collections.namedtuple('_Flavor', 'id name ram vcpus')

_I = m.Instance.__table__


# -- reads -----------------------------------------------------------------------------

_REPLICAS_OF = (select(_I.c.id, _I.c.replica_of_id)
                .where(_I.c.replica_of_id.in_(bindparam('sources', expanding=True)),
                       _I.c.deleted.is_(False))
                .order_by(_I.c.replica_of_id, _I.c.name, _I.c.id))


def replicas_by_source(source_ids, session=None):
    """{source id: [replica ids]} of the given instances' live replicas: one query for a
    page of instances, however many of them are sources."""
    source_ids = sorted(set(source_ids))
    if not source_ids:
        return {}
    if session is not None:
        rows = session.execute(_REPLICAS_OF, {'sources': source_ids}).all()
    else:
        with read_scope() as conn:
            rows = conn.execute(_REPLICAS_OF, {'sources': source_ids}).all()
    found = collections.defaultdict(list)
    for replica_id, source_id in rows:
        found[source_id].append(replica_id)
    return dict(found)


def live_replicas(session, source_id, lock=False):
    """The source's replicas that are not deleted, as rows (in id order when locked)."""
    stmt = (select(m.Instance).where(m.Instance.replica_of_id == source_id,
                                     m.Instance.deleted.is_(False)).order_by(m.Instance.id))
    if lock:
        # Rows read before in this session are read again: their status may have changed
        # before the lock was granted.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list(session.scalars(stmt))


def _named(rows):
    return ', '.join("'%s'" % row.name for row in rows)


def _source_of(session, replica):
    return session.get(m.Instance, replica.replica_of_id)


def refuse_changes_on_replica(session, instance):
    """400 when `instance` is a replica: users, databases and root change on the source
    and replicate (a change on a replica would be overwritten, or refused by its engine)."""
    if not instance.replica_of_id:
        return
    source = _source_of(session, instance)
    raise exceptions.BadRequest(
        "Instance '%s' is a replica of '%s': make changes on its source (they replicate)."
        % (instance.name, source.name if source is not None else instance.replica_of_id))


def replicas_for_root(session, source):
    """The live replicas a root change on `source` is set on too (an engine whose accounts
    do not replicate); 409 when one cannot take it now: each must run (ACTIVE), or a
    replica left behind would keep the old password (or none). Replicas being deleted do
    not count."""
    replicas = [replica for replica in live_replicas(session, source.id)
                if replica.status != status.DELETING]
    for replica in replicas:
        if replica.status not in status.ALLOWED['guest']:
            raise exceptions.Conflict(
                "Root on instance '%s' is set on its replicas too, and replica '%s' is %s; "
                'try again when every replica is ACTIVE.'
                % (source.name, replica.name, replica.status))
    return replicas


def check_deletable(session, instance):
    """409 when `instance` is a source with replicas: they would follow a source that is
    gone. Replicas being deleted do not count (their delete forgets them on the source,
    if it is still there)."""
    kept = sorted((r for r in live_replicas(session, instance.id)
                   if r.status != status.DELETING), key=lambda r: (r.name, r.id))
    if kept:
        raise exceptions.Conflict('Instance %s has replicas (%s); detach or delete them first.'
                                  % (instance.id, _named(kept)))


def check_set_idle(session, instance):
    """409 when the instance's replica set is being promoted or ejected: the task manager
    restarts and repoints its members meanwhile."""
    source_id = instance.replica_of_id or instance.id
    members = [session.get(m.Instance, source_id)] + live_replicas(session, source_id)
    for member in members:
        if member is not None and member.status in SET_OPERATIONS:
            raise exceptions.Conflict(
                "The replica set of instance '%s' is being %s; try again when it has "
                'finished.' % (instance.name, SET_OPERATIONS[member.status]))


# -- create -----------------------------------------------------------------------------

def check_create_fields(body):
    """400 for what a create with `replica_of` may not carry, and for `replica_count`
    without `replica_of`; the count (1 when not given)."""
    count = body.get('replica_count')
    if body.get('replica_of') is None:
        if count is not None:
            raise exceptions.BadRequest('replica_count needs replica_of: name the instance '
                                        'to replicate.')
        return None
    for field, what in instances.UNSUPPORTED.items():
        if body.get(field):
            raise exceptions.BadRequest('%s (%s) is not available in this deployment yet.'
                                        % (field, what))
    for field, why in REFUSED_WITH_REPLICA_OF.items():
        if body.get(field):
            raise exceptions.BadRequest('%s cannot be given with replica_of: %s.'
                                        % (field, why))
    return 1 if count is None else int(count)


def _load_source(ctx, source_id):
    """The source's view (404 unless it is one of the caller's project's instances)."""
    instances._require_uuid(source_id)
    try:
        view = instances.get(ctx, source_id)
    except exceptions.NotFound:
        view = None
    if view is None or view.instance.project_id != ctx.project_id:
        raise exceptions.NotFound("Instance '%s' cannot be found; replica_of takes the id "
                                  "of one of the project's instances." % source_id)
    return view


def _check_source(session, source, version):
    """The source can have replicas now: checked again under its lock, in the create's
    transaction (a delete, a promote or another create of the set waits meanwhile)."""
    if source.replica_of_id:
        upstream = _source_of(session, source)
        raise exceptions.BadRequest(
            "Instance '%s' is a replica of '%s': a replica of a replica is not possible; "
            'make it a replica of the source.' % (
                source.name, upstream.name if upstream is not None else source.replica_of_id))
    if CAPABILITY not in instances._capabilities_of(version):
        raise exceptions.BadRequest('%s %s instances cannot have replicas.'
                                    % (version.manager, version.name))
    if source.status != status.ACTIVE:
        raise exceptions.Conflict("Instance '%s' is %s; a replica needs its source to be "
                                  'ACTIVE.' % (source.name, source.status))
    check_set_idle(session, source)


def _check_datastore(spec, datastore, version):
    """A create may name the datastore and version, but only the source's own."""
    if not version.active:
        raise exceptions.BadRequest('Datastore version %s %s is not active: no new instance '
                                    'of it can be made.' % (datastore.name, version.name))
    if not spec:
        return
    try:
        named = datastores.get_datastore(spec['type']) if spec.get('type') else None
        named_version = (datastores.get_version(datastore.name, spec['version'])
                         if spec.get('version') else None)
    except exceptions.NotFound as unknown:
        # Not the source's, whatever it is: a request to fix, not a missing resource.
        raise exceptions.BadRequest("%s A replica has its source's datastore (%s %s); leave "
                                    'datastore out or name that one.'
                                    % (unknown.message, datastore.name, version.name))
    if named is not None and named.id != datastore.id:
        raise exceptions.BadRequest("A replica has its source's datastore (%s); leave "
                                    'datastore out or name that one.' % datastore.name)
    if named_version is not None and named_version.id != version.id:
        raise exceptions.BadRequest("A replica has its source's datastore version (%s %s); "
                                    'leave the version out or name that one.'
                                    % (datastore.name, version.name))


def _flavor(body, source, version):
    if body.get('flavorRef') is not None:
        return instances._resolve_flavor(body['flavorRef'], version)
    return _Flavor(source.flavor_id, source.flavor_id, source.ram_mb, source.vcpus)


def _volume(body, source, version):
    """(size GB, volume type id): the source's unless given; room for the source's data."""
    volume = body.get('volume') or {}
    size = int(volume['size']) if volume.get('size') is not None else source.volume_size
    if not 1 <= size <= CONF.instance.max_volume_size:
        raise exceptions.BadRequest('Volume size must be between 1 and %d GB.'
                                    % CONF.instance.max_volume_size)
    used = (source.volume_used_bytes or 0) / 1024 ** 3
    if used > size:
        raise exceptions.BadRequest("The volume (%d GB) is smaller than the source's data "
                                    '(%.2f GB).' % (size, used))
    if volume.get('type') is not None:
        return size, instances._resolve_volume_type(volume['type'], version).id
    return size, source.volume_type_id


def _network(body, source, count):
    """The network and requested address: the source's network unless nics names one."""
    nics = body.get('nics')
    if not nics and source.network_id:
        network = next((n for n in networks.list_networks() if n.id == source.network_id),
                       None)
        if network is not None:
            return network, None
    network, address = networks.resolve_nics(nics)
    if address is not None and count > 1:
        raise exceptions.BadRequest('nics: one ip_address cannot be given to %d replicas; '
                                    'leave it out or create one replica.' % count)
    return network, address


def _access(body, source, version):
    if body.get('access') is not None:
        return instances._check_access(body['access'], version)
    return source.is_public, json.loads(source.allowed_cidrs or '[]')


def replica_names(name, count):
    """One replica keeps the name; several are "<name>-1" … "<name>-N" (as upstream).
    400 when a suffixed name would not fit an instance's name (NAME_LENGTH)."""
    if count == 1:
        return [name]
    names = ['%s-%d' % (name, index) for index in range(1, count + 1)]
    if max(len(each) for each in names) > NAME_LENGTH:
        raise exceptions.BadRequest(
            'The replicas are named "<name>-1" to "<name>-%d", and an instance name has at '
            'most %d characters: give a name of at most %d characters.'
            % (count, NAME_LENGTH, NAME_LENGTH - len('-%d' % count)))
    return names


def create(ctx, body):
    """Validate and record `replica_count` replicas of `replica_of` (all or none: one
    transaction, quota for all of them at once). Returns (the first replica's view, the
    source's id, the replicas' ids); the caller casts create_replicas."""
    count = check_create_fields(body)
    if not 1 <= count <= MAX_REPLICAS:
        raise exceptions.BadRequest('replica_count must be from 1 to %d.' % MAX_REPLICAS)
    names = replica_names(body['name'], count)
    view = _load_source(ctx, body['replica_of'])
    source, version, datastore = view.instance, view.version, view.datastore
    with session_scope() as session:
        _check_source(session, source, version)     # early, for the refusal's sake
    # Resolved before the create's transaction, as a create's (they read the catalogue).
    _check_datastore(body.get('datastore'), datastore, version)
    flavor = _flavor(body, source, version)
    size, volume_type_id = _volume(body, source, version)
    network, requested_address = _network(body, source, count)
    zone = instances._check_zone(body.get('availability_zone'))
    is_public, cidrs = _access(body, source, version)
    instances._check_capabilities(version, body)
    modules = module_payloads.modules_for_create(ctx, body.get('modules'), version,
                                                 datastore.name)
    with session_scope() as session:
        source = session.get(m.Instance, source.id, with_for_update=True,
                             populate_existing=True)
        _check_source(session, source, version)
        configuration_id = instances._check_configuration(
            ctx, session, body.get('configuration'), version, flavor)
        networks.check_address_free(session, network, requested_address)
        quotas.reserve(session, ctx.project_id, {'instances': count, 'ram': count * flavor.ram,
                                                 'volumes': count * size})
        shape = dict(
            project_id=ctx.project_id, user_id=ctx.user_id, replica_of_id=source.id,
            datastore_version_id=version.id, flavor_id=flavor.id, ram_mb=flavor.ram,
            vcpus=flavor.vcpus, volume_size=size, volume_type_id=volume_type_id,
            availability_zone=zone, server_group_id=source.server_group_id,
            locality=source.locality, is_public=is_public, allowed_cidrs=json.dumps(cidrs),
            region=CONF.api.region_name, network_id=network.id,
            requested_address=requested_address, configuration_id=configuration_id)
        replica_ids = [_record(session, name, shape, modules)
                       for name in names]
        return instances.get(ctx, replica_ids[0], session), source.id, replica_ids


def _record(session, name, shape, modules):
    """One replica's row (BUILD, with its build deadline), RPC key and modules."""
    replica = m.Instance(name=name, operating_status='BUILD', **shape)
    status.build(replica, CONF.instance.build_deadline)
    session.add(replica)
    session.flush()
    session.add(m.InstanceKey(instance_id=replica.id, encrypted_key=secure.encrypt_key_at_rest(
        instances._master_key(), secure.new_key())))
    module_payloads.record_for_create(session, replica.id, modules)
    return replica.id


# -- promote, eject, detach ---------------------------------------------------------------

def _lock_set(session, source_id):
    """The set's rows, locked and read again: the source's first (as every request on the
    set takes it), then its live replicas' in id order."""
    source = session.get(m.Instance, source_id, with_for_update=True, populate_existing=True)
    return source, live_replicas(session, source_id, lock=True)


def _check_members(members, operation):
    for member in members:
        if member.status != status.ACTIVE:
            raise exceptions.Conflict(
                "Instance '%s' of the replica set is %s; %s needs every member of the set "
                'to be ACTIVE.' % (member.name, member.status, operation))


def operation_deadline(operation, replica_count):
    """Seconds the task manager's flow (taskmanager/replication.py) may take on a set of
    one source and `replica_count` replicas, from its guest calls' timeouts
    (rpc/guest_client.py), so the janitor never fails one still within them:
    - promote: a ping per member, the fence, a catch-up per replica (its wait and the
      call's margin), the promote, a follow per other member (the old source too); on a
      failed promote, a position and an unfence in place of the follows;
    - eject: the probe (a ping and a position), a fence of a source whose guest answers,
      a position per replica, the promote, a follow per other replica;
    - detach: the detach, a ping and a forget on the source.
    Never shorter than [instance] operation_deadline; a margin for the rows and events."""
    from api_service.rpc import guest_client as g
    quick, slow, follow = (g.REPLICATION_QUICK_TIMEOUT, g.REPLICATION_TIMEOUT,
                           g.REPLICATION_FOLLOW_TIMEOUT)
    others = max(replica_count - 1, 0)
    if operation == 'promote_to_replica_source':
        seconds = ((replica_count + 1) * PING_TIMEOUT + quick
                   + replica_count * (CATCH_UP_SECONDS + WAIT_FOR_CALL_MARGIN)
                   + slow + max((others + 1) * follow, 2 * quick))
    elif operation == 'eject_replica_source':
        seconds = (2 * SOURCE_PROBE_TIMEOUT + quick + replica_count * quick + slow
                   + others * follow)
    else:
        seconds = slow + PING_TIMEOUT + quick
    return max(CONF.instance.operation_deadline, seconds + DEADLINE_MARGIN)


def _begin(session, instance, operation, replica_count=1):
    status.check(instance, operation)
    instances.check_no_change(instance)
    status.begin(instance, operation, operation_deadline(operation, replica_count))


def _replica(ctx, session, instance_id, refusal):
    """The replica and its set, locked; 400 (`refusal`, with its name) when it is none."""
    replica = instances.get(ctx, instance_id, session).instance
    if replica.replica_of_id:
        source, replicas = _lock_set(session, replica.replica_of_id)
        if replica in replicas:       # still its replica, now that the set is locked
            return replica, source, replicas
    raise exceptions.BadRequest(refusal % replica.name)


def begin_promote(ctx, instance_id):
    """A replica becomes its set's source: every member must be ACTIVE (the old source
    becomes a replica of it). The replica goes PROMOTE; the caller casts."""
    with session_scope() as session:
        replica, source, replicas = _replica(
            ctx, session, instance_id, "Instance '%s' is not a replica: only a replica can be "
            'promoted to replica source.')
        _check_members([source] + replicas, 'promote to replica source')
        _begin(session, replica, 'promote_to_replica_source', len(replicas))


def begin_eject(ctx, instance_id):
    """A source that is gone leaves its set: the most advanced replica becomes the source.
    Its replicas must be ACTIVE; the source may be ACTIVE, SHUTDOWN or ERROR (the task
    manager refuses it when it still answers). The source goes EJECT."""
    with session_scope() as session:
        instances.get(ctx, instance_id, session)
        source, replicas = _lock_set(session, instance_id)
        if source.replica_of_id:
            upstream = _source_of(session, source)
            raise exceptions.BadRequest(
                "Instance '%s' is a replica: eject its source '%s' instead." % (
                    source.name, upstream.name if upstream is not None
                    else source.replica_of_id))
        if not replicas:
            raise exceptions.BadRequest("Instance '%s' is not a replica source: it has no "
                                        'replicas.' % source.name)
        _check_members(replicas, 'eject replica source')
        _begin(session, source, 'eject_replica_source', len(replicas))


def begin_detach(ctx, instance_id):
    """A replica stops following its source and becomes a standalone, writable instance.
    It goes DETACH; the caller casts."""
    with session_scope() as session:
        replica, source, replicas = _replica(
            ctx, session, instance_id, "Instance '%s' is not a replica: there is nothing to "
            'detach it from.')
        check_set_idle(session, replica)
        _begin(session, replica, 'detach_replica')
