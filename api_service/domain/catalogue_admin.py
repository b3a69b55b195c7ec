"""Operator actions on the catalogue: define flavors, volume types and datastore versions,
and which flavors and volume types a version allows.

Used by `dbaas-manage` (idempotent upserts, so the embedded launcher can seed on every
start) and by the management API (create, change, delete, one association at a time).
Every change bumps the catalogue generation, so API processes drop their cached copy.
"""
import contextlib

from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select

from api_service.common import exceptions
from api_service.db import models
from api_service.db import models_instances as mi
from api_service.db.session import session_scope
from api_service.domain import catalogue_cache
from api_service.domain import parameters


@contextlib.contextmanager
def changing_catalogue():
    """A session whose transaction also bumps the catalogue generation. A unique key
    another writer took between our check and our commit is a 409, not a 500."""
    try:
        with session_scope() as session:
            catalogue_cache.bump(session)
            yield session
    except sa_exc.IntegrityError:
        raise exceptions.Conflict('The catalogue changed meanwhile (the same name or member was '
                                  'added concurrently); look again and retry.')


_changing_catalogue = changing_catalogue


def upsert_flavor(flavor_id, name, ram, vcpus, disk=0, ephemeral=0):
    with _changing_catalogue() as session:
        row = session.get(models.Flavor, str(flavor_id)) or models.Flavor(id=str(flavor_id))
        row.name, row.ram, row.vcpus, row.disk, row.ephemeral = name, ram, vcpus, disk, ephemeral
        session.add(row)
        return row


def seed_flavors(flavors):
    """[(id, name, ram, vcpus)] into a catalogue that has no flavor yet. Once it has some,
    the operator's edits, renames and deletes stand: a restart must not undo them."""
    with _changing_catalogue() as session:
        if session.scalars(select(models.Flavor.id).limit(1)).first() is not None:
            return False
        session.add_all(models.Flavor(id=str(fid), name=name, ram=ram, vcpus=vcpus, disk=0,
                                      ephemeral=0) for fid, name, ram, vcpus in flavors)
        return True


def seed_volume_types(volume_types):
    """[(name, root_path, description)] into a catalogue that has no volume type yet; as
    seed_flavors, the operator's changes stand afterwards."""
    with _changing_catalogue() as session:
        if session.scalars(select(models.VolumeType.id).limit(1)).first() is not None:
            return False
        session.add_all(models.VolumeType(name=name, root_path=root, description=text,
                                          is_public=True)
                        for name, root, text in volume_types)
        return True


def upsert_volume_type(name, root_path, description='', is_public=True):
    with _changing_catalogue() as session:
        row = session.scalars(select(models.VolumeType)
                              .where(models.VolumeType.name == name)).first()
        row = row or models.VolumeType(name=name)
        row.root_path, row.description, row.is_public = root_path, description, is_public
        session.add(row)
        session.flush()
        return row


def manager_class(manager):
    """The guest manager class named `manager`; a 400 naming the known ones otherwise."""
    from api_service.guestagent import errors
    from api_service.guestagent.datastore import get_manager_class
    try:
        return get_manager_class(manager)
    except errors.UnknownManager as error:
        raise exceptions.BadRequest(str(error))


def manager_capabilities(manager):
    """What a guest manager declares it can do ('databases,users,root,...'), plus backups
    when the guest has a strategy for it. The same rule as local_engines.Engine.capabilities
    (a test keeps them equal), without importing a driver: the memory driver runs this too."""
    from api_service.guestagent import backup
    capabilities = set(manager_class(manager).capabilities)
    if manager in backup.strategy_names():
        capabilities.add('backups')
        if backup.get_strategy(manager).supports_incremental:
            capabilities.add('incremental_backups')
    return ','.join(sorted(capabilities))


def manager_maturity(manager):
    """The maturity class a guest manager declares (experimental-datastores spec)."""
    return manager_class(manager).maturity


def managers():
    """[(name, maturity, capabilities list)] of every guest manager this build has: what a
    version may be registered with."""
    from api_service.guestagent.datastore import manager_names
    return [(name, manager_maturity(name), [c for c in manager_capabilities(name).split(',') if c])
            for name in manager_names()]


def checked_maturity(maturity):
    """An operator's maturity for a version, one of the spec's classes; a 400 otherwise."""
    from api_service.guestagent.datastore.base import MATURITIES
    if maturity not in MATURITIES:
        raise exceptions.BadRequest("version.maturity must be one of %s, not '%s'."
                                    % (', '.join(MATURITIES), str(maturity)[:64]))
    return maturity


def _declared(manager):
    """(capabilities, maturity) of a manager; nothing for one this build does not have (a
    version kept for its records after its engine was removed)."""
    try:
        return manager_capabilities(manager), manager_maturity(manager)
    except exceptions.BadRequest:
        return '', 'experimental'


def datastore_row(session, name):
    """The datastore named `name`, made if there is none yet."""
    ds = session.scalars(select(models.Datastore).where(models.Datastore.name == name)).first()
    if ds is None:
        ds = models.Datastore(name=name)
        session.add(ds)
        session.flush()
    return ds


def upsert_datastore_version(datastore, name, version, manager, engine_path=None,
                             active=True, default=False, packages=None, capabilities=None):
    """Create or update a version (and its datastore); `default` makes it the default.
    Capabilities are its manager's unless given, on every call (so a version whose manager
    gained one, or an old row left without any, is put right). A version without parameter
    rows gets its engine's (parameters.seed). What operators choose for an existing version
    (active, visibility, maturity, image) is kept: the launcher calls this on every start."""
    declared_capabilities, maturity = _declared(manager)
    capabilities = declared_capabilities if capabilities is None else capabilities
    with _changing_catalogue() as session:
        ds = datastore_row(session, datastore)
        row = session.scalars(select(models.DatastoreVersion).where(
            models.DatastoreVersion.datastore_id == ds.id,
            models.DatastoreVersion.name == name,
            models.DatastoreVersion.deleted.is_(False))).first()
        if row is None:
            row = models.DatastoreVersion(datastore_id=ds.id, name=name, maturity=maturity,
                                          active=active)
        row.version, row.manager, row.engine_path = version, manager, engine_path
        row.packages, row.capabilities = packages, capabilities
        session.add(row)
        session.flush()
        parameters.seed(session, row)
        if default or ds.default_version_id is None:
            ds.default_version_id = row.id
        return row


def _version_row(session, datastore, version):
    row = session.scalars(select(models.DatastoreVersion).join(models.Datastore).where(
        (models.Datastore.name == datastore) | (models.Datastore.id == datastore),
        (models.DatastoreVersion.name == version) | (models.DatastoreVersion.id == version),
        models.DatastoreVersion.deleted.is_(False))).first()
    if row is None:
        raise exceptions.NotFound("Datastore version '%s' cannot be found for datastore '%s'."
                                  % (version[:255], datastore[:255]))
    return row


def restrict_flavors(datastore, version, flavor_ids):
    """Allow only these flavors for a version (associate-flavors-datastores); [] allows all."""
    with _changing_catalogue() as session:
        row = _version_row(session, datastore, version)
        session.query(models.DatastoreVersionFlavor).filter_by(version_id=row.id).delete()
        for flavor_id in flavor_ids:
            session.add(models.DatastoreVersionFlavor(version_id=row.id, flavor_id=str(flavor_id)))


def restrict_volume_types(datastore, version, type_names):
    """Allow only these volume types for a version; [] allows all."""
    with _changing_catalogue() as session:
        row = _version_row(session, datastore, version)
        session.query(models.DatastoreVersionVolumeType).filter_by(version_id=row.id).delete()
        for name in type_names:
            vt = _volume_type_row(session, name)
            session.add(models.DatastoreVersionVolumeType(version_id=row.id,
                                                          volume_type_id=vt.id))


# -- one association at a time (the management API) -----------------------------------

def add_flavor(datastore, version, flavor_id):
    """Allow a flavor for a version; the first one restricts the version to its list."""
    with _changing_catalogue() as session:
        row = _version_row(session, datastore, version)
        flavor = _flavor_row(session, flavor_id)
        if session.get(models.DatastoreVersionFlavor, (row.id, flavor.id)):
            raise exceptions.Conflict("Flavor '%s' is already associated with datastore "
                                      "version '%s'." % (flavor.id, row.name))
        session.add(models.DatastoreVersionFlavor(version_id=row.id, flavor_id=flavor.id))


def remove_flavor(datastore, version, flavor_id):
    """Stop allowing a flavor; a version left with none allows every flavor."""
    with _changing_catalogue() as session:
        row = _version_row(session, datastore, version)
        found = session.get(models.DatastoreVersionFlavor, (row.id, str(flavor_id)))
        if found is None:
            raise exceptions.NotFound("Flavor '%s' is not associated with datastore version "
                                      "'%s'." % (str(flavor_id)[:64], row.name))
        session.delete(found)


def add_volume_type(datastore, version, id_or_name):
    with _changing_catalogue() as session:
        row = _version_row(session, datastore, version)
        vt = _volume_type_row(session, id_or_name)
        if session.get(models.DatastoreVersionVolumeType, (row.id, vt.id)):
            raise exceptions.Conflict("Volume type '%s' is already associated with datastore "
                                      "version '%s'." % (vt.name, row.name))
        session.add(models.DatastoreVersionVolumeType(version_id=row.id, volume_type_id=vt.id))


def remove_volume_type(datastore, version, id_or_name):
    with _changing_catalogue() as session:
        row = _version_row(session, datastore, version)
        vt = _volume_type_row(session, id_or_name)
        found = session.get(models.DatastoreVersionVolumeType, (row.id, vt.id))
        if found is None:
            raise exceptions.NotFound("Volume type '%s' is not associated with datastore "
                                      "version '%s'." % (vt.name, row.name))
        session.delete(found)


# -- flavors and volume types (the management API) -------------------------------------

def _flavor_row(session, flavor_id):
    row = session.get(models.Flavor, str(flavor_id))
    if row is None:
        raise exceptions.NotFound("Flavor '%s' cannot be found." % str(flavor_id)[:64])
    return row


def _volume_type_row(session, id_or_name):
    row = session.scalars(select(models.VolumeType).where(
        (models.VolumeType.id == id_or_name) | (models.VolumeType.name == id_or_name))).first()
    if row is None:
        raise exceptions.NotFound("Volume type '%s' cannot be found." % id_or_name[:255])
    return row


def list_volume_types():
    """Every volume type, private ones too, by name: the operators' list."""
    with session_scope() as session:
        return list(session.scalars(select(models.VolumeType).order_by(models.VolumeType.name)))


def _check_name_free(session, model, name, own_id=None):
    other = session.scalars(select(model).where(model.name == name)).first()
    if other is not None and other.id != own_id:
        raise exceptions.Conflict("The name '%s' is already taken (id %s)." % (name, other.id))


def create_flavor(spec):
    """A new flavor; its id is the one given, else the next free number."""
    with _changing_catalogue() as session:
        flavor_id = spec.get('id')
        if flavor_id in (None, '', 'auto'):
            numbers = [int(i) for i in session.scalars(select(models.Flavor.id)) if i.isdigit()]
            flavor_id = str(max(numbers, default=0) + 1)
        if session.get(models.Flavor, str(flavor_id)) is not None:
            raise exceptions.Conflict("Flavor '%s' already exists." % flavor_id)
        _check_name_free(session, models.Flavor, spec['name'])
        row = models.Flavor(id=str(flavor_id), name=spec['name'], ram=spec['ram'],
                            vcpus=spec['vcpus'], disk=spec.get('disk', 0),
                            ephemeral=spec.get('ephemeral', 0))
        session.add(row)
        session.flush()
        return row


# What a flavor is: instances built on it were sized by these, and views, quotas and the
# engines' memory settings read them through the flavor.
FLAVOR_SIZES = ('ram', 'vcpus', 'disk', 'ephemeral')


def update_flavor(flavor_id, changes):
    """Rename a flavor, or resize one no live instance runs on (409 otherwise: an instance
    would be shown one size while its engine and quota hold another)."""
    with _changing_catalogue() as session:
        row = _flavor_row(session, flavor_id)
        if 'name' in changes:
            _check_name_free(session, models.Flavor, changes['name'], row.id)
        resized = sorted(k for k in FLAVOR_SIZES if k in changes and changes[k] != getattr(row, k))
        used = _live_instances(session, mi.Instance.flavor_id, row.id) if resized else 0
        if used:
            raise exceptions.Conflict(
                "Flavor '%s' is in use by %d instance(s), which were built with its %s: create "
                'a new flavor and resize them to it instead.' % (row.name, used, ', '.join(resized)))
        for key in ('name', 'ram', 'vcpus', 'disk', 'ephemeral'):
            if key in changes:
                setattr(row, key, changes[key])
        session.flush()
        return row


def _live_instances(session, column, value):
    return session.scalar(select(func.count()).select_from(mi.Instance).where(
        column == value, mi.Instance.deleted.is_(False)))


def delete_flavor(flavor_id):
    """Delete a flavor no live instance runs on and no version is restricted to."""
    with _changing_catalogue() as session:
        row = _flavor_row(session, flavor_id)
        used = _live_instances(session, mi.Instance.flavor_id, row.id)
        if used:
            raise exceptions.Conflict("Flavor '%s' is in use by %d instance(s); resize or "
                                      'delete them first.' % (row.name, used))
        _refuse_if_associated(session, models.DatastoreVersionFlavor.flavor_id, row.id,
                              "Flavor '%s'" % row.name, 'flavor remove')
        session.delete(row)


def create_volume_type(spec):
    with _changing_catalogue() as session:
        _check_name_free(session, models.VolumeType, spec['name'])
        row = models.VolumeType(name=spec['name'], description=spec.get('description') or '',
                                is_public=spec.get('is_public', True),
                                root_path=spec.get('root_path'))
        session.add(row)
        session.flush()
        return row


def update_volume_type(id_or_name, changes):
    with _changing_catalogue() as session:
        row = _volume_type_row(session, id_or_name)
        if 'name' in changes:
            _check_name_free(session, models.VolumeType, changes['name'], row.id)
        for key in ('name', 'description', 'is_public', 'root_path'):
            if key in changes:
                setattr(row, key, changes[key])
        session.flush()
        return row


def delete_volume_type(id_or_name):
    """Delete a volume type no live instance has a volume of and no version is limited to."""
    with _changing_catalogue() as session:
        row = _volume_type_row(session, id_or_name)
        used = _live_instances(session, mi.Instance.volume_type_id, row.id)
        if used:
            raise exceptions.Conflict("Volume type '%s' is in use by %d instance(s)."
                                      % (row.name, used))
        _refuse_if_associated(session, models.DatastoreVersionVolumeType.volume_type_id,
                              row.id, "Volume type '%s'" % row.name, 'volume type remove')
        session.delete(row)


def _refuse_if_associated(session, column, value, what, how):
    # Removing the last association silently would open the version to every flavor or
    # type: the operator removes the associations first, knowingly.
    names = list(session.scalars(
        select(models.Datastore.name + ' ' + models.DatastoreVersion.name)
        .select_from(column.table)
        .join(models.DatastoreVersion, models.DatastoreVersion.id == column.table.c.version_id)
        .join(models.Datastore).where(column == value)))
    if names:
        raise exceptions.Conflict('%s is associated with datastore version(s) %s; remove the '
                                  'associations first.' % (what, ', '.join(sorted(names))))
