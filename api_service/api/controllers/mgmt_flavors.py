"""/mgmt/flavors and /mgmt/volume-types: operators define database flavors and volume
types through the API, not only dbaas-manage. Admins only."""
from api_service.api import schemas
from api_service.api import views
from api_service.api.wsgi import Resource, route
from api_service.common import policy
from api_service.domain import catalogue_admin


def _flavor_spec(body):
    """troveclient's MgmtFlavors shape (Nova's: flavor_id, vcpu) or ours (id, vcpus)."""
    spec = dict(body)
    spec.setdefault('id', spec.pop('flavor_id', None))
    spec.setdefault('vcpus', spec.pop('vcpu', 1))
    return spec


class MgmtFlavors(Resource):

    @route('POST', '/mgmt/flavors', schema=schemas.flavor_create,
           summary='Create a flavor (admin)', response_key='flavor')
    def create(self, req):
        policy.enforce(req.ctx, 'flavor:create')
        flavor = catalogue_admin.create_flavor(_flavor_spec(req.body_json['flavor']))
        return {'flavor': views.flavor(req, flavor)}

    @route('PATCH', '/mgmt/flavors/{flavor_id}', schema=schemas.flavor_update,
           summary='Change a flavor (admin)', response_key='flavor')
    def update(self, req, flavor_id):
        policy.enforce(req.ctx, 'flavor:update')
        flavor = catalogue_admin.update_flavor(flavor_id, req.body_json['flavor'])
        return {'flavor': views.flavor(req, flavor)}

    @route('DELETE', '/mgmt/flavors/{flavor_id}', status=204,
           summary='Delete a flavor no instance uses (admin)')
    def delete(self, req, flavor_id):
        policy.enforce(req.ctx, 'flavor:delete')
        catalogue_admin.delete_flavor(flavor_id)
        return None


class MgmtVolumeTypes(Resource):

    # GET /volume-types shows tenants the public ones; operators need every one, with the
    # directory its volumes live under. Whoever may create a volume type may list them all.
    @route('GET', '/mgmt/volume-types', response_key='volume_types',
           summary='List every volume type, private ones too (admin)')
    def index(self, req):
        policy.enforce(req.ctx, 'volume_type:create')
        return {'volume_types': [views.mgmt_volume_type(vt)
                                 for vt in catalogue_admin.list_volume_types()]}

    @route('POST', '/mgmt/volume-types', schema=schemas.volume_type_create,
           summary='Create a volume type (admin)', response_key='volume_type')
    def create(self, req):
        policy.enforce(req.ctx, 'volume_type:create')
        vt = catalogue_admin.create_volume_type(req.body_json['volume_type'])
        return {'volume_type': views.mgmt_volume_type(vt)}

    @route('PATCH', '/mgmt/volume-types/{volume_type}', schema=schemas.volume_type_update,
           summary='Change a volume type (admin)', response_key='volume_type')
    def update(self, req, volume_type):
        policy.enforce(req.ctx, 'volume_type:update')
        vt = catalogue_admin.update_volume_type(volume_type, req.body_json['volume_type'])
        return {'volume_type': views.mgmt_volume_type(vt)}

    @route('DELETE', '/mgmt/volume-types/{volume_type}', status=204,
           summary='Delete a volume type no instance uses (admin)')
    def delete(self, req, volume_type):
        policy.enforce(req.ctx, 'volume_type:delete')
        catalogue_admin.delete_volume_type(volume_type)
        return None
