"""Modules (Trove's /modules): create, read, change and delete, with Trove's rules.

Who sees what: admins (policy module:admin_options) every project's modules; others their
project's and the all-tenant ones, visible ones only (an invisible module is "not found" to them, yet still auto-applied).
Admin-only options (all tenants, all datastores, auto_apply, visible=false, priority_apply,
full_access) need policy `module:admin_options`; a module an admin made (`is_admin`) is
changed or deleted by admins only. Contents are sealed at rest (module_contents) and never
leave through a view. Applying modules is instance_modules.py's.
"""
import uuid

from sqlalchemy import and_, func, or_, select

from api_service.common import exceptions
from api_service.common import policy
from api_service.common.config import CONF
from api_service.db import locks, models
from api_service.db import models_configurations as mc
from api_service.db import models_instances as m
from api_service.db import models_modules as mm
from api_service.db.session import read_scope, session_scope
from api_service.domain import datastores
from api_service.domain import module_contents

ALL = 'all'      # Trove's word for "every tenant / datastore / version"
DEFAULT_APPLY_ORDER = 5

_M = mm.Module.__table__
_IM = mm.InstanceModule.__table__
_D = models.Datastore.__table__
_V = models.DatastoreVersion.__table__
_I = m.Instance.__table__
_C = mc.Configuration.__table__

# A module as the views read it: its columns but the sealed contents, with names.
_NAMED = (select(*[c for c in _M.c if c.name != 'contents'],
                 _D.c.name.label('datastore_name'), _V.c.name.label('version_name'))
          .select_from(_M.outerjoin(_D, _D.c.id == _M.c.datastore_id)
                       .outerjoin(_V, _V.c.id == _M.c.datastore_version_id)))


def _not_found(module_id):
    return exceptions.NotFound("Module '%s' cannot be found." % module_id[:64])


def _require_uuid(module_id):
    try:
        uuid.UUID(module_id)
    except ValueError:
        raise exceptions.NotFound("Module '%s' cannot be found: ids are UUIDs."
                                  % module_id[:64])


def privileged(ctx):
    """Whether ctx may use admin-only options and change admin modules."""
    try:
        policy.enforce(ctx, 'module:admin_options')
    except exceptions.Forbidden:
        return False
    return True


def _seen_by(ctx):
    """The condition on modules ctx may see (as instance_modules sees them: every one for
    those with the admin options)."""
    if privileged(ctx):
        return _M.c.deleted.is_(False)
    return and_(_M.c.deleted.is_(False), _M.c.visible.is_(True),
                or_(_M.c.project_id == ctx.project_id, _M.c.project_id.is_(None)))


def load(ctx, module_id, session, lock=False):
    """The Module row ctx may see; 404 otherwise (another project's, or hidden)."""
    _require_uuid(module_id)
    row = session.get(mm.Module, module_id, with_for_update=lock)
    visible_to_ctx = row is not None and not row.deleted and (privileged(ctx) or (
        row.visible and row.project_id in (ctx.project_id, None)))
    if not visible_to_ctx:
        raise _not_found(module_id)
    return row


def find(ctx, module_id):
    """The module's named row (no contents), as ctx may see it: for policy targets."""
    _require_uuid(module_id)
    with read_scope() as conn:
        row = conn.execute(_NAMED.where(_M.c.id == module_id, _seen_by(ctx))).first()
    if row is None:
        raise _not_found(module_id)
    return row


def _named(session, module_id):
    return session.execute(_NAMED.where(_M.c.id == module_id)).one()


# -- fields -------------------------------------------------------------------------

def _module_type(value):
    kind = value.strip().lower()
    known = [t.strip().lower() for t in CONF.module_types]
    if kind not in known:
        raise exceptions.BadRequest("Module type '%s' is not supported: use one of %s."
                                    % (value[:64], ', '.join(known) or '(none configured)'))
    return kind


def _name(value):
    if not value.strip():
        raise exceptions.BadRequest("A module's name must not be blank.")
    return value


def _apply_order(value):
    # JSON's 3.0 is an integer to the schema; a whole number is asked for.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 9:
        raise exceptions.BadRequest("'apply_order' must be a whole number from 0 to 9.")
    return value


def _datastore(ctx, spec):
    """(datastore id, version id) a body's datastore names; None for "all". 400 when a
    datastore or version is unknown (a field of the body, not the resource asked for)."""
    if not spec or not spec.get('type'):
        if spec and spec.get('version'):
            raise exceptions.BadRequest("'datastore.version' needs 'datastore.type' too.")
        return None, None
    try:
        ds = datastores.get_datastore(spec['type'], ctx)
    except exceptions.NotFound:
        raise exceptions.BadRequest("Datastore '%s' cannot be found; GET /datastores lists "
                                    'them.' % spec['type'][:255])
    if not spec.get('version') or spec['version'] == ALL:
        return ds.id, None
    for version in ds.versions:
        if spec['version'] in (version.id, version.name):
            return ds.id, version.id
    raise exceptions.BadRequest("Datastore '%s' has no version '%s'; GET /datastores/%s/"
                                'versions lists them.' % (ds.name, spec['version'][:255], ds.name))


def _admin_options(fields):
    """The admin-only options `fields` (a module's resulting columns) use, in the words
    of the request."""
    found = []
    if fields['project_id'] is None:
        found.append('all_tenants (every tenant)')
    if fields['datastore_id'] is None:
        found.append('all datastores (no datastore given)')
    if fields['auto_apply']:
        found.append('auto_apply')
    if not fields['visible']:
        found.append('visible=false')
    if fields['priority_apply']:
        found.append('priority_apply')
    return found


def _check_options(action, fields, full_access, may_admin):
    """The admin options in use; 400 for full_access with any, 403 to non-admins."""
    options = _admin_options(fields)
    if full_access and options:
        raise exceptions.BadRequest('full_access cannot be combined with admin-only options: '
                                    '%s.' % ', '.join(options))
    asked = options + (['full_access'] if full_access is not None else [])
    if asked and not may_admin:
        raise exceptions.Forbidden('Only administrators may %s a module with %s.'
                                   % (action, ', '.join(asked)))
    return options


def _check_unique(session, fields, module_id=None):
    same = select(_M.c.id).where(
        _M.c.deleted.is_(False), _M.c.name == fields['name'], _M.c.type == fields['type'],
        *[(_M.c[k] == fields[k]) if fields[k] is not None else _M.c[k].is_(None)
          for k in ('project_id', 'datastore_id', 'datastore_version_id')])
    if module_id:
        same = same.where(_M.c.id != module_id)
    if session.execute(same.limit(1)).first() is not None:
        raise exceptions.BadRequest(
            "A module named '%s' of type '%s' already exists for this project, datastore and "
            'version; choose another name.' % (fields['name'], fields['type']))


def _flag(value, default=False):
    return default if value is None else bool(value)


_KEY_FIELDS = ('name', 'type', 'project_id', 'datastore_id', 'datastore_version_id')
_FIELDS = _KEY_FIELDS + ('description', 'auto_apply', 'visible', 'live_update',
                         'priority_apply', 'apply_order')


# -- create ---------------------------------------------------------------------------

def create(ctx, body):
    """A new module from a create body; its named row (contents sealed, md5 of the
    plaintext the client sent as base64)."""
    may_admin = privileged(ctx)
    ds_id, version_id = _datastore(ctx, body.get('datastore'))
    fields = {
        'name': _name(body['name']), 'type': _module_type(body['module_type']),
        'project_id': None if _flag(body.get('all_tenants')) else ctx.project_id,
        'datastore_id': ds_id, 'datastore_version_id': version_id,
        'description': body.get('description'),
        'auto_apply': _flag(body.get('auto_apply')),
        'visible': _flag(body.get('visible'), True),
        'live_update': _flag(body.get('live_update')),
        'priority_apply': _flag(body.get('priority_apply')),
        'apply_order': _apply_order(body.get('apply_order', DEFAULT_APPLY_ORDER)),
    }
    full_access = body.get('full_access')
    _check_options('create', fields, full_access, may_admin)
    plaintext = module_contents.decode(body['contents'])
    with session_scope() as session:
        locks.hold(session, locks.MODULES)      # the uniqueness check holds until commit
        _check_unique(session, fields)
        row = mm.Module(contents=module_contents.seal(plaintext),
                        md5=module_contents.md5_of(plaintext),
                        is_admin=may_admin and not full_access, **fields)
        session.add(row)
        session.flush()
        return _named(session, row.id)


# -- update and delete ----------------------------------------------------------------

def _holding_instances(session, ctx, row, may_admin, most=3):
    """(how many live instances hold the module at its current md5, the names of up to
    `most` of them the caller may see)."""
    held = [_IM.c.module_id == row.id, _IM.c.md5 == row.md5, _IM.c.deleted.is_(False),
            _I.c.id == _IM.c.instance_id, _I.c.deleted.is_(False)]
    count = session.execute(select(func.count(func.distinct(_IM.c.instance_id)))
                            .where(*held)).scalar()
    if not count:
        return 0, []
    if not may_admin:
        held.append(_I.c.project_id == ctx.project_id)
    names = session.execute(select(_I.c.name).where(*held).distinct()
                            .order_by(_I.c.name).limit(most)).scalars().all()
    return count, names


def _check_changeable(session, ctx, row, action, may_admin):
    """403 for a non-admin on an admin's module, and while a module without live_update is
    applied at its current md5 (Trove's ModuleAppliedToInstance, 403 on its wire too)."""
    if row.is_admin and not may_admin:
        raise exceptions.Forbidden("Module '%s' is an admin module: only administrators may "
                                   '%s it.' % (row.name, action))
    if row.live_update:
        return
    count, names = _holding_instances(session, ctx, row, may_admin)
    if count:
        which = ' (%s%s)' % (', '.join(names), ', ...' if count > len(names) else '') \
            if names else ''
        raise exceptions.Forbidden(
            "Module '%s' is applied to %d instance%s%s and does not allow live updates: "
            "remove it from them first (each instance's Modules tab, or trove module-remove), "
            'then %s it.' % (row.name, count, '' if count == 1 else 's', which, action))


def _changed_datastore(ctx, row, body):
    """(datastore id, version id) after an update body; a datastore named without a version
    keeps the module's version when it is one of that datastore's, else all versions."""
    ds_id, version_id = row.datastore_id, row.datastore_version_id
    spec = body.get('datastore') or {}
    if spec.get('type'):
        new_ds, new_version = _datastore(ctx, spec)
        if new_version is None and not spec.get('version') and new_ds == ds_id:
            new_version = version_id
        ds_id, version_id = new_ds, new_version
    elif spec.get('version'):
        if ds_id is None:
            raise exceptions.BadRequest("'datastore.version' needs 'datastore.type': the "
                                        'module is for all datastores.')
        _, version_id = _datastore(ctx, {'type': ds_id, 'version': spec['version']})
    if _flag(body.get('all_datastores')):
        if spec.get('type'):
            raise exceptions.BadRequest('Give a datastore or all_datastores, not both.')
        ds_id = version_id = None
    if _flag(body.get('all_datastore_versions')):
        if spec.get('version'):
            raise exceptions.BadRequest('Give a datastore version or all_datastore_versions, '
                                        'not both.')
        version_id = None
    return ds_id, version_id


def _changed_fields(ctx, row, body):
    fields = {k: getattr(row, k) for k in _FIELDS}
    if 'name' in body:
        fields['name'] = _name(body['name'])
    kind = body.get('type', body.get('module_type'))
    if kind is not None:
        fields['type'] = _module_type(kind)
    if 'description' in body:
        fields['description'] = body['description']
    if 'all_tenants' in body:
        fields['project_id'] = (None if _flag(body['all_tenants'])
                                else fields['project_id'] or ctx.project_id)
    fields['datastore_id'], fields['datastore_version_id'] = _changed_datastore(ctx, row, body)
    for flag in ('auto_apply', 'visible', 'live_update', 'priority_apply'):
        if body.get(flag) is not None:
            fields[flag] = bool(body[flag])
    if 'apply_order' in body:
        fields['apply_order'] = _apply_order(body['apply_order'])
    return fields


def update(ctx, module_id, body):
    """Change a module (omitted fields unchanged); new contents give a new md5. Its named
    row."""
    may_admin = privileged(ctx)
    with session_scope() as session:
        locks.hold(session, locks.MODULES)      # the uniqueness check holds until commit
        row = load(ctx, module_id, session, lock=True)
        _check_changeable(session, ctx, row, 'change', may_admin)
        fields = _changed_fields(ctx, row, body)
        full_access = body.get('full_access')
        options = _check_options('change', fields, full_access, may_admin)
        if any(fields[k] != getattr(row, k) for k in _KEY_FIELDS):
            _check_unique(session, fields, row.id)
        # Trove's rule: an admin turning an admin option on makes it an admin module;
        # full_access says so outright (True: anyone may change it, False: admins only).
        is_admin = row.is_admin or bool(options)
        if full_access is not None:
            is_admin = not full_access
        if 'contents' in body:
            plaintext = module_contents.decode(body['contents'])
            row.contents = module_contents.seal(plaintext)
            row.md5 = module_contents.md5_of(plaintext)
        for key, value in fields.items():
            setattr(row, key, value)
        row.is_admin = is_admin
        row.updated = models.utcnow()
        session.flush()
        return _named(session, row.id)


def delete(ctx, module_id):
    """Soft delete: the row stays for the instances' history."""
    may_admin = privileged(ctx)
    with session_scope() as session:
        row = load(ctx, module_id, session, lock=True)
        _check_changeable(session, ctx, row, 'delete', may_admin)
        _check_options('delete', {k: getattr(row, k) for k in _FIELDS}, None, may_admin)
        row.deleted, row.deleted_at = True, models.utcnow()


# -- reads ----------------------------------------------------------------------------

def _live_instances(ctx):
    """Conditions on instances ctx may count or list (its project's unless it has the
    admin options, as for the modules it sees)."""
    conditions = [_I.c.deleted.is_(False)]
    if not privileged(ctx):
        conditions.append(_I.c.project_id == ctx.project_id)
    return conditions


def instance_count(ctx, module_id):
    """The instances ctx may see that have the module at its current md5."""
    row = find(ctx, module_id)
    return _count_current(ctx, row)


def _count_current(ctx, row):
    stmt = (select(func.count(func.distinct(_IM.c.instance_id)))
            .select_from(_IM.join(_I, _I.c.id == _IM.c.instance_id))
            .where(_IM.c.module_id == row.id, _IM.c.md5 == row.md5,
                   _IM.c.deleted.is_(False), *_live_instances(ctx)))
    with read_scope() as conn:
        return conn.execute(stmt).scalar_one()


def get(ctx, module_id):
    """(named row, instance_count) for a show."""
    row = find(ctx, module_id)
    return row, _count_current(ctx, row)


def list_page(ctx, limit, marker=None, datastore=None):
    """A page of the modules ctx sees, with datastore names: one query. `datastore` (a
    name or id; 'all') keeps that datastore's modules and the all-datastore ones."""
    stmt = _NAMED.where(_seen_by(ctx))
    if datastore:
        if datastore.lower() == ALL:
            stmt = stmt.where(_M.c.datastore_id.is_(None))
        else:
            ds = datastores.get_datastore(datastore, ctx)
            stmt = stmt.where(or_(_M.c.datastore_id == ds.id, _M.c.datastore_id.is_(None)))
    if marker:
        stmt = stmt.where(_M.c.id > marker)
    with read_scope() as conn:
        rows = conn.execute(stmt.order_by(_M.c.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more else None)


def _applied_ids(module_id):
    return select(_IM.c.instance_id).where(_IM.c.module_id == module_id,
                                           _IM.c.deleted.is_(False))


def instances_page(ctx, module_id, limit, marker=None, include_clustered=False):
    """A page of the instances (list-view rows, names joined) that have the module, as
    ctx may see them: one query. There are no clusters yet, so include_clustered changes
    nothing."""
    module = find(ctx, module_id)
    stmt = (select(_I, _V.c.name.label('version_name'), _V.c.version.label('version_number'),
                   _D.c.name.label('datastore_name'), _C.c.name.label('configuration_name'))
            .join(_V, _V.c.id == _I.c.datastore_version_id).join(_D, _D.c.id == _V.c.datastore_id)
            .outerjoin(_C, _C.c.id == _I.c.configuration_id)
            .where(_I.c.id.in_(_applied_ids(module.id)), *_live_instances(ctx)))
    if marker:
        stmt = stmt.where(_I.c.id > marker)
    with read_scope() as conn:
        rows = conn.execute(stmt.order_by(_I.c.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more else None)


def instance_counts(ctx, module_id, include_clustered=False):
    """(module named row, [(md5, count, min updated, max updated)]): ctx's instances with
    the module, one entry per md5 they have it at, oldest first."""
    module = find(ctx, module_id)
    stmt = (select(_IM.c.md5, func.count(func.distinct(_IM.c.instance_id)).label('count'),
                   func.min(_IM.c.updated).label('min_updated'),
                   func.max(_IM.c.updated).label('max_updated'))
            .select_from(_IM.join(_I, _I.c.id == _IM.c.instance_id))
            .where(_IM.c.module_id == module.id, _IM.c.deleted.is_(False),
                   *_live_instances(ctx))
            .group_by(_IM.c.md5).order_by(func.min(_IM.c.updated), _IM.c.md5))
    with read_scope() as conn:
        return module, conn.execute(stmt).all()
