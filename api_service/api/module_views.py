"""Trove's module views (DetailedModuleView) from named rows (domain/modules.py).

Never the contents: they leave only to the guest, and through an instance's retrieve.
"""
from api_service.api import views

ALL = 'all'


def _isotime(value):
    return views._isotime(value)


def module(row, instance_count=None):
    """A module, with its tenant, datastore and version as names ('all' for every one);
    `instance_count` on a show."""
    data = {
        'id': row.id, 'name': row.name, 'type': row.type, 'description': row.description,
        'tenant': row.project_id or ALL, 'tenant_id': row.project_id,
        'datastore': row.datastore_name if row.datastore_id else ALL,
        'datastore_id': row.datastore_id,
        'datastore_version': row.version_name if row.datastore_version_id else ALL,
        'datastore_version_id': row.datastore_version_id,
        'auto_apply': bool(row.auto_apply), 'priority_apply': bool(row.priority_apply),
        'apply_order': row.apply_order, 'is_admin': bool(row.is_admin), 'md5': row.md5,
        'visible': bool(row.visible), 'live_update': bool(row.live_update),
        'created': _isotime(row.created), 'updated': _isotime(row.updated),
    }
    if instance_count is not None:
        data['instance_count'] = instance_count
    return data


def instance_counts(module_row, counts):
    """Trove's count_only answer: one entry per md5 the module's instances have it at."""
    return [{'module_id': module_row.id, 'module_name': module_row.name,
             'module_md5': entry.md5, 'instance_count': entry.count,
             'current': entry.md5 == module_row.md5,
             'min_updated_date': _isotime(entry.min_updated),
             'max_updated_date': _isotime(entry.max_updated)} for entry in counts]
