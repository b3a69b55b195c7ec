"""/mgmt/quotas: every project's quotas (admins); a project's, shown and (admins) changed."""
from api_service.api import schemas
from api_service.api.controllers import paging
from api_service.api.wsgi import Resource, paginated_links, route
from api_service.common import policy
from api_service.domain import quotas


class Quotas(Resource):

    @route('GET', '/mgmt/quotas', summary="Every project's quotas and usage, with the "
           "defaults (admin; extension)", response_key='projects', query=paging.QUERY)
    def index(self, req):
        policy.enforce(req.ctx, 'quota:index')
        limit, marker = paging.params(req)
        projects, next_marker = quotas.index_page(limit, marker)
        return {'projects': projects, 'defaults': quotas.defaults_view(),
                'links': paginated_links(req, 'mgmt/quotas', next_marker)}

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
