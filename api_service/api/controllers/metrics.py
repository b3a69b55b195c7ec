"""An instance's recent metrics (extension): the samples its heartbeats left in its ring."""
import datetime
import math

from api_service.api import json_guard
from api_service.api.wsgi import Resource, route
from api_service.common import exceptions
from api_service.common import policy
from api_service.db import models
from api_service.domain import metrics

# ISO 8601 or seconds since 1970: parse_since reads it and says in words what it wants.
QUERY = {'since': {'type': 'string', 'maxLength': 64}}
FIGURES = ('cpu_percent', 'memory_bytes', 'connections', 'queries_per_second',
           'volume_used_bytes')


def parse_since(text, now):
    """`since` of a request: ISO 8601 (a time without a zone is UTC) or seconds since
    1970, as naive UTC; None when not given."""
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None and math.isfinite(seconds) and abs(seconds) < 1e11:
        return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).replace(
            tzinfo=None)
    try:
        when = datetime.datetime.fromisoformat(text.replace('Z', '+00:00').replace('z', '+00:00'))
        # Year 1 east of UTC is before the first time there is.
        return when.astimezone(datetime.timezone.utc).replace(tzinfo=None) \
            if when.tzinfo is not None else when
    except (ValueError, OverflowError):
        raise exceptions.BadRequest(
            "'since' must be a time, in ISO 8601 (e.g. %s) or in seconds since 1970; it is "
            "'%s'." % (now.strftime('%Y-%m-%dT%H:%M:%SZ'), json_guard.printable(text, 64)))


def sample(row):
    """One sample: its time (UTC) and each figure, None where the guest could not read it."""
    view = {'time': row.sampled_at.strftime('%Y-%m-%dT%H:%M:%SZ')}
    view.update((name, getattr(row, name)) for name in FIGURES)
    return view


class InstanceMetrics(Resource):

    @route('GET', '/instances/{instance_id}/metrics', query=QUERY, response_key='metrics',
           summary="An instance's metrics of the last 24 hours, newer than `since` "
                   '(extension)')
    def show(self, req, instance_id):
        now = models.utcnow()
        found = metrics.recent(req.ctx, instance_id,
                               parse_since(req.query.get('since'), now), now)
        policy.enforce(req.ctx, 'instance:extension:metrics:show',
                       {'tenant': found.project_id, 'project_id': found.project_id})
        return {'metrics': {'interval': metrics.interval(),
                            'samples': [sample(row) for row in found.rows]}}
