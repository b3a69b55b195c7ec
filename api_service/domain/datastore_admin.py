"""Operators' registration of datastore versions (liberty datastore-registration-api):
register, list, show, change and delete versions, and delete datastores.

Registering a version creates its datastore; its capabilities come from its guest manager
(and so does its maturity, unless the operator names one), its `image` names an installed
engine build (engine_images), and it gets its engine's configuration parameters. Every
change bumps the catalogue generation.

Deleting a version that records of deleted instances, backups or configuration groups still
name marks it deleted (migration 0016) instead of removing its row: it leaves the catalogue
and every lookup here, its name is free for a new version, and those records keep naming it.
"""
import collections

from sqlalchemy import func, select

from api_service.common import exceptions
from api_service.db import models
from api_service.db import models_backups as mb
from api_service.db import models_configurations as mc
from api_service.db import models_instances as mi
from api_service.db.session import session_scope
from api_service.domain import catalogue_admin
from api_service.domain import engine_images
from api_service.domain import parameters

# A version as the management API shows it: the row and what it needs of its datastore.
# `flavors` and `volume_types`: the ids of the ones it is restricted to ([]: no restriction).
Registered = collections.namedtuple('Registered',
                                    'row datastore_name is_default flavors volume_types')
_V = models.DatastoreVersion


def _joined(value):
    """packages and image_tags: lists on the wire, comma-joined in their column."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return ','.join(str(v) for v in value)


# Upstream's fields this deployment has nothing to apply with: an engine build is the image
# (no Glance tags), the guest installs no packages, and its managers are built in. The client
# sends them empty; a value would be stored and shown but never used, so it is refused.
UNUSED_FIELDS = {
    'packages': 'the guest agent installs no packages: engines come from installed builds',
    'image_tags': 'an image is an installed engine build, named by `image`, not found by tags',
    'registry_ext': "the guest managers are built in; `datastore_manager` picks one",
    'repl_strategy': 'replication strategies come with the guest manager',
}


def _refuse_unused(fields):
    for key, why in UNUSED_FIELDS.items():
        if fields.get(key):
            raise exceptions.BadRequest("'%s' cannot be set in this deployment: %s." % (key, why))


def _version(session, version_id):
    row = session.get(_V, version_id) if version_id else None
    if row is None or row.deleted:
        raise exceptions.NotFound("Datastore version '%s' cannot be found." % version_id[:64])
    return row


def _associations(session, version_ids):
    """({version id: [flavor ids]}, {version id: [volume type ids]}) in two queries."""
    found = []
    for model, column in ((models.DatastoreVersionFlavor, 'flavor_id'),
                          (models.DatastoreVersionVolumeType, 'volume_type_id')):
        ids = collections.defaultdict(list)
        for version_id, other in session.execute(
                select(model.version_id, getattr(model, column))
                .where(model.version_id.in_(version_ids)).order_by(getattr(model, column))):
            ids[version_id].append(other)
        found.append(ids)
    return found


def _registered_all(session, rows_with_datastores):
    """Registered versions from (row, datastore) pairs, with their associations."""
    pairs = list(rows_with_datastores)
    flavors, types = _associations(session, [row.id for row, _ in pairs]) if pairs else ({}, {})
    return [Registered(row, ds.name, ds.default_version_id == row.id,
                       flavors.get(row.id, []), types.get(row.id, [])) for row, ds in pairs]


def _registered(session, row):
    ds = session.get(models.Datastore, row.datastore_id)
    return _registered_all(session, [(row, ds)])[0]


def _name_taken(session, datastore_id, name):
    """Whether a version not deleted already has this name in the datastore."""
    return session.scalars(select(_V.id).where(
        _V.datastore_id == datastore_id, _V.name == name, _V.deleted.is_(False))).first()


def register(spec):
    """A new version of a datastore (made if missing) from the create body's `version`."""
    _refuse_unused(spec)
    datastore = spec.get('datastore_name') or spec.get('datastore')
    manager = spec.get('datastore_manager') or spec.get('manager')
    if not datastore or not manager:
        raise exceptions.BadRequest("version.datastore_name (or datastore) and "
                                    "version.datastore_manager (or manager) are required.")
    capabilities = catalogue_admin.manager_capabilities(manager)
    # The operator's maturity class for this version, else the one its manager declares.
    maturity = (catalogue_admin.checked_maturity(spec['maturity']) if spec.get('maturity')
                else catalogue_admin.manager_maturity(manager))
    image = spec.get('image')
    if not image:
        raise exceptions.BadRequest('version.image is required: an installed engine build such '
                                    'as %s-<version>.' % manager)
    engine = engine_images.resolve(image, manager)
    number = spec.get('version') or engine.version
    with catalogue_admin.changing_catalogue() as session:
        ds = catalogue_admin.datastore_row(session, datastore)
        if _name_taken(session, ds.id, spec['name']):
            raise exceptions.BadRequest("Datastore version '%s' of datastore '%s' already "
                                        'exists.' % (spec['name'], datastore))
        row = models.DatastoreVersion(
            datastore_id=ds.id, name=spec['name'], version=number, manager=manager,
            active=spec.get('active', True), image_id=image,
            image_tags=_joined(spec.get('image_tags')), packages=_joined(spec.get('packages')),
            engine_path=engine.path, capabilities=capabilities, maturity=maturity,
            visibility=spec.get('visibility', 'public'))
        session.add(row)
        session.flush()
        parameters.seed(session, row)
        if spec.get('default') or ds.default_version_id is None:
            ds.default_version_id = row.id
        return _registered(session, row)


def list_versions():
    """Every version not deleted, inactive and hidden ones included, by datastore then
    name: three queries, however many versions."""
    with session_scope() as session:
        pairs = session.execute(select(_V, models.Datastore).join(models.Datastore)
                                .where(_V.deleted.is_(False))
                                .order_by(models.Datastore.name, _V.name)).all()
        return _registered_all(session, pairs)


def show_version(version_id):
    with session_scope() as session:
        return _registered(session, _version(session, version_id))


def update_version(version_id, changes):
    """Change what the PATCH body names; `default: false` on the default clears it."""
    _refuse_unused(changes)
    manager = changes.get('datastore_manager') or changes.get('manager')
    with catalogue_admin.changing_catalogue() as session:
        row = _version(session, version_id)
        if manager and manager != row.manager:
            row.capabilities = catalogue_admin.manager_capabilities(manager)
            row.maturity = catalogue_admin.manager_maturity(manager)
            row.manager = manager
        if changes.get('maturity'):
            row.maturity = catalogue_admin.checked_maturity(changes['maturity'])
        if changes.get('image'):
            engine = engine_images.resolve(changes['image'], row.manager)
            row.image_id, row.engine_path = changes['image'], engine.path
            row.version = changes.get('version') or engine.version
        if 'name' in changes and changes['name'] != row.name:
            if _name_taken(session, row.datastore_id, changes['name']):
                raise exceptions.BadRequest("Datastore version '%s' already exists."
                                            % changes['name'])
            row.name = changes['name']
        for key in ('packages', 'image_tags'):
            if key in changes:
                setattr(row, key, _joined(changes[key]))
        for key in ('active', 'visibility'):
            if key in changes:
                setattr(row, key, changes[key])
        ds = session.get(models.Datastore, row.datastore_id)
        if changes.get('default') is True:
            ds.default_version_id = row.id
        elif changes.get('default') is False and ds.default_version_id == row.id:
            ds.default_version_id = None
        session.flush()
        return _registered(session, row)


def set_visibility(datastore, version, visibility):
    """The client's PUT /mgmt/datastores/{ds}/versions/{v} (datastore-visibility spec)."""
    with catalogue_admin.changing_catalogue() as session:
        row = catalogue_admin._version_row(session, datastore, version)
        row.visibility = visibility
        session.flush()
        return _registered(session, row)


def _users(session, version_id):
    """What still uses a version, as '<n> instance(s)'-style phrases."""
    counts = [
        ('instance(s)', select(func.count()).select_from(mi.Instance).where(
            mi.Instance.datastore_version_id == version_id, mi.Instance.deleted.is_(False))),
        ('backup(s)', select(func.count()).select_from(mb.Backup).where(
            mb.Backup.datastore_version_id == version_id, mb.Backup.deleted.is_(False))),
        ('configuration group(s)', select(func.count()).select_from(mc.Configuration).where(
            mc.Configuration.datastore_version_id == version_id,
            mc.Configuration.deleted.is_(False))),
    ]
    found = [(what, session.scalar(stmt)) for what, stmt in counts]
    return ['%d %s' % (n, what) for what, n in found if n]


def delete_version(version_id):
    """Delete a version nothing live uses, with its associations, members and parameters;
    marked deleted, not removed, while records of deleted ones name it."""
    with catalogue_admin.changing_catalogue() as session:
        row = _version(session, version_id)
        _delete_version_row(session, row)


def _delete_version_row(session, row):
    users = _users(session, row.id)
    if users:
        raise exceptions.Conflict("Datastore version '%s' is in use by %s; delete them first "
                                  '(or set it inactive).' % (row.name, ', '.join(users)))
    for model in (models.DatastoreVersionFlavor, models.DatastoreVersionVolumeType,
                  models.DatastoreVersionMember):
        session.query(model).filter_by(version_id=row.id).delete()
    session.query(mc.ConfigurationParameter).filter_by(datastore_version_id=row.id).delete()
    ds = session.get(models.Datastore, row.datastore_id)
    if ds.default_version_id == row.id:
        ds.default_version_id = None
    kept = _has_records(session, row.id)
    if kept:
        row.deleted, row.deleted_at, row.active = True, models.utcnow(), False
    else:
        session.delete(row)
    session.flush()
    return kept


def _has_records(session, version_id):
    """Whether deleted instances, backups or configuration groups still name the version
    (only deleted ones can: _users refused the live)."""
    return any(session.scalars(select(model.id).where(
        model.datastore_version_id == version_id).limit(1)).first()
        for model in (mi.Instance, mb.Backup, mc.Configuration))


def delete_datastore(id_or_name):
    """Delete a datastore and its versions, refused while any of them is in use. Its row
    stays while versions kept for records point at it (the catalogue leaves out a datastore
    whose versions are all deleted; registering its name again brings it back)."""
    with catalogue_admin.changing_catalogue() as session:
        ds = session.scalars(select(models.Datastore).where(
            (models.Datastore.id == id_or_name) | (models.Datastore.name == id_or_name))).first()
        if ds is None:
            raise exceptions.NotFound("Datastore '%s' cannot be found." % id_or_name[:255])
        rows = list(session.scalars(select(_V).where(_V.datastore_id == ds.id,
                                                     _V.deleted.is_(False))))
        kept = [_delete_version_row(session, row) for row in rows]
        if not any(kept) and not session.scalars(
                select(_V.id).where(_V.datastore_id == ds.id).limit(1)).first():
            session.delete(ds)
