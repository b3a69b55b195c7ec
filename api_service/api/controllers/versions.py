"""GET /: the versions document (public)."""
from api_service.api.wsgi import Resource, route

UPDATED = '2012-08-01T00:00:00Z'


class Versions(Resource):

    @route('GET', '/', summary='API versions', auth=False)
    def index(self, req):
        return {'versions': [{
            'id': 'v1.0', 'status': 'CURRENT', 'updated': UPDATED,
            'links': [{'rel': 'self', 'href': req.host_url + '/v1.0/'}]}]}
