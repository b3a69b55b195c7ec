"""The router: Werkzeug's rule map behind Trove's envelopes, with what the old scan allowed."""
from api_service.api import app, wsgi
from tests.unit.test_api_errors import fault_of


def test_a_trailing_slash_and_head_reach_the_same_handler(client, catalogue):
    assert client.get('/flavors/').status_code == 200
    assert client.request('HEAD', '/flavors').status_code == 200


def test_unknown_paths_are_404_and_wrong_methods_405_naming_the_allowed_ones(client, catalogue):
    resp = client.get('/no-such-collection')
    assert resp.status_code == 404 and fault_of(resp)[0] == 'itemNotFound'
    resp = client.request('PATCH', '/flavors')
    assert resp.status_code == 405
    assert fault_of(resp)[1].endswith('use GET.')


def test_parameters_come_back_by_name_and_the_route_by_identity():
    routes = [wsgi.Route('GET', '/v1.0/{project_id}/things/{thing_id}', None),
              wsgi.Route('DELETE', '/v1.0/{project_id}/things/{thing_id}', None),
              wsgi.Route('GET', '/v1.0/{project_id}/things/{thing_id}/parts', None)]
    router = app.Router(routes)
    found, params = router.match('DELETE', '/v1.0/p1/things/t%2F1')
    assert found is routes[1] and params == {'project_id': 'p1', 'thing_id': 't%2F1'}
    found, params = router.match('GET', '/v1.0/p1/things/t1/parts')
    assert found is routes[2] and params == {'project_id': 'p1', 'thing_id': 't1'}
