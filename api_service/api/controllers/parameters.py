"""Configuration parameters of a datastore version: read by version id or by names, and
changed by operators under /mgmt."""
from api_service.api import schemas
from api_service.api import views
from api_service.api.wsgi import Resource, route
from api_service.common import policy
from api_service.domain import parameters

VERSION = '/datastores/{datastore}/versions/{version}'
BY_ID = '/datastores/versions/{version_id}'


class ConfigurationParameters(Resource):

    @route('GET', VERSION + '/parameters', summary="List a version's configuration parameters",
           response_key='configuration-parameters')
    def index(self, req, datastore, version):
        policy.enforce(req.ctx, 'configuration-parameter:index')
        found = parameters.parameters_by_name(datastore, version)
        return {'configuration-parameters': [views.configuration_parameter(p) for p in found]}

    @route('GET', VERSION + '/parameters/{name}', summary='Show a configuration parameter')
    def show(self, req, datastore, version, name):
        policy.enforce(req.ctx, 'configuration-parameter:show')
        return views.configuration_parameter(parameters.parameter_by_name(datastore, version, name))

    @route('GET', BY_ID + '/parameters', summary="List a version's configuration parameters "
           'by version id', response_key='configuration-parameters')
    def index_by_version(self, req, version_id):
        policy.enforce(req.ctx, 'configuration-parameter:index_by_version')
        found = parameters.parameters_by_version_id(version_id)
        return {'configuration-parameters': [views.configuration_parameter(p) for p in found]}

    @route('GET', BY_ID + '/parameters/{name}',
           summary='Show a configuration parameter by version id')
    def show_by_version(self, req, version_id, name):
        policy.enforce(req.ctx, 'configuration-parameter:show_by_version')
        return views.configuration_parameter(parameters.parameter_by_version_id(version_id, name))


MGMT = '/mgmt/datastores/versions/{version_id}/parameters'


class MgmtConfigurationParameters(Resource):
    """An operator's parameters of a version (upstream's mgmt parameters, admins only)."""

    @route('GET', MGMT, summary="List a version's configuration parameters (admin)",
           response_key='configuration-parameters')
    def index(self, req, version_id):
        policy.enforce(req.ctx, 'configuration-parameter:mgmt_index')
        found = parameters.parameters_by_version_id(version_id)
        return {'configuration-parameters': [views.mgmt_configuration_parameter(p)
                                             for p in found]}

    @route('GET', MGMT + '/{name}', summary='Show a configuration parameter (admin)')
    def show(self, req, version_id, name):
        policy.enforce(req.ctx, 'configuration-parameter:mgmt_show')
        return views.mgmt_configuration_parameter(
            parameters.parameter_by_version_id(version_id, name))

    @route('POST', MGMT, schema=schemas.configuration_parameter,
           summary='Create a configuration parameter (admin)')
    def create(self, req, version_id):
        policy.enforce(req.ctx, 'configuration-parameter:create')
        return views.mgmt_configuration_parameter(
            parameters.create(version_id, req.body_json['configuration-parameter']))

    @route('PUT', MGMT + '/{name}', schema=schemas.configuration_parameter,
           summary='Change a configuration parameter (admin)')
    def update(self, req, version_id, name):
        policy.enforce(req.ctx, 'configuration-parameter:update')
        return views.mgmt_configuration_parameter(
            parameters.update(version_id, name, req.body_json['configuration-parameter']))

    @route('DELETE', MGMT + '/{name}', status=204,
           summary='Delete a configuration parameter (admin; groups keep their values)')
    def delete(self, req, version_id, name):
        policy.enforce(req.ctx, 'configuration-parameter:delete')
        parameters.delete(version_id, name)
        return None
