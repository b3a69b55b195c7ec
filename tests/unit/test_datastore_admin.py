"""Operators' catalogue through the API (issue #12): registration, visibility and members,
flavors, volume types and their per-version associations."""
import pytest

from api_service.db import models
from api_service.db.session import session_scope
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


def test_every_manager_declares_a_maturity_class():
    from api_service.guestagent.datastore import base, get_manager_class, manager_names
    declared = {name: get_manager_class(name).maturity for name in manager_names()}
    assert set(declared.values()) <= set(base.MATURITIES)
    # The spec's stable engine is the MySQL family; Redis offers a subset of the API.
    assert declared == {'mariadb': 'stable', 'postgresql': 'stable', 'redis': 'experimental'}
    # A manager that says nothing is experimental until it says otherwise.
    assert base.EngineManager.maturity == 'experimental'


REDIS = local_engines.Engine('redis', '7.0', '7.0.15', 'redis', '/usr/bin')


def test_registered_version_takes_its_managers_maturity(client, catalogue, monkeypatch):
    monkeypatch.setattr(local_engines, 'discover', lambda: [PG, REDIS])
    assert _register(client, datastore_name='kv', datastore_manager='redis',
                     image='redis-7.0', name='7').status_code == 202
    assert _register(client, datastore_name='pgm', name='18').status_code == 202
    assert _mgmt_version(client, '7', 'kv')['maturity'] == 'experimental'
    assert _mgmt_version(client, '18', 'pgm')['maturity'] == 'stable'
    # Shown in the public listings as before, to everyone.
    listed = client.get('/datastores/kv/versions').json_body_or_none['versions']
    assert [v['maturity'] for v in listed] == ['experimental']


def test_an_operators_maturity_overrides_the_managers(conf, catalogue, monkeypatch):
    from api_service.common import exceptions
    from api_service.domain import datastore_admin
    monkeypatch.setattr(local_engines, 'discover', lambda: [REDIS])
    spec = {'name': '7', 'datastore_name': 'kv', 'datastore_manager': 'redis',
            'image': 'redis-7.0'}
    found = datastore_admin.register(dict(spec, maturity='technical-preview'))
    assert found.row.maturity == 'technical-preview'
    assert datastore_admin.update_version(found.row.id, {'maturity': 'stable'}
                                          ).row.maturity == 'stable'
    with pytest.raises(exceptions.BadRequest, match='experimental, technical-preview, stable'):
        datastore_admin.register(dict(spec, name='8', maturity='beta'))
    with pytest.raises(exceptions.BadRequest, match='maturity'):
        datastore_admin.update_version(found.row.id, {'maturity': 'gold'})


# -- REG-07: a version only deleted instances ran on is deleted, kept for their records.
from tests.unit.test_mgmt_instances import api, deleted_one  # noqa: E402,F401
from tests.unit.test_tenant_faults import create, mem  # noqa: E402,F401

MARIADB = local_engines.Engine('mariadb', '10.11', '10.11.19', 'mariadb', '/usr/sbin')


def _delete_version(client, version_id):
    return client.request('DELETE', '/mgmt/datastore-versions/%s' % version_id, **ADMIN)


def test_a_version_records_alone_name_is_deleted_and_named_anew(api, monkeypatch):  # noqa: F811
    monkeypatch.setattr(local_engines, 'discover', lambda: [MARIADB])
    old = deleted_one(api)
    live = create(api)
    version = _mgmt_version(api, '10.11', 'mariadb')
    refused = _delete_version(api, version['id'])
    assert refused.status_code == 409
    assert '1 instance(s)' in refused.json_body_or_none['conflictingRequest']['message']
    assert api.request('DELETE', '/instances/%s' % live).status_code == 202

    assert _delete_version(api, version['id']).status_code == 202
    # Gone from every lookup, the datastore with it (it had no other version).
    assert api.get('/mgmt/datastore-versions/%s' % version['id'], **ADMIN).status_code == 404
    assert version['id'] not in [v['id'] for v in api.get(
        '/mgmt/datastore-versions', **ADMIN).json_body_or_none['versions']]
    assert api.get('/datastores/mariadb', **ADMIN).status_code == 404
    assert api.get('/datastores/versions/%s' % version['id'], **ADMIN).status_code == 404
    assert _delete_version(api, version['id']).status_code == 404
    # The deleted instance's record still names it.
    shown = api.request('GET', '/mgmt/instances/%s?deleted=true' % old, roles='admin')
    assert shown.status_code == 200, shown.body
    assert '10.11' in str(shown.json_body_or_none['instance']['datastore'])

    # The same name registers anew, as a new version.
    assert _register(api, datastore_name='mariadb', datastore_manager='mariadb',
                     image='mariadb-10.11', name='10.11').status_code == 202
    again = _mgmt_version(api, '10.11', 'mariadb')
    assert again['id'] != version['id']
    assert api.get('/datastores/mariadb/versions/10.11').json_body_or_none[
        'version']['id'] == again['id']
    assert str(api.request('GET', '/mgmt/instances/%s?deleted=true' % old, roles='admin')
               .json_body_or_none['instance']['datastore']).count('10.11') >= 1


def test_deleting_a_datastore_keeps_the_rows_records_need(api, monkeypatch):  # noqa: F811
    monkeypatch.setattr(local_engines, 'discover', lambda: [MARIADB])
    deleted_one(api)
    assert api.request('DELETE', '/datastores/mariadb', **ADMIN).status_code == 202
    assert api.get('/datastores/mariadb', **ADMIN).status_code == 404
    assert 'mariadb' not in [d['name'] for d in api.get('/datastores', **ADMIN)
                             .json_body_or_none['datastores']]
    assert _register(api, datastore_name='mariadb', datastore_manager='mariadb',
                     image='mariadb-10.11', name='10.11').status_code == 202
    listed = api.get('/datastores/mariadb').json_body_or_none['datastore']
    assert [v['name'] for v in listed['versions']] == ['10.11']


def test_maturity_through_the_api(client, catalogue, engines):
    assert _register(client, datastore_name='pgm', maturity='technical-preview'
                     ).status_code == 202
    version = _mgmt_version(client, '16', 'pgm')
    assert version['maturity'] == 'technical-preview'
    path = '/mgmt/datastore-versions/%s' % version['id']
    assert client.request('PATCH', path, body={'maturity': 'stable'}, **ADMIN).status_code == 202
    assert client.get(path, **ADMIN).json_body_or_none['version']['maturity'] == 'stable'
    for bad in ({'maturity': 'gold'}, {'maturity': 3}):
        refused = client.request('PATCH', path, body=bad, **ADMIN)
        assert refused.status_code == 400 and 'maturity' in refused.body.decode()
    refused = _register(client, datastore_name='pgm', name='17', maturity='beta')
    assert refused.status_code == 400 and 'maturity' in refused.body.decode()


def test_datastore_managers_for_the_register_form(client, catalogue):
    found = client.get('/mgmt/datastore-managers', **ADMIN)
    assert found.status_code == 200
    managers = {m['name']: m for m in found.json_body_or_none['managers']}
    assert set(managers) == {'mariadb', 'postgresql', 'redis'}
    assert managers['redis']['maturity'] == 'experimental'
    assert 'databases' in managers['postgresql']['capabilities']
    assert client.get('/mgmt/datastore-managers').status_code == 403


def test_version_view_names_its_associations_in_fixed_queries(client, catalogue):
    from sqlalchemy import event
    from api_service.db import session as db_session
    client.request('POST', '/mgmt/volume-types', body={'volume_type': {'name': 'ssd'}},
                   **ADMIN)
    client.request('PUT', '/mgmt/datastores/postgresql/versions/18/flavors/2', **ADMIN)
    client.request('PUT', '/mgmt/datastores/postgresql/versions/18/flavors/1', **ADMIN)
    client.request('PUT', '/mgmt/datastores/postgresql/versions/18/volume-types/ssd', **ADMIN)
    ssd = client.get('/volume-types/ssd').json_body_or_none['volume_type']['id']
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    engine = db_session.get_factory().kw['bind']
    event.listen(engine, 'before_cursor_execute', listener)
    try:
        versions = client.get('/mgmt/datastore-versions', **ADMIN).json_body_or_none['versions']
    finally:
        event.remove(engine, 'before_cursor_execute', listener)
    by_name = {v['name']: v for v in versions}
    assert by_name['18']['flavors'] == ['1', '2'] and by_name['18']['volume_types'] == [ssd]
    assert by_name['15']['flavors'] == [] and by_name['15']['volume_types'] == []
    assert len([s for s in statements if s.lstrip().upper().startswith('SELECT')]) == 3
    one = client.get('/mgmt/datastore-versions/%s' % by_name['18']['id'],
                     **ADMIN).json_body_or_none['version']
    assert one['flavors'] == ['1', '2'] and one['volume_types'] == [ssd]


def test_a_flavor_in_use_may_be_renamed_but_not_resized(api, catalogue):  # noqa: F811
    live = create(api)
    path = '/mgmt/flavors/1'
    refused = api.request('PATCH', path, body={'flavor': {'ram': 300}}, **ADMIN)
    assert refused.status_code == 409
    message = refused.json_body_or_none['conflictingRequest']['message']
    assert '1 instance(s)' in message and 'ram' in message and 'resize' in message
    with session_scope() as session:
        assert session.get(models.Flavor, '1').ram == 256
    # A rename, and a size sent unchanged, are no resize.
    assert api.request('PATCH', path, body={'flavor': {'name': 'db.tiny2', 'ram': 256}},
                       **ADMIN).status_code == 200
    assert api.request('DELETE', '/instances/%s' % live).status_code == 202
    assert api.request('PATCH', path, body={'flavor': {'ram': 300}}, **ADMIN).status_code == 200
    with session_scope() as session:
        assert (session.get(models.Flavor, '1').name, session.get(models.Flavor, '1').ram) == (
            'db.tiny2', 300)
