"""The operator's quota calls (`/mgmt/quotas`), as the logged-in admin.

Each function is exactly one API call, as in trove.py, so a view's cost in calls is the
number of these it makes.
"""
import types
import urllib.parse

from horizon.utils import functions as horizon_utils

from trove_dashboard.api import trove


def _resources(items):
    return [types.SimpleNamespace(**item) for item in items]


def quota_index(request, marker=None):
    """One page of the projects with usage or overrides (by project id), the defaults
    for the others, and the marker of the next page or None:
    ({project_id: [resource…]}, [default…], next_marker)."""
    query = {'limit': horizon_utils.get_page_size(request)}
    if marker:
        query['marker'] = marker
    body = trove.extension_get(request, '/mgmt/quotas?' + urllib.parse.urlencode(query))
    projects = {p['project_id']: _resources(p['quotas']) for p in body['projects']}
    next_marker = next((urllib.parse.parse_qs(urllib.parse.urlsplit(link['href']).query)
                        .get('marker', [None])[0] for link in body.get('links') or []
                        if link.get('rel') == 'next'), None)
    return projects, _resources(body['defaults']), next_marker


def quota_show(request, project_id):
    """The project's resources, each with limit, in_use and reserved."""
    return trove.troveclient(request).quota.show(project_id)


def quota_update(request, project_id, limits):
    """Set the given {resource: limit}; returns what the API set."""
    return trove.troveclient(request).quota.update(project_id, limits)
