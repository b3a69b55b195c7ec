"""Datastores and their versions: lookup by id or name, and what each version allows."""
import bisect
import collections
import uuid

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api_service.common import exceptions
from api_service.db import models
from api_service.db.session import read_scope, session_scope
from api_service.domain import catalogue_cache

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


# Every datastore joined to its versions: the catalogue is small and cached whole. The
# datastores are sorted in Python (_load_all); only the versions' order comes from here.
_ALL = (select(_DS, _VERSIONS.c.id.label('v_id'))
        .select_from(_DS.outerjoin(_VERSIONS, _VERSIONS.c.datastore_id == _DS.c.id))
        .add_columns(*[c.label('v_' + c.name) for c in _VERSIONS.c if c.name != 'id'])
        .order_by(_VERSIONS.c.name))
_VERSION_FIELDS = [c.name for c in _VERSIONS.c]
VersionRow = collections.namedtuple('VersionRow', _VERSION_FIELDS)


def _load_all():
    """(names, datastores), both in Python's order of names (the markers' order whatever the
    database's collation), from one query; tuples, as they are shared between threads."""
    with read_scope() as conn:
        rows = conn.execute(_ALL).all()
    versions = collections.defaultdict(list)
    found = {}
    for row in rows:
        found.setdefault(row.id, row)
        if row.v_id is not None:
            versions[row.id].append(VersionRow(*[getattr(row, 'v_' + f) for f in _VERSION_FIELDS]))
    every = tuple(sorted((DatastoreRow(r.id, r.name, r.default_version_id, tuple(versions[r.id]))
                          for r in found.values()), key=lambda ds: ds.name))
    return tuple(ds.name for ds in every), every


def list_datastores(limit, marker=None):
    """A page of datastores with their versions, from the cached catalogue: O(log n + page)."""
    names, every = catalogue_cache.cached('datastores', _load_all)
    start = bisect.bisect_right(names, marker) if marker else 0
    page = every[start:start + limit]
    more = start + limit < len(every)
    return list(page), (page[-1].name if more else None)


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
        # As an unknown id, and as upstream Trove answers (a malformed instance or backup id too).
        raise exceptions.NotFound("Datastore version '%s' cannot be found: ids are UUIDs."
                                  % version_id[:64])
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
