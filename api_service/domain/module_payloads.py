"""Modules as instances take them: which ones a caller may apply, whether they fit an
instance's datastore, the auto-apply set of a new instance, their order, and the payload
the guest receives (the only place a module's contents are unsealed).
"""
import collections

from sqlalchemy import or_, select, update

from api_service.common import exceptions
from api_service.common import policy
from api_service.db import models
from api_service.db import models_modules as mm
from api_service.db.session import read_scope
from api_service.domain import module_contents

# The capability a datastore version's guest manager declares when it takes modules.
CAPABILITY = 'modules'
# Trove's word for "every tenant / datastore / version".
ALL = 'all'

# A module with the names of its datastore and version ('all' when it has none).
Named = collections.namedtuple('Named', 'module datastore datastore_version')

_M = mm.Module.__table__
_D = models.Datastore.__table__
_V = models.DatastoreVersion.__table__

# Payload keys the guest takes from the module's own columns.
_FLAGS = ('auto_apply', 'visible', 'priority_apply', 'apply_order', 'is_admin')


def capable(version):
    return CAPABILITY in set(filter(None, (version.capabilities or '').split(',')))


def is_admin(ctx):
    """May `ctx` see every tenant's modules, invisible ones and admin modules' contents?
    Trove's is_admin, decided by policy (module:admin_options) rather than by role."""
    try:
        policy.enforce(ctx, 'module:admin_options')
    except exceptions.Forbidden:
        return False
    return True


def _named_select(include_deleted=False):
    stmt = (select(_M, _D.c.name.label('datastore_name'), _V.c.name.label('version_name'))
            .outerjoin(_D, _D.c.id == _M.c.datastore_id)
            .outerjoin(_V, _V.c.id == _M.c.datastore_version_id))
    return stmt if include_deleted else stmt.where(_M.c.deleted.is_(False))


def _query(stmt):
    """Named modules of `stmt`: each module a Core row (its columns as attributes)."""
    with read_scope() as conn:
        rows = conn.execute(stmt).all()
    return [Named(row, row.datastore_name or ALL, row.version_name or ALL) for row in rows]


def load_for(ctx, module_ids, include_deleted=False):
    """The modules `module_ids` names, as `ctx` may apply them, in the order asked (each
    once): one query. A module of another tenant, or an invisible one for a non-admin, is
    a 404 as if it did not exist (Trove's); so is a deleted one unless `include_deleted`
    (a module deleted while applied is still removed from instances)."""
    wanted = list(dict.fromkeys(module_ids))
    if not wanted:
        return []
    found = {n.module.id: n for n in _query(
        _named_select(include_deleted).where(_M.c.id.in_(wanted)))}
    admin = is_admin(ctx)
    for module_id in wanted:
        named = found.get(module_id)
        if named is None or not _visible_to(named.module, ctx.project_id, admin):
            raise exceptions.NotFound("Module '%s' cannot be found." % module_id[:64])
    return [found[module_id] for module_id in wanted]


def _visible_to(module, project_id, admin):
    if admin:
        return True
    return module.project_id in (None, project_id) and module.visible


def check_fits(named_modules, version, datastore_name=None):
    """400 naming the first module whose datastore or version is not the instance's
    (`version`: its DatastoreVersion row; `datastore_name`: its datastore's name, looked
    up when not given)."""
    for named in named_modules:
        module = named.module
        if module.datastore_id in (None, version.datastore_id) and \
                module.datastore_version_id in (None, version.id):
            continue
        if datastore_name is None:
            datastore_name = _datastore_name(version.datastore_id)
        wanted = (named.datastore if module.datastore_version_id is None
                  else '%s %s' % (named.datastore, named.datastore_version))
        raise exceptions.BadRequest(
            "Module '%s' is for %s and cannot be applied to an instance of %s %s; apply a "
            'module of that datastore and version, or of all.'
            % (module.name, wanted, datastore_name, version.name))


def _datastore_name(datastore_id):
    with read_scope() as conn:
        return conn.execute(select(_D.c.name).where(_D.c.id == datastore_id)).scalar()


def auto_apply_for(project_id, version):
    """The auto_apply modules a new instance of `project_id` and `version` (its
    DatastoreVersion row) gets: the project's and every tenant's, for its datastore or
    all, its version or all; visible or not (Trove's). One query."""
    return _query(_named_select().where(
        _M.c.auto_apply.is_(True),
        or_(_M.c.project_id.is_(None), _M.c.project_id == project_id),
        or_(_M.c.datastore_id.is_(None), _M.c.datastore_id == version.datastore_id),
        or_(_M.c.datastore_version_id.is_(None), _M.c.datastore_version_id == version.id)))


def load_named(module_ids):
    """The live modules of `module_ids` with their datastore names, for the services
    (no caller's scope): one query; ids of deleted modules are left out."""
    if not module_ids:
        return []
    return _query(_named_select().where(_M.c.id.in_(list(module_ids))))


def sort_key(module):
    """The guest's order: priority modules first, then apply_order, ties by name, id."""
    return (not module.priority_apply, module.apply_order, module.name, module.id)


def ordered(named_modules):
    return sorted(named_modules, key=lambda named: sort_key(named.module))


def describe(named):
    """A module as the guest names it, without contents (module_remove takes this)."""
    module = named.module
    described = {'id': module.id, 'name': module.name, 'type': module.type,
                 'tenant': module.project_id or ALL, 'datastore': named.datastore,
                 'datastore_version': named.datastore_version, 'md5': module.md5}
    described.update({flag: getattr(module, flag) for flag in _FLAGS})
    return described


def payload(row, names=None):
    """The guest's payload of module `row`: its description plus its contents, unsealed
    and base64-encoded. `names`: (datastore, datastore_version) names, or a Named whose
    module is `row`. Payloads travel only in sealed guest calls; never log one."""
    if isinstance(row, Named):
        row, names = row.module, row
    datastore, version = (names[-2], names[-1]) if names else (ALL, ALL)
    described = describe(Named(row, datastore, version))
    described['contents'] = module_contents.encode(module_contents.unseal(row.contents))
    return described


# -- a new instance's modules, and the rows that say an instance has a module ----------

def modules_for_create(ctx, requested, version, datastore_name):
    """The modules a new instance of `version` gets, in the guest's order: those the
    request names (`requested`: [{'id'}]; each the caller may apply and fitting the
    version, else 404/400) and every auto-apply module of the project or all tenants for
    its datastore and version, visible or not. [] for a version without modules."""
    explicit = load_for(ctx, [ref['id'] for ref in requested or []])
    check_fits(explicit, version, datastore_name)
    if not capable(version):
        return []      # a request naming modules was refused by the capability check
    chosen = {n.module.id: n for n in explicit}
    for named in auto_apply_for(ctx.project_id, version):
        chosen.setdefault(named.module.id, named)
    return ordered(chosen.values())


def record_for_create(session, instance_id, named_modules):
    """Record a new instance's modules in its create transaction, at their md5 now: from
    then on they count as on the instance (a live_update=false module cannot change under
    a build), and the task manager sends what is recorded in its prepare."""
    if named_modules:
        record(session, instance_id, {n.module.id: n.module.md5 for n in named_modules})


def record(session, instance_id, md5_by_module):
    """In `session`: the instance has each module of {module id: md5} at that md5 (its
    older live rows of them marked deleted)."""
    now = models.utcnow()
    session.execute(update(mm.InstanceModule).where(
        mm.InstanceModule.instance_id == instance_id,
        mm.InstanceModule.module_id.in_(list(md5_by_module)),
        mm.InstanceModule.deleted.is_(False)).values(deleted=True, deleted_at=now))
    for module_id, md5 in md5_by_module.items():
        session.add(mm.InstanceModule(instance_id=instance_id, module_id=module_id, md5=md5,
                                      created=now, updated=now))
