"""Datastores and their versions: lookup by id or name, and what each version allows."""
import collections
import uuid

from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

from api_service.common import exceptions
from api_service.db import models
from api_service.db.session import read_scope, session_scope

# A datastore as the views read it, from Core rows.
DatastoreRow = collections.namedtuple('DatastoreRow', 'id name default_version_id versions')


def _is_uuid(value):
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


_DS = models.Datastore.__table__
_VERSIONS = models.DatastoreVersion.__table__


def _page_query(with_marker):
    """Datastores of one page joined to their versions: one indexed query per page."""
    page = select(_DS).order_by(_DS.c.name).limit(bindparam('limit'))
    if with_marker:
        page = page.where(_DS.c.name > bindparam('marker'))
    page = page.subquery('page')
    return (select(page, _VERSIONS.c.id.label('v_id'))
            .select_from(page.outerjoin(_VERSIONS, _VERSIONS.c.datastore_id == page.c.id))
            .add_columns(*[c.label('v_' + c.name) for c in _VERSIONS.c if c.name != 'id'])
            .order_by(page.c.name, _VERSIONS.c.name))


# Built once: constructing statements costs more than running them on a small table.
_FIRST_PAGE = _page_query(False)
_NEXT_PAGE = _page_query(True)
_VERSION_FIELDS = [c.name for c in _VERSIONS.c]
VersionRow = collections.namedtuple('VersionRow', _VERSION_FIELDS)


def list_datastores(limit, marker=None):
    """A page of datastores with their versions, in one query whatever the total."""
    params = {'limit': limit + 1}
    if marker:
        params['marker'] = marker
    with read_scope() as conn:
        rows = conn.execute(_NEXT_PAGE if marker else _FIRST_PAGE, params).all()
    datastores = {}
    for row in rows:
        ds = datastores.get(row.id)
        if ds is None:
            ds = datastores[row.id] = DatastoreRow(row.id, row.name, row.default_version_id, [])
        if row.v_id is not None:
            ds.versions.append(VersionRow(*[getattr(row, 'v_' + f) for f in _VERSION_FIELDS]))
    page = list(datastores.values())
    more = len(page) > limit
    page = page[:limit]
    return page, (page[-1].name if more else None)


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
