"""Replica sets: promote, eject and detach (troveclient's instances manager), and the
API's extensions that describe a set (GET /instances/{id}/replication) and its switchovers
(GET /instances/{id}/switchovers).

Each function is exactly one API call, as in trove.py, so a view's cost in calls is the
number of these it makes.
"""
import types
from urllib import parse

from trove_dashboard.api import trove

# A set's switchover reports are read in one page this size (the tab has no paging).
SWITCHOVERS_LIMIT = 100


def _path(instance_id, what):
    return '/instances/%s/%s' % (parse.quote(instance_id, safe=''), what)


def promote(request, replica_id):
    """The replica becomes its set's source; the old source and the other replicas follow
    it. 202: the replica goes PROMOTE."""
    trove.troveclient(request).instances.promote_to_replica_source(replica_id)


def eject(request, source_id):
    """The source (which no longer answers) leaves its set; its most advanced replica
    becomes the source. 202: the source goes EJECT."""
    trove.troveclient(request).instances.eject_replica_source(source_id)


def detach(request, replica_id):
    """The replica stops following its source and becomes a standalone instance (a PUT
    with replica_of null: troveclient's Instance.detach_replica() is broken upstream)."""
    trove.troveclient(request).instances.update(replica_id, detach_replica_source=True)


def replica_set(request, instance_id):
    """The set the instance belongs to, or None for a standalone instance:
    {'source': {id, name, status}, 'members': [{id, name, role, status, lag_seconds,
    healthy}]}. The API asks every member's guest with a short timeout; a member that
    did not answer has lag_seconds and healthy None."""
    _resp, body = trove.troveclient(request).client.get(_path(instance_id, 'replication'))
    return body.get('replication')


def switchovers(request, instance_id):
    """The promote and eject reports of the instance's set, newest first (up to
    SWITCHOVERS_LIMIT), each a namespace of the API's fields."""
    path = '%s?%s' % (_path(instance_id, 'switchovers'),
                      parse.urlencode({'limit': SWITCHOVERS_LIMIT}))
    _resp, body = trove.troveclient(request).client.get(path)
    return [types.SimpleNamespace(**report) for report in body.get('switchovers', [])]
