"""Backups as users see them: create (validated, quota reserved), list, show (deletes are
backup_deletes.py).

The work is cast to the task manager; the guest streams the backup to storage and
the conductor records how it ended.
"""
import datetime
import json
import os
import uuid

from sqlalchemy import bindparam, or_, select

from api_service.common import exceptions
from api_service.common.config import CONF
from api_service.db import models
from api_service.db import models_backups as b
from api_service.db import models_instances as m
from api_service.db.session import read_scope, session_scope
from api_service.domain import backup_strategies
from api_service.domain import datastores
from api_service.domain import events
from api_service.domain import faults
from api_service.domain import instances
from api_service.domain import quotas
from api_service.domain import replication
from api_service.domain import schedules
from api_service.domain import status
from api_service.drivers import storage

NEW, BUILDING, COMPLETED, FAILED, DELETE_FAILED = (
    'NEW', 'BUILDING', 'COMPLETED', 'FAILED', 'DELETE_FAILED')


def _require_uuid(value, what):
    try:
        uuid.UUID(str(value))
    except ValueError:
        raise exceptions.NotFound("%s '%s' cannot be found: ids are UUIDs." % (what, value[:64]))


def get(ctx, backup_id, session=None):
    _require_uuid(backup_id, 'Backup')
    if session is None:
        with session_scope() as session:
            return get(ctx, backup_id, session)
    backup = session.get(b.Backup, backup_id)
    if (backup is None or backup.deleted or
            (backup.project_id != ctx.project_id and not ctx.is_admin)):
        raise exceptions.NotFound("Backup '%s' cannot be found." % backup_id)
    return backup


def create(ctx, body):
    """Record a NEW backup and move its instance to BACKUP; returns (backup, parent)."""
    view = instances.get(ctx, body['instance'])
    capabilities = set(filter(None, (view.version.capabilities or '').split(',')))
    if 'backups' not in capabilities:
        raise exceptions.BadRequest('%s instances cannot be backed up.' % view.datastore.name)
    if (body.get('incremental') or body.get('parent_id')) and \
            'incremental_backups' not in capabilities:
        raise exceptions.BadRequest('%s %s instances cannot make incremental backups; make a '
                                    'full backup (no incremental, no parent_id).'
                                    % (view.datastore.name, view.version.name))
    with session_scope() as session:
        # Under the row's lock, as instances.begin: one backup at a time gets in.
        instance = session.get(m.Instance, view.instance.id, with_for_update=True)
        status.check(instance, 'backup')
        instances.check_no_change(instance)
        # A promote or an eject restarts and repoints every member of the set meanwhile.
        replication.check_set_idle(session, instance)
        parent = _parent(ctx, session, instance, body)
        backup_id = models.new_id()
        location = backup_strategies.backup_location(session, instance, body,
                                                     'backups/%s/data' % backup_id)
        quotas.reserve(session, ctx.project_id, {'backups': 1})
        backup = b.Backup(id=backup_id, name=body['name'], description=body.get('description'),
                          project_id=ctx.project_id, instance_id=instance.id,
                          parent_id=parent.id if parent else None, location=location,
                          datastore_version_id=instance.datastore_version_id, status=NEW)
        session.add(backup)
        session.flush()
        status.begin(instance, 'backup', CONF.backup.deadline)
        return backup, parent


def _parent(ctx, session, instance, body):
    """The parent of an incremental: named, or the instance's latest completed backup."""
    parent_id = body.get('parent_id')
    if parent_id:
        parent = get(ctx, parent_id, session)
        if parent.instance_id != instance.id:
            raise exceptions.BadRequest('The parent backup %s belongs to another instance.'
                                        % parent_id)
        if parent.status != COMPLETED:
            raise exceptions.BadRequest('The parent backup %s is %s, not COMPLETED.'
                                        % (parent_id, parent.status))
        return parent
    if body.get('incremental'):
        parent = session.scalars(select(b.Backup).where(
            b.Backup.instance_id == instance.id, b.Backup.status == COMPLETED,
            b.Backup.deleted.is_(False)).order_by(b.Backup.created.desc())).first()
        if parent is None:
            raise exceptions.BadRequest('An incremental backup needs a completed backup of the '
                                        'instance to build on; make a full backup first.')
        return parent
    return None


def chain(session, backup):
    """The backups a restore needs, full first: the backup and its ancestors."""
    links = [backup]
    while links[-1].parent_id:
        parent = session.get(b.Backup, links[-1].parent_id)
        if parent is None or parent.deleted or parent.status != COMPLETED:
            raise exceptions.BadRequest('Backup %s cannot be restored: its parent %s is gone.'
                                        % (backup.id, links[-1].parent_id))
        links.append(parent)
    return list(reversed(links))


def restore_chain(ctx, backup_id):
    """What a restore sends the guest: each link's object, checksum and engine metadata."""
    with session_scope() as session:
        backup = get(ctx, backup_id, session)
        if backup.status != COMPLETED:
            raise exceptions.BadRequest('Backup %s is %s; only COMPLETED backups restore.'
                                        % (backup_id, backup.status))
        return backup, [{'id': link.id, 'location': link.location, 'checksum': link.checksum,
                         'size': link.size_bytes,
                         'metadata': json.loads(link.engine_metadata or '{}')}
                        for link in chain(session, backup)]


# -- reads ---------------------------------------------------------------------------------

_B = b.Backup.__table__
_V = models.DatastoreVersion.__table__
_D = models.Datastore.__table__
_I = m.Instance.__table__


_FILTERS = ('marker', 'instance', 'datastore', 'project')


def _page_stmt(filters):
    """Newest first (Trove's order), keyset-paged on (created, id); `filters` ⊆ _FILTERS."""
    # The instance's name and whether it is deleted: a backup outlives its instance, and a
    # page names it without a call per row (an outer join: a purged instance has no row).
    stmt = (select(_B, _V.c.name.label('version_name'), _D.c.name.label('datastore_name'),
                   _I.c.name.label('instance_name'), _I.c.deleted.label('instance_deleted'))
            .join(_V, _V.c.id == _B.c.datastore_version_id)
            .join(_D, _D.c.id == _V.c.datastore_id)
            .outerjoin(_I, _I.c.id == _B.c.instance_id)
            .where(_B.c.deleted.is_(False))
            .order_by(_B.c.created.desc(), _B.c.id.desc()).limit(bindparam('limit')))
    if 'project' in filters:
        stmt = stmt.where(_B.c.project_id == bindparam('project'))
    if 'marker' in filters:
        marker = select(_B.c.created).where(_B.c.id == bindparam('marker')).scalar_subquery()
        # `created <= marker` first: an index range, so a later page costs what the first does.
        stmt = stmt.where(_B.c.created <= marker,
                          or_(_B.c.created < marker, _B.c.id < bindparam('marker')))
    if 'instance' in filters:
        stmt = stmt.where(_B.c.instance_id == bindparam('instance'))
    if 'datastore' in filters:
        stmt = stmt.where(_D.c.id == bindparam('datastore'))
    return stmt


# Built once per combination of filters: compiling a statement costs more than running it.
_PAGES = {}


def list_page(project_id, limit, marker=None, instance_id=None, datastore=None):
    """A page of a project's backups (every project's when project_id is None: the
    caller checked the policy) with their datastore names, in one query.
    `datastore` is a name or id (404 if unknown)."""
    params = {'limit': limit + 1, 'marker': marker, 'instance': instance_id,
              'project': project_id,
              'datastore': datastores.get_datastore(datastore).id if datastore else None}
    filters = frozenset(name for name in _FILTERS if params[name] is not None)
    stmt = _PAGES.get(filters)
    if stmt is None:
        stmt = _PAGES[filters] = _page_stmt(filters)
    with read_scope() as conn:
        rows = conn.execute(stmt, {k: v for k, v in params.items()
                                   if k == 'limit' or k in filters}).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more else None)


def instance_of(backup):
    """(name, deleted) of the backup's instance; (None, True) once its row is purged."""
    with session_scope() as session:
        instance = session.get(m.Instance, backup.instance_id)
        return (instance.name, bool(instance.deleted)) if instance else (None, True)


def datastore_of(backup):
    with session_scope() as session:
        version = session.get(models.DatastoreVersion, backup.datastore_version_id)
        ds = session.get(models.Datastore, version.datastore_id)
        return ds.name, version.name


def complete(instance_id, backup_id, size, checksum, metadata):
    """The guest's backup finished: COMPLETED, unless it already ended (failed by its
    deadline, deleted). Returns the object location left orphaned in that case, else None."""
    with session_scope() as session:
        # Rows read under their locks (the backup's, then the instance's, as fail() does):
        # on PostgreSQL or MariaDB a deadline's fail() or a delete committed in between
        # would otherwise be overwritten.
        backup = session.get(b.Backup, backup_id, with_for_update=True)
        if backup is None or backup.instance_id != instance_id:
            return None
        if backup.status not in (NEW, BUILDING) or backup.deleted:
            return backup.location
        backup.status = COMPLETED
        backup.size_bytes = size
        backup.checksum = checksum
        backup.engine_metadata = json.dumps(metadata)
        schedules.settle_run(session, backup)
        instance = session.get(m.Instance, instance_id, with_for_update=True)
        if instance is not None and instance.status == status.BACKUP:
            status.finish(instance)
        events.close_running(session, instance_id, events.SUCCESS)
        return None


def object_store():
    """The configured store backups live in ([backup] storage_backend)."""
    if CONF.backup.storage_backend == 'swift':
        from api_service.drivers.storage import swift
        return storage.get_storage('swift', **swift.options_from_conf(CONF.backup_swift))
    return storage.LocalObjectStore(os.path.abspath(CONF.backup.storage_root))


def recent_swift_containers(within_seconds):
    """The containers other than the default that backups updated lately went to: where a
    backup that died midway may have left segments (one DISTINCT over recent rows)."""
    from api_service.drivers.storage import swift
    since = models.utcnow() - datetime.timedelta(seconds=within_seconds)
    with read_scope() as conn:
        locations = conn.execute(select(_B.c.location).distinct().where(
            _B.c.updated >= since, _B.c.location.like(swift.LOCATION_SCHEME + '%'))).scalars()
        return sorted({swift.split_location(location)[0] for location in locations})


# Why a backup no task manager took (the API answered 503) failed.
NOT_TAKEN = 'No task manager was reachable to make the backup; try again shortly.'


def undo_create(backup):
    """No task manager took the backup just created (the API answers 503): it is FAILED
    with the reason, its quota back, and its instance ACTIVE again (`fail`), since nothing
    will make it."""
    fail(backup.instance_id, backup.id, NOT_TAKEN)


def fail(instance_id, backup_id, message, details=''):
    """The backup is FAILED (its quota returned), the instance back to ACTIVE with a fault.
    `message` is for the tenant (the backup's reason and the fault); `details` for admins."""
    with session_scope() as session:
        backup = session.get(b.Backup, backup_id, with_for_update=True)   # as complete()
        if backup is not None and backup.status in ('NEW', 'BUILDING'):
            backup.status = 'FAILED'
            backup.fail_reason = message[:255]
            quotas.release(session, backup.project_id, {'backups': 1})
            schedules.settle_run(session, backup)
        instance = session.get(m.Instance, instance_id, with_for_update=True)
        if instance is not None and instance.status == status.BACKUP:
            status.abort(instance)
            faults.record(instance_id, message, details, session=session)
            events.fail_running(session, instance_id, message)
