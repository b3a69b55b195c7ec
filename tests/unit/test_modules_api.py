"""Modules through the API: create, list, show, update, delete with Trove's rules (spec
mitaka module-management §1.9 items 1-5, 8, 13 and newton ordering §2.6 items 1-3, 5),
contents sealed at rest and never shown, the instances a module is on, and reapply's hand-off.

Applying modules to instances and the guests' side are tests/unit/test_instance_modules*.py
and tests/functional/test_modules*.py.
"""
import base64
import hashlib
import sys
import types

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

import api_service.domain
from api_service.db import models
from api_service.db import models_instances as m
from api_service.db import models_modules as mm
from api_service.db.session import session_scope
from tests.unit.conftest import MODULE_KEY, OTHER_PROJECT, PROJECT
from tests.unit.sql_statements import statements_while


def b64(data):
    return base64.b64encode(data if isinstance(data, bytes) else data.encode()).decode()


def md5(data):
    return hashlib.md5(data.encode()).hexdigest()


def create(client, roles='member', project=PROJECT, **fields):
    body = {'name': 'lic', 'module_type': 'ping', 'contents': b64('hello'),
            'datastore': {'type': 'mariadb'}}
    body.update(fields)
    body = {k: v for k, v in body.items() if v is not None}
    return client.request('POST', '/modules', body={'module': body}, roles=roles,
                          project=project)


def created(client, **kw):
    resp = create(client, **kw)
    assert resp.status_code == 200, resp.body
    return resp.json_body_or_none['module']


def update(client, module_id, roles='member', project=PROJECT, **fields):
    return client.request('PUT', '/modules/%s' % module_id, body={'module': fields},
                          roles=roles, project=project)


def message(resp):
    return next(iter(resp.json_body_or_none.values()))['message']


def stored(module_id):
    with session_scope() as session:
        return session.get(mm.Module, module_id)


def listed(client, path='/modules', **kw):
    resp = client.get(path, **kw)
    assert resp.status_code == 200, resp.body
    return {module['name'] for module in resp.json_body_or_none['modules']}


# -- create (§1.9 item 1, §2.6 item 1) ---------------------------------------------------

def test_create_answers_the_view_and_seals_the_contents(client, catalogue):
    module = created(client, description='a licence')
    assert module['md5'] == md5('hello')
    assert 'contents' not in module
    assert module['created'] and module['updated']
    assert (module['name'], module['type'], module['description']) == ('lic', 'ping',
                                                                       'a licence')
    assert (module['tenant'], module['tenant_id']) == (PROJECT, PROJECT)
    assert (module['datastore'], module['datastore_version']) == ('mariadb', 'all')
    assert module['datastore_version_id'] is None and module['datastore_id']
    # Newton's defaults, and the server-set flags.
    assert (module['priority_apply'], module['apply_order']) == (False, 5)
    assert (module['is_admin'], module['auto_apply'], module['visible'],
            module['live_update']) == (False, False, True, False)
    row = stored(module['id'])
    assert row.contents != 'hello' and b64('hello') not in row.contents
    assert Fernet(MODULE_KEY.encode()).decrypt(row.contents.encode()) == b'hello'
    assert row.md5 == md5('hello')


def test_md5_is_of_the_plaintext_of_binary_contents(client, catalogue):
    payload = bytes(range(256))
    module = created(client, contents=b64(payload))
    assert module['md5'] == hashlib.md5(payload).hexdigest()
    assert Fernet(MODULE_KEY.encode()).decrypt(stored(module['id']).contents.encode()) == payload


def test_contents_are_in_no_view(client, catalogue):
    module = created(client, contents=b64('s3cret-licence'))
    secret = 's3cret-licence'
    answers = [client.get('/modules'), client.get('/modules/%s' % module['id']),
               update(client, module['id'], description='x'),
               update(client, module['id'], contents=b64(secret + '2'))]
    for resp in answers:
        assert resp.status_code == 200, resp.body
        assert b'contents' not in resp.body
        assert secret.encode() not in resp.body and b64(secret).encode() not in resp.body


def test_a_version_named_is_kept(client, catalogue):
    module = created(client, datastore={'type': 'postgresql', 'version': '15'})
    assert (module['datastore'], module['datastore_version']) == ('postgresql', '15')
    assert module['datastore_version_id']


# -- bad input (§1.9 item 2, §2.6 item 2) ------------------------------------------------

@pytest.mark.parametrize('fields, words', [
    ({'module_type': 'nope'}, "Module type 'nope' is not supported: use one of ping, file"),
    ({'contents': None}, 'contents'),
    ({'contents': 'not base64!'}, 'base64'),
    ({'name': ''}, "'module.name'"),
    ({'name': '   '}, 'must not be blank'),
    ({'name': 'n' * 256}, "'module.name' is too long"),
    ({'datastore': {'type': 'foo'}}, "Datastore 'foo' cannot be found"),
    ({'datastore': {'type': 'mariadb', 'version': '9.9'}}, "has no version '9.9'"),
    ({'datastore': {'version': '15'}}, "'datastore.version' needs 'datastore.type'"),
    ({'description': 'd' * 513}, "'module.description' is too long (at most 512"),
    ({'apply_order': 10}, "'apply_order' must be a whole number from 0 to 9."),
    ({'apply_order': -1}, "'apply_order' must be a whole number from 0 to 9."),
    ({'apply_order': 'abc'}, "'apply_order' must be a whole number from 0 to 9."),
    ({'apply_order': 3.5}, "'apply_order' must be a whole number from 0 to 9."),
    ({'apply_order': 3.0}, "'apply_order' must be a whole number from 0 to 9."),
    ({'apply_order': True}, "'apply_order' must be a whole number from 0 to 9."),
    ({'live_update': 2}, "'live_update' must be true or false (or 1 or 0)."),
    ({'live_update': 'yes'}, "'live_update' must be true or false (or 1 or 0)."),
    ({'colour': 'red'}, "'module' has an unknown field: 'colour'."),
])
def test_bad_input_is_a_400_naming_it(client, catalogue, fields, words):
    resp = create(client, **fields)
    assert resp.status_code == 400, resp.body
    assert words in message(resp)
    with session_scope() as session:
        assert session.scalars(select(mm.Module)).first() is None


@pytest.mark.parametrize('order', [0, 9])
def test_apply_order_bounds_are_taken(client, catalogue, order):
    assert created(client, apply_order=order)['apply_order'] == order


def test_booleans_are_taken_as_0_1_or_true_false(client, catalogue):
    first = created(client, name='a', live_update=1)
    second = created(client, name='b', live_update=True)
    third = created(client, name='c', live_update=False)
    assert (first['live_update'], second['live_update'], third['live_update']) == (
        True, True, False)


def test_a_duplicate_is_a_400_but_not_across_types_tenants_or_after_a_delete(client,
                                                                              catalogue):
    first = created(client)
    resp = create(client)
    assert resp.status_code == 400
    assert "A module named 'lic' of type 'ping' already exists" in message(resp)
    created(client, module_type='file')
    created(client, project=OTHER_PROJECT)
    created(client, datastore={'type': 'mariadb', 'version': '10.11'})
    assert client.request('DELETE', '/modules/%s' % first['id']).status_code == 200
    created(client)


# -- admin-only options (§1.9 item 3, §2.6 item 3) --------------------------------------

ADMIN_OPTIONS = [
    ({'all_tenants': 1}, 'all_tenants'),
    ({'datastore': None}, 'all datastores'),
    ({'auto_apply': 1}, 'auto_apply'),
    ({'visible': 0}, 'visible=false'),
    ({'priority_apply': 1}, 'priority_apply'),
    ({'full_access': 1}, 'full_access'),
    ({'full_access': 0}, 'full_access'),
]


@pytest.mark.parametrize('fields, words', ADMIN_OPTIONS)
def test_admin_options_are_refused_to_members_and_taken_from_admins(client, catalogue,
                                                                    fields, words):
    resp = create(client, **fields)
    assert resp.status_code == 403, resp.body
    assert 'Only administrators may create a module with' in message(resp)
    assert words in message(resp)
    module = created(client, roles='admin', **fields)
    assert 'visible' in module
    assert module['is_admin'] is not bool(fields.get('full_access'))


def test_admin_options_show_in_the_view(client, catalogue):
    module = created(client, roles='admin', all_tenants=1, datastore=None, auto_apply=1,
                     visible=0, priority_apply=1, apply_order=0)
    assert (module['tenant'], module['tenant_id']) == ('all', None)
    assert (module['datastore'], module['datastore_id']) == ('all', None)
    assert module['datastore_version'] == 'all'
    assert (module['auto_apply'], module['visible'], module['priority_apply'],
            module['is_admin']) == (True, False, True, True)


def test_full_access_cannot_be_combined_with_admin_options(client, catalogue):
    resp = create(client, roles='admin', full_access=1, auto_apply=1)
    assert resp.status_code == 400
    assert 'full_access cannot be combined with admin-only options: auto_apply' in message(resp)


def test_a_full_access_admin_module_is_open_to_members(client, catalogue):
    module = created(client, roles='admin', full_access=1)
    assert module['is_admin'] is False
    assert update(client, module['id'], description='mine now').status_code == 200


def test_a_policy_file_can_grant_the_admin_options(client, catalogue, conf):
    with open(conf.api.policy_file, 'w') as policy_file:
        policy_file.write('"module:admin_options": "role:member"\n')
    module = created(client, auto_apply=1)
    assert module['auto_apply'] is True and module['is_admin'] is True


# -- visibility and tenancy (§1.9 item 4) ----------------------------------------------

def test_another_tenant_neither_lists_nor_shows_a_module(client, catalogue):
    module = created(client)
    assert listed(client, project=OTHER_PROJECT) == set()
    for method, path in (('GET', ''), ('GET', '/instances'), ('DELETE', '')):
        resp = client.request(method, '/modules/%s%s' % (module['id'], path),
                              project=OTHER_PROJECT)
        assert resp.status_code == 404, (method, path)
    assert update(client, module['id'], project=OTHER_PROJECT,
                  description='x').status_code == 404
    assert listed(client, project=OTHER_PROJECT, roles='admin') == {'lic'}


def test_all_tenant_modules_are_listed_to_every_tenant_invisible_ones_to_admins(client,
                                                                                catalogue):
    shared = created(client, roles='admin', name='shared', all_tenants=1)
    hidden = created(client, roles='admin', name='hidden', all_tenants=1, visible=0)
    own_hidden = created(client, roles='admin', name='own-hidden', visible=0)
    created(client, name='mine')
    assert listed(client) == {'shared', 'mine'}
    assert listed(client, project=OTHER_PROJECT) == {'shared'}
    assert listed(client, roles='admin') == {'shared', 'hidden', 'own-hidden', 'mine'}
    assert client.get('/modules/%s' % shared['id'], project=OTHER_PROJECT).status_code == 200
    for module in (hidden, own_hidden):
        resp = client.get('/modules/%s' % module['id'])
        assert resp.status_code == 404 and module['id'] in message(resp)
        assert client.get('/modules/%s' % module['id'], roles='admin').status_code == 200


def test_a_malformed_id_is_a_404(client, catalogue):
    resp = client.get('/modules/not-a-uuid')
    assert resp.status_code == 404 and 'ids are UUIDs' in message(resp)


# -- the datastore filter (§1.9 item 5) -------------------------------------------------

def test_the_datastore_filter_keeps_its_modules_and_all_datastore_ones(client, catalogue):
    created(client, name='maria')
    created(client, name='maria-10', datastore={'type': 'mariadb', 'version': '10.11'})
    created(client, roles='admin', name='everywhere', datastore=None)
    created(client, name='pg', datastore={'type': 'postgresql'})
    assert listed(client, '/modules?datastore=mariadb') == {'maria', 'maria-10', 'everywhere'}
    assert listed(client, '/modules?datastore=postgresql') == {'pg', 'everywhere'}
    assert listed(client, '/modules?datastore=all') == {'everywhere'}
    assert listed(client) == {'maria', 'maria-10', 'everywhere', 'pg'}
    assert client.get('/modules?datastore=foo').status_code == 404


# -- paging and queries ----------------------------------------------------------------

def test_the_list_pages_with_links(client, catalogue):
    names = {created(client, name='m%d' % i)['name'] for i in range(5)}
    resp = client.get('/modules?limit=2')
    body = resp.json_body_or_none
    seen = [module['name'] for module in body['modules']]
    assert len(seen) == 2
    while body['links']:
        (link,) = body['links']
        assert link['rel'] == 'next' and 'marker=' in link['href']
        path = link['href'].split('/v1.0/%s' % PROJECT, 1)[1]
        body = client.get(path).json_body_or_none
        seen += [module['name'] for module in body['modules']]
    assert sorted(seen) == sorted(names)


def _count_statements(action):
    return [s for s in statements_while(action) if 'modules' in s or 'datastore' in s]


def test_a_list_costs_the_same_statements_for_2_modules_as_for_20(client, catalogue):
    def list_all():
        resp = client.get('/modules')
        assert resp.status_code == 200
        counts.append(len(resp.json_body_or_none['modules']))

    counts = []
    for i in range(2):
        created(client, name='few%d' % i, datastore={'type': 'postgresql', 'version': '15'})
    few = _count_statements(list_all)
    for i in range(18):
        created(client, name='many%d' % i, datastore={'type': 'mariadb', 'version': '10.11'})
    many = _count_statements(list_all)
    assert counts == [2, 20]
    assert len(many) == len(few) == 1, many


# -- update -----------------------------------------------------------------------------

def test_update_changes_every_field_and_new_contents_give_a_new_md5(client, catalogue):
    module = created(client, live_update=1)
    resp = update(client, module['id'], name='lic2', type='file', description='d',
                  contents=b64('bye'), datastore={'type': 'postgresql', 'version': '18'},
                  live_update=0, apply_order=2)
    assert resp.status_code == 200, resp.body
    changed = resp.json_body_or_none['module']
    assert (changed['name'], changed['type'], changed['description'], changed['md5'],
            changed['datastore'], changed['datastore_version'], changed['live_update'],
            changed['apply_order']) == ('lic2', 'file', 'd', md5('bye'), 'postgresql', '18',
                                        False, 2)
    assert Fernet(MODULE_KEY.encode()).decrypt(stored(module['id']).contents.encode()) == b'bye'
    shown = client.get('/modules/%s' % module['id']).json_body_or_none['module']
    assert shown['md5'] == md5('bye') and shown['name'] == 'lic2'


def test_update_takes_module_type_too_and_keeps_what_is_omitted(client, catalogue):
    module = created(client, description='keep', apply_order=3,
                     datastore={'type': 'mariadb', 'version': '10.11'})
    changed = update(client, module['id'], module_type='file').json_body_or_none['module']
    assert (changed['type'], changed['description'], changed['apply_order'],
            changed['md5'], changed['datastore_version']) == ('file', 'keep', 3, md5('hello'),
                                                              '10.11')
    assert update(client, module['id']).status_code == 200


def test_update_all_datastore_versions_and_all_datastores(client, catalogue):
    module = created(client, datastore={'type': 'postgresql', 'version': '15'})
    changed = update(client, module['id'], all_datastore_versions=1).json_body_or_none
    assert changed['module']['datastore_version'] == 'all'
    changed = update(client, module['id'], datastore={'version': '18'}).json_body_or_none
    assert changed['module']['datastore_version'] == '18'
    resp = update(client, module['id'], all_datastores=1)
    assert resp.status_code == 403 and 'all datastores' in message(resp)
    changed = update(client, module['id'], roles='admin', all_datastores=1).json_body_or_none
    assert (changed['module']['datastore'], changed['module']['datastore_version'],
            changed['module']['is_admin']) == ('all', 'all', True)
    resp = update(client, module['id'], roles='admin', all_datastores=1,
                  datastore={'type': 'mariadb'})
    assert resp.status_code == 400 and 'not both' in message(resp)


@pytest.mark.parametrize('fields, code, words', [
    ({'type': 'nope'}, 400, "Module type 'nope' is not supported"),
    ({'name': ''}, 400, "'module.name'"),
    ({'apply_order': 10}, 400, "'apply_order' must be a whole number from 0 to 9."),
    ({'datastore': {'type': 'mariadb', 'version': '9.9'}}, 400, "has no version '9.9'"),
    ({'contents': '!!'}, 400, 'base64'),
    ({'auto_apply': 1}, 403, 'Only administrators may change a module with auto_apply'),
    ({'visible': 0}, 403, 'visible=false'),
    ({'all_tenants': 1}, 403, 'all_tenants'),
    ({'priority_apply': 1}, 403, 'priority_apply'),
    ({'full_access': 1}, 403, 'full_access'),
])
def test_update_refuses_what_create_refuses(client, catalogue, fields, code, words):
    module = created(client)
    resp = update(client, module['id'], **fields)
    assert resp.status_code == code, resp.body
    assert words in message(resp)
    assert client.get('/modules/%s' % module['id']).json_body_or_none['module'] == dict(
        module, instance_count=0)


def test_update_into_a_duplicate_is_a_400(client, catalogue):
    created(client, name='one')
    module = created(client, name='two')
    resp = update(client, module['id'], name='one')
    assert resp.status_code == 400 and 'already exists' in message(resp)
    assert update(client, module['id'], name='two', description='same key').status_code == 200


def test_the_body_is_a_change_or_a_reapply(client, catalogue):
    module = created(client)
    for body in ({}, {'module': {}, 'reapply': {}}):
        resp = client.request('PUT', '/modules/%s' % module['id'], body=body)
        assert resp.status_code == 400
        assert message(resp) == ('The body must be {"module": {...}} (a change) or '
                                 '{"reapply": {...}}.')


# -- the is_admin lock (§2.6 item 5) ---------------------------------------------------

def test_an_admin_module_is_locked_to_admins(client, catalogue):
    module = created(client)
    changed = update(client, module['id'], roles='admin', description='by admin')
    assert changed.json_body_or_none['module']['is_admin'] is False
    assert update(client, module['id'], description='by member').status_code == 200
    changed = update(client, module['id'], roles='admin', auto_apply=1)
    assert changed.json_body_or_none['module']['is_admin'] is True
    resp = update(client, module['id'], description='again')
    assert resp.status_code == 403
    assert "Module 'lic' is an admin module: only administrators may change it." in message(resp)
    resp = client.request('DELETE', '/modules/%s' % module['id'])
    assert resp.status_code == 403 and 'only administrators may delete it' in message(resp)
    # full_access=False keeps it locked even once the admin options are off.
    update(client, module['id'], roles='admin', auto_apply=0, full_access=0)
    assert update(client, module['id'], description='x').status_code == 403
    opened = update(client, module['id'], roles='admin', full_access=1).json_body_or_none
    assert opened['module']['is_admin'] is False
    assert client.request('DELETE', '/modules/%s' % module['id']).status_code == 200


def test_an_admins_plain_module_is_an_admin_module(client, catalogue):
    module = created(client, roles='admin')
    assert module['is_admin'] is True
    assert update(client, module['id'], description='x').status_code == 403


# -- live_update and delete (§1.9 items 8, 13) ------------------------------------------

def _apply_row(module_id, md5_value, instance_id=None, deleted=False):
    with session_scope() as session:
        row = mm.InstanceModule(instance_id=instance_id or _instance('holder'),
                                module_id=module_id, md5=md5_value, deleted=deleted)
        session.add(row)
        session.flush()
        return row.id


def _remove_row(row_id):
    with session_scope() as session:
        row = session.get(mm.InstanceModule, row_id)
        row.deleted, row.deleted_at = True, models.utcnow()


def test_without_live_update_an_applied_module_is_neither_changed_nor_deleted(client,
                                                                             catalogue):
    module = created(client)
    _apply_row(module['id'], module['md5'], deleted=True)        # removed: no matter
    applied = _apply_row(module['id'], module['md5'])
    resp = update(client, module['id'], contents=b64('v2'))
    assert resp.status_code == 403
    assert message(resp) == (
        "Module 'lic' is applied to 1 instance (holder) and does not allow live updates: "
        "remove it from them first (each instance's Modules tab, or trove module-remove), "
        'then change it.')
    assert update(client, module['id'], description='x').status_code == 403
    resp = client.request('DELETE', '/modules/%s' % module['id'])
    assert resp.status_code == 403 and message(resp).endswith('then delete it.')
    assert stored(module['id']).md5 == md5('hello')
    _remove_row(applied)
    resp = update(client, module['id'], contents=b64('v2'))
    assert resp.status_code == 200 and resp.json_body_or_none['module']['md5'] == md5('v2')
    # A row at the old md5 (an instance still has the first contents) does not hold it.
    _apply_row(module['id'], md5('hello'))
    assert update(client, module['id'], contents=b64('v3')).status_code == 200


def test_with_live_update_an_applied_module_changes_and_instances_keep_their_md5(client,
                                                                               catalogue):
    module = created(client, live_update=1)
    applied = _apply_row(module['id'], module['md5'])
    resp = update(client, module['id'], contents=b64('v2'))
    assert resp.status_code == 200 and resp.json_body_or_none['module']['md5'] == md5('v2')
    with session_scope() as session:
        assert session.get(mm.InstanceModule, applied).md5 == md5('hello')
    assert client.request('DELETE', '/modules/%s' % module['id']).status_code == 200


def test_delete_is_soft_and_a_second_delete_is_a_404(client, catalogue):
    module = created(client)
    resp = client.request('DELETE', '/modules/%s' % module['id'])
    assert resp.status_code == 200 and resp.body == b''
    assert client.get('/modules/%s' % module['id']).status_code == 404
    assert client.request('DELETE', '/modules/%s' % module['id']).status_code == 404
    assert listed(client) == set()
    row = stored(module['id'])
    assert row.deleted and row.deleted_at is not None


def test_a_refusal_names_only_the_instances_the_caller_may_see(client, catalogue):
    # A project's module an admin also applied to another project's instance: that one
    # is counted, never named.
    module = created(client)
    _apply_row(module['id'], module['md5'], _instance('mine'))
    _apply_row(module['id'], module['md5'], _instance('secret', project=OTHER_PROJECT))
    resp = update(client, module['id'], description='x')
    assert resp.status_code == 403
    assert "is applied to 2 instances (mine, ...) and does not allow" in message(resp)
    assert 'secret' not in message(resp)


# -- the instances a module is on -------------------------------------------------------

def _instance(name, project=PROJECT, deleted=False):
    with session_scope() as session:
        version = session.scalars(select(models.DatastoreVersion)
                                  .where(models.DatastoreVersion.name == '10.11')).one()
        row = m.Instance(name=name, project_id=project, datastore_version_id=version.id,
                         flavor_id='2', ram_mb=512, vcpus=1, volume_size=1, deleted=deleted)
        session.add(row)
        session.flush()
        return row.id


def test_the_instances_of_a_module_page_as_instance_views(client, catalogue):
    module = created(client, roles='admin', all_tenants=1, live_update=1)
    mine = sorted(_instance('i%d' % i) for i in range(3))
    theirs = _instance('theirs', project=OTHER_PROJECT)
    gone = _instance('gone', deleted=True)
    for instance_id in mine + [theirs, gone]:
        _apply_row(module['id'], module['md5'], instance_id)
    _apply_row(module['id'], module['md5'], mine[0])       # a duplicate row: listed once
    _instance('without')
    path = '/modules/%s/instances' % module['id']
    body = client.get(path + '?limit=2').json_body_or_none
    assert [i['id'] for i in body['instances']] == mine[:2]
    assert body['instances'][0]['datastore'] == {'type': 'mariadb', 'version': '10.11',
                                                 'version_number': '10.11.19'}
    (link,) = body['links']
    rest = client.get(link['href'].split('/v1.0/%s' % PROJECT, 1)[1]).json_body_or_none
    assert [i['id'] for i in rest['instances']] == mine[2:] and rest['links'] == []
    everyone = client.get(path, roles='admin').json_body_or_none['instances']
    assert sorted(i['id'] for i in everyone) == sorted(mine + [theirs])
    shown = client.get('/modules/%s' % module['id']).json_body_or_none['module']
    assert shown['instance_count'] == 3


def test_count_only_gives_a_count_per_md5(client, catalogue):
    module = created(client, live_update=1)
    first, second, third = (_instance('i%d' % i) for i in range(3))
    _apply_row(module['id'], module['md5'], first)
    update(client, module['id'], contents=b64('v2'))
    _apply_row(module['id'], md5('v2'), second)
    _apply_row(module['id'], md5('v2'), third)
    _apply_row(module['id'], md5('v2'), _instance('theirs', project=OTHER_PROJECT))
    resp = client.get('/modules/%s/instances?count_only=True&include_clustered=True'
                      % module['id'])
    assert resp.status_code == 200, resp.body
    counts = resp.json_body_or_none['instances']
    by_md5 = {entry['module_md5']: entry for entry in counts}
    assert set(by_md5) == {md5('hello'), md5('v2')}
    assert set(counts[0]) == {'module_id', 'module_name', 'module_md5', 'instance_count',
                              'current', 'min_updated_date', 'max_updated_date'}
    old, new = by_md5[md5('hello')], by_md5[md5('v2')]
    assert (old['instance_count'], old['current'], new['instance_count'], new['current']) == (
        1, False, 2, True)
    assert (new['module_id'], new['module_name']) == (module['id'], 'lic')
    assert new['min_updated_date'] <= new['max_updated_date']
    admin = client.get('/modules/%s/instances?count_only=True' % module['id'], roles='admin')
    assert {e['module_md5']: e['instance_count']
            for e in admin.json_body_or_none['instances']}[md5('v2')] == 3
    assert client.get('/modules/%s' % module['id']).json_body_or_none['module'][
        'instance_count'] == 2


def test_whoever_has_the_admin_options_counts_every_projects_instances(client, catalogue,
                                                                       conf):
    # The operator delegated the admin options to a role that is not admin: its holders see
    # every project's modules, so they count and list every project's instances too.
    with open(conf.api.policy_file, 'w') as policy_file:
        policy_file.write('"module:admin_options": "role:admin or role:module_admin"\n')
    module = created(client, roles='admin', all_tenants=1, live_update=1)
    mine, theirs = _instance('mine'), _instance('theirs', project=OTHER_PROJECT)
    for instance_id in (mine, theirs):
        _apply_row(module['id'], module['md5'], instance_id)
    roles = 'member,module_admin'
    shown = client.get('/modules/%s' % module['id'], roles=roles).json_body_or_none
    assert shown['module']['instance_count'] == 2
    listed_ids = client.get('/modules/%s/instances' % module['id'],
                            roles=roles).json_body_or_none['instances']
    assert sorted(i['id'] for i in listed_ids) == sorted([mine, theirs])
    assert client.get('/modules/%s' % module['id']).json_body_or_none['module'][
        'instance_count'] == 1


def test_the_instances_page_is_one_query_whatever_its_size(client, catalogue):
    module = created(client, live_update=1)
    path = '/modules/%s/instances' % module['id']

    def page():
        assert client.get(path).status_code == 200

    for i in range(2):
        _apply_row(module['id'], module['md5'], _instance('few%d' % i))
    few = _count_statements(page)
    for i in range(10):
        _apply_row(module['id'], module['md5'], _instance('many%d' % i))
    many = _count_statements(page)
    assert len(client.get(path).json_body_or_none['instances']) == 12
    # The module (the controller's policy target, the domain's own check), then the page.
    assert len(few) == len(many) == 3, many


# -- reapply (handed to instance_modules.reapply) ---------------------------------------

@pytest.fixture
def reapplied(monkeypatch):
    calls = []
    fake = types.ModuleType('api_service.domain.instance_modules')
    fake.reapply = lambda ctx, module, options: calls.append((ctx, module, options))
    monkeypatch.setitem(sys.modules, 'api_service.domain.instance_modules', fake)
    monkeypatch.setattr(api_service.domain, 'instance_modules', fake, raising=False)
    return calls


def test_reapply_hands_the_module_and_options_to_the_instance_side(client, catalogue,
                                                                   reapplied):
    module = created(client)
    resp = client.request('PUT', '/modules/%s/instances' % module['id'], body={'reapply': {
        'md5': module['md5'], 'include_clustered': 1, 'batch_size': 5, 'batch_delay': 3,
        'force': 0}})
    assert resp.status_code == 202 and resp.body == b''
    ctx, row, options = reapplied[0]
    assert (ctx.project_id, row.id, row.md5) == (PROJECT, module['id'], md5('hello'))
    assert options == {'md5': md5('hello'), 'include_clustered': True, 'batch_size': 5,
                       'batch_delay': 3, 'force': False}
    resp = client.request('PUT', '/modules/%s' % module['id'], body={'reapply': {}})
    assert resp.status_code == 202
    assert reapplied[1][2] == {'md5': None, 'include_clustered': False, 'batch_size': None,
                               'batch_delay': None, 'force': False}


def test_reapply_checks_its_body_and_the_module(client, catalogue, reapplied):
    module = created(client)
    path = '/modules/%s/instances' % module['id']
    resp = client.request('PUT', path, body={'reapply': {'batch_size': 0}})
    assert resp.status_code == 400 and 'batch_size' in message(resp)
    resp = client.request('PUT', path, body={'reapply': {'force': 'yes'}})
    assert resp.status_code == 400 and "'force' must be true or false" in message(resp)
    assert client.request('PUT', path, body={'reapply': {}},
                          project=OTHER_PROJECT).status_code == 404
    resp = client.request('PUT', path, body={'reapply': {}}, roles='reader')
    assert resp.status_code == 403
    assert reapplied == []


# -- policies ---------------------------------------------------------------------------

def test_readers_read_and_members_write(client, catalogue):
    module = created(client)
    assert client.get('/modules', roles='reader').status_code == 200
    assert client.get('/modules/%s' % module['id'], roles='reader').status_code == 200
    assert create(client, roles='reader', name='r').status_code == 403
    assert update(client, module['id'], roles='reader', name='r').status_code == 403
    assert client.request('DELETE', '/modules/%s' % module['id'],
                          roles='reader').status_code == 403
