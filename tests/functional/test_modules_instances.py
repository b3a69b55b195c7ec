"""Modules on real instances of each engine, through the real stack (issue #11; spec digest
§1.9 tests 4, 6-9, 12 and 14, §2.6 test 4), read back on the guest side: the bytes the `file`
driver placed in the instance's own directory, the journal the `journal` test driver keeps
(tests/fixtures/module_drivers), that no payload ever runs, and that contents reach no log
and no database column unsealed.

One instance of each engine is shared by the whole file; each test removes what it applied.
Modules at create time and what an instance's delete leaves: test_modules_create.py.
"""
import base64
import os
import tempfile

import pytest

from tests.conftest import RUN_TEMP_DIR
from tests.functional.instance_helpers import raw, trove, wait_gone, wait_status
from tests.functional.modules_helpers import (apply, create_module, delete_module, from_guest,
                                              journal, listed, md5, modules_dir, other_project,
                                              placed_file, refusal, remove, unique,
                                              update_module, wait_for)

ENGINES = {'mariadb': '10.11', 'postgresql': '15', 'redis': '7.0'}


@pytest.fixture(scope='module')
def demo(stack):
    return trove(stack, 'demo')


@pytest.fixture(scope='module')
def admin(stack):
    return trove(stack, 'admin')


@pytest.fixture(scope='module')
def instances(demo):
    """{datastore: instance id}: one ACTIVE instance per engine, built side by side."""
    made = {ds: demo.instances.create('mod-' + ds, flavor_id='1', volume={'size': 1},
                                      datastore=ds, datastore_version=version).id
            for ds, version in ENGINES.items()}
    try:
        for instance_id in made.values():
            wait_status(demo, instance_id, 'ACTIVE')
        yield made
    finally:
        for instance_id in made.values():
            demo.instances.delete(instance_id)
        for instance_id in made.values():
            wait_gone(demo, instance_id)


@pytest.fixture(scope='module')
def stranger(stack):
    """(client, project id) of a member of another project."""
    with other_project(stack) as found:
        yield found


@pytest.fixture(params=sorted(ENGINES))
def engine(request, instances):
    """(datastore name, instance id) of each engine's shared instance."""
    return request.param, instances[request.param]


@pytest.fixture
def cleanup(demo):
    """Registers (client, instance id or None, module id); afterwards removes each module from
    its instance and deletes it, so the next test finds the shared instance as it was."""
    made = []
    yield lambda client, instance_id, module_id: made.append((client, instance_id, module_id))
    for client, instance_id, module_id in reversed(made):
        if instance_id:
            remove(demo, instance_id, module_id)
        delete_module(client, module_id)
    # Nothing left behind for the next test (a module still applied could not be deleted).
    for client, _instance_id, module_id in made:
        assert raw(client, 'GET', '/modules/%s' % module_id).status_code == 404, module_id


def guest_files(stack, instance_id):
    """Every file under the instance's modules directory: {path: mode}."""
    found = {}
    for top, _dirs, files in os.walk(modules_dir(stack, instance_id)):
        for name in files:
            path = os.path.join(top, name)
            found[path] = os.stat(path).st_mode
    return found


def test_apply_places_the_exact_bytes_that_query_retrieve_and_remove_agree_on(
        stack, demo, engine, cleanup):
    datastore, instance_id = engine
    contents = b'licence for %s\n\x00\xff\xfe binary tail\n' % datastore.encode()
    name = unique('lic')
    module = create_module(demo, name, 'file', contents, datastore)
    cleanup(demo, None, module['id'])

    (result,) = apply(demo, instance_id, module['id'])
    filename = '%s-all-%s.lic' % (datastore, name)
    assert (result['id'], result['name'], result['status']) == (module['id'], name, 'OK')
    assert (result['md5'], result['filename']) == (md5(contents), filename)
    assert 'contents' not in result or result['contents'] is None

    # The guest side: the exact bytes, where the driver says, and nothing executable.
    path = placed_file(stack, instance_id, filename)
    with open(path, 'rb') as handle:
        assert handle.read() == contents
    assert not os.stat(path).st_mode & 0o111
    assert not any(mode & 0o111 for mode in guest_files(stack, instance_id).values())

    # What the database remembers, what the guest reports, what retrieve gives back.
    (row,) = [m for m in listed(demo, instance_id) if m['id'] == module['id']]
    assert (row['name'], row['type'], row['md5']) == (name, 'file', md5(contents))
    queried = from_guest(demo, instance_id)[module['id']]
    assert (queried['status'], queried['md5'], queried['filename']) == ('OK', md5(contents),
                                                                       filename)
    assert queried['installed'] and queried.get('contents') is None
    retrieved = from_guest(demo, instance_id, include_contents=True)[module['id']]
    assert base64.b64decode(retrieved['contents']) == contents

    # The module knows its instance, by list and by count.
    assert raw(demo, 'GET', '/modules/%s' % module['id']).json()['module']['instance_count'] == 1
    found = raw(demo, 'GET', '/modules/%s/instances' % module['id']).json()['instances']
    assert [i['id'] for i in found] == [instance_id]
    (count,) = raw(demo, 'GET', '/modules/%s/instances?count_only=True' % module['id']).json()[
        'instances']
    assert (count['module_id'], count['module_name'], count['module_md5'],
            count['instance_count'], count['current']) == (module['id'], name, md5(contents),
                                                           1, True)

    # Remove: gone from the database's list, from the guest's, and from the disk.
    resp = remove(demo, instance_id, module['id'])
    assert resp.status_code == 200, resp.text
    assert module['id'] not in [m['id'] for m in listed(demo, instance_id)]
    assert module['id'] not in from_guest(demo, instance_id)
    assert not os.path.exists(path)
    assert not any(module['id'] in p for p in guest_files(stack, instance_id))
    refusal(remove(demo, instance_id, module['id']), 404)
    assert raw(demo, 'GET', '/modules/%s/instances' % module['id']).json()['instances'] == []


def test_contents_are_never_executed(stack, demo, engine, cleanup):
    datastore, instance_id = engine
    # A directory anyone may write to: had a driver run the script as any user, it would be
    # there.
    where = tempfile.mkdtemp(prefix='pwn-', dir=RUN_TEMP_DIR)
    os.chmod(where, 0o1777)
    marker = os.path.join(where, 'pwned')
    script = b'#!/bin/sh\ntouch %s\n' % marker.encode()
    ids = []
    for module_type in ('file', 'ping', 'journal'):
        module = create_module(demo, unique('sh-' + module_type), module_type, script,
                               datastore)
        cleanup(demo, instance_id, module['id'])
        ids.append(module['id'])
    results = apply(demo, instance_id, *ids)
    assert {r['id']: r['status'] for r in results} == {i: 'OK' for i in ids}
    (placed,) = [r for r in results if r['type'] == 'file']
    path = placed_file(stack, instance_id, placed['filename'])
    with open(path, 'rb') as handle:
        assert handle.read() == script
    assert not any(mode & 0o111 for mode in guest_files(stack, instance_id).values())
    assert not os.path.exists(marker)
    # Still not after a query either (drivers' query runs on the guest too).
    assert set(ids) <= set(from_guest(demo, instance_id))
    assert not os.path.exists(marker)


def test_failing_and_missing_drivers_fail_their_module_only(stack, demo, engine, cleanup):
    datastore, instance_id = engine
    failing = create_module(demo, unique('fail'), 'fail', b'x', datastore)
    missing = create_module(demo, unique('missing'), 'missing', b'x', datastore)
    fine = create_module(demo, unique('fine'), 'file', b'fine', datastore)
    for module in (failing, missing, fine):
        cleanup(demo, instance_id, module['id'])

    results = {r['id']: r for r in apply(demo, instance_id, failing['id'], missing['id'],
                                         fine['id'])}
    assert results[failing['id']]['status'] == 'FAILED'
    assert results[failing['id']]['message']
    assert results[missing['id']]['status'] == 'FAILED'
    assert results[missing['id']]['message'] == \
        "No module driver for type 'missing' on this guest."
    assert results[fine['id']]['status'] == 'OK'
    with open(placed_file(stack, instance_id, results[fine['id']]['filename']), 'rb') as handle:
        assert handle.read() == b'fine'

    # Only what applied is recorded as the instance's; the guest reports all three.
    made = {failing['id'], missing['id'], fine['id']}
    assert {m['id'] for m in listed(demo, instance_id)} & made == {fine['id']}
    queried = from_guest(demo, instance_id)
    assert queried[failing['id']]['status'] == 'FAILED'
    assert queried[failing['id']]['message'] == results[failing['id']]['message']
    assert queried[missing['id']]['status'] == 'FAILED'
    assert queried[fine['id']]['status'] == 'OK'
    # A failed module never touches the instance's state.
    instance = demo.instances.get(instance_id)
    assert instance.status == 'ACTIVE' and not getattr(instance, 'fault', None)


def test_one_apply_call_runs_priority_then_order_then_name(demo, admin, stack, engine, cleanup):
    """Spec §2.6 test 4: P9, P0 (priority, admin's), N0, N9, N5 (default order), given in
    reverse; the journal driver writes each name as it runs."""
    datastore, instance_id = engine
    tag = unique('ord')
    names = {key: '%s-%s' % (key, tag) for key in ('P0', 'P9', 'N0', 'N5', 'N9')}
    ids = {}
    for key in ('P0', 'P9'):
        module = create_module(admin, names[key], 'journal', b'x', datastore,
                               all_tenants=True, priority_apply=True,
                               apply_order=int(key[1]))
        cleanup(admin, instance_id, module['id'])
        ids[key] = module['id']
    for key, order in (('N0', 0), ('N9', 9), ('N5', None)):
        fields = {} if order is None else {'apply_order': order}
        module = create_module(demo, names[key], 'journal', b'x', datastore, **fields)
        cleanup(demo, instance_id, module['id'])
        ids[key] = module['id']
    expected = ['P0', 'P9', 'N0', 'N5', 'N9']

    before = journal(stack, instance_id)
    results = apply(demo, instance_id, *[ids[k] for k in reversed(expected)])
    assert [r['name'] for r in results] == [names[k] for k in expected]
    assert {r['status'] for r in results} == {'OK'}
    assert journal(stack, instance_id)[len(before):] == [names[k] for k in expected]


def test_live_update_false_refuses_update_and_delete_while_applied(stack, demo, engine,
                                                                    cleanup):
    datastore, instance_id = engine
    module = create_module(demo, unique('fixed'), 'file', b'v1', datastore)
    cleanup(demo, instance_id, module['id'])
    (result,) = apply(demo, instance_id, module['id'])
    path = placed_file(stack, instance_id, result['filename'])

    # Trove's ModuleAppliedToInstance: 403 on its wire (python-troveclient shows Forbidden).
    refusal(update_module(demo, module['id'], contents=base64.b64encode(b'v2').decode()), 403)
    refusal(raw(demo, 'DELETE', '/modules/%s' % module['id']), 403)
    assert raw(demo, 'GET', '/modules/%s' % module['id']).json()['module']['md5'] == md5(b'v1')

    assert remove(demo, instance_id, module['id']).status_code == 200
    assert module['id'] not in from_guest(demo, instance_id)
    assert not os.path.exists(path)
    resp = update_module(demo, module['id'], contents=base64.b64encode(b'v2').decode())
    assert resp.status_code == 200, resp.text
    assert resp.json()['module']['md5'] == md5(b'v2')


def test_live_update_keeps_the_applied_md5_until_a_reapply(stack, demo, engine, cleanup):
    datastore, instance_id = engine
    module = create_module(demo, unique('live'), 'file', b'v1', datastore, live_update=True)
    cleanup(demo, instance_id, module['id'])
    (result,) = apply(demo, instance_id, module['id'])
    path = placed_file(stack, instance_id, result['filename'])

    def applied_md5():
        (row,) = [m for m in listed(demo, instance_id) if m['id'] == module['id']]
        return row['md5']

    def count_row():
        (row,) = raw(demo, 'GET', '/modules/%s/instances?count_only=True'
                     % module['id']).json()['instances']
        return row['module_md5'], row['current']

    resp = update_module(demo, module['id'], contents=base64.b64encode(b'v2').decode())
    assert resp.status_code == 200, resp.text
    assert resp.json()['module']['md5'] == md5(b'v2')
    # The instance keeps what it applied, and says so.
    assert applied_md5() == md5(b'v1')
    assert from_guest(demo, instance_id)[module['id']]['md5'] == md5(b'v1')
    with open(path, 'rb') as handle:
        assert handle.read() == b'v1'
    assert count_row() == (md5(b'v1'), False)

    # Reapply (the task manager's work) brings it to the module's md5, file and all.
    resp = raw(demo, 'PUT', '/modules/%s/instances' % module['id'], json={'reapply': {}})
    assert resp.status_code == 202, resp.text
    wait_for(lambda: applied_md5() == md5(b'v2'), 'the reapply of v2')
    assert from_guest(demo, instance_id)[module['id']]['md5'] == md5(b'v2')
    with open(path, 'rb') as handle:
        assert handle.read() == b'v2'
    assert count_row() == (md5(b'v2'), True)

    # The other spelling: {"reapply": ...} on the module itself.
    update_module(demo, module['id'], contents=base64.b64encode(b'v3').decode())
    resp = raw(demo, 'PUT', '/modules/%s' % module['id'], json={'reapply': {}})
    assert resp.status_code in (200, 202), resp.text
    wait_for(lambda: applied_md5() == md5(b'v3'), 'the reapply of v3')
    with open(path, 'rb') as handle:
        assert handle.read() == b'v3'


    # force: applied again where it is already current (the journal driver writes again).
    noted = create_module(demo, unique('again'), 'journal', b'x', datastore)
    cleanup(demo, instance_id, noted['id'])
    apply(demo, instance_id, noted['id'])
    assert journal(stack, instance_id).count(noted['name']) == 1
    resp = raw(demo, 'PUT', '/modules/%s/instances' % noted['id'],
               json={'reapply': {'force': 1}})
    assert resp.status_code == 202, resp.text
    wait_for(lambda: journal(stack, instance_id).count(noted['name']) == 2,
             'the forced reapply')


def test_what_an_instance_may_not_get(demo, admin, stranger, engine, cleanup):
    datastore, instance_id = engine
    elsewhere = 'redis' if datastore != 'redis' else 'mariadb'
    other = create_module(demo, unique('other-ds'), 'file', b'x', elsewhere)
    cleanup(demo, None, other['id'])
    message = refusal(raw(demo, 'POST', '/instances/%s/modules' % instance_id,
                          json={'modules': [{'id': other['id']}]}), 400)
    assert other['name'] in message and datastore in message, message
    if datastore == 'postgresql':
        # The right datastore, another version than the instance's (15).
        other_version = create_module(demo, unique('pg18'), 'file', b'x', 'postgresql', '18')
        cleanup(demo, None, other_version['id'])
        message = refusal(raw(demo, 'POST', '/instances/%s/modules' % instance_id,
                              json={'modules': [{'id': other_version['id']}]}), 400)
        assert other_version['name'] in message, message

    # Unknown module, unknown instance: 404.
    refusal(raw(demo, 'POST', '/instances/%s/modules' % instance_id,
                json={'modules': [{'id': '00000000-0000-0000-0000-000000000000'}]}), 404)
    mine = create_module(demo, unique('mine'), 'file', b'x', datastore)
    cleanup(demo, None, mine['id'])
    refusal(raw(demo, 'POST', '/instances/00000000-0000-0000-0000-000000000000/modules',
                json={'modules': [{'id': mine['id']}]}), 404)

    # An invisible module is absent for a member, even applied explicitly.
    hidden = create_module(admin, unique('hidden'), 'file', b'x', datastore,
                           all_tenants=True, visible=False)
    cleanup(admin, None, hidden['id'])
    refusal(raw(demo, 'POST', '/instances/%s/modules' % instance_id,
                json={'modules': [{'id': hidden['id']}]}), 404)
    assert hidden['id'] not in from_guest(demo, instance_id)

    # Another project neither applies its module here nor sees this instance's modules.
    client = stranger[0]
    theirs = create_module(client, unique('theirs'), 'file', b'x', datastore)
    cleanup(client, None, theirs['id'])
    refusal(raw(demo, 'POST', '/instances/%s/modules' % instance_id,
                json={'modules': [{'id': theirs['id']}]}), 404)
    for method, path in (('GET', '/instances/%s/modules' % instance_id),
                         ('GET', '/instances/%s/modules?from_guest=True' % instance_id),
                         ('POST', '/instances/%s/modules' % instance_id),
                         ('DELETE', '/instances/%s/modules/%s' % (instance_id, mine['id']))):
        body = {'modules': [{'id': theirs['id']}]} if method == 'POST' else None
        refusal(raw(client, method, path, json=body), 404)
    assert demo.instances.get(instance_id).status == 'ACTIVE'


def test_contents_reach_no_log_event_or_database_column(stack, demo, instances, cleanup):
    """Module contents are secrets: applied (OK and FAILED), queried, retrieved and removed
    on each engine, they appear in no service's or agent's log, and the database holds them
    only sealed."""
    secret = ('licence-key-%s' % unique('s')).encode()
    for datastore, instance_id in sorted(instances.items()):
        ids = [create_module(demo, unique('secret'), module_type, secret, datastore)['id']
               for module_type in ('file', 'fail')]
        for module_id in ids:
            cleanup(demo, instance_id, module_id)
        assert {r['status'] for r in apply(demo, instance_id, *ids)} == {'OK', 'FAILED'}
        retrieved = from_guest(demo, instance_id, include_contents=True)
        assert {base64.b64decode(retrieved[i]['contents']) for i in ids} == {secret}
        assert remove(demo, instance_id, ids[0]).status_code == 200
    forms = (secret, base64.b64encode(secret))
    places = [os.path.join(stack.root, 'logs')] + [
        os.path.join(stack.instance_root, 'instances', i) for i in instances.values()]
    scanned = []
    for place in places:
        for top, _dirs, files in os.walk(place):
            for name in files:
                if name.endswith('.log') and name != 'journal.log':
                    scanned.append(os.path.join(top, name))
    for name in os.listdir(stack.root):
        if name.startswith('dbaas.sqlite'):
            scanned.append(os.path.join(stack.root, name))
    assert any(p.endswith('agent.log') for p in scanned), scanned
    for path in scanned:
        with open(path, 'rb') as handle:
            text = handle.read()
        assert not any(form in text for form in forms), path
