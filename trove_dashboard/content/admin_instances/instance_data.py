"""Every project's instances joined, in memory, with their projects' and flavors' names.

A page costs one list call to the API, one flavor list (only when the page has rows)
and one Keystone project list: never a call per row.
"""
import re
import types

from openstack_dashboard.api import keystone

from trove_dashboard.api import admin_instances
from trove_dashboard.api import trove
from trove_dashboard.content.databases import instance_data
from trove_dashboard import exceptions as dash_exceptions

DELETED = 'DELETED'


def projects(request):
    """{project id: project} for every project: one Keystone call."""
    found, _more = keystone.tenant_list(request)
    return {p.id: p for p in found}


# A Keystone project id, as the CLI shows it: what an operator may paste into the filter.
_PROJECT_ID = re.compile(r'^[0-9a-fA-F]{32}$|^[0-9a-fA-F-]{36}$')


def project_named(projects_by_id, name):
    """The id of the project called `name` (case-insensitive), or named by its id (also
    one Keystone no longer has: its instances outlive it), or None."""
    wanted = name.strip().lower()
    found = next((pid for pid, p in projects_by_id.items()
                  if (getattr(p, 'name', '') or '').lower() == wanted), None)
    if found is None and (wanted in projects_by_id or _PROJECT_ID.match(wanted)):
        return wanted
    return found


def join(instances, flavors, projects_by_id):
    """Attach `full_flavor`, `project` and `shown_status` to each instance."""
    instance_data.join(instances, flavors, _NO_CAPABILITIES)
    for instance in instances:
        tenant = getattr(instance, 'tenant_id', None)
        instance.project = projects_by_id.get(tenant) or types.SimpleNamespace(
            id=tenant, name=tenant)
        instance.shown_status = DELETED if getattr(instance, 'deleted', False) \
            else instance.status
    return instances


class _NoCapabilities:
    """The operator's actions need no capabilities: no datastore list is spent on them."""

    @staticmethod
    def capabilities_of(instance):
        return frozenset()


_NO_CAPABILITIES = _NoCapabilities()


def load(request, instance_id):
    """One instance as a row shows it: one API call for it, one for its flavor, and one
    Keystone call for its project."""
    instance = admin_instances.instance_get(request, instance_id)
    try:
        flavors = [trove.flavor_get(request, instance_data.flavor_id_of(instance))]
    except dash_exceptions.NOT_FOUND:
        flavors = []    # an operator deleted the flavor; the row still shows
    return join([instance], flavors, project_of(request, instance))


def project_of(request, instance):
    """{id: project} for the instance's project alone (one Keystone call, or none when
    Keystone refuses: the id is shown instead)."""
    tenant = getattr(instance, 'tenant_id', None)
    try:
        return {tenant: keystone.tenant_get(request, tenant, admin=True)}
    except Exception:
        return {}
