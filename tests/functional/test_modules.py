"""Module records through the real stack (issue #11; spec digest §1.9 tests 1-5 and 13, §2.6
tests 1-3 and 5): the fields and their defaults, contents sealed at rest, bad input, the
admin-only options, visibility and tenancy, the datastore filter, the is_admin lock, delete.
What modules do on instances is in test_modules_instances.py."""
import os
import sqlite3

import pytest
from cryptography.fernet import Fernet

from tests.functional.instance_helpers import raw, trove
from tests.functional.modules_helpers import (create_module, delete_module, md5, module_body,
                                              other_project, refusal, unique, update_module)


@pytest.fixture(scope='module')
def demo(stack):
    return trove(stack, 'demo')


@pytest.fixture(scope='module')
def admin(stack):
    return trove(stack, 'admin')


@pytest.fixture(scope='module')
def stranger(stack):
    with other_project(stack) as found:
        yield found


@pytest.fixture
def made(demo, admin):
    """Module ids a test made ({'demo': [...], 'admin': [...]}), deleted afterwards."""
    ids = {'demo': [], 'admin': []}
    yield ids
    for owner, client in (('demo', demo), ('admin', admin)):
        for module_id in ids[owner]:
            delete_module(client, module_id)


def stored_row(stack, module_id):
    with sqlite3.connect(os.path.join(stack.root, 'dbaas.sqlite')) as db:
        db.row_factory = sqlite3.Row
        return db.execute('SELECT * FROM modules WHERE id = ?', (module_id,)).fetchone()


def test_create_as_a_tenant_gives_the_fields_and_seals_the_contents(stack, demo, made):
    name = unique('hello')
    module = create_module(demo, name, 'ping', b'hello', 'mariadb')
    made['demo'].append(module['id'])
    assert module['md5'] == md5(b'hello')
    assert 'contents' not in module
    assert (module['name'], module['type'], module['datastore'],
            module['datastore_version']) == (name, 'ping', 'mariadb', 'all')
    assert module['tenant'] == module['tenant_id'] == stack.demo_project_id
    assert module['datastore_version_id'] is None and module['datastore_id']
    assert (module['auto_apply'], module['live_update'], module['is_admin']) == (
        False, False, False)
    assert module['created'] and module['updated']
    # Spec §2.6 test 1: the ordering fields' defaults.
    assert (module['priority_apply'], module['apply_order']) == (False, 5)

    shown = raw(demo, 'GET', '/modules/%s' % module['id']).json()['module']
    assert shown['md5'] == md5(b'hello') and 'contents' not in shown
    assert shown['instance_count'] == 0
    # Listed through the client too, without contents.
    (listed,) = [m for m in demo.modules.list() if m.id == module['id']]
    assert not hasattr(listed, 'contents')

    # At rest: sealed with the stack's module key, neither the plaintext nor its base64.
    row = stored_row(stack, module['id'])
    assert row['contents'] not in ('hello', 'aGVsbG8=') and 'hello' not in row['contents']
    key = Fernet(stack.secrets['module_key'].encode())
    assert key.decrypt(row['contents'].encode()) == b'hello'
    assert row['md5'] == md5(b'hello') and row['project_id'] == stack.demo_project_id


@pytest.mark.parametrize('change, words', [
    ({'module_type': 'nope'}, 'nope'),
    ({'contents': None}, 'contents'),
    ({'contents': 'not base64!'}, 'base64'),
    ({'name': ''}, 'name'),
    ({'datastore': {'type': 'foo'}}, 'foo'),
    ({'datastore': {'type': 'mariadb', 'version': '9.9'}}, '9.9'),
    ({'description': 'x' * 513}, 'description'),
    ({'apply_order': 10}, 'apply_order'),
    ({'apply_order': -1}, 'apply_order'),
    ({'apply_order': 'abc'}, 'apply_order'),
    ({'apply_order': 3.5}, 'apply_order'),
])
def test_bad_input_is_a_400_that_names_the_field(demo, change, words):
    body = module_body(unique('bad'), 'ping', b'x', 'mariadb')
    for key, value in change.items():
        if value is None:
            body['module'].pop(key)
        else:
            body['module'][key] = value
    message = refusal(raw(demo, 'POST', '/modules', json=body), 400)
    assert words in message, message


def test_a_duplicate_is_a_400_and_apply_order_0_and_9_are_taken(demo, made):
    name = unique('dup')
    first = create_module(demo, name, 'ping', b'one', 'mariadb', apply_order=0)
    made['demo'].append(first['id'])
    assert first['apply_order'] == 0
    message = refusal(raw(demo, 'POST', '/modules',
                          json=module_body(name, 'ping', b'two', 'mariadb')), 400)
    assert name in message, message
    # The same name for another datastore is another module.
    other = create_module(demo, name, 'ping', b'two', 'redis', apply_order=9)
    made['demo'].append(other['id'])
    assert other['apply_order'] == 9


@pytest.mark.parametrize('option', [
    {'all_tenants': True}, {'datastore': None}, {'auto_apply': True}, {'visible': False},
    {'priority_apply': True}, {'full_access': True}])
def test_admin_only_options_are_403_for_a_member_and_200_for_admin(demo, admin, made, option):
    name = unique('adm')
    fields = dict(option)
    datastore = 'mariadb'
    if 'datastore' in fields:
        datastore = fields.pop('datastore')
    body = module_body(name, 'ping', b'x', datastore, **fields)
    refusal(raw(demo, 'POST', '/modules', json=body), 403)
    assert name not in [m.name for m in demo.modules.list()]

    resp = raw(admin, 'POST', '/modules', json=body)
    assert resp.status_code == 200, resp.text
    module = resp.json()['module']
    made['admin'].append(module['id'])
    assert 'visible' in module
    if option == {'full_access': True}:
        # Trove's rule: full_access marks an admin's module as not admin-only.
        assert module['is_admin'] is False
    else:
        assert module['is_admin'] is True
    if 'priority_apply' in option:
        assert module['priority_apply'] is True
    if 'datastore' in option:
        assert (module['datastore'], module['datastore_version']) == ('all', 'all')
        assert module['datastore_id'] is None
    if 'all_tenants' in option:
        assert (module['tenant'], module['tenant_id']) == ('all', None)


def test_another_project_neither_sees_nor_touches_a_module(demo, admin, stranger, made):
    client, _project = stranger
    module = create_module(demo, unique('mine'), 'ping', b'secret', 'mariadb')
    made['demo'].append(module['id'])
    path = '/modules/%s' % module['id']
    assert module['id'] not in [m.id for m in client.modules.list()]
    refusal(raw(client, 'GET', path), 404)
    refusal(update_module(client, module['id'], description='taken'), 404)
    refusal(raw(client, 'DELETE', path), 404)
    refusal(raw(client, 'GET', path + '/instances'), 404)
    # Still there, unchanged, and the admin sees every project's modules.
    assert raw(demo, 'GET', path).json()['module']['description'] in (None, '')
    assert module['id'] in [m.id for m in admin.modules.list()]


def test_an_invisible_module_is_absent_for_members(demo, admin, stranger, made):
    hidden = create_module(admin, unique('hidden'), 'ping', b'x', 'mariadb',
                           all_tenants=True, visible=False)
    made['admin'].append(hidden['id'])
    assert hidden['visible'] is False
    for client in (demo, stranger[0]):
        assert hidden['id'] not in [m.id for m in client.modules.list()]
        refusal(raw(client, 'GET', '/modules/%s' % hidden['id']), 404)
    assert hidden['id'] in [m.id for m in admin.modules.list()]


def test_the_datastore_filter_keeps_all_datastore_modules(demo, admin, made):
    maria = create_module(demo, unique('maria'), 'ping', b'x', 'mariadb')
    pg = create_module(demo, unique('pg'), 'ping', b'x', 'postgresql', '15')
    everywhere = create_module(admin, unique('all'), 'ping', b'x', all_tenants=True)
    made['demo'] += [maria['id'], pg['id']]
    made['admin'].append(everywhere['id'])

    def ids(query):
        resp = raw(demo, 'GET', '/modules' + query)
        assert resp.status_code == 200, resp.text
        return {m['id'] for m in resp.json()['modules']}
    mine = {maria['id'], pg['id'], everywhere['id']}
    assert ids('?datastore=mariadb') & mine == {maria['id'], everywhere['id']}
    assert ids('?datastore=postgresql') & mine == {pg['id'], everywhere['id']}
    assert ids('') & mine == mine
    # python-troveclient sends the datastore's id (trove module-list --datastore does).
    maria_id = next(d.id for d in demo.datastores.list() if d.name == 'mariadb')
    assert ids('?datastore=' + maria_id) & mine == {maria['id'], everywhere['id']}
    assert {m.id for m in demo.modules.list(datastore=maria_id)} & mine == {
        maria['id'], everywhere['id']}


def test_is_admin_locks_a_module_to_admins_once_an_admin_option_is_on(demo, admin, made):
    module = create_module(demo, unique('lock'), 'ping', b'x', 'redis')
    made['admin'].append(module['id'])
    path = '/modules/%s' % module['id']
    # An admin's harmless change leaves it the tenant's ...
    resp = update_module(admin, module['id'], description='seen by admin')
    assert resp.status_code == 200, resp.text
    assert resp.json()['module']['is_admin'] is False
    resp = update_module(demo, module['id'], description='still mine')
    assert resp.status_code == 200, resp.text
    assert resp.json()['module']['description'] == 'still mine'
    # ... an admin-only option makes it the admins'.
    resp = update_module(admin, module['id'], auto_apply=1)
    assert resp.status_code == 200, resp.text
    assert resp.json()['module']['is_admin'] is True
    # Switched off again at once: nothing else in the run should get it at create.
    resp = update_module(admin, module['id'], auto_apply=0)
    assert resp.status_code == 200 and resp.json()['module']['is_admin'] is True
    refusal(update_module(demo, module['id'], description='mine again?'), 403)
    refusal(raw(demo, 'DELETE', path), 403)
    assert raw(demo, 'GET', path).json()['module']['description'] == 'still mine'


def test_update_takes_the_clients_type_key_and_new_contents_give_a_new_md5(demo, made):
    module = create_module(demo, unique('upd'), 'ping', b'one', 'mariadb')
    made['demo'].append(module['id'])
    updated = demo.modules.update(module['id'], module_type='file', contents=b'two',
                                  description='d' * 512)
    assert (updated.type, updated.md5, updated.description) == ('file', md5(b'two'), 'd' * 512)
    assert updated.updated >= module['updated']
    refusal(update_module(demo, module['id'], type='nope'), 400)
    refusal(update_module(demo, module['id'], apply_order=10), 400)
    refusal(update_module(demo, module['id'], priority_apply=1), 403)


def test_delete_is_200_then_404(demo):
    module = create_module(demo, unique('gone'), 'ping', b'x', 'mariadb')
    path = '/modules/%s' % module['id']
    resp = raw(demo, 'DELETE', path)
    assert resp.status_code == 200, resp.text
    refusal(raw(demo, 'GET', path), 404)
    refusal(raw(demo, 'DELETE', path), 404)
    assert module['id'] not in [m.id for m in demo.modules.list()]
