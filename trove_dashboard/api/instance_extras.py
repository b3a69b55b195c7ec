"""API calls of the instance pages that trove.py does not hold: whether root is enabled, and
running a backup schedule now (our extension). Each function is exactly one API call."""
from trove_dashboard.api import trove


def root_enabled(request, instance_id):
    """Whether the instance's root user is enabled (GET /root, asked of its guest)."""
    return bool(getattr(trove.troveclient(request).root.is_root_enabled(instance_id),
                        'rootEnabled', False))


def schedule_run(request, instance_id, schedule_id):
    """Extension: the schedule's next run is now (the scheduler starts it within seconds);
    refused with 409 in words while the schedule is disabled."""
    trove.troveclient(request).client.post(
        '/instances/%s/schedules/%s/run' % (instance_id, schedule_id), body={})
