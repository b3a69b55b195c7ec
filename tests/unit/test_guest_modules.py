"""The guest's module store and drivers, without RPC: modules apply in the spec's order,
each to OK or FAILED with a message in the user's words (never an exception), are kept as
contents + result in <modules_dir>/<type>/<id>/, listed (with their contents on request) and
removed; the `file` driver places a private, non-executable copy for the engine; nothing
ever executes the contents; and the drivers are found through setup.cfg's entry points."""
import base64
import hashlib
import json
import logging
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import uuid

import pytest

from api_service.guestagent import errors
from api_service.guestagent.modules import base, manager, registry

MODULE_DRIVERS = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'fixtures',
                              'module_drivers')
RESULT_KEYS = {'id', 'name', 'type', 'tenant', 'datastore', 'datastore_version', 'md5',
               'status', 'message', 'filename', 'installed', 'created', 'updated', 'removed',
               'auto_apply', 'visible', 'priority_apply', 'apply_order', 'is_admin'}


def payload(name, module_type='journal', contents=b'contents of %s', priority=False, order=5,
            module_id=None, **changes):
    data = contents % name.encode() if b'%s' in contents else contents
    module = {'id': module_id or str(uuid.uuid4()), 'name': name, 'type': module_type,
              'tenant': 'all', 'datastore': 'mariadb', 'datastore_version': '10.11',
              'md5': hashlib.md5(data).hexdigest(),
              'contents': base64.b64encode(data).decode(), 'auto_apply': False,
              'visible': True, 'priority_apply': priority, 'apply_order': order,
              'is_admin': False}
    module.update(changes)
    return module


@pytest.fixture
def test_drivers(monkeypatch):
    """The fixture distribution (fail, journal) on sys.path, as the stack's PYTHONPATH has it."""
    monkeypatch.syspath_prepend(MODULE_DRIVERS)     # also clears importlib's finder caches


@pytest.fixture
def modules(tmp_path, test_drivers):
    return manager.ModuleManager(str(tmp_path / 'instance' / 'modules'))


def journal(modules):
    with open(os.path.join(modules.store.modules_dir, 'journal.log')) as handle:
        return handle.read().splitlines()


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


# -- drivers are entry points -------------------------------------------------------------

def test_the_shipped_and_the_test_drivers_are_found_through_their_entry_points(test_drivers):
    found = registry.DriverRegistry()
    assert {'ping', 'file', 'fail', 'journal'} <= set(found.types())
    assert found.get('ping').__name__ == 'PingDriver'
    assert found.get('file').__name__ == 'FileDriver'
    assert found.get('missing') is None
    assert issubclass(found.get('journal'), base.ModuleDriver)


# -- order ----------------------------------------------------------------------------------

def test_priority_modules_first_then_apply_order_then_name(modules):
    given = [payload('N9', order=9), payload('N5', order=5), payload('N0', order=0),
             payload('P9', priority=True, order=9), payload('P0', priority=True, order=0)]
    results = modules.apply(given)
    assert [r['name'] for r in results] == ['P0', 'P9', 'N0', 'N5', 'N9']
    assert journal(modules) == ['P0', 'P9', 'N0', 'N5', 'N9']
    assert {r['status'] for r in results} == {'OK'}


def test_ties_go_by_name_then_id():
    same = [payload('b', module_id='2'), payload('a', module_id='9'),
            payload('b', module_id='1'), payload('a', order=None, module_id='3')]
    assert [(m['name'], m['id']) for m in manager.apply_order(same)] == [
        ('a', '3'), ('a', '9'), ('b', '1'), ('b', '2')]      # no apply_order counts as 5


# -- apply, list, the store ---------------------------------------------------------------

def test_an_applied_module_is_kept_privately_and_reported_in_the_guest_result_shape(modules):
    module = payload('licence', 'ping', contents=b'secret licence text')
    [result] = modules.apply([module])
    assert set(result) == RESULT_KEYS           # never the contents
    assert result['status'] == 'OK' and result['message'] == 'pong'
    assert result['md5'] == hashlib.md5(b'secret licence text').hexdigest()
    assert result['removed'] is None and result['filename'] is None
    assert result['installed'] == result['created'] == result['updated']
    assert len(result['installed']) == 19 and result['installed'][10] == 'T'
    root = modules.store.modules_dir
    module_dir = os.path.join(root, 'ping', module['id'])
    with open(os.path.join(module_dir, 'contents.dat'), 'rb') as handle:
        assert handle.read() == b'secret licence text'
    with open(os.path.join(module_dir, 'result.json')) as handle:
        stored = json.load(handle)
    assert stored == result
    assert mode(root) == mode(module_dir) == mode(os.path.dirname(module_dir)) == 0o700
    assert mode(os.path.join(module_dir, 'contents.dat')) == 0o600
    assert mode(os.path.join(module_dir, 'result.json')) == 0o600
    # Atomic writes leave no temporary files behind.
    assert sorted(os.listdir(module_dir)) == ['contents.dat', 'result.json']


def test_list_answers_what_is_applied_and_its_contents_only_on_request(modules):
    first, second = payload('one', 'ping'), payload('two', 'journal', priority=True)
    modules.apply([first, second])
    listed = modules.list()
    assert [r['name'] for r in listed] == ['two', 'one']        # in apply order
    assert all('contents' not in r for r in listed)
    with_contents = modules.list(include_contents=True)
    assert [base64.b64decode(r['contents']) for r in with_contents] == [
        b'contents of two', b'contents of one']
    assert manager.ModuleManager(modules.store.modules_dir).list() == listed   # from disk


def test_a_reapply_records_the_new_md5_and_keeps_when_it_was_first_applied(modules):
    module = payload('cfg', 'ping', contents=b'v1')
    [first] = modules.apply([module])
    stored = os.path.join(modules.store.modules_dir, 'ping', module['id'], 'result.json')
    with open(stored) as handle:
        record = json.load(handle)
    record['created'] = '2020-01-01T00:00:00'
    with open(stored, 'w') as handle:
        json.dump(record, handle)
    changed = dict(module, contents=base64.b64encode(b'v2').decode(),
                   md5=hashlib.md5(b'v2').hexdigest())
    [second] = modules.apply([changed])
    assert second['md5'] == hashlib.md5(b'v2').hexdigest() != first['md5']
    assert second['created'] == '2020-01-01T00:00:00'
    assert modules.store.read_contents('ping', module['id']) == b'v2'
    assert [r['md5'] for r in modules.list()] == [second['md5']]


# -- failures are per module --------------------------------------------------------------

def test_a_failing_driver_fails_its_module_only(modules):
    results = modules.apply([payload('before', order=1), payload('bad', 'fail', order=2),
                             payload('after', order=3)])
    assert [(r['name'], r['status']) for r in results] == [
        ('before', 'OK'), ('bad', 'FAILED'), ('after', 'OK')]
    assert results[1]['message'] == "The 'fail' driver refuses module 'bad', as it always does."
    assert results[1]['installed'] is None
    assert journal(modules) == ['before', 'after']
    # Kept, so the tenant sees it FAILED when asking the guest.
    assert {r['name']: r['status'] for r in modules.list()}['bad'] == 'FAILED'


def test_a_type_without_a_driver_fails_with_the_designs_message(modules):
    [result] = modules.apply([payload('lost', 'missing')])
    assert result['status'] == 'FAILED'
    assert result['message'] == "No module driver for type 'missing' on this guest."


class RaisingDriver(base.ModuleDriver):
    def apply(self, module, contents_path):
        with open(contents_path) as handle:
            raise ValueError('cannot parse %r' % handle.read())

    def remove(self, module):
        raise RuntimeError('stuck')


class Drivers:
    """A registry of chosen driver classes."""

    def __init__(self, **classes):
        self.classes = classes

    def get(self, module_type):
        return self.classes.get(module_type)


def test_a_driver_that_raises_fails_in_the_users_words_and_logs_no_contents(tmp_path, caplog):
    modules = manager.ModuleManager(str(tmp_path / 'modules'), registry=Drivers(bad=RaisingDriver))
    caplog.set_level(logging.DEBUG)
    [result] = modules.apply([payload('x', 'bad', contents=b'TOP-SECRET-LICENCE')])
    assert result['status'] == 'FAILED'
    assert result['message'] == ("Module 'x' could not be applied: its 'bad' driver failed. "
                                 "The guest agent's log has the details.")
    logged = '\n'.join(r.getMessage() for r in caplog.records)
    assert "of type 'bad': apply raised ValueError" in logged
    assert 'in apply' in logged                   # the stack, for the operator
    assert 'TOP-SECRET-LICENCE' not in logged
    # A driver that cannot undo its module keeps it applied, and says so.
    with pytest.raises(errors.EngineError, match="its 'bad' driver failed; it stays applied"):
        modules.remove({'id': result['id'], 'name': 'x', 'type': 'bad'})
    assert [r['id'] for r in modules.list()] == [result['id']]
    assert 'TOP-SECRET-LICENCE' not in '\n'.join(r.getMessage() for r in caplog.records)


@pytest.mark.parametrize('change, message', [
    ({'md5': '0' * 32}, "The contents of module 'm' do not match its md5; apply it again."),
    ({'contents': 'not base64!'}, "The contents of module 'm' are not base64."),
    ({'type': '../../escape'}, "The module type '../../escape' cannot be stored on the guest."),
    ({'id': '..'}, "The module id '..' cannot be stored on the guest."),
    ({'type': 'files'}, "The module type 'files' cannot be stored on the guest."),
])
def test_a_payload_the_guest_cannot_take_fails_and_changes_nothing(modules, change, message):
    [result] = modules.apply([dict(payload('m', 'ping'), **change)])
    assert (result['status'], result['message']) == ('FAILED', message)
    assert modules.list() == []
    assert not os.path.exists(os.path.join(os.path.dirname(modules.store.modules_dir),
                                           'escape'))


def test_a_payload_the_store_chokes_on_fails_alone(modules):
    odd = payload('odd', 'ping', visible=b'bytes are not JSON')
    results = modules.apply([odd, payload('fine', 'ping')])
    assert [(r['name'], r['status']) for r in results] == [('fine', 'OK'), ('odd', 'FAILED')]
    assert results[1]['message'] == "The guest could not apply module 'odd'."


# -- remove ---------------------------------------------------------------------------------

def test_remove_forgets_the_module_and_a_second_remove_is_not_found(modules):
    keep, gone = payload('keep', 'ping'), payload('gone', 'ping')
    modules.apply([keep, gone])
    wire = {k: v for k, v in gone.items() if k != 'contents'}     # as the server sends it
    assert modules.remove(wire) == {'removed': True}
    assert [r['name'] for r in modules.list()] == ['keep']
    assert not os.path.exists(os.path.join(modules.store.modules_dir, 'ping', gone['id']))
    with pytest.raises(errors.NotFound, match="Module 'gone' is not applied on this instance."):
        modules.remove(wire)


def test_a_module_whose_type_changed_leaves_nothing_of_its_old_type(modules):
    module = payload('lic', 'file')
    modules.apply([module])
    placed = os.path.join(modules.store.files_dir, 'mariadb-10.11-lic.lic')
    assert os.path.exists(placed)
    [result] = modules.apply([dict(module, type='ping')])
    assert result['status'] == 'OK'
    assert not os.path.exists(placed)
    assert [(r['type'], r['id']) for r in modules.list()] == [('ping', module['id'])]
    assert modules.remove({'id': module['id'], 'name': 'lic', 'type': 'file'}) == {
        'removed': True}                    # found by id, whatever type the server says
    assert modules.list() == []


# -- the file driver --------------------------------------------------------------------------

def test_the_file_driver_places_a_private_copy_and_removes_it(modules):
    module = payload('Acme licence', 'file', contents=b'LICENCE-KEY-1234\n',
                     datastore_version='10.11/x')
    [result] = modules.apply([module])
    assert result['status'] == 'OK'
    assert result['filename'] == 'mariadb-10.11_x-Acme_licence.lic'      # nothing escapes
    assert result['message'] == 'Placed mariadb-10.11_x-Acme_licence.lic.'
    placed = os.path.join(modules.store.files_dir, result['filename'])
    with open(placed, 'rb') as handle:
        assert handle.read() == b'LICENCE-KEY-1234\n'
    assert mode(placed) == 0o600 and mode(modules.store.files_dir) == 0o700
    assert os.listdir(modules.store.files_dir) == [result['filename']]
    # Renamed on the server: the next apply places the new name and takes the old one away.
    [renamed] = modules.apply([dict(module, name='Acme')])
    assert os.listdir(modules.store.files_dir) == ['mariadb-10.11_x-Acme.lic']
    # Taken away behind the guest's back: the guest's answer says so.
    os.unlink(os.path.join(modules.store.files_dir, renamed['filename']))
    [listed] = modules.list()
    assert listed['status'] == 'FAILED'
    assert listed['message'] == ('The placed file mariadb-10.11_x-Acme.lic is missing; apply '
                                 'the module again.')
    modules.apply([module])
    assert modules.remove(module) == {'removed': True}
    assert os.listdir(modules.store.files_dir) == []


def test_two_modules_cannot_share_a_placed_file(modules):
    # An all-tenant module and a tenant's, both named 'licence', on one instance: the
    # second would overwrite the first's file, and removing it would delete the first's.
    shared = payload('licence', 'file', contents=b'ADMIN LICENCE', module_id='a-shared')
    own = payload('licence', 'file', contents=b'TENANT LICENCE', module_id='b-own')
    first, second = modules.apply([shared, own])
    assert (first['id'], first['status']) == ('a-shared', 'OK')
    assert (second['status'], second['filename']) == ('FAILED', None)
    assert second['message'] == ("Module 'licence' cannot be applied: the file "
                                 "mariadb-10.11-licence.lic is already placed by module "
                                 "'licence'; rename one of them.")
    assert modules.remove(own) == {'removed': True}
    placed = os.path.join(modules.store.files_dir, 'mariadb-10.11-licence.lic')
    with open(placed, 'rb') as handle:
        assert handle.read() == b'ADMIN LICENCE'
    # The module that placed it may apply again.
    assert [r['status'] for r in modules.apply([shared])] == ['OK']


def test_a_clash_on_a_rename_keeps_the_placed_file_removable(modules):
    shared = payload('licence', 'file', module_id='a-shared')
    own = payload('mine', 'file', module_id='b-own')
    modules.apply([shared, own])
    [clash] = modules.apply([dict(own, name='licence')])
    # Refused; its earlier file is still placed, and its result says so for a remove.
    assert clash['status'] == 'FAILED' and clash['filename'] == 'mariadb-10.11-mine.lic'
    modules.remove(own)
    assert os.listdir(modules.store.files_dir) == ['mariadb-10.11-licence.lic']


def test_a_hidden_modules_name_is_not_in_a_clash_message(modules):
    hidden = payload('licence', 'file', module_id='a-hidden', visible=False)
    own = payload('licence', 'file', module_id='b-own')
    _, clash = modules.apply([hidden, own])
    assert clash['status'] == 'FAILED'
    assert clash['message'].endswith('is already placed by a module set by the operator; '
                                     'rename one of them.')


def test_a_long_name_gives_a_file_name_a_file_system_takes(modules):
    from api_service.guestagent.modules import file as file_driver
    long_a, long_b = payload('n' * 255, 'file'), payload('n' * 254 + 'm', 'file')
    results = modules.apply([long_a, long_b])
    assert [r['status'] for r in results] == ['OK', 'OK'], results
    names = {r['filename'] for r in results}
    assert len(names) == 2 and all(len(n) <= 200 and n.endswith('.lic') for n in names)
    assert all(n.startswith('mariadb-10.11-nnnn') for n in names)
    assert sorted(os.listdir(modules.store.files_dir)) == sorted(names)
    # A name that fits keeps the spec's form.
    assert file_driver.placed_name(payload('lic', 'file')) == 'mariadb-10.11-lic.lic'
    longest = 'n' * (200 - len('mariadb-10.11-.lic'))
    assert file_driver.placed_name(payload(longest, 'file')) == 'mariadb-10.11-%s.lic' % longest


@pytest.fixture
def reachable_dir():
    """A directory another user can reach (pytest's own tmp is private to root)."""
    path = tempfile.mkdtemp(prefix='dbaas-modules-')
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path)


def test_only_placed_files_are_the_engines_to_read(reachable_dir, test_drivers):
    # As root (CI, and the embedded stack's agents): placed files belong to the engine's user,
    # the records stay root's. As a user (`make test` with sudo, an agent not run as root):
    # the agent has no engine user to hand them to, and everything is its own and private.
    as_root = os.geteuid() == 0
    nobody = pwd.getpwnam('nobody')
    owner = (nobody.pw_uid, nobody.pw_gid) if as_root else None
    modules = manager.ModuleManager(os.path.join(reachable_dir, 'modules'), owner=owner)
    module = payload('ca', 'file', contents=b'-----BEGIN CERTIFICATE-----\n')
    [result] = modules.apply([module])
    assert result['status'] == 'OK', result
    root = modules.store.modules_dir
    placed = os.path.join(modules.store.files_dir, result['filename'])
    contents = modules.store.contents_path('file', module['id'])
    if not as_root:
        me = (os.getuid(), os.getgid())
        assert (os.stat(root).st_uid, os.stat(root).st_gid, mode(root)) == me + (0o700,)
        assert (os.stat(placed).st_uid, os.stat(placed).st_gid, mode(placed)) == me + (0o600,)
        assert os.stat(contents).st_uid == me[0] and mode(contents) == 0o600
        return
    assert (os.stat(root).st_uid, os.stat(root).st_gid, mode(root)) == (0, owner[1], 0o710)
    assert (os.stat(placed).st_uid, os.stat(placed).st_gid) == owner
    assert os.stat(contents).st_uid == 0

    def read_as_engine(path):
        return subprocess.run(['cat', path], user=owner[0], group=owner[1], extra_groups=[],
                              capture_output=True)

    assert read_as_engine(placed).stdout == b'-----BEGIN CERTIFICATE-----\n'
    assert read_as_engine(contents).returncode != 0      # the records stay the agent's
    assert subprocess.run(['ls', root], user=owner[0], group=owner[1], extra_groups=[],
                          capture_output=True).returncode != 0


# -- contents are never executed ---------------------------------------------------------------

@pytest.mark.parametrize('module_type', ['file', 'ping'])
def test_contents_are_never_executed(modules, tmp_path, module_type):
    pwned = tmp_path / 'pwned'
    script = ('#!/bin/sh\ntouch %s\n' % pwned).encode()
    [result] = modules.apply([payload('script', module_type, contents=script)])
    assert result['status'] == 'OK'
    modules.list(include_contents=True)
    assert not pwned.exists()
    contents = modules.store.contents_path(module_type, result['id'])
    placed = [os.path.join(modules.store.files_dir, result['filename'])] if result['filename'] \
        else []
    for path in [contents] + placed:
        assert mode(path) & 0o111 == 0 and not os.access(path, os.X_OK)
    modules.remove(result)
    assert not pwned.exists()
