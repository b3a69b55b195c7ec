"""GET /limits: the project's absolute limits, in Trove's shape."""
from api_service.api.wsgi import Resource, route
from api_service.common import policy
from api_service.common.config import CONF
from api_service.domain import quotas


class Limits(Resource):

    @route('GET', '/limits', summary="The project's limits", response_key='limits')
    def index(self, req):
        policy.enforce(req.ctx, 'limits:index')
        absolute = {'verb': 'ABSOLUTE'}
        for item in quotas.show(req.ctx.project_id):
            absolute['max_' + item['resource']] = item['limit']
            # Extension: what the project uses, so a client can say why a create is refused.
            absolute['in_use_' + item['resource']] = item['in_use']
        # Extension: the largest volume a create or resize may ask for (GB), so a client
        # can show the range before it is refused.
        absolute['max_volume_size'] = CONF.instance.max_volume_size
        return {'limits': [absolute]}
