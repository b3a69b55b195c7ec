"""Backup strategies and where backups go, in-process: the Swift container of a project or an
instance, the most specific winning, recorded with each backup; refused on local deployments."""
import pytest

from api_service.db import models_backups as b
from api_service.db.session import session_scope
from api_service.drivers.storage import swift
from tests.unit.conftest import OTHER_PROJECT, PROJECT
from tests.unit.test_backups_api import (  # noqa: F401  (bapi: fixture)
    active_instance, backup, bapi, complete, message)
from tests.unit.test_instances_api import api  # noqa: F401  (fixture)

DEFAULT_CONTAINER = 'deployment_backups'


@pytest.fixture
def swift_deployment(conf):
    conf.set_override('storage_backend', 'swift', 'backup')
    conf.set_override('container', DEFAULT_CONTAINER, 'backup_swift')
    yield conf
    conf.clear_override('storage_backend', 'backup')
    conf.clear_override('container', 'backup_swift')


def strategy(api, project=PROJECT, roles='member', **fields):
    return api.request('POST', '/backup_strategies', body={'backup_strategy': fields},
                       project=project, roles=roles)


def strategies(api, query='', **kw):
    return api.get('/backup_strategies' + query, **kw).json_body_or_none['backup_strategies']


def fault(resp):
    """The Trove error envelope's one key, e.g. 'badRequest'."""
    (key, body), = resp.json_body_or_none.items()
    assert body['code'] == resp.status_code
    return key


def location(resp):
    assert resp.status_code == 202, resp.body
    return resp.json_body_or_none['backup']['locationRef']


# -- a local deployment ------------------------------------------------------------------------

def test_local_deployment_refuses_swift_clearly(bapi):
    resp = strategy(bapi, swift_container='mine')
    assert resp.status_code == 400 and fault(resp) == 'badRequest'
    assert 'locally' in message(resp)
    assert strategies(bapi) == []
    instance_id = active_instance(bapi)
    resp = backup(bapi, instance_id, storage_driver='swift')
    assert resp.status_code == 400 and 'storage_driver swift' in message(resp)
    resp = backup(bapi, instance_id, swift_container='mine')
    assert resp.status_code == 400 and 'locally' in message(resp)
    resp = backup(bapi, instance_id, storage_driver='ceph')
    assert resp.status_code == 400 and 'storage_driver' in message(resp)
    made = backup(bapi, instance_id, storage_driver='local')
    assert location(made) == 'backups/%s/data' % made.json_body_or_none['backup']['id']


# -- strategies ---------------------------------------------------------------------------------

def test_strategies_crud_most_specific_first(bapi, swift_deployment):
    instance_id = active_instance(bapi)
    resp = strategy(bapi, swift_container='project_c')
    assert resp.status_code == 202, resp.body
    assert resp.json_body_or_none == {'backup_strategy': {
        'project_id': PROJECT, 'instance_id': '', 'backend': 'swift',
        'swift_container': 'project_c'}}
    assert strategy(bapi, instance_id=instance_id, swift_container='inst_c').status_code == 202
    assert strategy(bapi, swift_container='project_c2').status_code == 202   # changes, not adds
    assert [(s['instance_id'], s['swift_container']) for s in strategies(bapi)] == [
        ('', 'project_c2'), (instance_id, 'inst_c')]
    only = strategies(bapi, '?instance_id=%s' % instance_id)
    assert [s['swift_container'] for s in only] == ['inst_c']
    resp = bapi.request('DELETE', '/backup_strategies?instance_id=%s' % instance_id)
    assert resp.status_code == 202
    assert [s['instance_id'] for s in strategies(bapi)] == ['']
    assert bapi.request('DELETE', '/backup_strategies').status_code == 202
    assert strategies(bapi) == []


def test_strategies_are_the_projects_own_admins_act_for_others(bapi, swift_deployment):
    mine = active_instance(bapi)
    assert strategy(bapi, swift_container='mine').status_code == 202
    assert strategies(bapi, project=OTHER_PROJECT) == []
    other = dict(project=OTHER_PROJECT)
    assert bapi.get('/backup_strategies?project_id=%s' % PROJECT, **other).status_code == 403
    resp = strategy(bapi, project_id=PROJECT, swift_container='theirs', **other)
    assert resp.status_code == 403 and fault(resp) == 'forbidden'
    assert strategy(bapi, instance_id=mine, swift_container='x', **other).status_code == 404
    resp = bapi.request('DELETE', '/backup_strategies?project_id=%s' % PROJECT, **other)
    assert resp.status_code == 403
    assert [s['swift_container'] for s in strategies(bapi)] == ['mine']

    admin = dict(project=OTHER_PROJECT, roles='admin')
    listed = strategies(bapi, '?project_id=%s' % PROJECT, **admin)
    assert [s['swift_container'] for s in listed] == ['mine']
    resp = strategy(bapi, project_id=PROJECT, instance_id=mine, swift_container='ops', **admin)
    assert resp.status_code == 202 and resp.json_body_or_none['backup_strategy']['project_id'] \
        == PROJECT
    resp = strategy(bapi, instance_id=mine, swift_container='ops', **admin)   # not OTHER's
    assert resp.status_code == 400 and 'does not belong' in message(resp)
    assert strategies(bapi, project=OTHER_PROJECT) == []
    resp = bapi.request('DELETE', '/backup_strategies?project_id=%s' % PROJECT, **admin)
    assert resp.status_code == 202
    assert [s['swift_container'] for s in strategies(bapi)] == ['ops']


@pytest.mark.parametrize('fields, why', [
    ({}, 'swift_container'),
    ({'swift_container': ''}, 'swift_container'),
    ({'swift_container': 'a/b'}, 'swift_container'),
    ({'swift_container': 'c' * 256}, 'too long'),
    ({'swift_container': 'c', 'backend': 'ceph'}, 'unknown field'),
])
def test_strategy_bodies_are_checked(bapi, swift_deployment, fields, why):
    resp = strategy(bapi, **fields)
    assert resp.status_code == 400 and fault(resp) == 'badRequest'
    assert why in message(resp)
    assert strategies(bapi) == []


# -- where backups go ---------------------------------------------------------------------------

def test_backups_record_the_container_they_went_to(bapi, swift_deployment):
    instance_id = active_instance(bapi)
    other = active_instance(bapi)

    def made_in(instance, **extra):
        resp = backup(bapi, instance, **extra)
        backup_id = resp.json_body_or_none and resp.json_body_or_none['backup']['id']
        where = swift.split_location(location(resp))
        assert where[1] == 'backups/%s/data' % backup_id
        complete(backup_id)
        return where[0], backup_id

    assert made_in(instance_id)[0] == DEFAULT_CONTAINER
    strategy(bapi, swift_container='project_c')
    strategy(bapi, instance_id=instance_id, swift_container='inst_c')
    assert made_in(instance_id)[0] == 'inst_c'
    assert made_in(other)[0] == 'project_c'
    assert made_in(other, storage_driver='swift', swift_container='asked_c')[0] == 'asked_c'
    _, kept = made_in(instance_id)
    bapi.request('DELETE', '/backup_strategies?instance_id=%s' % instance_id)
    bapi.request('DELETE', '/backup_strategies')
    assert made_in(instance_id)[0] == DEFAULT_CONTAINER
    shown = bapi.get('/backups/%s' % kept).json_body_or_none['backup']
    assert shown['locationRef'] == swift.location('inst_c', 'backups/%s/data' % kept)
    assert bapi.request('DELETE', '/backups/%s' % kept).status_code == 202
    (method, _, kwargs) = bapi.backup_casts[-1]
    assert method == 'delete_backups' and kwargs['backup_ids'] == [kept]
    resp = backup(bapi, instance_id, storage_driver='local')
    assert resp.status_code == 400 and 'storage_driver local' in message(resp)


def test_the_partial_sweep_visits_every_container_backups_used_lately(bapi, monkeypatch):
    from api_service.domain import backups as backups_domain
    from api_service.taskmanager import flows
    swept = []

    class Store:
        def __init__(self, container):
            self.container = container

        def cleanup_partials(self, older_than_seconds):
            swept.append(self.container)
            return 1

        def in_container(self, container):
            return Store(container)

    monkeypatch.setattr(backups_domain, 'object_store', lambda: Store('database_backups'))
    instance_id = active_instance(bapi)
    made = backup(bapi, instance_id).json_body_or_none['backup']['id']
    with session_scope() as session:
        session.get(b.Backup, made).location = 'swift://team-a/backups/%s/data' % made
    flows.cleanup_backup_partials(3600)
    assert swept == ['database_backups', 'team-a']
