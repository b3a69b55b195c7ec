"""Flavors and volume types, as the compute driver defines them."""
from api_service.api import views
from api_service.api.wsgi import Resource, route
from api_service.common import policy
from api_service.domain import catalogue


class Flavors(Resource):

    @route('GET', '/flavors', summary='List flavors', response_key='flavors')
    def index(self, req):
        policy.enforce(req.ctx, 'flavor:index')
        return {'flavors': [views.flavor(req, f) for f in catalogue.flavors()]}

    @route('GET', '/flavors/{flavor_id}', summary='Show a flavor', response_key='flavor')
    def show(self, req, flavor_id):
        policy.enforce(req.ctx, 'flavor:show')
        return {'flavor': views.flavor(req, catalogue.flavor(flavor_id))}


class VolumeTypes(Resource):

    @route('GET', '/volume-types', summary='List volume types', response_key='volume_types')
    def index(self, req):
        policy.enforce(req.ctx, 'volume_type:index')
        return {'volume_types': [views.volume_type(vt) for vt in catalogue.volume_types()]}

    @route('GET', '/volume-types/{volume_type_id}', summary='Show a volume type',
           response_key='volume_type')
    def show(self, req, volume_type_id):
        policy.enforce(req.ctx, 'volume_type:show')
        return {'volume_type': views.volume_type(catalogue.volume_type(volume_type_id))}
