"""Modules through the guest agent's RPC endpoint (API 1.2), around a stand-in engine manager:
module_apply, module_list and module_remove answer as every guest call does ({'result'} or
{'error'}), prepare applies the create's modules once the engine is prepared and before the
create is done (a failed module is a failed step, the create still succeeds), the files live
in the instance's own directory, and every engine manager declares the capability."""
import os
import threading
import types

import pytest

from api_service.domain import catalogue_admin
from api_service.guestagent import reporter as reporter_mod
from api_service.guestagent import service
from api_service.guestagent.datastore import get_manager_class, manager_names
from api_service.rpc import secure
from tests.unit.test_guest_modules import MODULE_DRIVERS, RESULT_KEYS, payload


class FakeManager:
    """What prepare asks of an EngineManager, in memory."""

    capabilities = frozenset({'modules'})
    last_rollback = None

    def __init__(self, fail_prepare=False):
        self.fail_prepare = fail_prepare
        self.prepared_with = None

    def prepare(self, databases, users):
        if self.fail_prepare:
            raise RuntimeError('initdb failed')
        self.prepared_with = (databases, users)

    def data_size_bytes(self):
        return 4096

    def file_owner(self):
        return None


class FakeReporter:
    """Records what the conductor would hear, in order; `done` is set by operation_done."""

    def __init__(self):
        self.calls, self.done = [], threading.Event()
        self.step_extras = []       # (step, details, module_ids) of each step

    def step(self, operation, step, outcome, message='', details='', module_ids=None):
        self.calls.append(('step', operation, step, outcome, message))
        self.step_extras.append((step, details, module_ids))

    def operation_done(self, operation, ok, message='', details=''):
        self.calls.append(('done', operation, ok, message))
        self.done.set()

    def heartbeat(self, engine_status, used_bytes, last_rollback=None, metrics=None):
        self.calls.append(('heartbeat', engine_status))


@pytest.fixture
def endpoint(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(MODULE_DRIVERS)
    run_dir = tmp_path / 'instances' / 'i-1'
    run_dir.mkdir(parents=True)
    conf = types.SimpleNamespace(instance_id='i-1', run_dir=str(run_dir), heartbeat_interval=5,
                                 restart_failed_engines=True)
    return service.GuestEndpoint(FakeManager(), FakeReporter(), conf)


def journal(endpoint):
    with open(os.path.join(endpoint.conf.run_dir, 'modules', 'journal.log')) as handle:
        return handle.read().splitlines()


def test_the_endpoint_serves_api_1_4():
    # 1.2 added the module calls, 1.3 replication's, 1.4 the canary account: a 1.4
    # endpoint serves them all.
    assert service.GuestEndpoint.target.version == '1.4'


def test_modules_live_in_the_instances_own_directory(endpoint, tmp_path):
    assert endpoint.modules.store.modules_dir == os.path.join(endpoint.conf.run_dir, 'modules')
    conf = types.SimpleNamespace(run_dir=endpoint.conf.run_dir, modules_dir=str(tmp_path / 'm'))
    assert service.modules_dir(conf) == str(tmp_path / 'm')      # [guest] modules_dir wins


def test_apply_list_and_remove_answer_as_guest_calls_do(endpoint):
    licence, ping = payload('licence', 'file'), payload('hello', 'ping', priority=True)
    answer = endpoint.module_apply({}, modules=[licence, ping])
    assert list(answer) == ['result']
    assert [(r['name'], r['status'], r['message']) for r in answer['result']] == [
        ('hello', 'OK', 'pong'), ('licence', 'OK', 'Placed mariadb-10.11-licence.lic.')]
    assert all(set(r) == RESULT_KEYS for r in answer['result'])
    listed = endpoint.module_list({})['result']
    assert [r['name'] for r in listed] == ['hello', 'licence']
    assert all('contents' not in r for r in listed)
    retrieved = endpoint.module_list({}, include_contents=True)['result']
    assert [r['contents'] for r in retrieved] == [ping['contents'], licence['contents']]
    wire = {k: v for k, v in licence.items() if k != 'contents'}
    assert endpoint.module_remove({}, module=wire) == {'result': {'removed': True}}
    assert not os.listdir(endpoint.modules.store.files_dir)
    answer = endpoint.module_remove({}, module=wire)
    assert answer['error']['code'] == 404
    assert answer['error']['message'] == "Module 'licence' is not applied on this instance."
    assert [r['name'] for r in endpoint.module_list({})['result']] == ['hello']


def test_a_failed_module_is_an_answer_not_an_rpc_error(endpoint):
    answer = endpoint.module_apply({}, modules=[payload('no', 'fail'), payload('yes')])
    assert [(r['name'], r['status']) for r in answer['result']] == [('no', 'FAILED'),
                                                                    ('yes', 'OK')]


def test_a_store_that_cannot_be_read_is_an_error_answer_without_details(endpoint):
    with open(endpoint.modules.store.modules_dir, 'w'):
        pass                    # a file where the directory should be
    [result] = endpoint.module_apply({}, modules=[payload('x', 'ping')])['result']
    assert (result['status'], result['message']) == (
        'FAILED', "The guest could not store module 'x': Not a directory.")
    os.unlink(endpoint.modules.store.modules_dir)
    os.makedirs(os.path.join(endpoint.modules.store.modules_dir, 'ping', 'abc'))
    with open(os.path.join(endpoint.modules.store.modules_dir, 'ping', 'abc', 'result.json'),
              'w') as handle:
        handle.write('{not json')
    answer = endpoint.module_list({})
    assert answer['error']['message'] == 'The guest agent could not complete listing modules.'
    assert 'details' not in answer['error']


def test_prepare_applies_the_creates_modules_before_the_create_is_done(endpoint):
    modules = [payload('N9', order=9), payload('N0', order=0),
               payload('P0', priority=True, order=0), payload('bad', 'fail', order=1)]
    endpoint.prepare({}, databases=[], users=[], modules=modules)
    assert endpoint.reporter.done.wait(30)
    assert endpoint.manager.prepared_with == ([], [])
    assert journal(endpoint) == ['P0', 'N0', 'N9']
    calls = endpoint.reporter.calls
    failed = [c for c in calls if c[:4] == ('step', 'create', 'modules', 'FAILED')]
    assert failed == [('step', 'create', 'modules', 'FAILED',
                       "The 'fail' driver refuses module 'bad', as it always does.")]
    # Said before the create is done, and the create still succeeds.
    assert calls.index(failed[0]) < calls.index(('done', 'create', True, ''))
    assert os.path.exists(os.path.join(endpoint.conf.run_dir, 'prepared'))
    # The report names the module, so the conductor forgets it is on the instance.
    assert ('modules', '', [modules[3]['id']]) in endpoint.reporter.step_extras


def test_a_failed_invisible_module_at_create_is_not_named_to_the_tenant(endpoint):
    # The operator hid it (visible=false): the step and the fault the tenant reads say only
    # that one of the operator's modules failed; the name is in the details (admins').
    hidden, shown = payload('secret-agent', 'fail', visible=False), payload('shown', 'fail')
    endpoint.prepare({}, databases=[], users=[], modules=[hidden, shown])
    assert endpoint.reporter.done.wait(30)
    steps = [c for c in endpoint.reporter.calls if c[0] == 'step']
    failed = [(call[4],) + extra for call, extra in zip(steps, endpoint.reporter.step_extras)
              if call[3] == 'FAILED']
    named = "The 'fail' driver refuses module '%s', as it always does."
    assert failed == [
        ('A module set by the operator could not be applied.', 'modules',
         named % 'secret-agent', [hidden['id']]),
        (named % 'shown', 'modules', '', [shown['id']])]


def test_the_reporter_seals_a_steps_details_and_module_ids_and_omits_them_when_empty(
        monkeypatch):
    cast = []

    class Client:
        def cast(self, ctxt, method, **kwargs):
            cast.append((method, kwargs))

    monkeypatch.setattr(reporter_mod.messaging, 'get_rpc_client', lambda *a, **k: Client())
    key = secure.new_key()
    reporter = reporter_mod.Reporter(None, 'conductor', 'i-1', key)
    reporter.step('create', 'modules', 'FAILED', 'words', details='named', module_ids=['m1'])
    reporter.step('create', 'prepare', 'RUNNING', 'initialising')
    (method, first), (_, second) = cast
    assert method == 'guest_step' and first['instance_id'] == 'i-1'
    assert 'named' not in first['sealed']
    assert secure.unseal(key, first['sealed']) == {
        'operation': 'create', 'step': 'modules', 'outcome': 'FAILED', 'message': 'words',
        'details': 'named', 'module_ids': ['m1']}
    assert set(secure.unseal(key, second['sealed'])) == {'operation', 'step', 'outcome',
                                                         'message'}


def test_a_prepare_without_modules_is_as_before(endpoint):
    endpoint.prepare({}, databases=[], users=[])        # an older task manager's call
    assert endpoint.reporter.done.wait(30)
    assert not [c for c in endpoint.reporter.calls if c[:3] == ('step', 'create', 'modules')]
    assert ('done', 'create', True, '') in endpoint.reporter.calls
    assert not os.path.exists(endpoint.modules.store.modules_dir)


def test_modules_the_guest_cannot_read_at_all_still_let_the_create_succeed(endpoint):
    modules = [payload('x'), 'not a module']
    endpoint.prepare({}, databases=[], users=[], modules=modules)
    assert endpoint.reporter.done.wait(30)
    said = [c for c in endpoint.reporter.calls if c[0] != 'heartbeat']
    assert said[-2:] == [
        ('step', 'create', 'modules', 'FAILED', 'The modules could not be applied; apply them '
         'again once the instance is active.'),
        ('done', 'create', True, '')]
    # Every module it could name is forgotten on the instance.
    assert endpoint.reporter.step_extras[-1][2] == [modules[0]['id']]


def test_a_failed_prepare_applies_no_modules(endpoint):
    endpoint.manager.fail_prepare = True
    endpoint.prepare({}, databases=[], users=[], modules=[payload('x')])
    assert endpoint.reporter.done.wait(30)
    assert [c for c in endpoint.reporter.calls if c[0] == 'done'] == [
        ('done', 'create', False, 'The engine failed to start: RuntimeError')]
    assert not os.path.exists(endpoint.modules.store.modules_dir)


@pytest.mark.parametrize('manager', manager_names())
def test_every_engine_manager_declares_modules_and_the_catalogue_sees_it(manager):
    assert 'modules' in get_manager_class(manager).capabilities
    assert 'modules' in catalogue_admin.manager_capabilities(manager).split(',')
