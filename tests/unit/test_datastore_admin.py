"""Operators' catalogue through the API (issue #12): registration, visibility and members,
flavors, volume types and their per-version associations."""
import pytest

from api_service.drivers.compute import local_engines
from tests.unit.conftest import OTHER_PROJECT, PROJECT

ADMIN = dict(roles='admin', project='c' * 32)
PG = local_engines.Engine('postgresql', '18', '18.1', 'postgresql', '/opt/pg18/bin')


@pytest.fixture
def engines(monkeypatch):
    """The installed engine builds registration may name as `image`."""
    monkeypatch.setattr(local_engines, 'discover', lambda: [PG])


def _register(client, **extra):
    body = {'version': dict({'name': '16', 'datastore_name': 'postgresql',
                             'datastore_manager': 'postgresql', 'image': 'postgresql-18',
                             'image_tags': [], 'packages': [], 'active': True,
                             'default': False}, **extra)}
    return client.request('POST', '/mgmt/datastore-versions', body=body, **ADMIN)


def _mgmt_version(client, name, datastore='postgresql'):
    versions = client.get('/mgmt/datastore-versions', **ADMIN).json_body_or_none['versions']
    return next(v for v in versions if v['name'] == name and v['datastore_name'] == datastore)


def test_register_creates_datastore_with_manager_capabilities(client, catalogue, engines):
    resp = _register(client, datastore_name='pgnew', default=True)
    assert resp.status_code == 202 and resp.body == b''     # troveclient reads body[None]
    shown = _mgmt_version(client, '16', 'pgnew')
    assert shown['packages'] == [] and shown['version'] == '18.1'
    assert shown['default'] is True and shown['visibility'] == 'public'
    assert {'databases', 'users', 'configuration'} <= set(shown['capabilities'])
    assert shown['engine_path'] == '/opt/pg18/bin'
    listed = client.get('/datastores').json_body_or_none['datastores']
    assert 'pgnew' in [d['name'] for d in listed]
    # Its engine's configuration parameters were seeded.
    params = client.get('/datastores/pgnew/versions/16/parameters').json_body_or_none
    assert params['configuration-parameters']


def test_register_refuses_fields_nothing_here_uses(client, catalogue, engines):
    for unused in ({'packages': ['postgresql-16']}, {'image_tags': ['pg']},
                   {'registry_ext': 'x.Manager'}):
        resp = _register(client, datastore_name='pgunused', **unused)
        assert resp.status_code == 400, resp.body
        assert "'%s' cannot be set in this deployment" % list(unused)[0] in resp.body.decode()
    assert client.get('/datastores/pgunused').status_code == 404


def test_register_spec_spelling_and_errors(client, catalogue, engines):
    spec = {'version': {'datastore': 'postgresql', 'manager': 'postgresql', 'name': '16',
                        'image': '/opt/pg18/bin', 'active': True}}
    assert client.request('POST', '/mgmt/datastore-versions', body=spec,
                          **ADMIN).status_code == 202
    again = _register(client)
    assert again.status_code == 400 and 'already exists' in again.json_body_or_none[
        'badRequest']['message']
    missing = _register(client, name='17', image='postgresql-17')
    assert missing.status_code == 404
    assert 'postgresql-18.1' in missing.json_body_or_none['itemNotFound']['message']
    unknown = _register(client, name='17', datastore_manager='mongodb')
    assert unknown.status_code == 400 and 'mongodb' in unknown.json_body_or_none[
        'badRequest']['message']
    bad = client.request('POST', '/mgmt/datastore-versions', raw='{"version": ', **ADMIN)
    assert bad.status_code == 400


def test_show_patch_delete(client, catalogue, engines):
    version = _mgmt_version(client, '18')
    shown = client.get('/mgmt/datastore-versions/%s' % version['id'], **ADMIN).json_body_or_none
    assert shown['version'] == version
    assert client.get('/mgmt/datastore-versions/%s' % ('0' * 8 + '-0000-0000-0000-' + '0' * 12),
                      **ADMIN).status_code == 404
    path = '/mgmt/datastore-versions/%s' % version['id']
    assert client.request('PATCH', path, body={'active': False, 'default': True,
                                               'packages': []},
                          **ADMIN).status_code == 202
    changed = client.get(path, **ADMIN).json_body_or_none['version']
    assert changed['active'] is False and changed['default'] is True
    # What nothing here would use is refused, not stored and shown.
    for unused in ({'packages': ['a']}, {'image_tags': ['x']}, {'repl_strategy': 'x'}):
        refused = client.request('PATCH', path, body=unused, **ADMIN)
        assert refused.status_code == 400 and list(unused)[0] in refused.body.decode()
    assert client.request('PATCH', path, body={'image': 'nope'}, **ADMIN).status_code == 404
    assert client.request('PATCH', path, body={'bogus': 1}, **ADMIN).status_code == 400
    assert client.request('DELETE', path, **ADMIN).status_code == 202
    assert client.get(path, **ADMIN).status_code == 404
    assert client.get('/datastores/postgresql/versions/18').status_code == 404


def test_delete_refused_while_a_configuration_group_uses_it(client, catalogue):
    created = client.request('POST', '/configurations', body={'configuration': {
        'name': 'g', 'values': {}, 'datastore': {'type': 'postgresql', 'version': '15'}}})
    assert created.status_code == 200, created.body
    version = _mgmt_version(client, '15')
    resp = client.request('DELETE', '/mgmt/datastore-versions/%s' % version['id'], **ADMIN)
    assert resp.status_code == 409
    assert 'configuration group' in resp.json_body_or_none['conflictingRequest']['message']
    refused = client.request('DELETE', '/datastores/postgresql', **ADMIN)
    assert refused.status_code == 409
    assert client.request('DELETE', '/datastores/mariadb', **ADMIN).status_code == 202
    assert client.get('/datastores/mariadb', **ADMIN).status_code == 404


def test_non_admins_are_refused_in_troves_envelope(client, catalogue):
    version = _mgmt_version(client, '15')
    for method, path, body in (
            ('GET', '/mgmt/datastore-versions', None),
            ('POST', '/mgmt/datastore-versions', {'version': {'name': 'x'}}),
            ('DELETE', '/mgmt/datastore-versions/%s' % version['id'], None),
            ('PUT', '/mgmt/datastores/postgresql/versions/15',
             {'datastore_version': {'visibility': 'private'}}),
            ('GET', '/mgmt/datastores/postgresql/versions/15/members', None),
            ('POST', '/mgmt/flavors', {'flavor': {'name': 'x', 'ram': 1}}),
            ('DELETE', '/datastores/postgresql', None)):
        resp = client.request(method, path, body=body)
        assert resp.status_code == 403, (method, path)
        assert 'forbidden' in resp.json_body_or_none


def _names(client, project=PROJECT):
    ds = client.get('/datastores/postgresql', project=project)
    if ds.status_code == 404:
        return None
    return [v['name'] for v in ds.json_body_or_none['datastore']['versions']]


def test_private_version_seen_by_members_only(client, catalogue):
    path = '/mgmt/datastores/postgresql/versions/18'
    resp = client.request('PUT', path, body={'datastore_version': {'visibility': 'private'}},
                          **ADMIN)
    assert resp.status_code == 200
    assert _names(client) == ['15']
    assert client.get('/datastores/postgresql/versions/18').status_code == 404
    assert client.get('/datastores/postgresql/versions/18/parameters').status_code == 404
    version_id = _mgmt_version(client, '18')['id']
    assert client.get('/datastores/versions/%s' % version_id).status_code == 404
    # Admins see it, with its visibility; members do not see the field.
    admin_view = client.get(path.replace('/mgmt', ''), **ADMIN).json_body_or_none['version']
    assert admin_view['visibility'] == 'private'
    added = client.request('POST', path + '/members', body={'member': PROJECT}, **ADMIN)
    assert added.status_code == 200
    member = added.json_body_or_none['datastore_version_member']
    assert member['member'] == PROJECT and member['datastore_version_id'] == version_id
    assert _names(client) == ['15', '18'] and _names(client, OTHER_PROJECT) == ['15']
    shown = client.get('/datastores/postgresql/versions/18').json_body_or_none['version']
    assert 'visibility' not in shown and shown['maturity'] == 'stable'
    assert client.request('POST', path + '/members', body={'member': PROJECT},
                          **ADMIN).status_code == 409
    assert client.request('POST', path + '/members', body={}, **ADMIN).status_code == 400
    listed = client.get(path + '/members', **ADMIN).json_body_or_none
    assert listed['datastore_version_members'] == [member]
    by_tenant = client.get('/mgmt/datastores/postgresql/versions/members/%s' % PROJECT,
                           **ADMIN).json_body_or_none
    assert by_tenant['datastore_version_members'] == [member]
    assert client.get(path + '/members/%s' % member['id'],
                      **ADMIN).json_body_or_none['datastore_version_member'] == member
    assert client.request('DELETE', path + '/members/%s' % member['id'],
                          **ADMIN).status_code == 204
    assert _names(client) == ['15']
    assert client.get(path + '/members/%s' % member['id'], **ADMIN).status_code == 404


def test_unlisted_and_deprecated(client, catalogue):
    path = '/mgmt/datastores/postgresql/versions/18'
    client.request('PUT', path, body={'datastore_version': {'visibility': 'unlisted'}}, **ADMIN)
    assert _names(client) == ['15']
    assert client.get('/datastores/postgresql/versions/18').status_code == 200
    client.request('PUT', path, body={'datastore_version': {'visibility': 'deprecated'}},
                   **ADMIN)
    assert client.get('/datastores/postgresql/versions/18').status_code == 404
    assert _names(client, **{}) == ['15']
    assert client.get('/datastores/postgresql/versions/18', **ADMIN).status_code == 200
    refused = client.request('PUT', path, body={'datastore_version': {'visibility': 'secret'}},
                             **ADMIN)
    assert refused.status_code == 400
    assert client.request('PUT', '/mgmt/datastores/postgresql/versions/9',
                          body={'datastore_version': {'visibility': 'public'}},
                          **ADMIN).status_code == 404


def test_instance_create_refuses_a_hidden_version(client, catalogue):
    client.request('PUT', '/mgmt/datastores/postgresql/versions/18',
                   body={'datastore_version': {'visibility': 'private'}}, **ADMIN)
    resp = client.request('POST', '/instances', body={'instance': {
        'name': 'x', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'postgresql', 'version': '18'}}})
    assert resp.status_code == 404


def test_flavors_and_volume_types_managed_through_the_api(client, catalogue):
    created = client.request('POST', '/mgmt/flavors', body={'flavor': {
        'flavor_id': 'auto', 'name': 'db.large', 'ram': 2048, 'disk': 10, 'vcpu': 2,
        'ephemeral': 0, 'swap': 0, 'rxtx_factor': '1.0', 'is_public': 'True'}}, **ADMIN)
    assert created.status_code == 200
    flavor = created.json_body_or_none['flavor']
    assert flavor['id'] == 4 and flavor['vcpus'] == 2
    assert client.get('/flavors/4').json_body_or_none['flavor']['ram'] == 2048
    assert client.request('POST', '/mgmt/flavors', body={'flavor': {
        'name': 'db.large', 'ram': 1, 'vcpus': 1}}, **ADMIN).status_code == 409
    client.request('PATCH', '/mgmt/flavors/4', body={'flavor': {'ram': 4096}}, **ADMIN)
    assert client.get('/flavors/4').json_body_or_none['flavor']['ram'] == 4096

    assoc = '/mgmt/datastores/postgresql/versions/18/flavors/4'
    assert client.request('PUT', assoc, **ADMIN).status_code == 204
    assert client.request('PUT', assoc, **ADMIN).status_code == 409
    allowed = client.get('/datastores/postgresql/versions/18/flavors').json_body_or_none
    assert [f['str_id'] for f in allowed['flavors']] == ['4']
    assert client.request('DELETE', '/mgmt/flavors/4', **ADMIN).status_code == 409
    assert client.request('DELETE', assoc, **ADMIN).status_code == 204
    assert client.request('DELETE', assoc, **ADMIN).status_code == 404
    assert len(client.get('/datastores/postgresql/versions/18/flavors')
               .json_body_or_none['flavors']) == 4
    assert client.request('DELETE', '/mgmt/flavors/4', **ADMIN).status_code == 204
    assert client.get('/flavors/4').status_code == 404

    made = client.request('POST', '/mgmt/volume-types', body={'volume_type': {
        'name': 'ssd', 'description': 'Solid state'}}, **ADMIN)
    assert made.status_code == 200
    assert 'ssd' in [t['name'] for t in client.get('/volume-types')
                     .json_body_or_none['volume_types']]
    vassoc = '/mgmt/datastores/postgresql/versions/18/volume-types/ssd'
    assert client.request('PUT', vassoc, **ADMIN).status_code == 204
    only = client.get('/datastores/postgresql/versions/18/volume-types').json_body_or_none
    assert [t['name'] for t in only['volume_types']] == ['ssd']
    assert client.request('DELETE', '/mgmt/volume-types/ssd', **ADMIN).status_code == 409
    assert client.request('DELETE', vassoc, **ADMIN).status_code == 204
    patched = client.request('PATCH', '/mgmt/volume-types/ssd',
                             body={'volume_type': {'description': 'Fast'}}, **ADMIN)
    assert patched.json_body_or_none['volume_type']['description'] == 'Fast'
    assert client.request('DELETE', '/mgmt/volume-types/ssd', **ADMIN).status_code == 204


def test_discover_keeps_capabilities_from_the_manager(conf, monkeypatch):
    from api_service.cmd import manage
    from api_service.domain import datastores
    monkeypatch.setattr(local_engines, 'discover', lambda: [PG])
    monkeypatch.setattr(manage.config, 'load', lambda args: None)
    assert manage.main(['datastore', 'discover']) == 0
    version = datastores.get_version('postgresql', '18')
    assert {'databases', 'users', 'root'} <= set(version.capabilities.split(','))


def test_manager_capabilities_are_the_engines():
    from api_service.domain import catalogue_admin
    for manager in ('mariadb', 'postgresql', 'redis'):
        engine = local_engines.Engine(manager, '1', '1', manager, '/')
        assert catalogue_admin.manager_capabilities(manager) == engine.capabilities
