"""Extension: the networks instances may attach to, for `nics` and the launch dialog
(docs/api-extensions.md)."""
from api_service.api import views
from api_service.api.wsgi import Resource, route
from api_service.common import policy
from api_service.domain import networks


class Networks(Resource):

    @route('GET', '/networks', summary='List networks (extension)', response_key='networks')
    def index(self, req):
        policy.enforce(req.ctx, 'network:index')
        return {'networks': [views.network(n) for n in networks.list_networks()]}
