"""Configuration groups: a tenant's named values for one datastore version.

Values are checked against the version's parameters (domain/parameters.py) and stored typed;
`check_fits` (configuration_memory.py) refuses values whose memory cannot fit a flavor's RAM.
Applying values to instances is configuration_apply.py's.
"""
import collections
import difflib
import json
import math
import re
import uuid

from sqlalchemy import bindparam, func, select

from api_service.common import exceptions
from api_service.db import models
from api_service.db import models_configurations as mc
from api_service.db import models_instances as m
from api_service.db import pages
from api_service.db.session import session_scope
from api_service.domain import configuration_memory
from api_service.domain import datastores
from api_service.domain import parameters

MIB = 1024 * 1024
VALUE_LIMIT = 1024     # characters of a string value

# The flavor check lives in its own module; callers reach it here as before.
check_fits = configuration_memory.check_fits
default_values = configuration_memory.default_values
memory_needed = configuration_memory.memory_needed

View = collections.namedtuple(
    'View', 'configuration values datastore_name version_name version_number manager '
            'instance_count')


def _require_uuid(value):
    if not _is_uuid(value):
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
    if isinstance(value, float) and not math.isfinite(value):
        # JSON's 1e400 arrives as infinity: say so in words, not "Infinity".
        return 'a number too large to use'
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
    if not math.isfinite(number):     # "1e400" typed: beyond a float
        raise exceptions.BadRequest(
            "Configuration parameter '%s' must be a number %s: the number given is too "
            'large.' % (param.name, _range_text(param)))
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


SHOWN_CHOICES = 20


def _choices_text(allowed, value):
    shown = ', '.join(allowed[:SHOWN_CHOICES])
    more = len(allowed) - SHOWN_CHOICES
    if more <= 0:
        return shown
    # A long list (MariaDB's collations) is cut: the nearest spellings help more than the rest.
    near = difflib.get_close_matches(value.lower(), [a.lower() for a in allowed], 3, 0.6)
    return shown + ', ... (%d more)%s' % (more, '; nearest: %s' % ', '.join(near) if near else '')


_PG_BOOLEAN_WORDS = dict(_BOOLEAN_WORDS, yes=True, no=False)


def _one_choice(word, by_lower):
    found = by_lower.get(word.lower())
    if found is None and 'on' in by_lower and 'off' in by_lower:
        # The engines read a boolean spelling (true, yes, 1) as on/off in such a list.
        flag = _PG_BOOLEAN_WORDS.get(word.lower())
        found = None if flag is None else by_lower['on' if flag else 'off']
    return found


def _choice(param, value, choices):
    """`value` in the engine's spelling when it is one of the parameter's choices (any
    case, as the engines compare them); a comma list of them for a set (MariaDB's
    sql_mode); else a 400 listing them."""
    allowed, multiple = choices
    by_lower = {choice.lower(): choice for choice in allowed}
    words = [w.strip() for w in value.split(',')] if multiple else [value.strip()]
    if multiple and words == ['']:
        return ''
    chosen = [_one_choice(word, by_lower) for word in words]
    if None not in chosen:
        return ','.join(chosen)
    kind = 'a comma-separated list of' if multiple else 'one of'
    raise exceptions.BadRequest("Configuration parameter '%s' must be %s: %s; not %s." % (
        param.name, kind, _choices_text(allowed, value), _shown(value)))


def validate(values, version, label):
    """{name: typed value} of `values` checked against the version's parameters (one query)
    and, for a fixed-choice string, against the engine's choices (its rule file: an
    operator's parameter has none); `version` is the DatastoreVersion row, `label` names it
    in messages ("mariadb 10.11")."""
    if not values:
        return {}
    known = parameters.for_version_id(version.id)
    if not known:
        raise exceptions.BadRequest('%s has no configuration parameters, so it takes no '
                                    'configuration values.' % label)
    by_lower = {name.lower(): param for name, param in known.items()}
    typed = {}
    for name, value in values.items():
        param = known.get(name) or by_lower.get(name.lower())
        if param is None and parameters.is_denied(version.manager, name):
            raise exceptions.BadRequest(
                "Configuration parameter '%s' is set by the service itself and cannot be "
                'configured.' % name[:128])
        if param is None:
            raise exceptions.BadRequest(
                "Configuration parameter '%s' is not supported by %s; GET "
                '/datastores/versions/%s/parameters lists the ones it takes.'
                % (name[:128], label, version.id))
        typed[param.name] = typed_value(param, value)
        choices = (parameters.choices(version.manager, version.version, param.name)
                   if param.type == 'string' else None)
        if choices:
            typed[param.name] = _choice(param, typed[param.name], choices)
    return typed


# -- groups ---------------------------------------------------------------------------

def values_of(configuration):
    return json.loads(configuration.values or '{}')


def _label(version, datastore_name):
    return '%s %s' % (datastore_name, version.name)


def create(ctx, body):
    ds, version = resolve_version(body.get('datastore'))
    values = validate(body.get('values') or {}, version, _label(version, ds.name))
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


def _is_uuid(value):
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def load_by_id_or_name(ctx, ref, session, lock=False):
    """The group an instance create names: by id, else the project's only live group of
    that exact name (404 when none or several have it)."""
    if _is_uuid(ref):
        return load(ctx, ref, session, lock=lock)
    rows = session.scalars(
        select(mc.Configuration).where(mc.Configuration.project_id == ctx.project_id,
                                       mc.Configuration.name == ref,
                                       mc.Configuration.deleted.is_(False))
        .order_by(mc.Configuration.id).with_for_update())
    # Exact: a service database's collation may compare names regardless of case.
    rows = [row for row in rows if row.name == ref]
    if len(rows) != 1:
        raise exceptions.NotFound("Configuration group '%s' cannot be found: give its ID or "
                                  'a name that only one group has.' % ref[:255])
    return rows[0]


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
    version = version_of(session, row)
    return _label(version, session.get(models.Datastore, version.datastore_id).name)


def version_of(session, row):
    """The group's DatastoreVersion row (from the session's map once view() read it)."""
    return session.get(models.DatastoreVersion, row.datastore_version_id)


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


def list_page(ctx, limit, marker=None):
    """One page of the project's groups with their datastore names: one query."""
    return pages.read_page(_PAGES, {'project': ctx.project_id}, limit, marker)


def instances_page(ctx, configuration_id, limit, marker=None):
    """One page of the (id, name) of the instances a group is attached to."""
    group = get(ctx, configuration_id).configuration
    return pages.read_page(_INSTANCE_PAGES, {'configuration': group.id, 'project': group.project_id},
                 limit, marker)

