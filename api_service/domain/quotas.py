"""Per-project quotas: defaults from config, overrides in the database, usage counted."""
from sqlalchemy import select

from api_service.common import exceptions
from api_service.common.config import CONF
from api_service.db import models
from api_service.db.session import session_scope

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
