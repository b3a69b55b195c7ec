"""A project's databases at a glance (extension `GET /overview`, the dashboard's Overview).

Instances by status and by datastore, the storage they hold, the backups kept, the backups
due next and the instances' latest faults: one query per aggregate, six whatever the number
of instances, on the project's live rows only (deleted instances and backups are history).
A fault is its tenant's message; the admins' details stay out, as on the instance itself.
"""
from sqlalchemy import and_, func, select

from api_service.db import models
from api_service.db import models_backups as b
from api_service.db import models_instances as m
from api_service.db import models_schedules as s
from api_service.db.session import read_scope

# How many of the backups due next, and of the latest faults, an overview lists.
NEXT_BACKUPS = 5
RECENT_FAULTS = 5

_I = m.Instance.__table__
_V = models.DatastoreVersion.__table__
_D = models.Datastore.__table__
_B = b.Backup.__table__
_S = s.Schedule.__table__
_F = m.InstanceFault.__table__


def _live(project_id):
    return and_(_I.c.project_id == project_id, _I.c.deleted.is_(False))


def summary(project_id):
    """The project's overview as plain data (api/overview_views.py shapes it)."""
    live = _live(project_id)
    with read_scope() as conn:
        by_status = conn.execute(select(_I.c.status, func.count()).where(live)
                                 .group_by(_I.c.status)).all()
        by_datastore = conn.execute(
            select(_D.c.name, func.count()).select_from(_I)
            .join(_V, _V.c.id == _I.c.datastore_version_id).join(_D, _D.c.id == _V.c.datastore_id)
            .where(live).group_by(_D.c.name)).all()
        allocated_gb, used_bytes = conn.execute(
            select(func.coalesce(func.sum(_I.c.volume_size), 0),
                   func.coalesce(func.sum(_I.c.volume_used_bytes), 0)).where(live)).one()
        backup_count, backup_bytes = conn.execute(
            select(func.count(), func.coalesce(func.sum(_B.c.size_bytes), 0))
            .where(_B.c.project_id == project_id, _B.c.deleted.is_(False))).one()
        next_backups = conn.execute(
            select(_S.c.id, _S.c.name, _S.c.next_execution_time, _I.c.id.label('instance_id'),
                   _I.c.name.label('instance_name'))
            .join(_I, _I.c.id == _S.c.instance_id)
            .where(_S.c.project_id == project_id, _S.c.enabled.is_(True), live)
            .order_by(_S.c.next_execution_time, _S.c.id).limit(NEXT_BACKUPS)).all()
        faults = conn.execute(_latest_faults(live)).all()
    return {
        'by_status': _counted(by_status), 'by_datastore': _counted(by_datastore),
        'allocated_gb': int(allocated_gb), 'used_bytes': int(used_bytes),
        'backup_count': int(backup_count), 'backup_bytes': int(backup_bytes),
        'next_backups': next_backups, 'faults': _one_per_instance(faults)[:RECENT_FAULTS],
    }


def _latest_faults(live):
    """Each live instance's latest fault (what its own page shows), newest first."""
    latest = (select(_F.c.instance_id, func.max(_F.c.created).label('created'))
              .join(_I, _I.c.id == _F.c.instance_id)
              .where(live, _F.c.deleted.is_(False)).group_by(_F.c.instance_id).subquery())
    return (select(_F.c.instance_id, _F.c.message, _F.c.created,
                   _I.c.name.label('instance_name'), _I.c.status.label('instance_status'))
            .join(latest, and_(latest.c.instance_id == _F.c.instance_id,
                               latest.c.created == _F.c.created))
            .join(_I, _I.c.id == _F.c.instance_id)
            .where(_F.c.deleted.is_(False))
            # Two faults of one instance in the same instant: one is kept (below).
            .order_by(_F.c.created.desc(), _F.c.instance_id)
            .limit(RECENT_FAULTS * 2))


def _one_per_instance(faults):
    seen, kept = set(), []
    for fault in faults:
        if fault.instance_id not in seen:
            seen.add(fault.instance_id)
            kept.append(fault)
    return kept


def _counted(rows):
    """[(key, count)], the largest first, then by key: the same order on every database."""
    return sorted(((key, int(count)) for key, count in rows), key=lambda kc: (-kc[1], kc[0]))
