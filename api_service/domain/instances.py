"""Instances as users see them: create (validated, quota reserved), list, show, change, delete.

Long work is cast to the task manager; this module only validates, records and reads.
"""
import collections
import datetime
import json
import logging
import uuid

from sqlalchemy import bindparam, select

from api_service.common import exceptions
from api_service.common.config import CONF
from api_service.db import models
from api_service.db import models_configurations as mc
from api_service.db import models_instances as m
from api_service.db.session import read_scope, session_scope
from api_service.domain import access as access_domain
from api_service.domain import catalogue
from api_service.domain import configurations
from api_service.domain import datastores
from api_service.domain import events
from api_service.domain import faults
from api_service.domain import module_payloads
from api_service.domain import networks
from api_service.domain import quotas
from api_service.domain import status
from api_service.domain import user_hosts
from api_service.rpc import guest_client
from api_service.rpc import secure

LOG = logging.getLogger(__name__)
LOCALITIES = ('affinity', 'anti-affinity')
UNSUPPORTED = {'region_name': 'other regions'}


def _require_uuid(value, what='Instance'):
    try:
        uuid.UUID(value)
    except ValueError:
        raise exceptions.NotFound("%s '%s' cannot be found: ids are UUIDs." % (what, value[:64]))


def _flavor_id(ref):
    return str(ref).rstrip('/').rsplit('/', 1)[-1]


def _resolve_version(spec):
    spec = spec or {}
    if not spec.get('type'):
        raise exceptions.BadRequest('datastore.type is required: pick one of GET /datastores.')
    ds = datastores.get_datastore(spec['type'])
    if spec.get('version'):
        version = datastores.get_version(ds.name, spec['version'])
    else:
        version = next((v for v in ds.versions if v.id == ds.default_version_id), None)
        if version is None:
            raise exceptions.BadRequest("Datastore '%s' has no default version; name one."
                                        % ds.name)
    if not version.active:
        raise exceptions.BadRequest("Datastore version %s %s is not active."
                                    % (ds.name, version.name))
    return ds, version


def _resolve_flavor(ref, version):
    flavor = catalogue.flavor(_flavor_id(ref))
    allowed = [f.id for f in catalogue.flavors_for_version(version)]
    if flavor.id not in allowed:
        raise exceptions.BadRequest("Flavor '%s' is not allowed for this datastore version; "
                                    'allowed: %s.' % (flavor.name, ', '.join(allowed)))
    return flavor


def _resolve_volume_type(requested, version):
    allowed = catalogue.volume_types_for_version(version)
    names = ', '.join(vt.name for vt in allowed) or 'none'
    restricted = datastores.allowed_volume_type_ids(version.id) is not None
    if not allowed:
        raise exceptions.BadRequest('No valid volume types could be found for this datastore '
                                    'version.')
    if requested is None:
        if restricted:
            raise exceptions.BadRequest('This datastore version needs a volume type: %s.' % names)
        requested = CONF.local_driver.default_volume_type
    for vt in allowed:
        if requested in (vt.id, vt.name):
            return vt
    raise exceptions.BadRequest("Volume type '%s' is not allowed for this datastore version; "
                                'allowed: %s.' % (requested, names))


def _check_zone(zone):
    if zone is None:
        return None
    zones = [z.name for z in catalogue.availability_zones()]
    if zone not in zones:
        raise exceptions.BadRequest("Availability zone '%s' does not exist; zones: %s."
                                    % (zone, ', '.join(zones)))
    return zone


def _check_access(access, version, update=False):
    """(is_public, allowed_cidrs) to record: what the instance's engine will enforce.

    A version without the access capability admits every source that reaches it, so it
    is recorded as public; asking it to restrict is a 400. A create's `is_public: false`
    is let through there, because `openstack database instance create` always sends it.
    """
    access = access or {}
    cidrs = access_domain.parse_cidrs(access.get('allowed_cidrs'))
    is_public = bool(access.get('is_public', False))
    if access_domain.CAPABILITY in _capabilities_of(version):
        access_domain.sources(is_public, cidrs)   # 400 when none would be left
        return is_public, cidrs
    refused = 'allowed_cidrs' if cidrs else 'is_public: false' if (
        update and 'is_public' in access and not is_public) else None
    if refused:
        raise exceptions.BadRequest(
            '%s instances cannot restrict where connections come from (the engine has no '
            'rule on client addresses), so %s cannot be enforced: leave it out; the instance '
            'admits any source that reaches its address.' % (version.manager, refused))
    return True, []


def _capabilities_of(version):
    return set(filter(None, (version.capabilities or '').split(',')))


def _check_capabilities(version, body):
    capabilities = set(filter(None, (version.capabilities or '').split(',')))
    for field in ('databases', 'users', 'modules'):
        if body.get(field) and field not in capabilities:
            raise exceptions.BadRequest('%s does not support %s.' % (version.manager, field))
    user_hosts.check(version, capabilities, [user.get('host') for user in body.get('users') or []
                                             if isinstance(user, dict)])


def create(ctx, body):
    """Validate and record a new instance; the caller casts the build to the task manager."""
    for field, what in UNSUPPORTED.items():
        if body.get(field):
            raise exceptions.BadRequest('%s (%s) is not available in this deployment yet.'
                                        % (field, what))
    network, requested_address = networks.resolve_nics(body.get('nics'))
    ds, version = _resolve_version(body.get('datastore'))
    flavor = _resolve_flavor(body['flavorRef'], version)
    volume = body.get('volume') or {}
    size = int(volume.get('size') or 0)
    if not 1 <= size <= CONF.instance.max_volume_size:
        raise exceptions.BadRequest('Volume size must be between 1 and %d GB.'
                                    % CONF.instance.max_volume_size)
    volume_type = _resolve_volume_type(volume.get('type'), version)
    zone = _check_zone(body.get('availability_zone'))
    is_public, cidrs = _check_access(body.get('access'), version)
    _check_capabilities(version, body)
    locality = body.get('locality')
    restore = _restore_chain(ctx, body.get('restorePoint'), version, size)
    # Those named and the auto-apply ones, resolved here; the task manager sends them.
    modules = module_payloads.modules_for_create(ctx, body.get('modules'), version, ds.name)

    with session_scope() as session:
        configuration_id = _check_configuration(ctx, session, body.get('configuration'),
                                                version, flavor)
        networks.check_address_free(session, network, requested_address)
        quotas.reserve(session, ctx.project_id,
                       {'instances': 1, 'ram': flavor.ram, 'volumes': size})
        group_id = None
        if locality:
            group = m.ServerGroup(project_id=ctx.project_id, policy=locality)
            session.add(group)
            session.flush()
            group_id = group.id
        instance = m.Instance(
            name=body['name'], project_id=ctx.project_id, user_id=ctx.user_id,
            operating_status='BUILD',
            datastore_version_id=version.id, flavor_id=flavor.id, ram_mb=flavor.ram,
            vcpus=flavor.vcpus, volume_size=size, volume_type_id=volume_type.id,
            availability_zone=zone, server_group_id=group_id, locality=locality,
            is_public=is_public, allowed_cidrs=json.dumps(cidrs), region=CONF.api.region_name,
            network_id=network.id, requested_address=requested_address,
            configuration_id=configuration_id)
        status.build(instance, CONF.instance.build_deadline)
        session.add(instance)
        session.flush()
        session.add(m.InstanceKey(instance_id=instance.id, encrypted_key=secure.encrypt_key_at_rest(
            _master_key(), secure.new_key())))
        module_payloads.record_for_create(session, instance.id, modules)
        # Read in the create's own transaction: a client that lists and deletes the new
        # instance before this answer is sent must not turn the create into a 404.
        view = get(ctx, instance.id, session)
    build = {'databases': body.get('databases') or [], 'users': body.get('users') or [],
             'restore': restore}
    return view, build


def _check_configuration(ctx, session, configuration_ref, version, flavor):
    """The id of the group a create attaches, by its id or its name (the CLI's
    `--configuration maria-small` sends what it was given), checked: the project's, of the
    instance's version, and fitting its flavor. The task manager reads it from the row for
    prepare."""
    if not configuration_ref:
        return None
    # Locked until the instance row is written: a delete or new values of the group
    # cannot slip in between this check and the attachment.
    group = configurations.load_by_id_or_name(ctx, configuration_ref, session, lock=True)
    configurations.check_same_project(group, ctx.project_id)
    check_configuration_version(group, version)
    configurations.check_fits(flavor.ram, version.manager, configurations.values_of(group),
                              "The values of configuration group '%s'" % group.name)
    return group.id


def check_configuration_version(group, version):
    if group.datastore_version_id != version.id:
        raise exceptions.BadRequest(
            "Configuration group '%s' is for another datastore version; an instance of %s %s "
            'takes a group of that version.' % (group.name, version.manager, version.name))


def _restore_chain(ctx, restore_point, version, size_gb):
    """The backup chain to restore, checked against the new instance's datastore and volume."""
    if not restore_point:
        return None
    from api_service.domain import backups   # backups build on instances, not the reverse
    backup, chain = backups.restore_chain(ctx, restore_point['backupRef'])
    if backup.datastore_version_id != version.id:
        raise exceptions.BadRequest('Backup %s was taken from another datastore version; '
                                    'create the instance with that version.' % backup.id)
    needed = (backup.size_bytes or 0) / 1024 ** 3
    if needed > size_gb:
        raise exceptions.BadRequest('The volume (%d GB) is smaller than the backup (%.2f GB).'
                                    % (size_gb, needed))
    return chain


def _master_key():
    if not CONF.instance.master_key:
        raise exceptions.DBaaSError('The service has no [instance] master_key configured.')
    return CONF.instance.master_key


_KEY_OF = select(m.InstanceKey.encrypted_key).where(m.InstanceKey.instance_id == bindparam('id'))


def instance_key(instance_id):
    """The instance's RPC key; a plain read, so callers inside a write transaction may use it."""
    with read_scope() as conn:
        stored = conn.execute(_KEY_OF, {'id': instance_id}).scalar()
    return secure.decrypt_key_at_rest(_master_key(), stored) if stored else None


# -- reads ---------------------------------------------------------------------------

# `configuration`: the attached group's row, or None; `replicas`: the ids of a source's
# live replicas (domain/replication.py).
View = collections.namedtuple('View', 'instance datastore version fault configuration replicas',
                              defaults=(None, ()))

_I = m.Instance.__table__
_V = models.DatastoreVersion.__table__
_D = models.Datastore.__table__
_C = mc.Configuration.__table__


def _page_stmt(with_marker):
    stmt = (select(_I, _V.c.name.label('version_name'), _V.c.version.label('version_number'),
                   _D.c.name.label('datastore_name'), _C.c.name.label('configuration_name'))
            .join(_V, _V.c.id == _I.c.datastore_version_id).join(_D, _D.c.id == _V.c.datastore_id)
            .outerjoin(_C, _C.c.id == _I.c.configuration_id)
            .where(_I.c.project_id == bindparam('project'), _I.c.deleted.is_(False))
            .order_by(_I.c.id).limit(bindparam('limit')))
    if with_marker:
        stmt = stmt.where(_I.c.id > bindparam('marker'))
    return stmt


_FIRST_PAGE = _page_stmt(False)
_NEXT_PAGE = _page_stmt(True)


def list_page(ctx, limit, marker=None):
    """One page of the project's instances with their datastore names: one query."""
    params = {'project': ctx.project_id, 'limit': limit + 1}
    if marker:
        params['marker'] = marker
    with read_scope() as conn:
        rows = conn.execute(_NEXT_PAGE if marker else _FIRST_PAGE, params).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more else None)


def get(ctx, instance_id, session=None):
    """The instance with its datastore and latest fault; 404 for other projects' instances."""
    _require_uuid(instance_id)
    if session is None:
        with session_scope() as session:
            return get(ctx, instance_id, session)
    instance = session.get(m.Instance, instance_id)
    if (instance is None or instance.deleted or
            (instance.project_id != ctx.project_id and not ctx.is_admin)):
        raise exceptions.NotFound("Instance '%s' cannot be found." % instance_id)
    version = session.get(models.DatastoreVersion, instance.datastore_version_id)
    datastore = session.get(models.Datastore, version.datastore_id)
    group = (session.get(mc.Configuration, instance.configuration_id)
             if instance.configuration_id else None)
    from api_service.domain import replication   # it builds on instances, not the reverse
    replicas = replication.replicas_by_source([instance.id], session).get(instance.id, ())
    return View(instance, datastore, version, faults.latest(session, instance.id), group,
                tuple(replicas))


def rename(ctx, instance_id, name):
    with session_scope() as session:
        view = get(ctx, instance_id, session)
        status.check(view.instance, 'rename')
        view.instance.name = name


# A change the guest applies live (access, configuration) holds a claim on its instance
# (access_change_until, set and cleared under the row's lock) from reading the instance to
# recording what the engine applied, so two changes at once cannot leave the engine
# enforcing one and the database recording the other: access and configuration changes
# exclude each other. The guest's call has its own timeout (guest_client.APPLY_*_TIMEOUT,
# well above the agent's own waits); a claim whose holder died lapses a while after that.
ACCESS_CLAIM_SECONDS = guest_client.APPLY_ACCESS_TIMEOUT + 30


class AccessChangeBusy(exceptions.Conflict):
    """Another access or configuration change of the instance is being applied."""


def check_no_change(instance):
    """409 while a live change holds `instance` (its row locked by the caller)."""
    now = models.utcnow()
    if instance.access_change_until is not None and instance.access_change_until > now:
        raise AccessChangeBusy('Instance %s is applying another access change or '
                               'configuration change; try again when it has finished.'
                               % instance.id)
    return now


def claim_change(instance, seconds=ACCESS_CLAIM_SECONDS):
    """Claim `instance` (its row locked by the caller) for a change; 409 if taken."""
    now = check_no_change(instance)
    instance.access_change_until = now + datetime.timedelta(seconds=seconds)
    return instance.access_change_until


_claim_access_change = claim_change


def end_change(instance_id, claim, record=None):
    """Release the claim and call `record(instance)` (its row locked) to record the
    change. False when the claim had lapsed and another change took the instance over."""
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id, with_for_update=True)
        if instance is None or instance.access_change_until != claim:
            LOG.warning('instance %s: a change outlived its claim; not recorded', instance_id)
            return False
        instance.access_change_until = None
        if record is not None:
            record(instance)
        return True


def _end_access_change(instance_id, claim, record=None):
    """end_change recording `record` (is_public, allowed_cidrs) as the instance's access."""
    def write(instance):
        instance.is_public, instance.allowed_cidrs = record[0], json.dumps(record[1])
    return end_change(instance_id, claim, write if record is not None else None)


def update_access(ctx, instance_id, access):
    """Change who may connect: the guest applies it live first, then it is recorded.

    If the guest cannot apply it, nothing is recorded and the engine keeps its sources.
    One change at a time per instance: another one meanwhile is a 409.
    """
    with session_scope() as session:
        session.get(m.Instance, instance_id, with_for_update=True)
        view = get(ctx, instance_id, session)
        is_public, cidrs = _check_access(access, view.version, update=True)
        if access_domain.CAPABILITY not in _capabilities_of(view.version):
            view.instance.is_public, view.instance.allowed_cidrs = is_public, json.dumps(cidrs)
            return
        status.check(view.instance, 'change_access')
        sources = access_domain.sources(is_public, cidrs)
        claim = _claim_access_change(view.instance)
    try:
        with faults.of_guest_calls(instance_id):
            guest_client.GuestAPI(instance_id, instance_key(instance_id)).apply_access(
                ctx, sources)
    except BaseException:
        _end_access_change(instance_id, claim)
        raise
    if not _end_access_change(instance_id, claim, (is_public, cidrs)):
        raise exceptions.Conflict('Instance %s took longer to apply the access change than '
                                  'it may, and another change followed; show the instance '
                                  'and try again.' % instance_id)


def access_sources(instance_id):
    """The sources the instance's guest must admit, from its recorded access (for prepare)."""
    with session_scope() as session:
        return access_domain.sources_of(session.get(m.Instance, instance_id))


def resend_access(ctx, instance_id, timeout):
    """Send a live instance's guest the sources of its recorded access again (they may
    have changed under it: an upgrade, [access] service_cidrs), as one call of at most
    `timeout` seconds; the guest applies them idempotently. Returns the sources sent, or
    None when its version enforces no access, it is gone, or an access change is being
    applied (that one sends its own). The guest's errors are raised."""
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id, with_for_update=True)
        if instance is None or instance.deleted:
            return None
        version = session.get(models.DatastoreVersion, instance.datastore_version_id)
        if access_domain.CAPABILITY not in _capabilities_of(version):
            return None
        try:
            claim = _claim_access_change(instance)
        except AccessChangeBusy:
            return None
        sources = access_domain.sources_of(instance)
    try:
        guest_client.GuestAPI(instance_id, instance_key(instance_id)).apply_access(
            ctx, sources, timeout=timeout)
    finally:
        _end_access_change(instance_id, claim)
    return sources


def check_volume_resize(view, size):
    if size <= view.instance.volume_size:
        raise exceptions.BadRequest('The new volume size must be larger than the current %d GB.'
                                    % view.instance.volume_size)
    if size > CONF.instance.max_volume_size:
        raise exceptions.BadRequest('The new volume size must be at most %d GB.'
                                    % CONF.instance.max_volume_size)


def check_flavor_resize(view, ref):
    flavor = _resolve_flavor(ref, view.version)
    if flavor.id == view.instance.flavor_id:
        raise exceptions.BadRequest("The instance already has flavor '%s'." % flavor.name)
    _check_group_fits(view, flavor)
    return flavor


def _check_group_fits(view, flavor):
    if view.configuration is not None:
        configurations.check_fits(
            flavor.ram, view.version.manager, configurations.values_of(view.configuration),
            "The values of configuration group '%s', attached to the instance,"
            % view.configuration.name)


def begin(ctx, instance_id, operation, deadline_seconds, quota_deltas=None, flavor=None,
          **changes):
    """Move an instance into the status `operation` runs in, if its status allows it (409).

    A live access or configuration change in flight is a 409 too: a restart or resize
    would cut its guest call off. `flavor` (a flavor resize's new one): the attached
    group's values are checked against it again here, under the lock, since the group
    may have changed since check_flavor_resize."""
    with session_scope() as session:
        # The status is read under the row's lock: two requests at once on PostgreSQL or
        # MariaDB would otherwise both see a status that lets them in.
        session.get(m.Instance, instance_id, with_for_update=True)
        view = get(ctx, instance_id, session)
        status.check(view.instance, operation)
        check_no_change(view.instance)
        from api_service.domain import replication
        replication.check_set_idle(session, view.instance)
        if flavor is not None:
            _check_group_fits(view, flavor)
        if quota_deltas:
            quotas.reserve(session, view.instance.project_id, quota_deltas)
        status.begin(view.instance, operation, deadline_seconds)
        status.refuse_state_fields(changes)
        for key, value in changes.items():
            setattr(view.instance, key, value)
        return view


# The fault a create leaves when no task manager took its build (the API answered 503).
UNBUILT = ('No task manager was reachable to build the instance; delete it and create it '
           'again.')


def undo_begin(instance_id, operation, quota_deltas=None):
    """No task manager took the cast of `operation`, just begun (the API answers 503):
    nothing will run it, so what the API committed for it is put back, once, under the
    row's lock.

    A create's instance is never left half-made in BUILD: it fails with a fault saying why
    (its quota goes back when it is deleted, as any instance's). A restart or resize begun
    from ACTIVE is aborted, and a resize's reservation (`quota_deltas`, as given to
    `begin`) given back: no task manager claimed it, so none will settle it. A row that
    moved on meanwhile (a delete began) keeps its status; the reservation goes back all
    the same, since a delete gives back only the sizes the row holds.
    """
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id, with_for_update=True)
        if instance is None:
            return
        if quota_deltas:
            quotas.release(session, instance.project_id, quota_deltas)
        still_begun = (instance.task == operation and instance.task_owner is None
                       and instance.status == status.RUNS_IN[operation])
        if not still_begun:
            return
        if operation == 'create':
            status.fail(instance)
            faults.record(instance_id, UNBUILT, session=session)
            return
        try:
            status.abort(instance)
        except status.IllegalTransition:
            # A status abort has no way back from (a restart's REBOOT: the status it began
            # from is not kept): its deadline ends it, as one whose task manager died.
            LOG.warning('instance %s: no task manager took %s and %s cannot be undone; its '
                        'deadline ends it', instance_id, operation, instance.status)


def mark_deleting(ctx, instance_id):
    """Delete works in every state: the status becomes DELETING and the task manager cleans
    up. A source with replicas is refused (409): they would follow nothing."""
    from api_service.domain import replication
    with session_scope() as session:
        # Under the row's lock: a replica create of this source waits, or is waited for.
        session.get(m.Instance, instance_id, with_for_update=True)
        view = get(ctx, instance_id, session)
        replication.check_deletable(session, view.instance)
        status.mark_deleting(view.instance, CONF.instance.operation_deadline)
        return view


def reset_status(ctx, instance_id):
    """Admin: end whatever is stuck; the instance becomes ERROR and can be deleted or restarted."""
    from api_service.taskmanager import owners  # the task managers' record (no cycle)
    with session_scope() as session:
        session.get(m.Instance, instance_id, with_for_update=True)
        view = get(ctx, instance_id, session)
        if owners.is_gone(session, view.instance.task_owner):
            # A resize no task manager runs any more: its reservation goes back now, once (a
            # live one's flow gives it back as it ends).
            owners.settle_quota(session, view.instance)
        status.reset(view.instance)
        faults.record(instance_id, 'Status reset by an administrator.', session=session)
        # The timeline says so too: what was running is given up, and who ended it.
        events.fail_running(session, instance_id, 'given up: the status was reset')
        events.record_done(session, {instance_id: 'asked by an administrator'},
                           'reset_status', 'reset status')
