"""An instance's modules: apply, list (recorded or as its guest reports them), remove, the
modules a new instance is built with, and reapplying a module to the instances that have it.

A row of instance_modules says "this instance has this module at this md5": written when
the guest applied the module OK (an apply's FAILED results are the caller's to read, not a
record), or, for a new instance, when the create is accepted (the guest applies them in its
prepare; module_payloads.record_for_create) until the guest reports one FAILED
(forget_failed, from the conductor).
"""
import base64

from sqlalchemy import select, update

from api_service.common import exceptions
from api_service.common.config import CONF
from api_service.db import models
from api_service.db import models_instances as m
from api_service.db import models_modules as mm
from api_service.db.session import read_scope, session_scope
from api_service.domain import faults
from api_service.domain import instances
from api_service.domain import module_payloads as payloads
from api_service.domain import status
from api_service.rpc import clients
from api_service.rpc import guest_client

# The statuses in which an instance's guest takes module calls: its engine runs.
LIVE = status.ALLOWED['guest']

_IM = mm.InstanceModule.__table__
_M = mm.Module.__table__
_D = models.Datastore.__table__
_V = models.DatastoreVersion.__table__
_I = m.Instance.__table__


def _guest_of(view):
    """The guest of an instance whose engine runs and can take modules (else 400/409)."""
    if not payloads.capable(view.version):
        raise exceptions.BadRequest('%s instances do not support modules.'
                                    % view.datastore.name)
    if view.instance.status not in LIVE:
        raise exceptions.Conflict(
            'Instance %s is %s; modules can be applied, queried or removed only while it is '
            'ACTIVE.' % (view.instance.id, view.instance.status))
    return guest_client.GuestAPI(view.instance.id, instances.instance_key(view.instance.id))


# -- apply ---------------------------------------------------------------------------

def apply(ctx, view, module_ids):
    """Apply modules to the instance of `view` (instances.get) now: the guest's result per
    module, in the order applied. Those it applied OK are recorded at the md5 sent; a
    FAILED one leaves the instance's record of that module as it was."""
    named = payloads.load_for(ctx, module_ids)
    payloads.check_fits(named, view.version, view.datastore.name)
    guest = _guest_of(view)
    sent = [payloads.payload(n) for n in payloads.ordered(named)]
    with faults.of_guest_calls(view.instance.id):
        results = guest.module_apply(ctx, sent) or []
    record_results(view.instance.id, sent, results)
    return [_without_contents(result) for result in results]


def _without_contents(result):
    return {key: value for key, value in result.items() if key != 'contents'}


def record_results(instance_id, sent, results):
    """Record the modules of `sent` (payloads) the guest reported OK, at the md5 sent,
    replacing the instance's older rows of them. Nothing for a deleted instance."""
    md5_of = {p['id']: p['md5'] for p in sent}
    applied = {r.get('id'): md5_of[r.get('id')] for r in results
               if r.get('status') == 'OK' and r.get('id') in md5_of}
    if not applied:
        return {}
    with session_scope() as session:
        # Under the instance's lock: two applies at once leave one live row per module,
        # and a delete that finished meanwhile gets no rows after it.
        instance = session.get(m.Instance, instance_id, with_for_update=True)
        if instance is None or instance.deleted:
            return {}
        payloads.record(session, instance_id, applied)
    return applied


# -- list ----------------------------------------------------------------------------

_RECORDED = (select(_IM.c.md5, _IM.c.created, _IM.c.updated, _M.c.id, _M.c.name, _M.c.type,
                    _M.c.description, _M.c.project_id, _M.c.datastore_id,
                    _M.c.datastore_version_id, _M.c.md5.label('module_md5'), _M.c.auto_apply,
                    _M.c.visible, _M.c.live_update, _M.c.priority_apply, _M.c.apply_order,
                    _M.c.is_admin, _D.c.name.label('datastore_name'),
                    _V.c.name.label('version_name'))
             .join(_M, _M.c.id == _IM.c.module_id)
             .outerjoin(_D, _D.c.id == _M.c.datastore_id)
             .outerjoin(_V, _V.c.id == _M.c.datastore_version_id)
             .where(_IM.c.deleted.is_(False)))


def recorded(ctx, view):
    """The instance's recorded modules (no guest call), in the guest's order: one query.
    A non-admin does not see invisible ones. A module deleted since it was applied is
    listed: it stays on the instance until removed."""
    stmt = _RECORDED.where(_IM.c.instance_id == view.instance.id)
    if not payloads.is_admin(ctx):
        stmt = stmt.where(_M.c.visible.is_(True))
    with read_scope() as conn:
        rows = conn.execute(stmt).all()
    return sorted(rows, key=payloads.sort_key)


def from_guest(ctx, view, include_contents=False):
    """The guest's results of the modules it holds. For a non-admin, invisible modules are
    left out, and an admin module's contents are withheld (a sentence in their place, as
    Trove does, so a retrieve still writes a file): by the modules' flags now (one query),
    not those the guest was sent. Deleted modules are listed: they stay on the instance
    until removed."""
    guest = _guest_of(view)
    with faults.of_guest_calls(view.instance.id):
        results = guest.module_list(ctx, include_contents=bool(include_contents)) or []
    if payloads.is_admin(ctx):
        return results
    flags = _flags_now([r.get('id') for r in results])
    shown = []
    for result in results:
        # A module whose row is gone altogether is judged by what the guest was sent.
        visible, is_admin = flags.get(result.get('id'), (result.get('visible', True),
                                                         result.get('is_admin')))
        if not visible:
            continue
        result = dict(result, visible=visible, is_admin=is_admin)
        if include_contents and is_admin:
            result = dict(result, contents=base64.b64encode(
                ('Must be admin to retrieve contents for module %s'
                 % result.get('name', 'Unknown')).encode()).decode('ascii'))
        elif not include_contents:
            result = _without_contents(result)
        shown.append(result)
    return shown


def _flags_now(module_ids):
    """{module id: (visible, is_admin)} of the modules' rows, deleted ones included."""
    ids = [i for i in module_ids if isinstance(i, str)]
    if not ids:
        return {}
    with read_scope() as conn:
        rows = conn.execute(select(_M.c.id, _M.c.visible, _M.c.is_admin)
                            .where(_M.c.id.in_(ids))).all()
    return {row.id: (row.visible, row.is_admin) for row in rows}


# -- remove --------------------------------------------------------------------------

def remove(ctx, view, module_id):
    """The guest removes the module, then the instance's rows of it are marked deleted.
    404 when neither the guest holds it nor the instance has it recorded. A module deleted
    since it was applied is removed too (it stays on the instance until then)."""
    named = payloads.load_for(ctx, [module_id], include_deleted=True)[0]
    guest = _guest_of(view)
    try:
        with faults.of_guest_calls(view.instance.id):
            guest.module_remove(ctx, payloads.describe(named))
    except exceptions.NotFound:
        if not _forget(view.instance.id, module_id):
            raise exceptions.NotFound("Module '%s' is not applied to instance %s."
                                      % (named.module.name, view.instance.id))
        return
    _forget(view.instance.id, module_id)


def _forget(instance_id, module_id=None, session=None):
    """Mark the instance's live rows (of one module, or all) deleted; how many there were."""
    stmt = update(mm.InstanceModule).where(mm.InstanceModule.instance_id == instance_id,
                                           mm.InstanceModule.deleted.is_(False))
    if module_id is not None:
        stmt = stmt.where(mm.InstanceModule.module_id == module_id)
    stmt = stmt.values(deleted=True, deleted_at=models.utcnow())
    if session is not None:
        return session.execute(stmt).rowcount
    with session_scope() as session:
        return session.execute(stmt).rowcount


def forget_failed(instance_id, module_ids):
    """Modules the guest reported FAILED at create (recorded when the create was accepted)
    are not on the instance: their live rows are marked deleted. How many there were."""
    ids = [i for i in module_ids or [] if isinstance(i, str)]
    if not ids:
        return 0
    stmt = (update(mm.InstanceModule)
            .where(mm.InstanceModule.instance_id == instance_id,
                   mm.InstanceModule.module_id.in_(ids), mm.InstanceModule.deleted.is_(False))
            .values(deleted=True, deleted_at=models.utcnow()))
    with session_scope() as session:
        return session.execute(stmt).rowcount


def forget_instance(session, instance_id):
    """A deleted instance has no modules any more (its guest's files went with it)."""
    return _forget(instance_id, session=session)


# -- create ----------------------------------------------------------------------------

def prepare_payloads(instance_id):
    """The payloads of a new instance's recorded modules for its prepare, in the guest's
    order; a module changed since the create is sent as it is now and recorded so. A
    module deleted meanwhile is left out."""
    with read_scope() as conn:
        rows = conn.execute(select(_IM.c.module_id, _IM.c.md5).where(
            _IM.c.instance_id == instance_id, _IM.c.deleted.is_(False))).all()
    recorded_md5 = {row.module_id: row.md5 for row in rows}
    named = payloads.ordered(payloads.load_named(recorded_md5))
    changed = {n.module.id: n.module.md5 for n in named
               if n.module.md5 != recorded_md5[n.module.id]}
    if changed:
        with session_scope() as session:
            payloads.record(session, instance_id, changed)
    return [payloads.payload(n) for n in named]


# -- reapply -------------------------------------------------------------------------

def reapply(ctx, module_row, options):
    """Apply `module_row` (a live module the caller may change) again to the instances
    that have it, in the task manager (a non-admin: those of their project; an admin
    module: admins only, else 403): by default those whose applied md5 is not the
    module's now; `force`: all of them; `md5`: only those at that md5. `options` is the
    body's 'reapply' object (md5, include_clustered, batch_size, batch_delay, force;
    booleans as 0/1 too). A non-admin's batch_size is capped at
    [DEFAULT] module_reapply_max_batch_size and batch_delay floored at
    module_reapply_min_batch_delay."""
    may_admin = payloads.is_admin(ctx)
    if module_row.is_admin and not may_admin:
        raise exceptions.Forbidden("Module '%s' is an admin module: only administrators may "
                                   'reapply it.' % module_row.name)
    options = options or {}
    md5 = options.get('md5') or None
    if md5 is not None and (not isinstance(md5, str) or len(md5) > 32):
        raise exceptions.BadRequest('reapply.md5 must be the md5 (32 hexadecimal digits) '
                                    'of a version of the module.')
    batch_size = _whole(options, 'batch_size', 1) or CONF.module_reapply_max_batch_size
    batch_delay = _whole(options, 'batch_delay', 0)
    if batch_delay is None:
        batch_delay = CONF.module_reapply_min_batch_delay
    if not may_admin:
        batch_size = min(batch_size, CONF.module_reapply_max_batch_size)
        batch_delay = max(batch_delay, CONF.module_reapply_min_batch_delay)
    # A non-admin reapplies to their project's instances only (an all-tenant module is on
    # other projects' instances too).
    clients.taskmanager_api().reapply_module(
        ctx, module_id=module_row.id, md5=md5,
        include_clustered=bool(options.get('include_clustered')),
        batch_size=batch_size, batch_delay=batch_delay, force=bool(options.get('force')),
        project_id=None if may_admin else ctx.project_id)


def _whole(options, name, minimum):
    value = options.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise exceptions.BadRequest('reapply.%s must be a whole number of at least %d.'
                                    % (name, minimum))
    return value


# What the reapply worker reads of each instance that has the module: one query.
_HOLDERS = (select(_IM.c.instance_id, _IM.c.md5, _I.c.status, _I.c.datastore_version_id,
                   _V.c.datastore_id, _V.c.name.label('version_name'), _V.c.capabilities)
            .join(_I, _I.c.id == _IM.c.instance_id)
            .join(_V, _V.c.id == _I.c.datastore_version_id)
            .where(_IM.c.deleted.is_(False), _I.c.deleted.is_(False))
            .order_by(_IM.c.instance_id))


def holders(module_id, project_id=None):
    """(instance_id, md5 applied, status, datastore_version_id, datastore_id, version_name,
    capabilities) of each live instance with a live row of the module; with `project_id`,
    of that project's instances only."""
    stmt = _HOLDERS.where(_IM.c.module_id == module_id)
    if project_id is not None:
        stmt = stmt.where(_I.c.project_id == project_id)
    with read_scope() as conn:
        return conn.execute(stmt).all()


def reapply_targets(module, holder_rows, md5=None, force=False):
    """(to apply, skipped) instance ids: a holder is reapplied when its md5 is not the
    module's (or `force`) and, with `md5`, is that one; of those, an instance that is not
    live, or no longer of the module's datastore and version, is skipped."""
    targets, skipped = [], []
    for row in holder_rows:
        if not (force or row.md5 != module.md5) or (md5 and row.md5 != md5):
            continue
        fits = (module.datastore_id in (None, row.datastore_id) and
                module.datastore_version_id in (None, row.datastore_version_id))
        takes_modules = payloads.CAPABILITY in (row.capabilities or '').split(',')
        if row.status in LIVE and fits and takes_modules:
            targets.append(row.instance_id)
        else:
            skipped.append(row.instance_id)
    return targets, skipped
