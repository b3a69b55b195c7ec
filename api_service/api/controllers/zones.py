"""Extension: availability zones and regions, for the launch dialog (docs/api-extensions.md)."""
from api_service.api import views
from api_service.api.wsgi import Resource, route
from api_service.common import policy
from api_service.common.config import CONF
from api_service.domain import catalogue


class Zones(Resource):

    @route('GET', '/availability-zones', summary='List availability zones (extension)',
           response_key='availability_zones')
    def index(self, req):
        policy.enforce(req.ctx, 'availability_zone:index')
        return {'availability_zones': [views.availability_zone(z)
                                       for z in catalogue.availability_zones()]}

    @route('GET', '/regions', summary='List regions (extension)', response_key='regions')
    def regions(self, req):
        policy.enforce(req.ctx, 'region:index')
        return {'regions': [{'name': CONF.api.region_name, 'current': True}]}
