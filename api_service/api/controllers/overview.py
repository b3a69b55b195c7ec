"""Extension: GET /overview, the project's databases at a glance (docs/api-extensions.md)."""
from api_service.api import overview_views
from api_service.api.wsgi import Resource, route
from api_service.common import policy
from api_service.domain import overview


class Overview(Resource):

    @route('GET', '/overview', summary="The project's instances, storage, backups, backups "
           'due next and latest faults, counted', response_key='overview')
    def show(self, req):
        policy.enforce(req.ctx, 'overview:show')
        return overview_views.overview(overview.summary(req.ctx.project_id))
