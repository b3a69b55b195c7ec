"""/mgmt/quotas/{project_id}: show a project's quotas, and (admins) change them."""
from api_service.api import schemas
from api_service.api.wsgi import Resource, route
from api_service.common import policy
from api_service.domain import quotas


class Quotas(Resource):

    @route('GET', '/mgmt/quotas/{project_id_of_quota}', summary="Show a project's quotas",
           response_key='quotas')
    def show(self, req, project_id_of_quota):
        policy.enforce(req.ctx, 'quota:show', {'project_id': project_id_of_quota})
        return {'quotas': quotas.show(project_id_of_quota)}

    @route('PUT', '/mgmt/quotas/{project_id_of_quota}', schema=schemas.quota_update,
           summary="Change a project's quotas", response_key='quotas')
    def update(self, req, project_id_of_quota):
        policy.enforce(req.ctx, 'quota:update', {'project_id': project_id_of_quota})
        return {'quotas': quotas.update(project_id_of_quota, req.body_json['quotas'])}
