"""The limit/marker query parameters every list endpoint takes."""
from api_service.api import schemas
from api_service.common.config import CONF

QUERY = {'limit': {'type': 'integer', 'minimum': 1},
         'marker': schemas.identifier(255, min_length=0)}


def params(req):
    """(limit, marker) from the route's validated query (routes declare QUERY)."""
    limit = req.query.get('limit', CONF.api.default_page_size)
    return min(limit, CONF.api.max_page_size), req.query.get('marker')
