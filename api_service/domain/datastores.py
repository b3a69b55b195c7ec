"""Datastores and their versions: lookup by id or name, as the asking project may see them,
and what each version allows.

Reads come from the per-process catalogue cache (catalogue_cache); a version's visibility
(datastore-visibility spec) is applied on the way out, so a hidden version is "not found"
wherever it is resolved: the lists, show, instance and configuration create, parameters.
"""
import bisect
import collections
import uuid

from oslo_context import context as oslo_context
from sqlalchemy import select

from api_service.common import exceptions
from api_service.db import models
from api_service.db.session import read_scope, session_scope
from api_service.domain import catalogue_cache

# A datastore as the views read it, from Core rows.
DatastoreRow = collections.namedtuple('DatastoreRow', 'id name default_version_id versions')

VISIBILITIES = ('public', 'private', 'unlisted', 'deprecated')


def _is_uuid(value):
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


_DS = models.Datastore.__table__
_VERSIONS = models.DatastoreVersion.__table__
_MEMBERS = models.DatastoreVersionMember.__table__


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
    found, kept = {}, set()
    for row in rows:
        found.setdefault(row.id, row)
        if row.v_id is None:
            continue
        if row.v_deleted:
            # Kept for the records of deleted instances: no longer in the catalogue.
            kept.add(row.id)
        else:
            versions[row.id].append(VersionRow(*[getattr(row, 'v_' + f) for f in _VERSION_FIELDS]))
    # A datastore whose versions are all deleted was deleted with them (delete_datastore
    # keeps its row for theirs); one that never had a version is an operator's draft.
    every = tuple(sorted((DatastoreRow(r.id, r.name, r.default_version_id, tuple(versions[r.id]))
                          for r in found.values() if versions[r.id] or r.id not in kept),
                         key=lambda ds: ds.name))
    return tuple(ds.name for ds in every), every


def _load_members():
    """{version id: frozenset of member projects}, for private versions' checks."""
    with read_scope() as conn:
        rows = conn.execute(select(_MEMBERS.c.version_id, _MEMBERS.c.tenant_id)).all()
    members = collections.defaultdict(set)
    for version_id, tenant_id in rows:
        members[version_id].add(tenant_id)
    return {k: frozenset(v) for k, v in members.items()}


def _catalogue():
    return catalogue_cache.cached('datastores', _load_all)


def _members():
    return catalogue_cache.cached('datastore_version_members', _load_members)


def _viewer(ctx):
    """The asking context: the one given, else the request's (oslo.context keeps it per
    thread); None (a service acting on its own) sees everything."""
    return ctx if ctx is not None else oslo_context.get_current()


def _sees_all(ctx):
    return ctx is None or getattr(ctx, 'is_admin', False)


def _is_member(ctx, version):
    project = getattr(ctx, 'project_id', None)
    return project is not None and project in _members().get(version.id, ())


def may_get(version, ctx=None):
    """Whether the asker may show or use a version: unlisted ones too, deprecated only admins."""
    ctx = _viewer(ctx)
    if _sees_all(ctx):
        return True
    visibility = version.visibility or 'public'
    if visibility == 'private':
        return _is_member(ctx, version)
    return visibility in ('public', 'unlisted')


def may_list(version, ctx=None):
    """Whether a version appears in the asker's lists: public ones, and private to members.
    Inactive versions are listed to admins only."""
    ctx = _viewer(ctx)
    if _sees_all(ctx):
        return True
    if not version.active:
        return False
    visibility = version.visibility or 'public'
    return visibility == 'public' or (visibility == 'private' and _is_member(ctx, version))


def _as_seen(ds, ctx):
    """The datastore with only the versions the asker may get."""
    return ds._replace(versions=tuple(v for v in ds.versions if may_get(v, ctx)))


def listed_versions(ds, ctx=None):
    """The versions of a datastore (as get_datastore returned it) the asker's lists show."""
    return [v for v in ds.versions if may_list(v, ctx)]


def _listed_datastore(ds, ctx):
    # A datastore whose versions are all hidden from the asker is hidden with them; one
    # without versions (an operator's work in progress) is listed to admins only.
    return _sees_all(ctx) or any(may_list(v, ctx) for v in ds.versions)


def list_datastores(limit, marker=None, ctx=None):
    """A page of datastores with the versions the asker may see, from the cached catalogue."""
    ctx = _viewer(ctx)
    names, every = _catalogue()
    if not _sees_all(ctx):
        every = tuple(ds for ds in every if _listed_datastore(ds, ctx))
        names = tuple(ds.name for ds in every)
    start = bisect.bisect_right(names, marker) if marker else 0
    page = every[start:start + limit]
    more = start + limit < len(every)
    return [_as_seen(ds, ctx) for ds in page], (page[-1].name if more else None)


def get_datastore(id_or_name, ctx=None):
    """A datastore by id or name, with the versions the asker may get."""
    ctx = _viewer(ctx)
    _, every = _catalogue()
    for ds in every:
        if id_or_name in (ds.id, ds.name):
            if _sees_all(ctx) or any(may_get(v, ctx) for v in ds.versions):
                return _as_seen(ds, ctx)
            break
    raise exceptions.NotFound("Datastore '%s' cannot be found." % id_or_name[:255])


def get_version(datastore_id_or_name, version_id_or_name, ctx=None):
    """A version of a datastore, by the version's id or its name."""
    datastore = get_datastore(datastore_id_or_name, ctx)
    for version in datastore.versions:
        if version_id_or_name in (version.id, version.name):
            return version
    raise exceptions.NotFound("Datastore version '%s' cannot be found for datastore '%s'."
                              % (version_id_or_name[:255], datastore_id_or_name[:255]))


def get_version_by_id(version_id, ctx=None):
    if not _is_uuid(version_id):
        # As an unknown id, and as upstream Trove answers (a malformed instance or backup id too).
        raise exceptions.NotFound("Datastore version '%s' cannot be found: ids are UUIDs."
                                  % version_id[:64])
    _, every = _catalogue()
    for ds in every:
        for version in ds.versions:
            if version.id == version_id and may_get(version, ctx):
                return version
    raise exceptions.NotFound("Datastore version '%s' cannot be found." % version_id)


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
