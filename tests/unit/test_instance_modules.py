"""An instance's modules through the API, in-process: apply, list (recorded and from the
guest), retrieve, remove, modules at create (explicit and auto-apply), and delete.

The compute driver is the in-memory one and the guest a fake that holds what it was
given (tests/unit/memory_driver.py); the task manager's flows run synchronously. The
guest's side (drivers, files, order on disk) is tested in test_guest_modules*.py and on
real engines in tests/functional/test_modules*.py.
"""
import base64

import pytest
from sqlalchemy import event, select

from api_service.api.controllers import instances as controller
from api_service.db import models
from api_service.db import models_instances as m
from api_service.db import models_modules as mm
from api_service.db import session as db_session
from api_service.db.session import session_scope
from api_service.domain import module_contents
from api_service.drivers import compute
from api_service.rpc import clients
from api_service.rpc import guest_client
from api_service.rpc import secure
from api_service.taskmanager import flows
from api_service.taskmanager import module_reapply
from tests.unit import memory_driver
from tests.unit.conftest import OTHER_PROJECT, PROJECT

GUEST_FIELDS = ('id', 'name', 'type', 'tenant', 'datastore', 'datastore_version', 'md5',
                'auto_apply', 'visible', 'priority_apply', 'apply_order', 'is_admin')


class ModuleGuest(memory_driver.FakeGuest):
    """The fake guest, holding modules as an agent would: `held` {instance id: {module id:
    guest result}}, the contents it was given in `contents`. A module of type 'fail'
    FAILS. `prepared` {instance id: prepare's modules kwarg, or absent}."""

    held = {}
    contents = {}
    prepared = {}
    module_calls = []

    def prepare(self, ctx, databases, users, restore=None, **kwargs):
        if 'modules' in kwargs:
            self.prepared[self.instance_id] = kwargs['modules']
            for result in self._apply(kwargs['modules']):
                if result['status'] != 'OK':
                    self._report_failed(result)
        super().prepare(ctx, databases, users, restore, **kwargs)

    def _report_failed(self, result):
        # As the agent does: a failed 'modules' step naming the module, to the conductor.
        from api_service.conductor.service import ConductorEndpoint
        from api_service.domain import instances
        ConductorEndpoint().guest_step({}, self.instance_id, secure.seal(
            instances.instance_key(self.instance_id), {
                'operation': 'create', 'step': 'modules', 'outcome': 'FAILED',
                'message': result['message'], 'module_ids': [result['id']]}))

    def _apply(self, modules):
        results = []
        for payload in modules:
            ok = payload['type'] != 'fail'
            result = {key: payload[key] for key in GUEST_FIELDS}
            result.update(status='OK' if ok else 'FAILED',
                          message='pong' if ok else 'The fail driver always fails.',
                          filename=None, installed='2024-01-01T00:00:00',
                          created='2024-01-01T00:00:00', updated='2024-01-01T00:00:00',
                          removed=None)
            self.held.setdefault(self.instance_id, {})[payload['id']] = result
            self.contents[(self.instance_id, payload['id'])] = payload['contents']
            results.append(result)
        return results

    def module_apply(self, ctx, modules, timeout=guest_client.MODULE_APPLY_TIMEOUT):
        self.module_calls.append(('apply', self.instance_id, [p['id'] for p in modules]))
        if 'module_apply' in self.failures:
            raise self.failures.pop('module_apply')
        return self._apply(modules)

    def module_list(self, ctx, include_contents=False, timeout=30):
        self.module_calls.append(('list', self.instance_id, include_contents))
        results = [dict(r) for r in self.held.get(self.instance_id, {}).values()]
        if include_contents:
            for result in results:
                result['contents'] = self.contents[(self.instance_id, result['id'])]
        return results

    def module_remove(self, ctx, module, timeout=30):
        self.module_calls.append(('remove', self.instance_id, module['id']))
        assert 'contents' not in module
        if self.held.get(self.instance_id, {}).pop(module['id'], None) is None:
            from api_service.common import exceptions
            raise exceptions.NotFound('Module %s is not on this instance.' % module['id'])
        return {'removed': True}


class Direct:
    """The task manager, run in the caller's thread."""

    def __init__(self):
        self.reapplied = []
        self.slept = []

    def create_instance(self, ctx, instance_id, databases, users, restore=None):
        flows.create(ctx, instance_id, databases, users, restore)

    def delete_instance(self, ctx, instance_id):
        flows.delete(ctx, instance_id)

    def reapply_module(self, ctx, **kwargs):
        self.reapplied.append(kwargs)
        self.result = module_reapply.reapply(ctx, sleep=self.slept.append, **kwargs)


@pytest.fixture
def api(client, conf, monkeypatch):
    conf.set_override('master_key', secure.new_key(), 'instance')
    conf.set_override('compute_driver', 'memory')
    compute.register('memory', memory_driver.PATH)
    from api_service.domain import catalogue_admin
    catalogue_admin.upsert_datastore_version('mariadb', '10.11', '10.11.19', 'mariadb',
                                             '/usr/sbin', capabilities='databases,modules,users')
    catalogue_admin.upsert_datastore_version('mariadb', '11.4', '11.4.5', 'mariadb',
                                             '/usr/sbin', capabilities='databases,modules,users')
    catalogue_admin.upsert_datastore_version('postgresql', '15', '15.18', 'postgresql',
                                             '/pg15', capabilities='databases,modules,users')
    catalogue_admin.upsert_datastore_version('redis', '7.0', '7.0.15', 'redis', '/usr/bin',
                                             capabilities='root')
    monkeypatch.setattr(guest_client, 'GuestAPI', ModuleGuest)
    for name, value in (('calls', []), ('failures', {}), ('held', {}), ('contents', {}),
                        ('prepared', {}), ('module_calls', [])):
        monkeypatch.setattr(ModuleGuest, name, value)
    taskmanager = Direct()
    monkeypatch.setattr(controller.Instances, 'taskmanager', taskmanager)
    monkeypatch.setattr(clients, 'taskmanager_api', lambda: taskmanager)
    client.taskmanager = taskmanager
    yield client
    conf.clear_override('compute_driver')
    conf.clear_override('master_key', 'instance')
    compute.DRIVERS.pop('memory', None)
    compute.get_driver.cache_clear()


def version_ids(datastore, version=None):
    """(datastore id, id of `version`, None without one)."""
    with session_scope() as session:
        ds = session.scalars(select(models.Datastore).where(
            models.Datastore.name == datastore)).one()
        return ds.id, next((v.id for v in ds.versions if v.name == version), None)


def make_module(name, project=PROJECT, datastore='mariadb', version=None, contents=b'hello',
                module_type='ping', **flags):
    """A module row as H1's POST /modules writes it (datastore None: all)."""
    ds_id = v_id = None
    if datastore:
        ds_id, v_id = version_ids(datastore, version)
    with session_scope() as session:
        module = mm.Module(name=name, type=module_type, project_id=project,
                           datastore_id=ds_id, datastore_version_id=v_id,
                           contents=module_contents.seal(contents),
                           md5=module_contents.md5_of(contents), **flags)
        session.add(module)
        session.flush()
        return module.id


def change_contents(module_id, contents):
    with session_scope() as session:
        module = session.get(mm.Module, module_id)
        module.contents = module_contents.seal(contents)
        module.md5 = module_contents.md5_of(contents)


def launch(api, name='db1', datastore='mariadb', version='10.11', project=PROJECT,
           modules=None, expect=200, roles='member'):
    instance = {'name': name, 'flavorRef': '1', 'volume': {'size': 1},
                'datastore': {'type': datastore, 'version': version}}
    if modules is not None:
        instance['modules'] = [{'id': module_id} for module_id in modules]
    resp = api.request('POST', '/instances', body={'instance': instance}, project=project,
                       roles=roles)
    assert resp.status_code == expect, resp.body
    if expect != 200:
        return message(resp)
    instance_id = resp.json_body_or_none['instance']['id']
    with session_scope() as session:
        assert session.get(m.Instance, instance_id).status == 'ACTIVE'
    return instance_id


def message(resp):
    return list(resp.json_body_or_none.values())[0]['message']


def live_rows(instance_id=None, module_id=None):
    with session_scope() as session:
        stmt = select(mm.InstanceModule).where(mm.InstanceModule.deleted.is_(False))
        if instance_id:
            stmt = stmt.where(mm.InstanceModule.instance_id == instance_id)
        if module_id:
            stmt = stmt.where(mm.InstanceModule.module_id == module_id)
        return {(r.instance_id, r.module_id): r.md5 for r in session.scalars(stmt)}


def apply(api, instance_id, module_ids, project=PROJECT, roles='member'):
    return api.request('POST', '/instances/%s/modules' % instance_id,
                       body={'modules': [{'id': i} for i in module_ids]}, project=project,
                       roles=roles)


def listed(api, instance_id, query='', project=PROJECT, roles='member'):
    resp = api.get('/instances/%s/modules%s' % (instance_id, query), project=project,
                   roles=roles)
    assert resp.status_code == 200, resp.body
    return resp.json_body_or_none['modules']


# -- apply, list, remove -----------------------------------------------------------------

def test_apply_records_each_module_ok_at_its_md5_and_lists_it_from_the_database(api):
    instance_id = launch(api)
    later = make_module('later', apply_order=7)
    first = make_module('first', apply_order=1, contents=b'first contents')
    failing = make_module('broken', module_type='fail')

    resp = apply(api, instance_id, [later, failing, first])

    assert resp.status_code == 200, resp.body
    results = resp.json_body_or_none['modules']
    # The guest got them in the guest's order, and its results come back as they are.
    assert [r['name'] for r in results] == ['first', 'broken', 'later']
    assert [r['status'] for r in results] == ['OK', 'FAILED', 'OK']
    assert results[1]['message'] == 'The fail driver always fails.'
    assert all('contents' not in r for r in results)
    sent = ModuleGuest.contents[(instance_id, first)]
    assert base64.b64decode(sent) == b'first contents'
    # Recorded: the OK ones, at the md5 they had; the FAILED one is not on the instance.
    assert live_rows(instance_id) == {(instance_id, first): module_contents.md5_of(
        b'first contents'), (instance_id, later): module_contents.md5_of(b'hello')}

    shown = listed(api, instance_id)
    assert [s['name'] for s in shown] == ['first', 'later']
    item = shown[0]
    assert item['id'] == first and item['type'] == 'ping' and item['current'] is True
    assert item['md5'] == module_contents.md5_of(b'first contents')
    assert item['datastore'] == 'mariadb' and item['datastore_version'] == 'all'
    assert item['tenant'] == PROJECT and item['created'] and item['updated']
    assert 'contents' not in item
    # No guest call for the recorded list.
    assert not [c for c in ModuleGuest.module_calls if c[0] == 'list']


def test_applying_again_replaces_the_record_and_keeps_the_old_md5_until_then(api):
    instance_id = launch(api)
    module_id = make_module('lic', live_update=True)
    apply(api, instance_id, [module_id])
    old = module_contents.md5_of(b'hello')
    change_contents(module_id, b'new licence')

    # live_update: the instance keeps the md5 it applied.
    item, = listed(api, instance_id)
    assert item['md5'] == old and item['current'] is False

    assert apply(api, instance_id, [module_id]).status_code == 200
    assert live_rows(instance_id) == {(instance_id, module_id):
                                      module_contents.md5_of(b'new licence')}
    with session_scope() as session:
        rows = session.scalars(select(mm.InstanceModule).where(
            mm.InstanceModule.instance_id == instance_id)).all()
    assert sorted((r.deleted, r.md5) for r in rows) == [
        (False, module_contents.md5_of(b'new licence')), (True, old)]
    item, = listed(api, instance_id)
    assert item['current'] is True


def test_a_module_the_guest_fails_leaves_the_earlier_record_as_it_was(api):
    instance_id = launch(api)
    module_id = make_module('lic')
    apply(api, instance_id, [module_id])
    with session_scope() as session:
        session.get(mm.Module, module_id).type = 'fail'
    change_contents(module_id, b'v2')
    resp = apply(api, instance_id, [module_id])
    assert resp.json_body_or_none['modules'][0]['status'] == 'FAILED'
    assert live_rows(instance_id) == {(instance_id, module_id): module_contents.md5_of(b'hello')}


def test_from_guest_passes_the_guests_results_through(api):
    instance_id = launch(api)
    module_id = make_module('lic')
    apply(api, instance_id, [module_id])

    result, = listed(api, instance_id, '?from_guest=True')
    assert result['status'] == 'OK' and result['message'] == 'pong'
    assert result['md5'] == module_contents.md5_of(b'hello') and result['installed']
    assert 'contents' not in result
    assert ModuleGuest.module_calls[-1] == ('list', instance_id, False)

    result, = listed(api, instance_id, '?from_guest=True&include_contents=True')
    assert base64.b64decode(result['contents']) == b'hello'
    assert ModuleGuest.module_calls[-1] == ('list', instance_id, True)
    resp = api.get('/instances/%s/modules?from_guest=maybe' % instance_id)
    assert resp.status_code == 400 and 'from_guest' in message(resp)


def test_a_non_admin_gets_no_contents_of_admin_modules_and_no_invisible_modules(api):
    instance_id = launch(api)
    mine = make_module('mine')
    admin_module = make_module('admins', project=None, datastore=None, is_admin=True,
                               contents=b'secret licence')
    hidden = make_module('hidden', project=None, datastore=None, is_admin=True,
                         visible=False)
    resp = apply(api, instance_id, [mine, admin_module, hidden], roles='admin')
    assert resp.status_code == 200, resp.body

    shown = {r['name']: r for r in listed(api, instance_id,
                                          '?from_guest=True&include_contents=True')}
    assert sorted(shown) == ['admins', 'mine']
    assert base64.b64decode(shown['mine']['contents']) == b'hello'
    withheld = base64.b64decode(shown['admins']['contents']).decode()
    assert 'secret' not in withheld and 'Must be admin' in withheld
    assert sorted(r['name'] for r in listed(api, instance_id)) == ['admins', 'mine']

    as_admin = {r['name']: r for r in listed(api, instance_id, '?from_guest=True&'
                                             'include_contents=True', roles='admin')}
    assert sorted(as_admin) == ['admins', 'hidden', 'mine']
    assert base64.b64decode(as_admin['admins']['contents']) == b'secret licence'
    assert sorted(r['name'] for r in listed(api, instance_id, roles='admin')) == [
        'admins', 'hidden', 'mine']


def test_remove_takes_it_off_the_guest_and_the_record(api):
    instance_id = launch(api)
    module_id = make_module('lic')
    apply(api, instance_id, [module_id])

    resp = api.request('DELETE', '/instances/%s/modules/%s' % (instance_id, module_id))
    assert resp.status_code == 200 and not resp.body
    assert live_rows(instance_id) == {}
    assert module_id not in ModuleGuest.held[instance_id]
    assert listed(api, instance_id) == []

    resp = api.request('DELETE', '/instances/%s/modules/%s' % (instance_id, module_id))
    assert resp.status_code == 404 and "'lic' is not applied" in message(resp)
    # One the guest FAILED (held, not recorded) can be removed from the guest.
    failing = make_module('broken', module_type='fail')
    apply(api, instance_id, [failing])
    resp = api.request('DELETE', '/instances/%s/modules/%s' % (instance_id, failing))
    assert resp.status_code == 200 and failing not in ModuleGuest.held[instance_id]


def test_a_module_deleted_while_applied_is_still_listed_and_can_be_removed(api):
    instance_id = launch(api)
    module_id = make_module('lic', live_update=True)
    assert apply(api, instance_id, [module_id]).status_code == 200
    assert api.request('DELETE', '/modules/%s' % module_id).status_code == 200

    # Still on the instance: listed (recorded and by the guest) until it is removed.
    assert [r['id'] for r in listed(api, instance_id)] == [module_id]
    assert [r['id'] for r in listed(api, instance_id, '?from_guest=True')] == [module_id]
    resp = api.request('DELETE', '/instances/%s/modules/%s' % (instance_id, module_id))
    assert resp.status_code == 200, resp.body
    assert module_id not in ModuleGuest.held[instance_id]
    assert live_rows(instance_id) == {} and listed(api, instance_id) == []
    resp = api.request('DELETE', '/instances/%s/modules/%s' % (instance_id, module_id))
    assert resp.status_code == 404 and "'lic' is not applied" in message(resp)
    # Deleted, it cannot be applied again; another project's deleted one stays absent.
    assert apply(api, instance_id, [module_id]).status_code == 404
    theirs = make_module('theirs', project=OTHER_PROJECT, deleted=True)
    resp = api.request('DELETE', '/instances/%s/modules/%s' % (instance_id, theirs))
    assert resp.status_code == 404 and 'cannot be found' in message(resp)


def test_from_guest_follows_the_modules_flags_now_not_those_applied(api):
    instance_id = launch(api)
    shared = make_module('shared', project=None, contents=b'licence text')
    hidden_later = make_module('hidden-later', project=None)
    assert apply(api, instance_id, [shared, hidden_later]).status_code == 200
    # An admin locks one and hides the other after they were applied.
    with session_scope() as session:
        session.get(mm.Module, shared).is_admin = True
        session.get(mm.Module, hidden_later).visible = False

    result, = listed(api, instance_id, '?from_guest=True&include_contents=True')
    assert result['id'] == shared and result['is_admin'] is True
    assert b'licence text' not in base64.b64decode(result['contents'])
    assert 'Must be admin' in base64.b64decode(result['contents']).decode()
    assert [r['id'] for r in listed(api, instance_id, '?from_guest=True')] == [shared]
    as_admin = listed(api, instance_id, '?from_guest=True&include_contents=True',
                      roles='admin')
    assert sorted(r['name'] for r in as_admin) == ['hidden-later', 'shared']
    assert base64.b64decode(next(r for r in as_admin if r['id'] == shared)[
        'contents']) == b'licence text'


@pytest.mark.parametrize('case', ['other datastore', 'other version', 'unknown',
                                  'other tenant', 'invisible', 'deleted'])
def test_modules_that_cannot_be_applied_are_refused_in_words(api, case):
    instance_id = launch(api)
    module_id, status, words = {
        'other datastore': (lambda: make_module('pg', datastore='postgresql', version='15'),
                            400, ["Module 'pg'", 'postgresql 15', 'mariadb 10.11']),
        'other version': (lambda: make_module('new', version='11.4'), 400,
                          ["Module 'new'", 'mariadb 11.4', 'instance of mariadb 10.11']),
        'unknown': (lambda: '0' * 8 + '-0000-0000-0000-' + '0' * 12, 404, ['cannot be found']),
        'other tenant': (lambda: make_module('theirs', project=OTHER_PROJECT), 404,
                         ['cannot be found']),
        'invisible': (lambda: make_module('hidden', project=None, visible=False), 404,
                      ['cannot be found']),
        'deleted': (lambda: make_module('gone', deleted=True), 404, ['cannot be found']),
    }[case]
    module_id = module_id()
    resp = apply(api, instance_id, [module_id])
    assert resp.status_code == status
    for word in words:
        assert word in message(resp)
    assert live_rows(instance_id) == {}
    assert not [c for c in ModuleGuest.module_calls if c[0] == 'apply']


def test_an_admin_applies_an_invisible_module(api):
    instance_id = launch(api)
    hidden = make_module('hidden', project=None, visible=False)
    assert apply(api, instance_id, [hidden], roles='admin').status_code == 200
    assert (instance_id, hidden) in live_rows(instance_id)
    # The owner does not see it, and cannot remove it (it is absent for them).
    assert listed(api, instance_id) == []
    resp = api.request('DELETE', '/instances/%s/modules/%s' % (instance_id, hidden))
    assert resp.status_code == 404


def test_another_projects_instance_is_absent_and_a_reader_may_not_apply(api):
    instance_id = launch(api)
    module_id = make_module('lic')
    assert apply(api, instance_id, [module_id], project=OTHER_PROJECT).status_code == 404
    assert api.get('/instances/%s/modules' % instance_id,
                   project=OTHER_PROJECT).status_code == 404
    assert apply(api, instance_id, [module_id], roles='reader').status_code == 403
    assert api.get('/instances/%s/modules' % instance_id, roles='reader').status_code == 200


def test_an_instance_must_be_active_and_its_version_take_modules(api):
    instance_id = launch(api)
    module_id = make_module('lic')
    with session_scope() as session:
        session.get(m.Instance, instance_id).status = 'BACKUP'
    for resp in (apply(api, instance_id, [module_id]),
                 api.get('/instances/%s/modules?from_guest=True' % instance_id),
                 api.request('DELETE', '/instances/%s/modules/%s' % (instance_id, module_id))):
        assert resp.status_code == 409
        assert 'is BACKUP' in message(resp) and 'only while it is ACTIVE' in message(resp)
    # The record is read without the guest, in any status.
    assert listed(api, instance_id) == []

    redis = launch(api, 'cache', 'redis', '7.0')
    any_datastore = make_module('any', datastore=None)
    resp = apply(api, redis, [any_datastore])
    assert resp.status_code == 400 and 'redis instances do not support modules' in message(resp)


def test_the_body_is_checked(api):
    instance_id = launch(api)
    for body in ({}, {'modules': []}, {'modules': [{'name': 'x'}]},
                 {'modules': [{'id': 'x'}] * 51}):
        resp = api.request('POST', '/instances/%s/modules' % instance_id, body=body)
        assert resp.status_code == 400, body


def test_the_guests_failure_is_a_sentence_and_keeps_no_contents(api):
    from api_service.common import exceptions
    instance_id = launch(api)
    module_id = make_module('lic', contents=b'TOPSECRET')
    ModuleGuest.failures['module_apply'] = exceptions.GuestFailed(
        'The guest agent could not complete applying the modules.', details='KeyError')
    resp = apply(api, instance_id, [module_id])
    assert resp.status_code == 503 and 'applying the modules' in message(resp)
    assert live_rows(instance_id) == {}
    with session_scope() as session:
        fault_texts = [f.message + f.details for f in session.scalars(
            select(m.InstanceFault).where(m.InstanceFault.instance_id == instance_id))]
    assert fault_texts and not [t for t in fault_texts if 'TOPSECRET' in t]


def test_the_recorded_list_costs_the_same_queries_for_any_number_of_modules(api):
    few, many = launch(api, 'few'), launch(api, 'many')
    ids = [make_module('m%d' % i) for i in range(8)]
    apply(api, few, ids[:1])
    apply(api, many, ids)

    def statements_of(instance_id):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        engines = (db_session.get_reader(), db_session.get_factory().kw['bind'])
        for engine in engines:
            event.listen(engine, 'before_cursor_execute', listener)
        try:
            assert len(listed(api, instance_id)) == (1 if instance_id == few else 8)
        finally:
            for engine in engines:
                event.remove(engine, 'before_cursor_execute', listener)
        return [s for s in statements if 'instance_modules' in s or 'FROM modules' in s]

    assert len(statements_of(few)) == len(statements_of(many)) == 1


# -- create and delete --------------------------------------------------------------------

def test_create_sends_the_named_and_the_auto_apply_modules_in_order(api):
    named_late = make_module('named-late', apply_order=9)
    named_first = make_module('named-first', apply_order=0)
    # Auto-apply: every tenant's and this project's, for this datastore (or all) and
    # version (or all); invisible ones too; not another project's or datastore's.
    auto_all = make_module('auto-all', project=None, datastore=None, auto_apply=True,
                           priority_apply=True, apply_order=5, is_admin=True)
    auto_hidden = make_module('auto-hidden', project=None, auto_apply=True, visible=False,
                              priority_apply=True, apply_order=2, is_admin=True)
    auto_mine = make_module('auto-mine', version='10.11', auto_apply=True)
    make_module('auto-theirs', project=OTHER_PROJECT, auto_apply=True)
    make_module('auto-pg', project=None, datastore='postgresql', auto_apply=True)
    make_module('auto-other-version', project=None, version='11.4', auto_apply=True)
    make_module('not-auto')

    instance_id = launch(api, modules=[named_late, named_first, auto_mine])

    sent = ModuleGuest.prepared[instance_id]
    assert [p['name'] for p in sent] == ['auto-hidden', 'auto-all', 'named-first',
                                         'auto-mine', 'named-late']
    assert [p['id'] for p in sent] == [auto_hidden, auto_all, named_first, auto_mine,
                                       named_late]
    assert base64.b64decode(sent[0]['contents']) == b'hello'
    assert sent[1]['datastore'] == 'all' and sent[1]['tenant'] == 'all'
    assert sent[3]['datastore'] == 'mariadb' and sent[3]['datastore_version'] == '10.11'
    assert set(sent[0]) == set(GUEST_FIELDS) | {'contents'}
    assert set(live_rows(instance_id)) == {(instance_id, i) for i in (
        named_late, named_first, auto_all, auto_hidden, auto_mine)}

    # Without any: the prepare carries no modules (an older agent still takes it).
    pg = launch(api, 'pg', 'postgresql', '15', project=OTHER_PROJECT)
    assert [p['name'] for p in ModuleGuest.prepared[pg]] == ['auto-all', 'auto-pg']
    plain = launch(api, 'plain', 'mariadb', '11.4', project=OTHER_PROJECT)
    assert [p['name'] for p in ModuleGuest.prepared[plain]] == [
        'auto-hidden', 'auto-all', 'auto-other-version', 'auto-theirs']
    ModuleGuest.prepared.clear()
    with session_scope() as session:
        for module in session.scalars(select(mm.Module)):
            module.auto_apply = False
    bare = launch(api, 'bare')
    assert bare not in ModuleGuest.prepared


def test_a_failed_module_at_create_leaves_the_instance_active_without_it(api):
    failing = make_module('broken', module_type='fail')
    fine = make_module('fine')
    instance_id = launch(api, modules=[failing, fine])
    assert ModuleGuest.held[instance_id][failing]['status'] == 'FAILED'
    # Recorded when the create was accepted, forgotten when the guest reported it FAILED:
    # only the modules applied OK are on the instance.
    assert set(live_rows(instance_id)) == {(instance_id, fine)}
    assert [r['name'] for r in listed(api, instance_id)] == ['fine']
    results = {r['name']: r['status'] for r in listed(api, instance_id, '?from_guest=True')}
    assert results == {'broken': 'FAILED', 'fine': 'OK'}
    fault = api.get('/instances/%s' % instance_id).json_body_or_none['instance']['fault']
    assert fault['message'] == 'The fail driver always fails.'
    assert api.get('/modules/%s' % failing).json_body_or_none['module'][
        'instance_count'] == 0


def test_a_create_with_modules_is_refused_when_they_cannot_be_applied(api):
    pg_module = make_module('pg', datastore='postgresql', version='15')
    words = launch(api, modules=[pg_module], expect=400)
    assert "Module 'pg'" in words and 'mariadb 10.11' in words
    hidden = make_module('hidden', project=None, visible=False)
    assert 'cannot be found' in launch(api, modules=[hidden], expect=404)
    theirs = make_module('theirs', project=OTHER_PROJECT)
    assert 'cannot be found' in launch(api, modules=[theirs], expect=404)
    any_datastore = make_module('any', datastore=None)
    words = launch(api, 'cache', 'redis', '7.0', modules=[any_datastore], expect=400)
    assert 'redis does not support modules' in words
    assert launch(api, modules=[any_datastore], roles='reader', expect=403)
    with session_scope() as session:
        assert not session.scalars(select(m.Instance)).all()
        assert not session.scalars(select(mm.InstanceModule)).all()


def test_prepare_sends_a_module_as_it_is_then(api, monkeypatch):
    module_id = make_module('lic', live_update=True)
    real_create = flows.create

    def create_after_a_change(ctx, instance_id, *args):
        change_contents(module_id, b'changed meanwhile')
        real_create(ctx, instance_id, *args)
    monkeypatch.setattr(flows, 'create', create_after_a_change)
    instance_id = launch(api, modules=[module_id])
    payload, = ModuleGuest.prepared[instance_id]
    assert base64.b64decode(payload['contents']) == b'changed meanwhile'
    assert live_rows(instance_id) == {(instance_id, module_id): module_contents.md5_of(
        b'changed meanwhile')}


def test_delete_marks_the_instances_modules_deleted(api):
    instance_id = launch(api)
    other = launch(api, 'other')
    module_id = make_module('lic')
    apply(api, instance_id, [module_id])
    apply(api, other, [module_id])
    assert api.request('DELETE', '/instances/%s' % instance_id).status_code == 202
    assert live_rows(module_id=module_id) == {(other, module_id): module_contents.md5_of(
        b'hello')}
