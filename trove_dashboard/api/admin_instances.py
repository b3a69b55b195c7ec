"""The operator's instance calls (Trove's mgmt extension), as the logged-in admin.

Each function is exactly one API call, as in trove.py, so a view's cost in calls is
the number of these (and of trove.py's) it makes.
"""
from horizon.utils import functions as horizon_utils

from trove_dashboard.api import trove

MGMT = '/mgmt/instances'


def _flag(value):
    # The API reads true/false; troveclient would send Python's True/False.
    return 'true' if value else 'false'


def instance_list(request, marker=None, project_id=None, status=None, deleted=False):
    """One page of every project's instances (or one project's, or one status's), live or
    deleted, and the marker of the next page or None."""
    filters = {key: value for key, value in (('project_id', project_id), ('status', status))
               if value}
    page = trove.troveclient(request).mgmt_instances.list(
        limit=horizon_utils.get_page_size(request), marker=marker, deleted=_flag(deleted),
        **filters)
    return list(page), page.next


def instance_get(request, instance_id):
    """Any instance, live or deleted, with its fault (and the fault's details)."""
    return trove.troveclient(request).mgmt_instances._get(
        '%s/%s?deleted=true' % (MGMT, instance_id), 'instance')


def instance_ping(request, instance_id):
    """Whether the guest answers: nothing, or the API's 400 saying it did not."""
    trove.troveclient(request).client.get('%s/%s/rpc_ping' % (MGMT, instance_id))


def instance_events(request, instance_id):
    """Extension: every step of every operation on any instance, a deleted one's too."""
    body = trove.extension_get(request, '%s/%s/events' % (MGMT, instance_id))
    return trove._records(body['events'])


def instance_hwinfo(request, instance_id):
    """{mem_total (kB), num_cpus}."""
    return trove.extension_get(request, '%s/%s/hwinfo' % (MGMT, instance_id))['hwinfo']


def instance_diagnostics(request, instance_id):
    """Trove's diagnostics keys plus volume use, heartbeat and flavor figures."""
    path = '%s/%s/diagnostics' % (MGMT, instance_id)
    return trove.extension_get(request, path)['diagnostics']


def instance_stop(request, instance_id):
    trove.troveclient(request).mgmt_instances.stop(instance_id)


def instance_reboot(request, instance_id):
    trove.troveclient(request).mgmt_instances.reboot(instance_id)


def instance_reset_status(request, instance_id):
    """ERROR with a fault saying an administrator reset it."""
    trove.troveclient(request).mgmt_instances.reset_task_status(instance_id)
