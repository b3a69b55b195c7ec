"""GET /openapi.json: the OpenAPI document, generated from the routes and their schemas."""
from api_service.api import openapi
from api_service.api.wsgi import Resource, route


class OpenAPI(Resource):

    @route('GET', '/openapi.json', summary='This OpenAPI document', auth=False)
    def document(self, req):
        from api_service.api.controllers import registry
        from api_service.api.app import PROJECT_PREFIX
        return openapi.document(registry.all_routes(PROJECT_PREFIX), req.host_url)
