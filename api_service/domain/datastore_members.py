"""The projects a private datastore version admits (kilo datastore-visibility spec).

Membership is part of the catalogue each process caches (datastores.may_get), so every
change bumps the catalogue generation: a project added or removed sees the difference on
its next request, in every API process.
"""
from sqlalchemy import select

from api_service.common import exceptions
from api_service.db import models
from api_service.db.session import session_scope
from api_service.domain import catalogue_admin

_M = models.DatastoreVersionMember


def add(datastore, version, tenant_id):
    with catalogue_admin.changing_catalogue() as session:
        row = catalogue_admin._version_row(session, datastore, version)
        if session.scalars(select(_M.id).where(_M.version_id == row.id,
                                               _M.tenant_id == tenant_id)).first():
            raise exceptions.Conflict("Project '%s' is already a member of datastore version "
                                      "'%s'." % (tenant_id, row.name))
        member = _M(version_id=row.id, tenant_id=tenant_id)
        session.add(member)
        session.flush()
        return member


def list_members(datastore, version):
    with session_scope() as session:
        row = catalogue_admin._version_row(session, datastore, version)
        return list(session.scalars(select(_M).where(_M.version_id == row.id)
                                    .order_by(_M.created, _M.id)))


def _member(session, datastore, version, member_id):
    row = catalogue_admin._version_row(session, datastore, version)
    # By the membership's id as the spec has it, or by the member project (what an
    # operator knows).
    found = session.scalars(select(_M).where(
        _M.version_id == row.id, (_M.id == member_id) | (_M.tenant_id == member_id))).first()
    if found is None:
        raise exceptions.NotFound("Member '%s' of datastore version '%s' cannot be found."
                                  % (member_id[:64], row.name))
    return found


def get(datastore, version, member_id):
    with session_scope() as session:
        return _member(session, datastore, version, member_id)


def delete(datastore, version, member_id):
    with catalogue_admin.changing_catalogue() as session:
        session.delete(_member(session, datastore, version, member_id))


def by_tenant(datastore, tenant_id):
    """A project's memberships across the versions of a datastore."""
    with session_scope() as session:
        ds = session.scalars(select(models.Datastore).where(
            (models.Datastore.id == datastore) | (models.Datastore.name == datastore))).first()
        if ds is None:
            raise exceptions.NotFound("Datastore '%s' cannot be found." % datastore[:255])
        return list(session.scalars(
            select(_M).join(models.DatastoreVersion, models.DatastoreVersion.id == _M.version_id)
            .where(models.DatastoreVersion.datastore_id == ds.id, _M.tenant_id == tenant_id)
            .order_by(_M.created, _M.id)))
