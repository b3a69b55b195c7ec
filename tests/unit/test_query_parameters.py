"""Query strings are checked with the same schemas as bodies: a 400 names the parameter."""
import uuid

import jsonschema

from tests.unit.test_api_errors import fault_of


def test_a_boolean_parameter_refuses_words_it_does_not_know(client, catalogue):
    # Before, ?delete_chain=yes silently meant "false".
    resp = client.request('DELETE', '/backups/%s?delete_chain=yes' % uuid.uuid4())
    assert resp.status_code == 400
    assert fault_of(resp) == ('badRequest', "Query parameter 'delete_chain' must be true or "
                                            "false, not 'yes'.")
    resp = client.get('/backups?all_projects=everything')
    assert resp.status_code == 400 and "'all_projects'" in fault_of(resp)[1]


def test_booleans_read_as_python_troveclient_writes_them(client, catalogue):
    for word in ('True', 'False', 'true', '0'):
        resp = client.get('/instances?include_clustered=%s' % word)
        assert resp.status_code == 200, word
    resp = client.get('/instances?include_clustered=maybe')
    assert resp.status_code == 400 and "'include_clustered'" in fault_of(resp)[1]


def test_integers_and_lengths_are_checked_and_name_the_parameter(client, catalogue):
    resp = client.get('/instances?limit=ten')
    assert fault_of(resp)[1] == "Query parameter 'limit' must be a whole number, not 'ten'."
    resp = client.get('/instances?limit=0')
    assert fault_of(resp)[1] == "Query parameter 'limit' must be at least 1, not 0."
    resp = client.get('/backups?instance_id=%s' % ('x' * 40))
    assert resp.status_code == 400
    assert fault_of(resp)[1] == ("Query parameter 'instance_id' is too long (at most 36 "
                                 "characters; 40 sent).")


def test_empty_and_undeclared_parameters_are_ignored_as_trove_does(client, catalogue):
    assert client.get('/instances?limit=&marker=').status_code == 200
    assert client.get('/instances?sort=name').status_code == 200


def test_validators_are_built_once_per_route_not_per_request(client, catalogue, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError('a validator was built while serving a request')
    monkeypatch.setattr(jsonschema, 'Draft7Validator', refuse)
    assert client.get('/instances?limit=5').status_code == 200
    resp = client.request('POST', '/instances', body={'instance': {}})
    assert resp.status_code == 400 and 'name' in fault_of(resp)[1]
