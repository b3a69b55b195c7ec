"""Operator actions on the catalogue: define flavors, volume types and datastore versions.

Used by `dbaas-manage`; idempotent, so the embedded launcher can seed on every start.
Every change bumps the catalogue generation, so API processes drop their cached copy.
"""
import contextlib

from sqlalchemy import select

from api_service.db import models
from api_service.db.session import session_scope
from api_service.domain import catalogue_cache
from api_service.domain import parameters


@contextlib.contextmanager
def _changing_catalogue():
    with session_scope() as session:
        catalogue_cache.bump(session)
        yield session


def upsert_flavor(flavor_id, name, ram, vcpus, disk=0, ephemeral=0):
    with _changing_catalogue() as session:
        row = session.get(models.Flavor, str(flavor_id)) or models.Flavor(id=str(flavor_id))
        row.name, row.ram, row.vcpus, row.disk, row.ephemeral = name, ram, vcpus, disk, ephemeral
        session.add(row)
        return row


def upsert_volume_type(name, root_path, description='', is_public=True):
    with _changing_catalogue() as session:
        row = session.scalars(select(models.VolumeType)
                              .where(models.VolumeType.name == name)).first()
        row = row or models.VolumeType(name=name)
        row.root_path, row.description, row.is_public = root_path, description, is_public
        session.add(row)
        session.flush()
        return row


def upsert_datastore_version(datastore, name, version, manager, engine_path=None,
                             active=True, default=False, packages=None, capabilities=''):
    """Create or update a version (and its datastore); `default` makes it the default.
    A version without parameter rows gets its engine's (parameters.seed)."""
    with _changing_catalogue() as session:
        ds = session.scalars(select(models.Datastore)
                             .where(models.Datastore.name == datastore)).first()
        if ds is None:
            ds = models.Datastore(name=datastore)
            session.add(ds)
            session.flush()
        row = session.scalars(select(models.DatastoreVersion).where(
            models.DatastoreVersion.datastore_id == ds.id,
            models.DatastoreVersion.name == name)).first()
        row = row or models.DatastoreVersion(datastore_id=ds.id, name=name)
        row.version, row.manager, row.engine_path = version, manager, engine_path
        row.active, row.packages, row.capabilities = active, packages, capabilities
        session.add(row)
        session.flush()
        parameters.seed(session, row)
        if default or ds.default_version_id is None:
            ds.default_version_id = row.id
        return row


def _version_row(session, datastore, version):
    return session.scalars(select(models.DatastoreVersion).join(models.Datastore).where(
        models.Datastore.name == datastore, models.DatastoreVersion.name == version)).one()


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
            vt = session.scalars(select(models.VolumeType)
                                 .where(models.VolumeType.name == name)).one()
            session.add(models.DatastoreVersionVolumeType(version_id=row.id,
                                                          volume_type_id=vt.id))
