"""Per-project quotas: defaults from config, overrides in the database, usage counted."""
from sqlalchemy import bindparam, select, union
from sqlalchemy import update as sql_update
from sqlalchemy.dialects import mysql, postgresql, sqlite

from api_service.common import exceptions
from api_service.common.config import CONF
from api_service.db import models
from api_service.db.session import read_scope, session_scope

RESOURCES = ('instances', 'ram', 'volumes', 'backups')


def defaults():
    q = CONF.quota
    return {'instances': q.max_instances_per_tenant, 'ram': q.max_ram_per_tenant,
            'volumes': q.max_volumes_per_tenant, 'backups': q.max_backups_per_tenant}


def limits(project_id, session):
    result = defaults()
    for row in session.scalars(select(models.Quota).where(models.Quota.project_id == project_id)):
        result[row.resource] = row.hard_limit
    return result


def show(project_id):
    """Each resource with in_use, reserved and limit, in two queries."""
    with session_scope() as session:
        hard = limits(project_id, session)
        usage = {u.resource: u for u in session.scalars(
            select(models.QuotaUsage).where(models.QuotaUsage.project_id == project_id))}
    return [{'resource': name,
             'in_use': usage[name].in_use if name in usage else 0,
             'reserved': usage[name].reserved if name in usage else 0,
             'limit': hard[name]} for name in RESOURCES]


def defaults_view():
    """The limits of a project that has no overrides, each resource in show()'s order."""
    hard = defaults()
    return [{'resource': name, 'limit': hard[name]} for name in RESOURCES]


def index_page(limit, marker=None):
    """One page of the projects with usage or overrides, by project id, each shaped as show().

    Three queries whatever the page's size: the page's project ids, then their overrides
    and their usage. A project with neither has no row anywhere: it has defaults_view().
    """
    ids = _project_ids(marker)
    with read_scope() as conn:
        page = list(conn.scalars(ids.limit(limit + 1), {'marker': marker} if marker else {}))
        more, page = len(page) > limit, page[:limit]
        if not page:
            return [], None
        overrides = conn.execute(select(models.Quota.project_id, models.Quota.resource,
                                        models.Quota.hard_limit)
                                 .where(models.Quota.project_id.in_(page))).all()
        usage = conn.execute(select(models.QuotaUsage.project_id, models.QuotaUsage.resource,
                                    models.QuotaUsage.in_use, models.QuotaUsage.reserved)
                             .where(models.QuotaUsage.project_id.in_(page))).all()
    hard = {pid: defaults() for pid in page}
    for row in overrides:
        hard[row.project_id][row.resource] = row.hard_limit
    used = {(row.project_id, row.resource): row for row in usage}
    projects = [{'project_id': pid, 'quotas': [
        {'resource': name,
         'in_use': used[pid, name].in_use if (pid, name) in used else 0,
         'reserved': used[pid, name].reserved if (pid, name) in used else 0,
         'limit': hard[pid][name]} for name in RESOURCES]} for pid in page]
    return projects, (page[-1] if more else None)


def _project_ids(marker):
    """Every project id with an override or a usage row, once each, after `marker`."""
    halves = [select(table.project_id) for table in (models.Quota, models.QuotaUsage)]
    if marker:
        halves = [half.where(half.selected_columns[0] > bindparam('marker'))
                  for half in halves]
    ids = union(*halves).subquery()
    return select(ids.c.project_id).order_by(ids.c.project_id)


def update(project_id, new_limits):
    """Set limits for the named resources; returns the resulting {resource: limit}."""
    unknown = sorted(set(new_limits) - set(RESOURCES))
    if unknown:
        raise exceptions.BadRequest('Unknown quota resources: %s. Known: %s.'
                                    % (', '.join(unknown), ', '.join(RESOURCES)))
    with session_scope() as session:
        for resource, limit in new_limits.items():
            row = session.get(models.Quota, (project_id, resource))
            if row is None:
                session.add(models.Quota(project_id=project_id, resource=resource,
                                         hard_limit=limit))
            else:
                row.hard_limit = limit
        session.flush()
        return {name: value for name, value in limits(project_id, session).items()
                if name in new_limits}


def reserve(session, project_id, deltas):
    """Count `deltas` ({resource: amount}) as used, atomically, or raise QuotaExceeded.

    One conditional UPDATE per resource inside the caller's transaction: concurrent
    creates cannot together pass a limit.
    """
    hard = limits(project_id, session)
    over = []
    for resource, amount in deltas.items():
        if amount == 0:
            continue
        _ensure_usage_row(session, project_id, resource)
        limit = hard[resource]
        stmt = sql_update(models.QuotaUsage).where(
            models.QuotaUsage.project_id == project_id, models.QuotaUsage.resource == resource)
        if limit >= 0 and amount > 0:
            stmt = stmt.where(models.QuotaUsage.in_use + amount <= limit)
        if session.execute(stmt.values(in_use=models.QuotaUsage.in_use + amount)).rowcount != 1:
            over.append('%s (limit %d)' % (resource, limit))
    if over:
        raise exceptions.QuotaExceeded(resources=', '.join(over))


def release(session, project_id, deltas):
    """Give back what reserve() counted (on delete, or when a create is refused)."""
    reserve(session, project_id, {r: -a for r, a in deltas.items()})


def _ensure_usage_row(session, project_id, resource):
    # Two first reservations of a project race to insert the row: on PostgreSQL and MariaDB
    # the loser's INSERT waits for the winner and then skips (a plain INSERT would fail on
    # the primary key); its conditional UPDATE then counts against the winner's row.
    if session.get(models.QuotaUsage, (project_id, resource)) is None:
        session.execute(_insert_missing(session.get_bind().dialect.name, dict(
            project_id=project_id, resource=resource, in_use=0, reserved=0)))


def _insert_missing(dialect, values):
    """INSERT … that does nothing when the row exists, in the dialect's words."""
    table = models.QuotaUsage.__table__
    if dialect == 'postgresql':
        return postgresql.insert(table).values(values).on_conflict_do_nothing()
    if dialect == 'sqlite':
        return sqlite.insert(table).values(values).on_conflict_do_nothing()
    if dialect in ('mysql', 'mariadb'):
        stmt = mysql.insert(table).values(values)
        return stmt.on_duplicate_key_update(resource=stmt.inserted.resource)
    raise NotImplementedError('No INSERT … ON CONFLICT for dialect %r' % dialect)
