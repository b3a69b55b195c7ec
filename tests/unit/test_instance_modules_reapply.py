"""Reapplying a module to the instances that have it (which ones, in what batches, what a
failure does), and the guest client's module calls (version 1.2, an older agent, secrets).
"""
import logging

import oslo_messaging as messaging
import pytest

from api_service.common import exceptions
from api_service.common.context import RequestContext
from api_service.db.session import session_scope
from api_service.domain import instance_modules
from api_service.domain import module_contents
from api_service.domain import module_payloads
from api_service.rpc import guest_client
from api_service.taskmanager import module_reapply
from tests.unit.conftest import OTHER_PROJECT, PROJECT
# `api`: the fixture, shared with the instance tests.
from tests.unit.test_instance_modules import api  # noqa: F401
from tests.unit.test_instance_modules import (ModuleGuest, apply, change_contents, launch,
                                              live_rows, make_module, message)

MEMBER = RequestContext(project_id=PROJECT, user_id='u', roles=['member'])
ADMIN = RequestContext(project_id=PROJECT, user_id='a', roles=['admin'], is_admin=True)


class Row:
    def __init__(self, **fields):
        self.__dict__.update(fields)


def holders(module_id, *instances):
    """Holder rows as instance_modules.holders answers them."""
    return [Row(instance_id=i, md5=md5, status=status, datastore_id='ds',
                datastore_version_id='v1', version_name='1', capabilities='modules')
            for i, md5, status in instances]


MODULE = Row(id='mod', md5='new', datastore_id='ds', datastore_version_id=None)


@pytest.mark.parametrize('md5, force, expected, skipped', [
    (None, False, ['a-old', 'c-older'], ['d-stopped']),
    (None, True, ['a-old', 'b-new', 'c-older'], ['d-stopped']),
    ('older', False, ['c-older'], []),
    ('new', False, [], []),
    ('new', True, ['b-new'], []),
])
def test_reapply_chooses_instances_by_md5_and_force(md5, force, expected, skipped):
    rows = holders('mod', ('a-old', 'old', 'ACTIVE'), ('b-new', 'new', 'ACTIVE'),
                   ('c-older', 'older', 'RESTART_REQUIRED'), ('d-stopped', 'old', 'SHUTDOWN'))
    assert instance_modules.reapply_targets(MODULE, rows, md5=md5, force=force) == (
        expected, skipped)


def test_reapply_skips_instances_no_longer_of_the_modules_datastore():
    rows = holders('mod', ('a', 'old', 'ACTIVE'), ('b', 'old', 'ACTIVE'))
    rows[1].datastore_id = 'other'
    assert instance_modules.reapply_targets(MODULE, rows) == (['a'], ['b'])
    pinned = Row(id='mod', md5='new', datastore_id='ds', datastore_version_id='v2')
    assert instance_modules.reapply_targets(pinned, rows[:1]) == ([], ['a'])


def test_reapply_sends_the_current_version_to_the_instances_behind_it(api, caplog):
    first, second, third, current = (launch(api, name) for name in ('one', 'two', 'three',
                                                                     'current'))
    module_id = make_module('lic', live_update=True)
    for instance_id in (first, second, third):
        apply(api, instance_id, [module_id])
    change_contents(module_id, b'v2')
    apply(api, current, [module_id])
    ModuleGuest.module_calls.clear()
    ModuleGuest.failures['module_apply'] = exceptions.Conflict('did not answer')

    with caplog.at_level(logging.INFO):
        resp = api.request('PUT', '/modules/%s/instances' % module_id,
                           body={'reapply': {'batch_size': 1}})
    assert resp.status_code == 202, resp.body

    applied, skipped, failed = api.taskmanager.result
    new_md5 = module_contents.md5_of(b'v2')
    # The first guest asked did not answer: logged, the others still got it.
    calls = [c[1] for c in ModuleGuest.module_calls if c[0] == 'apply']
    assert sorted(calls) == sorted([first, second, third]) and current not in calls
    assert failed == [calls[0]] and sorted(applied) == sorted(calls[1:]) and skipped == []
    assert 'reapplying module %s failed (Conflict' % module_id in caplog.text
    rows = live_rows(module_id=module_id)
    assert rows[(calls[0], module_id)] == module_contents.md5_of(b'hello')
    assert {rows[(i, module_id)] for i in calls[1:] + [current]} == {new_md5}
    # Batches of one, with the floored delay between them (a member asked).
    cast, = api.taskmanager.reapplied
    assert cast['batch_size'] == 1 and cast['batch_delay'] == 2
    assert api.taskmanager.slept == [2, 2]
    assert 'v2' not in caplog.text


def test_a_non_admins_batches_are_capped_and_an_admins_are_not(api, conf):
    module_id = make_module('lic')
    named, = module_payloads.load_named([module_id])
    conf.set_override('module_reapply_max_batch_size', 10)
    conf.set_override('module_reapply_min_batch_delay', 5)
    try:
        options = {'batch_size': 500, 'batch_delay': 0, 'force': 1, 'md5': 'abc',
                   'include_clustered': 0}
        instance_modules.reapply(MEMBER, named.module, options)
        instance_modules.reapply(ADMIN, named.module, options)
        instance_modules.reapply(MEMBER, named.module, {})
    finally:
        conf.clear_override('module_reapply_max_batch_size')
        conf.clear_override('module_reapply_min_batch_delay')
    member, admin, defaults = api.taskmanager.reapplied
    assert member == {'module_id': module_id, 'md5': 'abc', 'include_clustered': False,
                      'batch_size': 10, 'batch_delay': 5, 'force': True,
                      'project_id': PROJECT}
    assert (admin['batch_size'], admin['batch_delay'], admin['project_id']) == (500, 0, None)
    assert (defaults['batch_size'], defaults['batch_delay'], defaults['force'],
            defaults['md5']) == (10, 5, False, None)


def test_a_non_admins_reapply_reaches_only_their_projects_instances(api):
    # An all-tenant module that anyone may change is on two projects' instances: a member
    # reapplies it to their own; an admin to all.
    mine = launch(api, 'mine')
    theirs = launch(api, 'theirs', project=OTHER_PROJECT)
    module_id = make_module('shared', project=None, live_update=True)
    for instance_id, project in ((mine, PROJECT), (theirs, OTHER_PROJECT)):
        assert apply(api, instance_id, [module_id], project=project).status_code == 200
    ModuleGuest.module_calls.clear()

    resp = api.request('PUT', '/modules/%s/instances' % module_id,
                       body={'reapply': {'force': 1}})
    assert resp.status_code == 202, resp.body
    assert api.taskmanager.result == ([mine], [], [])
    assert [c[1] for c in ModuleGuest.module_calls if c[0] == 'apply'] == [mine]

    resp = api.request('PUT', '/modules/%s/instances' % module_id, roles='admin',
                       body={'reapply': {'force': 1}})
    assert resp.status_code == 202, resp.body
    assert sorted(api.taskmanager.result[0]) == sorted([mine, theirs])


@pytest.mark.parametrize('path', ['/modules/%s/instances', '/modules/%s'])
def test_a_non_admin_may_not_reapply_an_admin_module(api, path):
    instance_id = launch(api)
    module_id = make_module('locked', project=None, live_update=True, is_admin=True)
    assert apply(api, instance_id, [module_id]).status_code == 200
    resp = api.request('PUT', path % module_id, body={'reapply': {'force': 1}})
    assert resp.status_code == 403
    assert message(resp) == ("Module 'locked' is an admin module: only administrators may "
                             'reapply it.')
    assert api.taskmanager.reapplied == []
    resp = api.request('PUT', path % module_id, body={'reapply': {}}, roles='admin')
    assert resp.status_code == 202, resp.body


@pytest.mark.parametrize('options, field', [
    ({'batch_size': 0}, 'batch_size'), ({'batch_size': 'ten'}, 'batch_size'),
    ({'batch_delay': -1}, 'batch_delay'), ({'batch_size': True}, 'batch_size'),
    ({'md5': 'x' * 40}, 'md5'), ({'md5': 5}, 'md5')])
def test_reapply_options_are_checked(api, options, field):
    module_id = make_module('lic')
    named, = module_payloads.load_named([module_id])
    with pytest.raises(exceptions.BadRequest, match='reapply.%s' % field):
        instance_modules.reapply(MEMBER, named.module, options)
    assert api.taskmanager.reapplied == []


def test_reapply_stops_at_its_deadline_and_never_raises(api, caplog):
    instances = [launch(api, 'i%d' % n) for n in range(3)]
    module_id = make_module('lic')
    for instance_id in instances:
        apply(api, instance_id, [module_id])
    change_contents(module_id, b'v2')
    ModuleGuest.module_calls.clear()
    ticks = iter(range(0, 1000, 10))
    applied, skipped, failed = module_reapply.reapply(
        {}, module_id, None, False, 50, 0, False, deadline_seconds=15,
        clock=lambda: next(ticks), sleep=lambda s: None)
    assert len(applied) == 1 and len(failed) == 2 and 'passed its deadline' in caplog.text

    # A deleted module, or anything going wrong: logged, nothing raised.
    with session_scope() as session:
        from api_service.db import models_modules as mm
        session.get(mm.Module, module_id).deleted = True
    assert module_reapply.reapply({}, module_id, None, False, 1, 0, True) == ([], [], [])
    assert module_reapply.reapply({}, None, None, False, 1, 0, True) == ([], [], [])


def test_only_live_instances_with_a_live_record_hold_a_module(api):
    kept, gone, removed = (launch(api, name) for name in ('kept', 'gone', 'removed'))
    module_id = make_module('lic')
    for instance_id in (kept, gone, removed):
        apply(api, instance_id, [module_id])
    api.request('DELETE', '/instances/%s' % gone)
    api.request('DELETE', '/instances/%s/modules/%s' % (removed, module_id))
    rows = instance_modules.holders(module_id)
    assert [(r.instance_id, r.md5, r.status) for r in rows] == [
        (kept, module_contents.md5_of(b'hello'), 'ACTIVE')]


# -- the guest client -------------------------------------------------------------------

class RecordingClient:
    def __init__(self, answer=None, error=None):
        self.answer, self.error = answer, error
        self.prepared, self.called, self.cast_calls = [], [], []

    def prepare(self, **kwargs):
        self.prepared.append(kwargs)
        return self

    def call(self, ctx, method, **kwargs):
        self.called.append((method, kwargs))
        if self.error is not None:
            raise self.error
        return self.answer

    def cast(self, ctx, method, **kwargs):
        self.cast_calls.append((method, kwargs))


def client_with(**kwargs):
    api = guest_client.GuestAPI.__new__(guest_client.GuestAPI)
    api._client = RecordingClient(**kwargs)
    return api


def test_module_calls_go_as_1_2_and_answer_the_guests_result():
    # The client speaks up to 1.4 (the canary account); module calls still go as 1.2, so an
    # agent of 1.2 takes them.
    assert guest_client.GuestAPI.VERSION == '1.4'
    api = client_with(answer={'result': [{'id': 'm', 'status': 'OK'}]})
    assert api.module_apply({}, [{'id': 'm'}]) == [{'id': 'm', 'status': 'OK'}]
    assert api._client.prepared == [{'timeout': guest_client.MODULE_APPLY_TIMEOUT,
                                     'version': '1.2'}]
    assert api._client.called == [('module_apply', {'modules': [{'id': 'm'}]})]
    api.module_list({}, include_contents=True)
    assert api._client.called[-1] == ('module_list', {'include_contents': True})
    api.module_remove({}, {'id': 'm'})
    assert api._client.called[-1] == ('module_remove', {'module': {'id': 'm'}})
    assert api._client.prepared[-1] == {'timeout': 30, 'version': '1.2'}
    # 50 modules (a create's or an apply's most) fit in the apply's time.
    assert guest_client.MODULE_APPLY_TIMEOUT >= 50 * 2
    api = client_with(answer={'error': {'code': 404, 'message': 'Not on this instance.'}})
    with pytest.raises(exceptions.NotFound):
        api.module_remove({}, {'id': 'm'})


@pytest.mark.parametrize('method, args', [('module_apply', ([],)), ('module_list', ()),
                                          ('module_remove', ({'id': 'm'},))])
def test_an_older_agent_is_a_conflict_and_an_agents_text_is_not_kept(method, args):
    api = client_with(error=messaging.RemoteError(
        'UnsupportedVersion', 'Endpoint does not support RPC version 1.2', 'Traceback'))
    with pytest.raises(exceptions.Conflict) as raised:
        getattr(api, method)({}, *args)
    assert str(raised.value) == guest_client.OLDER_AGENT
    # The agent's text may quote a module's contents: only its kind is kept.
    api = client_with(error=messaging.RemoteError('ValueError', 'contents TOPSECRET',
                                                  'Traceback ... TOPSECRET'))
    with pytest.raises(exceptions.GuestFailed) as raised:
        getattr(api, method)({}, *args)
    assert raised.value.details == 'ValueError' and 'TOPSECRET' not in str(raised.value)
    api = client_with(error=messaging.MessagingTimeout('no answer'))
    with pytest.raises(exceptions.Conflict, match='did not answer in time'):
        getattr(api, method)({}, *args)


def test_prepare_carries_modules_only_when_there_are_some():
    api = client_with()
    api.prepare({}, [], [], modules=[])
    (method, kwargs), = api._client.cast_calls
    assert 'modules' not in kwargs and api._client.prepared == []
    api.prepare({}, [], [], modules=[{'id': 'm'}])
    assert api._client.cast_calls[-1][1]['modules'] == [{'id': 'm'}]
    assert api._client.prepared == [{'version': '1.2'}]


def test_the_task_manager_takes_reapply_as_1_3():
    from api_service.rpc import clients
    from api_service.taskmanager import service
    # 1.3 brought reapply_module; 1.4 (replication) keeps it.
    assert clients.TaskManagerAPI.VERSION == '1.4'
    assert service.TaskManagerEndpoint.target.version == '1.4'
    assert hasattr(service.TaskManagerEndpoint, 'reapply_module')
