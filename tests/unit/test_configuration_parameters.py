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


# -- the rows: seeded once, then the operator's -------------------------------------

MGMT = '/mgmt/datastores/versions/%s/parameters'


def _mgmt(client, method, version_id, name='', body=None, roles='admin'):
    path = MGMT % version_id + ('/' + name if name else '')
    return client.request(method, path, body=body, roles=roles)


def _param(name, data_type='integer', **extra):
    return {'configuration-parameter': dict({'name': name, 'data_type': data_type,
                                             'restart_required': 0}, **extra)}


def test_admin_parameter_crud_is_served_by_the_public_endpoints(client, catalogue):
    version_id = _version_id(client, 'mariadb', '10.11')
    listed = _mgmt(client, 'GET', version_id).json_body_or_none['configuration-parameters']
    assert {p['name'] for p in listed} == set(_by_name(
        client, '/datastores/mariadb/versions/10.11/parameters'))
    shown = _mgmt(client, 'GET', version_id, 'max_connections').json_body_or_none
    assert shown == {'name': 'max_connections', 'type': 'integer', 'restart_required': False,
                     'min_size': 10, 'max_size': 100000, 'datastore_version_id': version_id}
    resp = _mgmt(client, 'POST', version_id, body=_param(
        'optimizer_search_depth', min_size=0, max_size='62', restart_required=1))
    assert resp.status_code == 200, resp.body
    assert resp.json_body_or_none == {
        'name': 'optimizer_search_depth', 'type': 'integer', 'restart_required': True,
        'min_size': 0, 'max_size': 62, 'datastore_version_id': version_id}
    public = client.get('/datastores/versions/%s/parameters/optimizer_search_depth'
                        % version_id).json_body_or_none
    assert (public['min'], public['max'], public['restart_required']) == (0, 62, True)
    resp = _mgmt(client, 'POST', version_id, body=_param('optimizer_search_depth',
                                                         min_size=0, max_size=1))
    assert resp.status_code == 409
    resp = _mgmt(client, 'PUT', version_id, 'max_connections',
                 body=_param('max_connections', min_size=10, max_size=500, restart_required=True))
    assert resp.status_code == 200, resp.body
    assert client.get(PG15.replace('postgresql/versions/15', 'mariadb/versions/10.11')
                      + '/max_connections').json_body_or_none['max'] == 500
    resp = client.request('POST', '/configurations', body={'configuration': {
        'name': 'g', 'values': {'max_connections': 600},
        'datastore': {'type': 'mariadb', 'version': '10.11'}}})
    assert resp.status_code == 400 and 'between 10 and 500' in resp.json_body_or_none[
        'badRequest']['message']
    assert _mgmt(client, 'DELETE', version_id, 'max_connections').status_code == 204
    assert client.get('/datastores/mariadb/versions/10.11/parameters/max_connections'
                      ).status_code == 404
    assert _mgmt(client, 'DELETE', version_id, 'max_connections').status_code == 404


def test_a_deleted_parameter_stays_deleted_when_the_version_is_registered_again(
        client, catalogue):
    version_id = _version_id(client, 'postgresql', '15')
    assert _mgmt(client, 'DELETE', version_id, 'work_mem').status_code == 204
    catalogue.upsert_datastore_version('postgresql', '15', '15.18', 'postgresql', '/pg15')
    assert 'work_mem' not in _by_name(client, PG15)
    assert 'shared_buffers' in _by_name(client, PG15)
    # An operator may bring it back.
    resp = _mgmt(client, 'POST', version_id, body=_param('work_mem', min_size=64,
                                                         max_size=1048576, unit='kB'))
    assert resp.status_code == 200, resp.body
    assert _by_name(client, PG15)['work_mem']['unit'] == 'kB'


@pytest.mark.parametrize('datastore, version, name', [
    ('mariadb', '10.11', 'port'), ('mariadb', '10.11', 'bind-address'),
    ('mariadb', '10.11', 'datadir'), ('mariadb', '10.11', 'socket'),
    ('mariadb', '10.11', 'pid_file'), ('mariadb', '10.11', 'log_bin'),
    ('mariadb', '10.11', 'server_id'), ('postgresql', '15', 'listen_addresses'),
    ('postgresql', '15', 'hba_file'), ('postgresql', '15', 'archive_command'),
    ('postgresql', '15', 'include'), ('postgresql', '15', 'data_directory'),
    ('redis', '7.0', 'dir'), ('redis', '7.0', 'requirepass'), ('redis', '7.0', 'masterauth'),
    ('redis', '7.0', 'rename-command'), ('redis', '7.0', 'replicaof'),
    ('redis', '7.0', 'unixsocket'), ('redis', '7.0', 'user'),
])
def test_names_the_guest_controls_are_refused_even_to_admins(client, catalogue, datastore,
                                                              version, name):
    catalogue.upsert_datastore_version('redis', '7.0', '7.0.15', 'redis', '/usr/bin')
    version_id = _version_id(client, datastore, version)
    resp = _mgmt(client, 'POST', version_id, body=_param(name, 'string'))
    assert resp.status_code == 400, resp.body
    assert name in resp.json_body_or_none['badRequest']['message']
    assert 'guest agent' in resp.json_body_or_none['badRequest']['message']


def test_no_rule_file_seeds_a_name_the_guest_controls():
    from api_service.domain import parameters
    for file_name in os.listdir(parameter_catalogue.RULES_DIR):
        manager = file_name.split('-')[0]
        with open(os.path.join(parameter_catalogue.RULES_DIR, file_name)) as source:
            names = [rule['name'] for rule in json.load(source)]
        assert [n for n in names if parameters.is_denied(manager, n)] == [], file_name


def test_admin_parameter_routes_are_for_admins_only(client, catalogue):
    version_id = _version_id(client, 'mariadb', '10.11')
    for method, name, body in (('GET', '', None), ('GET', 'max_connections', None),
                               ('POST', '', _param('x', 'string')),
                               ('PUT', 'max_connections', _param('max_connections',
                                                                 min_size=1, max_size=2)),
                               ('DELETE', 'max_connections', None)):
        resp = _mgmt(client, method, version_id, name, body, roles='member')
        assert resp.status_code == 403, (method, name)
    assert client.get('/datastores/mariadb/versions/10.11/parameters/max_connections'
                      ).json_body_or_none['max'] == 100000


@pytest.mark.parametrize('body, words', [
    (_param('x'), ['min_size and max_size are required']),
    (_param('x', min_size=5, max_size=1), ['max_size must be greater']),
    (_param('x', 'decimal'), ['data_type']),
    (_param('x y', 'string'), ['name']),
    ({'configuration-parameter': {'name': 'x', 'data_type': 'string'}}, ['restart_required']),
])
def test_bad_parameter_bodies_are_400(client, catalogue, body, words):
    version_id = _version_id(client, 'mariadb', '10.11')
    resp = _mgmt(client, 'POST', version_id, body=body)
    assert resp.status_code == 400, resp.body
    for word in words:
        assert word in resp.json_body_or_none['badRequest']['message']


def test_public_reads_cost_one_query_for_the_parameters(client, catalogue):
    from sqlalchemy import event
    from api_service.db import session as db_session
    version_id = _version_id(client, 'mariadb', '10.11')
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db_session.get_reader(), 'before_cursor_execute', listener)
    try:
        client.get('/datastores/versions/%s/parameters' % version_id)
    finally:
        event.remove(db_session.get_reader(), 'before_cursor_execute', listener)
    assert len([s for s in statements if 'configuration_parameters' in s]) == 1
