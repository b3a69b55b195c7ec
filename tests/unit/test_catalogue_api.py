"""Datastores, versions, flavors, volume types, zones, limits and quotas through the API."""
from api_service.domain import catalogue_admin
from tests.unit.conftest import OTHER_PROJECT, PROJECT


def test_datastores_list_with_versions_and_default(client, catalogue):
    body = client.get('/datastores').json_body_or_none
    names = [d['name'] for d in body['datastores']]
    assert names == ['mariadb', 'postgresql']
    pg = body['datastores'][1]
    assert [v['name'] for v in pg['versions']] == ['15', '18']
    assert pg['default_version'] == pg['versions'][0]['id']
    assert body['links'] == []


def test_datastores_paginate_with_marker_links(client, catalogue):
    catalogue.upsert_datastore_version('redis', '7.0', '7.0.15', 'redis', '/usr/bin')
    first = client.get('/datastores?limit=2').json_body_or_none
    assert [d['name'] for d in first['datastores']] == ['mariadb', 'postgresql']
    (link,) = first['links']
    assert link['rel'] == 'next' and 'marker=postgresql' in link['href']
    second = client.get('/datastores?limit=2&marker=postgresql').json_body_or_none
    assert [d['name'] for d in second['datastores']] == ['redis']
    assert second['links'] == []


def test_datastore_show_by_name_and_id(client, catalogue):
    by_name = client.get('/datastores/postgresql').json_body_or_none['datastore']
    by_id = client.get('/datastores/%s' % by_name['id']).json_body_or_none['datastore']
    assert by_name == by_id
    assert client.get('/datastores/mongodb').status_code == 404


def test_version_show_three_ways(client, catalogue):
    listed = client.get('/datastores/postgresql/versions').json_body_or_none['versions']
    v18 = [v for v in listed if v['name'] == '18'][0]
    assert v18['version'] == '18.6'
    assert client.get('/datastores/postgresql/versions/18').json_body_or_none['version']['id'] == v18['id']
    assert client.get('/datastores/versions/%s' % v18['id']).json_body_or_none['version']['name'] == '18'
    assert client.get('/datastores/postgresql/versions/9.6').status_code == 404


def test_admin_sees_version_internals_member_does_not(client, catalogue):
    member = client.get('/datastores/mariadb/versions/10.11').json_body_or_none['version']
    admin = client.get('/datastores/mariadb/versions/10.11', roles='admin').json_body_or_none['version']
    assert 'datastore_manager' not in member and admin['datastore_manager'] == 'mariadb'
    assert 'manager' not in admin     # python-troveclient's Resource.manager


def test_flavors_list_and_show_in_trove_shape(client, catalogue):
    flavors = client.get('/flavors').json_body_or_none['flavors']
    assert [(f['id'], f['str_id'], f['name'], f['ram']) for f in flavors] == [
        (1, '1', 'db.tiny', 256), (2, '2', 'db.small', 512), (3, '3', 'db.medium', 1024)]
    shown = client.get('/flavors/2').json_body_or_none['flavor']
    assert shown['vcpus'] == 1 and shown['links'][0]['rel'] == 'self'
    assert client.get('/flavors/99').status_code == 404


def test_flavors_restricted_per_version(client, catalogue):
    catalogue.restrict_flavors('postgresql', '18', ['2', '3'])
    allowed = client.get('/datastores/postgresql/versions/18/flavors').json_body_or_none['flavors']
    assert [f['str_id'] for f in allowed] == ['2', '3']
    unrestricted = client.get('/datastores/postgresql/versions/15/flavors').json_body_or_none
    assert len(unrestricted['flavors']) == 3


def test_volume_types_and_per_version_restriction(client, catalogue):
    types = client.get('/volume-types').json_body_or_none['volume_types']
    assert [t['name'] for t in types] == ['fast', 'standard']
    assert 'root_path' not in types[0]
    catalogue.restrict_volume_types('mariadb', '10.11', ['fast'])
    allowed = client.get('/datastores/mariadb/versions/10.11/volume-types').json_body_or_none
    assert [t['name'] for t in allowed['volume_types']] == ['fast']
    fast = types[0]
    assert client.get('/volume-types/%s' % fast['id']).json_body_or_none['volume_type'] == fast
    assert client.get('/volume-types/nope').status_code == 404


def test_availability_zones_from_driver_hosts(client, catalogue, conf):
    conf.set_override('hosts', ['h1:nova:1024:2', 'h2:nova:1024:2', 'h3:east:512:1'],
                      'local_driver')
    try:
        zones = client.get('/availability-zones').json_body_or_none['availability_zones']
    finally:
        conf.clear_override('hosts', 'local_driver')
    assert zones == [{'name': 'east', 'available': True, 'hosts': 1},
                     {'name': 'nova', 'available': True, 'hosts': 2}]
    assert client.get('/regions').json_body_or_none['regions'][0]['name'] == 'RegionOne'


def test_limits_are_absolute_quota_limits(client, catalogue):
    resp = client.get('/limits')
    assert resp.status_code == 200
    (absolute,) = resp.json_body_or_none['limits']
    assert absolute == {'verb': 'ABSOLUTE', 'max_instances': 10, 'max_ram': -1,
                        'max_volumes': 100, 'max_backups': 50,
                        'in_use_instances': 0, 'in_use_ram': 0, 'in_use_volumes': 0,
                        'in_use_backups': 0, 'max_volume_size': 100}


def test_quota_show_own_project_but_not_another(client, catalogue):
    quotas = client.get('/mgmt/quotas/%s' % PROJECT).json_body_or_none['quotas']
    assert {q['resource'] for q in quotas} == {'instances', 'ram', 'volumes', 'backups'}
    assert all(set(q) == {'resource', 'in_use', 'reserved', 'limit'} for q in quotas)
    assert client.get('/mgmt/quotas/%s' % OTHER_PROJECT).status_code == 403


def test_quota_update_is_admin_only_and_persists(client, catalogue):
    body = {'quotas': {'instances': 3, 'backups': 0}}
    assert client.request('PUT', '/mgmt/quotas/%s' % OTHER_PROJECT, body=body).status_code == 403
    resp = client.request('PUT', '/mgmt/quotas/%s' % OTHER_PROJECT, body=body, roles='admin')
    assert resp.status_code == 200
    assert resp.json_body_or_none == {'quotas': {'instances': 3, 'backups': 0}}
    shown = client.get('/mgmt/quotas/%s' % OTHER_PROJECT, roles='admin').json_body_or_none
    assert {q['resource']: q['limit'] for q in shown['quotas']}['instances'] == 3
    limits = client.get('/limits', project=OTHER_PROJECT).json_body_or_none['limits'][0]
    assert limits['max_instances'] == 3 and limits['max_backups'] == 0


def test_inactive_versions_hidden_from_members(client, catalogue):
    catalogue_admin.upsert_datastore_version('mariadb', '10.6', '10.6.1', 'mariadb', active=False)
    member = client.get('/datastores/mariadb').json_body_or_none['datastore']
    admin = client.get('/datastores/mariadb', roles='admin').json_body_or_none['datastore']
    assert [v['name'] for v in member['versions']] == ['10.11']
    assert sorted(v['name'] for v in admin['versions']) == ['10.11', '10.6']


def test_head_answers_like_get_without_a_body(client, catalogue):
    get = client.get('/flavors')
    head = client.request('HEAD', '/flavors')
    assert head.status_int == get.status_int == 200
    assert head.headers['Content-Type'] == get.headers['Content-Type'] == 'application/json'
    assert head.headers['Content-Length'] == str(len(get.body)) and head.body == b''


def test_admins_list_every_volume_type_with_its_directory(client, catalogue):
    admin = dict(roles='admin', project='c' * 32)
    made = client.request('POST', '/mgmt/volume-types', body={'volume_type': {
        'name': 'hidden', 'is_public': False, 'root_path': '/srv/hidden'}}, **admin)
    assert made.status_code == 200, made.body
    assert 'hidden' not in [t['name'] for t in client.get('/volume-types', **admin)
                            .json_body_or_none['volume_types']]
    listed = client.get('/mgmt/volume-types', **admin).json_body_or_none['volume_types']
    hidden = next(t for t in listed if t['name'] == 'hidden')
    assert hidden['is_public'] is False and hidden['root_path'] == '/srv/hidden'
    assert [t['name'] for t in listed] == sorted(t['name'] for t in listed)
    assert client.get('/mgmt/volume-types').status_code == 403


def test_volume_type_description_fits_its_column(client, catalogue):
    admin = dict(roles='admin', project='c' * 32)
    long = client.request('POST', '/mgmt/volume-types', body={'volume_type': {
        'name': 'long', 'description': 'x' * 256}}, **admin)
    assert long.status_code == 400 and 'description' in long.body.decode()
    assert client.request('POST', '/mgmt/volume-types', body={'volume_type': {
        'name': 'long', 'description': 'x' * 255}}, **admin).status_code == 200
