"""Configuration groups: a tenant's named values for one datastore version.

Values are checked against the version's parameters (domain/parameters.py) and stored typed;
`check_fits` refuses values whose memory cannot fit a flavor's RAM (the formula is in
docs/configuration-groups.md). Applying values to instances is configuration_apply.py's.
"""
import collections
import json
import math
import re
import uuid

from sqlalchemy import bindparam, func, select

from api_service.common import exceptions
from api_service.db import models
from api_service.db import models_configurations as mc
from api_service.db import models_instances as m
from api_service.db.session import read_scope, session_scope
from api_service.domain import datastores
from api_service.domain import parameters

MIB = 1024 * 1024
VALUE_LIMIT = 1024     # characters of a string value

View = collections.namedtuple(
    'View', 'configuration values datastore_name version_name version_number manager '
            'instance_count')


def _require_uuid(value):
    try:
        uuid.UUID(value)
    except ValueError:
        raise exceptions.NotFound("Configuration group '%s' cannot be found: ids are UUIDs."
                                  % value[:64])


# -- the datastore version of a new group ---------------------------------------------

def resolve_version(spec):
    """(datastore, version) a create names; without a datastore, the only one's default
    version (upstream's default_datastore, which we have no option for)."""
    spec = spec or {}
    if not spec.get('type'):
        every, _ = datastores.list_datastores(2)
        if len(every) != 1:
            raise exceptions.BadRequest('configuration.datastore.type is required: pick one of '
                                        'GET /datastores.')
        spec = dict(spec, type=every[0].name)
    ds = datastores.get_datastore(spec['type'])
    wanted, number = spec.get('version'), spec.get('version_number')
    for version in ds.versions:
        named = wanted in (version.id, version.name) if wanted else (
            version.version == number if number else version.id == ds.default_version_id)
        if named and (not number or version.version == number):
            return ds, version
    raise exceptions.NotFound("Datastore version '%s' cannot be found for datastore '%s'."
                              % (wanted or number or 'default', ds.name))


# -- values -------------------------------------------------------------------------

# PostgreSQL's memory units (powers of 1024), accepted for integer parameters counted in one.
_UNIT_BYTES = {'B': 1, 'kB': 1024, 'MB': MIB, 'GB': 1024 * MIB, 'TB': 1024 ** 2 * MIB}
_BASE_UNIT_BYTES = {'B': 1, 'kB': 1024, '8kB': 8192, 'MB': MIB}
_WITH_UNIT = re.compile(r'^\s*([0-9]+)\s*(B|kB|MB|GB|TB)\s*$')
_INTEGER = re.compile(r'^\s*-?[0-9]{1,20}\s*$')
_FLOAT = re.compile(r'^\s*-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?\s*$')
_BOOLEAN_WORDS = {'true': True, 'on': True, '1': True, 'false': False, 'off': False, '0': False}
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')


def _shown(value):
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10 ** 20:
        return 'a number of %d digits' % len(str(abs(value)))
    return json.dumps(value)[:64]


def _range_text(param):
    unit = ' (counted in %s)' % param.unit if param.unit else ''
    return 'between %s and %s%s' % (param.min, param.max, unit)


def _refuse(param, value, kind):
    raise exceptions.BadRequest("Configuration parameter '%s' must be %s, not %s." % (
        param.name, kind, _shown(value)))


def _integer(param, value):
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.match(value):
        return int(value)
    found = _WITH_UNIT.match(value) if isinstance(value, str) else None
    if found and param.unit in _BASE_UNIT_BYTES:
        size = int(found.group(1)) * _UNIT_BYTES[found.group(2)]
        if size % _BASE_UNIT_BYTES[param.unit]:
            raise exceptions.BadRequest(
                "Configuration parameter '%s' is counted in %s: %s is not a whole number of "
                'them.' % (param.name, param.unit, _shown(value)))
        return size // _BASE_UNIT_BYTES[param.unit]
    units = (' or a size such as "8MB" (B, kB, MB, GB, TB)'
             if param.unit in _BASE_UNIT_BYTES else '')
    _refuse(param, value, 'an integer %s%s' % (_range_text(param), units))


def _float(param, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, str)) or (
            isinstance(value, str) and not _FLOAT.match(value)):
        _refuse(param, value, 'a number %s' % _range_text(param))
    try:
        number = float(value)
    except OverflowError:       # an integer beyond any float, e.g. 10**400
        _refuse(param, value, 'a number %s' % _range_text(param))
    if not math.isfinite(number):
        _refuse(param, value, 'a finite number')
    return number


def _boolean(param, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _BOOLEAN_WORDS:
        return _BOOLEAN_WORDS[value.strip().lower()]
    _refuse(param, value, 'true or false')


def _string(param, value):
    if not isinstance(value, str):
        _refuse(param, value, 'a string')
    if len(value) > VALUE_LIMIT or _CONTROL.search(value):
        # A line break would start another directive in the engine's include file.
        raise exceptions.BadRequest(
            "Configuration parameter '%s' must be one line of at most %d characters." % (
                param.name, VALUE_LIMIT))
    return value


_CONVERT = {'integer': _integer, 'float': _float, 'boolean': _boolean, 'string': _string}


def typed_value(param, value):
    """`value` as the parameter's type, in its unit; 400 naming it when it is not one or is
    out of range."""
    typed = _CONVERT[param.type](param, value)
    if param.type in ('integer', 'float') and (
            (param.min is not None and typed < param.min) or
            (param.max is not None and typed > param.max)):
        raise exceptions.BadRequest("Configuration parameter '%s' must be %s, not %s." % (
            param.name, _range_text(param), _shown(value)))
    return typed


def validate(values, version_id, label):
    """{name: typed value} of `values` checked against the version's parameters (one query);
    `label` names the version in messages ("mariadb 10.11")."""
    if not values:
        return {}
    known = parameters.for_version_id(version_id)
    if not known:
        raise exceptions.BadRequest('%s has no configuration parameters, so it takes no '
                                    'configuration values.' % label)
    by_lower = {name.lower(): param for name, param in known.items()}
    typed = {}
    for name, value in values.items():
        param = known.get(name) or by_lower.get(name.lower())
        if param is None:
            raise exceptions.BadRequest(
                "Configuration parameter '%s' is not supported by %s; GET "
                '/datastores/versions/%s/parameters lists the ones it takes.'
                % (name[:128], label, version_id))
        typed[param.name] = typed_value(param, value)
    return typed


# -- memory against a flavor's RAM -----------------------------------------------------

# MariaDB: per-connection buffers (engine defaults, bytes) and the base config's
# max_connections; the guest's buffer pool for a flavor (mariadb.memory_setting_bytes).
_MARIADB_BUFFERS = {'sort_buffer_size': 2 * MIB, 'join_buffer_size': 256 * 1024,
                    'read_buffer_size': 128 * 1024, 'read_rnd_buffer_size': 256 * 1024}
_BASE_MAX_CONNECTIONS = 100
_PG_WORK_MEM_KB = 4096


def _mariadb_memory(ram_mb, values):
    pool = values.get('innodb_buffer_pool_size')
    total = (pool or 0) + values.get('key_buffer_size', 0)
    used = [n for n in ('innodb_buffer_pool_size', 'key_buffer_size') if n in values]
    per_connection = ['max_connections'] + list(_MARIADB_BUFFERS)
    if any(name in values for name in per_connection):
        buffers = sum(values.get(name, default) for name, default in _MARIADB_BUFFERS.items())
        total += values.get('max_connections', _BASE_MAX_CONNECTIONS) * (buffers + MIB)
        if pool is None:
            total += max(32, ram_mb // 2) * MIB     # the guest's pool for this flavor
        used += [name for name in per_connection if name in values]
    return total, used


def _postgresql_memory(ram_mb, values):
    total = values.get('shared_buffers', 0) * 8192
    used = ['shared_buffers'] if 'shared_buffers' in values else []
    if 'max_connections' in values or 'work_mem' in values:
        total += (values.get('max_connections', _BASE_MAX_CONNECTIONS) *
                  values.get('work_mem', _PG_WORK_MEM_KB) * 1024)
        used += [name for name in ('max_connections', 'work_mem') if name in values]
    return total, used


def _redis_memory(ram_mb, values):
    return values.get('maxmemory', 0), ['maxmemory'] if 'maxmemory' in values else []


_MEMORY = {'mariadb': _mariadb_memory, 'postgresql': _postgresql_memory,
           'redis': _redis_memory}


def memory_needed(ram_mb, manager, values):
    """(bytes, names): the memory the group's values make the engine use, and which values
    count. Only what the group sets is counted: engine defaults fit every flavor."""
    counted = _MEMORY.get(manager)
    return counted(ram_mb, values) if counted else (0, [])


def check_fits(ram_mb, manager, values, whose='The values'):
    """400 when `values` need more memory than `ram_mb`, naming the values and the RAM."""
    needed, names = memory_needed(ram_mb, manager, values)
    if needed > ram_mb * MIB:
        raise exceptions.BadRequest(
            '%s need about %d MB of memory (%s), more than the %d MB of RAM of the flavor: '
            'lower them or use a larger flavor.' % (
                whose, math.ceil(needed / MIB), ', '.join(names), ram_mb))


# -- groups ---------------------------------------------------------------------------

def values_of(configuration):
    return json.loads(configuration.values or '{}')


def _label(version, datastore_name):
    return '%s %s' % (datastore_name, version.name)


def create(ctx, body):
    ds, version = resolve_version(body.get('datastore'))
    values = validate(body.get('values') or {}, version.id, _label(version, ds.name))
    with session_scope() as session:
        row = mc.Configuration(project_id=ctx.project_id, name=body['name'],
                               description=body.get('description'),
                               datastore_version_id=version.id, values=json.dumps(values))
        session.add(row)
        session.flush()
        return View(row, values, ds.name, version.name, version.version, version.manager, 0)


def load(ctx, configuration_id, session, lock=False):
    """The group row; 404 for other projects' groups (admins see every project's)."""
    _require_uuid(configuration_id)
    row = session.get(mc.Configuration, configuration_id, with_for_update=lock)
    if row is None or row.deleted or (row.project_id != ctx.project_id and not ctx.is_admin):
        raise exceptions.NotFound("Configuration group '%s' cannot be found."
                                  % configuration_id)
    return row


def _attached(row, *columns):
    """The instances a group is attached to. Only its own project's count: a group is never
    attached across projects (attach and create refuse it), and were a row to say so, it
    must neither show another project's instances nor hold the group."""
    return select(*(columns or (m.Instance.id,))).where(
        m.Instance.configuration_id == row.id, m.Instance.project_id == row.project_id,
        m.Instance.deleted.is_(False))


def attached_ids(session, row):
    return list(session.scalars(_attached(row).order_by(m.Instance.id)))


def attached_instances(session, row):
    """The Instance rows a group is attached to, locked, in id order: one query."""
    return list(session.scalars(_attached(row, m.Instance).order_by(m.Instance.id)
                                .with_for_update()))


def check_same_project(group, project_id):
    """404 for a group of another project than the instance's: an admin may load any
    project's group, but an instance only ever takes one of its own project's."""
    if group.project_id != project_id:
        raise exceptions.NotFound("Configuration group '%s' cannot be found in the "
                                  "instance's project." % group.id)


def view(session, row):
    version = session.get(models.DatastoreVersion, row.datastore_version_id)
    datastore = session.get(models.Datastore, version.datastore_id)
    count = _count_attached(session, row)
    return View(row, values_of(row), datastore.name, version.name, version.version,
                version.manager, count)


def _count_attached(session, row):
    return session.scalar(select(func.count()).select_from(_attached(row).subquery()))


def get(ctx, configuration_id):
    with session_scope() as session:
        return view(session, load(ctx, configuration_id, session))


def label(session, row):
    version = session.get(models.DatastoreVersion, row.datastore_version_id)
    return _label(version, session.get(models.Datastore, version.datastore_id).name)


def delete(ctx, configuration_id):
    """Soft delete (the row stays as history); 409 while instances have it attached."""
    with session_scope() as session:
        row = load(ctx, configuration_id, session, lock=True)
        shown = list(session.scalars(_attached(row).order_by(m.Instance.id).limit(5)))
        if shown:
            count = _count_attached(session, row) if len(shown) == 5 else len(shown)
            more = ', ...' if count > len(shown) else ''
            raise exceptions.Conflict(
                "Configuration group '%s' is attached to %d instance(s) (%s%s); detach it "
                'first.' % (row.name, count, ', '.join(shown), more))
        row.deleted, row.deleted_at = True, models.utcnow()


_C = mc.Configuration.__table__
_V = models.DatastoreVersion.__table__
_D = models.Datastore.__table__
_I = m.Instance.__table__


def _page_stmt(with_marker):
    stmt = (select(_C, _V.c.name.label('version_name'), _V.c.version.label('version_number'),
                   _D.c.name.label('datastore_name'))
            .join(_V, _V.c.id == _C.c.datastore_version_id).join(_D, _D.c.id == _V.c.datastore_id)
            .where(_C.c.project_id == bindparam('project'), _C.c.deleted.is_(False))
            .order_by(_C.c.id).limit(bindparam('limit')))
    return stmt.where(_C.c.id > bindparam('marker')) if with_marker else stmt


def _instances_stmt(with_marker):
    stmt = (select(_I.c.id, _I.c.name)
            .where(_I.c.configuration_id == bindparam('configuration'),
                   _I.c.project_id == bindparam('project'), _I.c.deleted.is_(False))
            .order_by(_I.c.id).limit(bindparam('limit')))
    return stmt.where(_I.c.id > bindparam('marker')) if with_marker else stmt


_PAGES = {False: _page_stmt(False), True: _page_stmt(True)}
_INSTANCE_PAGES = {False: _instances_stmt(False), True: _instances_stmt(True)}


def _page(stmts, params, limit, marker):
    params = dict(params, limit=limit + 1)
    if marker:
        params['marker'] = marker
    with read_scope() as conn:
        rows = conn.execute(stmts[bool(marker)], params).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more else None)


def list_page(ctx, limit, marker=None):
    """One page of the project's groups with their datastore names: one query."""
    return _page(_PAGES, {'project': ctx.project_id}, limit, marker)


def instances_page(ctx, configuration_id, limit, marker=None):
    """One page of the (id, name) of the instances a group is attached to."""
    group = get(ctx, configuration_id).configuration
    return _page(_INSTANCE_PAGES, {'configuration': group.id, 'project': group.project_id},
                 limit, marker)

