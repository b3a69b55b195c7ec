"""The limit/marker query parameters every list endpoint takes."""
from api_service.common.config import CONF

QUERY = {'limit': {'type': 'integer', 'minimum': 1},
         'marker': {'type': 'string', 'maxLength': 255}}


def params(req):
    limit = req.query_int('limit', CONF.api.default_page_size, minimum=1)
    return min(limit, CONF.api.max_page_size), req.GET.get('marker') or None
