"""Modules at instance create, through the real stack (issue #11; spec digest §1.9 tests 10
and 11, §2.6 test 4 "repeat through instance create"): the explicit modules plus the
auto-apply ones resolved on the server, applied by prepare in priority, order and name order;
a failing one leaves the instance ACTIVE; another engine's instance does not get a MariaDB-only
auto-apply module; and deleting the instance leaves no module behind."""
import os
import sqlite3

import pytest
from troveclient import exceptions

from tests.functional.instance_helpers import leftovers, raw, trove, wait_gone, wait_status
from tests.functional.modules_helpers import (create_module, delete_module, from_guest,
                                              journal, listed, md5, modules_dir, placed_file,
                                              unique, wait_for)


@pytest.fixture(scope='module')
def demo(stack):
    return trove(stack, 'demo')


@pytest.fixture(scope='module')
def admin(stack):
    return trove(stack, 'admin')


def test_create_applies_explicit_and_auto_modules_in_order_and_delete_leaves_none(
        stack, demo, admin):
    tag = unique('boot')
    names = {key: '%s-%s' % (key, tag) for key in ('P0', 'P9', 'N0', 'N5', 'N9', 'A3')}
    admins, demos = {}, {}
    try:
        for key in ('P0', 'P9'):
            admins[key] = create_module(admin, names[key], 'journal', b'x', 'mariadb',
                                        all_tenants=True, priority_apply=True,
                                        apply_order=int(key[1]))
        # An operator's hidden auto-apply module for every project's MariaDB instances.
        admins['A3'] = create_module(admin, names['A3'], 'journal', b'auto', 'mariadb',
                                     all_tenants=True, auto_apply=True, visible=False,
                                     live_update=True, apply_order=3)
        for key, order in (('N0', 0), ('N9', 9), ('N5', None)):
            fields = {} if order is None else {'apply_order': order}
            demos[key] = create_module(demo, names[key], 'journal', b'x', 'mariadb', **fields)
        demos['lic'] = create_module(demo, unique('lic'), 'file', b'licence\n', 'mariadb')
        demos['fail'] = create_module(demo, unique('fail'), 'fail', b'x', 'mariadb')

        explicit = [demos['N9']['id'], demos['N5']['id'], demos['N0']['id'],
                    admins['P9']['id'], admins['P0']['id'], demos['lic']['id'],
                    demos['fail']['id']]
        maria = demo.instances.create('mod-boot', flavor_id='1', volume={'size': 1},
                                      datastore='mariadb', datastore_version='10.11',
                                      modules=explicit)
        pg = demo.instances.create('mod-boot-pg', flavor_id='1', volume={'size': 1},
                                   datastore='postgresql', datastore_version='15')
        try:
            # A failed module never fails the build; the tenant reads why in the fault.
            wait_status(demo, maria.id, 'ACTIVE')
            fault = wait_for(lambda: getattr(demo.instances.get(maria.id), 'fault', None),
                             "the failed module's fault")
            assert fault['message'] == "The 'fail' driver refuses module '%s', as it always " \
                'does.' % demos['fail']['name']
            assert demo.instances.get(maria.id).status == 'ACTIVE'
            wait_status(demo, pg.id, 'ACTIVE')
            check_maria(stack, demo, maria.id, names, admins, demos)
            # The PostgreSQL instance got nothing: A3 is MariaDB's.
            assert listed(demo, pg.id) == []
            assert from_guest(demo, pg.id) == {}
            assert journal(stack, pg.id) == []
            check_delete_leaves_nothing(stack, demo, maria.id, demos['lic']['id'])
        finally:
            for instance_id in (maria.id, pg.id):
                try:
                    demo.instances.delete(instance_id)
                except exceptions.NotFound:
                    pass        # check_delete_leaves_nothing deleted it
            for instance_id in (maria.id, pg.id):
                wait_gone(demo, instance_id)
    finally:
        for module in admins.values():
            delete_module(admin, module['id'])
        for module in demos.values():
            delete_module(demo, module['id'])
    # Nothing applied any more: live_update=false modules may go now.
    for module in demos.values():
        assert raw(demo, 'GET', '/modules/%s' % module['id']).status_code == 404


def check_maria(stack, demo, instance_id, names, admins, demos):
    expected = ['P0', 'P9', 'N0', 'A3', 'N5', 'N9']
    assert journal(stack, instance_id) == [names[k] for k in expected]
    # The database has each module that applied once, with the md5 it was applied with;
    # the hidden auto-apply one too, though a member sees neither it nor its result (Trove's
    # rule). The failed one is not applied: the conductor forgets it when the guest says so.
    everything = {**admins, **demos}
    applied = {k: m for k, m in everything.items() if k != 'fail'}

    def stored():
        with sqlite3.connect(os.path.join(stack.root, 'dbaas.sqlite')) as db:
            return dict(db.execute('SELECT module_id, md5 FROM instance_modules WHERE '
                                   'instance_id = ? AND deleted = 0', (instance_id,)))
    wait_for(lambda: stored() == {m['id']: m['md5'] for m in applied.values()},
             'the applied modules recorded, the failed one not')
    seen = {k: m for k, m in applied.items() if k != 'A3'}
    rows = {m['id']: m for m in listed(demo, instance_id)}
    assert rows.keys() == {m['id'] for m in seen.values()}
    assert all(rows[m['id']]['md5'] == m['md5'] for m in seen.values())
    # The guest reports each, the failing one as FAILED with its message.
    queried = from_guest(demo, instance_id)
    assert set(queried) == set(rows) | {demos['fail']['id']}
    assert queried[demos['fail']['id']]['status'] == 'FAILED'
    assert queried[demos['fail']['id']]['message']
    assert {queried[m['id']]['status'] for m in seen.values()} == {'OK'}
    with open(placed_file(stack, instance_id, queried[demos['lic']['id']]['filename']),
              'rb') as handle:
        assert handle.read() == b'licence\n'
    assert queried[demos['lic']['id']]['md5'] == md5(b'licence\n')


def check_delete_leaves_nothing(stack, demo, instance_id, module_id):
    assert os.path.isdir(modules_dir(stack, instance_id))
    demo.instances.delete(instance_id)
    wait_gone(demo, instance_id)
    assert leftovers(stack, instance_id) == ([], [])
    assert not os.path.exists(modules_dir(stack, instance_id))
    with sqlite3.connect(os.path.join(stack.root, 'dbaas.sqlite')) as db:
        rows = db.execute('SELECT deleted FROM instance_modules WHERE instance_id = ?',
                          (instance_id,)).fetchall()
    assert rows and all(deleted for (deleted,) in rows)
    assert raw(demo, 'GET', '/modules/%s/instances' % module_id).json()['instances'] == []
    # Nothing holds it any more: a live_update=false module may be deleted.
    assert raw(demo, 'DELETE', '/modules/%s' % module_id).status_code == 200
