"""An instance's metrics (the API's extension GET /instances/{id}/metrics): one call."""
from urllib import parse

from trove_dashboard.api import trove


def instance_metrics(request, instance_id, since=None):
    """{'interval': seconds per sample, 'samples': [{'time', 'cpu_percent', 'memory_bytes',
    'connections', 'queries_per_second', 'volume_used_bytes'}, ...]}, oldest first: the
    last 24 hours', or those newer than `since` (ISO 8601, as a sample's time)."""
    path = '/instances/%s/metrics' % parse.quote(instance_id, safe='')
    if since:
        path += '?' + parse.urlencode({'since': since})
    _resp, body = trove.troveclient(request).client.get(path)
    return body['metrics']
