"""Datastores and their versions: lookup by id or name, and what each version allows."""
import uuid

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api_service.common import exceptions
from api_service.db import models
from api_service.db import pagination
from api_service.db.session import session_scope


def _is_uuid(value):
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


def list_datastores(limit, marker=None):
    """A page of datastores with their versions, in two queries."""
    with session_scope() as session:
        rows, next_marker = pagination.page(session, models.Datastore, limit, marker, key='name')
        if rows:
            # selectinload fetches every page row's versions in one more query.
            ids = [r.id for r in rows]
            rows = list(session.scalars(
                select(models.Datastore).where(models.Datastore.id.in_(ids))
                .order_by(models.Datastore.name)
                .options(selectinload(models.Datastore.versions))))
        return rows, next_marker


def get_datastore(id_or_name, session=None):
    if session is None:
        with session_scope() as session:
            return get_datastore(id_or_name, session)
    clause = (models.Datastore.id == id_or_name if _is_uuid(id_or_name)
              else models.Datastore.name == id_or_name)
    found = session.scalars(select(models.Datastore).where(clause)
                            .options(selectinload(models.Datastore.versions))).first()
    if found is None:
        raise exceptions.NotFound("Datastore '%s' cannot be found." % id_or_name)
    return found


def get_version(datastore_id_or_name, version_id_or_name):
    """A version of a datastore, by the version's id or its name."""
    with session_scope() as session:
        datastore = get_datastore(datastore_id_or_name, session)
        for version in datastore.versions:
            if version_id_or_name in (version.id, version.name):
                return version
    raise exceptions.NotFound("Datastore version '%s' cannot be found for datastore '%s'."
                              % (version_id_or_name, datastore_id_or_name))


def get_version_by_id(version_id):
    if not _is_uuid(version_id):
        raise exceptions.BadRequest("Datastore version id '%s' is not a UUID." % version_id[:64])
    with session_scope() as session:
        version = session.get(models.DatastoreVersion, version_id)
        if version is None:
            raise exceptions.NotFound("Datastore version '%s' cannot be found." % version_id)
        return version


def allowed_flavor_ids(version_id):
    """Flavor ids a version is restricted to, or None when every flavor is allowed."""
    with session_scope() as session:
        ids = list(session.scalars(select(models.DatastoreVersionFlavor.flavor_id)
                                   .where(models.DatastoreVersionFlavor.version_id == version_id)))
    return set(ids) or None


def allowed_volume_type_ids(version_id):
    """Volume type ids a version allows, or None when every type is allowed."""
    with session_scope() as session:
        ids = list(session.scalars(
            select(models.DatastoreVersionVolumeType.volume_type_id)
            .where(models.DatastoreVersionVolumeType.version_id == version_id)))
    return set(ids) or None
