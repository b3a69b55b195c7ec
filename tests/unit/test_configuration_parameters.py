"""Configuration parameters per datastore version through the API: shapes, lookups, 404s."""
import json
import os

import pytest

from api_service.common import policy
from api_service.guestagent.datastore import parameter_catalogue

PG15 = '/datastores/postgresql/versions/15/parameters'
PG18 = '/datastores/postgresql/versions/18/parameters'


def _version_id(client, datastore, version):
    return client.get('/datastores/%s/versions/%s' % (datastore, version)).json_body_or_none[
        'version']['id']


def _by_name(client, path):
    body = client.get(path).json_body_or_none
    return {p['name']: p for p in body['configuration-parameters']}


def test_list_by_names_in_trove_shape(client, catalogue):
    found = _by_name(client, '/datastores/mariadb/versions/10.11/parameters')
    version_id = _version_id(client, 'mariadb', '10.11')
    assert {'innodb_buffer_pool_size', 'max_connections', 'wait_timeout'} <= set(found)
    assert found['max_connections'] == {
        'name': 'max_connections', 'type': 'integer', 'restart_required': False,
        'min': 10, 'max': 100000, 'datastore_version_id': version_id}
    # Strings and booleans carry no range, as in Trove's view.
    assert set(found['sql_mode']) == {'name', 'type', 'restart_required', 'datastore_version_id'}
    assert found['slow_query_log']['type'] == 'boolean'
    assert list(found) == sorted(found)


def test_list_and_show_by_version_id_match_by_names(client, catalogue):
    version_id = _version_id(client, 'postgresql', '15')
    by_id = _by_name(client, '/datastores/versions/%s/parameters' % version_id)
    assert by_id == _by_name(client, PG15)
    shown = client.get('/datastores/versions/%s/parameters/shared_buffers' % version_id)
    assert shown.status_code == 200
    assert shown.json_body_or_none == by_id['shared_buffers']
    assert shown.json_body_or_none == client.get(PG15 + '/shared_buffers').json_body_or_none
    assert by_id['shared_buffers']['restart_required'] is True
    assert by_id['shared_buffers']['unit'] == '8kB'
    assert by_id['work_mem']['restart_required'] is False


def test_postgresql_15_and_18_differ_as_the_engines_do(client, catalogue):
    pg15, pg18 = _by_name(client, PG15), _by_name(client, PG18)
    assert 'io_method' not in pg15 and pg18['io_method']['restart_required'] is True
    assert pg15['autovacuum_max_workers']['restart_required'] is True
    assert pg18['autovacuum_max_workers']['restart_required'] is False
    assert (pg15['log_connections']['type'], pg18['log_connections']['type']) == (
        'boolean', 'string')
    assert pg15['work_mem']['datastore_version_id'] != pg18['work_mem']['datastore_version_id']


def test_redis_version_found_by_its_version_number(client, catalogue):
    catalogue.upsert_datastore_version('redis', '7.0', '7.0.15', 'redis', '/usr/bin')
    found = _by_name(client, '/datastores/redis/versions/7.0/parameters')
    assert found['maxmemory']['unit'] == 'B' and found['maxmemory']['min'] == 0
    assert found['maxmemory-policy']['type'] == 'string'
    assert found['databases']['restart_required'] is True


@pytest.mark.parametrize('path', [
    '/datastores/postgresql/versions/9.6/parameters',
    '/datastores/mongodb/versions/4/parameters',
    '/datastores/versions/00000000-0000-0000-0000-000000000000/parameters',
    '/datastores/versions/not-a-uuid/parameters/work_mem',
    PG15 + '/no_such_parameter',
    PG15 + '/io_method',
])
def test_unknown_version_or_parameter_is_404_in_trove_envelope(client, catalogue, path):
    resp = client.get(path)
    assert resp.status_code == 404
    assert resp.json_body_or_none['itemNotFound']['code'] == 404


def test_version_without_rule_file_has_no_parameters(client, catalogue):
    catalogue.upsert_datastore_version('mariadb', '10.6', '10.6.1', 'mariadb', '/usr/sbin')
    assert _by_name(client, '/datastores/mariadb/versions/10.6/parameters') == {}


def test_policy_can_refuse_the_parameters(client, catalogue, tmp_path):
    (tmp_path / 'policy.yaml').write_text('"configuration-parameter:index": "rule:admin"\n')
    policy.reset()
    resp = client.get(PG15)
    assert resp.status_code == 403
    assert 'configuration-parameter:index' in resp.json_body_or_none['forbidden']['message']
    assert client.get(PG15, roles='admin').status_code == 200
    assert client.get(PG15 + '/work_mem').status_code == 200


def test_every_rule_file_is_well_formed():
    names = sorted(os.listdir(parameter_catalogue.RULES_DIR))
    assert names == ['mariadb-10.11.json', 'postgresql-15.json', 'postgresql-18.json',
                     'redis-7.0.json']
    for name in names:
        with open(os.path.join(parameter_catalogue.RULES_DIR, name)) as source:
            rules = json.load(source)
        assert 20 <= len(rules) <= 50, name
        assert len({r['name'] for r in rules}) == len(rules), name
        for rule in rules:
            assert rule['type'] in ('integer', 'float', 'string', 'boolean'), rule
            assert isinstance(rule['restart_required'], bool), rule
            numeric = rule['type'] in ('integer', 'float')
            assert numeric == ('min' in rule and 'max' in rule), rule
            if numeric:
                assert rule['min'] <= rule['max'], rule
