"""Every project's quotas: Keystone's projects joined, in memory, with a page of the API's.

The API lists only projects with usage or overrides, by project id; Keystone has the
rest. A page is the id range the API's page covers (up to its last id, or to the end on
the last page), so every project appears on exactly one page, and a page costs one API
call and one Keystone call whatever its size.
"""
import types

from openstack_dashboard.api import keystone

from trove_dashboard.api import admin_quotas

# A resource nearly used up (this share of its limit) is drawn in the warning colour.
WARN_SHARE = 0.8


def projects(request):
    """Every project: one Keystone call."""
    found, _more = keystone.tenant_list(request)
    return found


def load_page(request, marker=None):
    """(rows, next_marker): the page's projects, each with `quotas` {resource: usage}."""
    by_id, defaults, next_marker = admin_quotas.quota_index(request, marker)
    return join(projects(request), by_id, defaults, marker, next_marker), next_marker


def join(keystone_projects, by_id, defaults, marker, next_marker):
    """The rows of the page (marker, next_marker], sorted by name."""
    names = {p.id: getattr(p, 'name', None) or p.id for p in keystone_projects}
    ids = set(by_id) | {pid for pid in names if _on_page(pid, marker, next_marker)}
    rows = [types.SimpleNamespace(
        id=pid, name=names.get(pid, pid), known=pid in names,
        quotas={q.resource: _usage(q) for q in by_id.get(pid) or _unused(defaults)})
        for pid in ids]
    return sorted(rows, key=lambda row: (row.name.lower(), row.id))


def _on_page(project_id, marker, next_marker):
    return (marker is None or project_id > marker) and (
        next_marker is None or project_id <= next_marker)


def _unused(defaults):
    """A project without rows: the defaults, nothing used."""
    return [types.SimpleNamespace(resource=d.resource, limit=d.limit, in_use=0, reserved=0)
            for d in defaults]


def _usage(quota):
    """One resource's figures and how full it is: 'unlimited', 'ok', 'warn' or 'full'."""
    limit, used = quota.limit, quota.in_use
    if limit < 0:
        level, percent = 'unlimited', 0
    elif used >= limit:
        level, percent = 'full', 100
    else:
        percent = int(100 * used / limit)
        level = 'warn' if used >= WARN_SHARE * limit else 'ok'
    return types.SimpleNamespace(resource=quota.resource, limit=limit, in_use=used,
                                 reserved=quota.reserved, level=level, percent=percent)
