"""When no task manager takes a cast (the broker restarted and none is back yet), the API
answers 503, and what it recorded before casting is put back (#15): an operation begun from
ACTIVE is aborted and a resize's reservation returned, a create's instance fails with a fault
saying why, a backup fails with its reason, and a delete, once recorded, is accepted."""
import oslo_messaging as messaging
import pytest

from api_service.api.controllers import backups as backups_controller
from api_service.api.controllers import instances as controller
from api_service.db import models_backups as b
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import quotas
from api_service.rpc import clients
from api_service.rpc import delivery
from tests.unit.conftest import PROJECT
from tests.unit.test_instances_api import api, create  # noqa: F401  (fixture)

REFUSED = 'No task manager is reachable through the message broker; try again shortly.'


class _NoQueue:
    """A broker on which no task manager has declared its queue: every cast comes back."""

    def __init__(self):
        self.tried = []

    def prepare(self, **options):
        return self

    def cast(self, ctx, method, **kwargs):
        self.tried.append(method)
        raise messaging.MessageUndeliverable(Exception('NO_ROUTE'), 'dbaas', method, {})


@pytest.fixture
def unreachable(api, monkeypatch):  # noqa: F811
    """The API's real task manager client, over a broker that delivers nothing."""
    from api_service.domain import catalogue_admin
    catalogue_admin.upsert_datastore_version('mariadb', '10.11', '10.11.19', 'mariadb',
                                             '/usr/sbin', capabilities='backups,databases,'
                                                                      'root,users')
    taskmanager = clients.TaskManagerAPI.__new__(clients.TaskManagerAPI)
    taskmanager._client = _NoQueue()
    monkeypatch.setattr(delivery, 'UNDELIVERABLE_WAIT', 0.02)
    monkeypatch.setattr(delivery, 'UNDELIVERABLE_INTERVAL', 0.001)
    api.reach = lambda: (monkeypatch.setattr(controller.Instances, 'taskmanager', taskmanager),
                         monkeypatch.setattr(backups_controller.Backups, 'taskmanager',
                                             taskmanager))
    api.tried = taskmanager._client.tried
    return api


def in_use():
    return {row['resource']: row['in_use'] for row in quotas.show(PROJECT)}


def active(client, **overrides):
    """An ACTIVE instance made while the task manager was reachable (the recorder)."""
    instance_id = create(client, **overrides).json_body_or_none['instance']['id']
    with session_scope() as session:
        session.get(m.Instance, instance_id).status = 'ACTIVE'
    return instance_id


def row(instance_id):
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id)
        return instance.status, instance.task, instance.task_deadline


def action(client, instance_id, body):
    return client.request('POST', '/instances/%s/action' % instance_id, body=body)


def fault_message(resp):
    return list(resp.json_body_or_none.values())[0]['message']


def test_a_volume_resize_no_task_manager_takes_is_undone(unreachable):
    instance_id = active(unreachable)
    before = in_use()
    unreachable.reach()
    resp = action(unreachable, instance_id, {'resize': {'volume': {'size': 3}}})
    assert resp.status_code == 503 and fault_message(resp) == REFUSED
    assert unreachable.tried and set(unreachable.tried) == {'resize_volume'}
    assert row(instance_id) == ('ACTIVE', None, None)
    assert in_use() == before
    # Nothing is left in the way: the same resize may be asked again.
    assert action(unreachable, instance_id,
                  {'resize': {'volume': {'size': 3}}}).status_code == 503


def test_a_flavor_resize_no_task_manager_takes_is_undone(unreachable):
    instance_id = active(unreachable)
    before = in_use()
    unreachable.reach()
    resp = action(unreachable, instance_id, {'resize': {'flavorRef': '3'}})
    assert resp.status_code == 503
    assert row(instance_id) == ('ACTIVE', None, None)
    assert in_use() == before
    with session_scope() as session:
        assert session.get(m.Instance, instance_id).ram_mb == 512


def test_a_create_no_task_manager_takes_fails_with_a_fault_saying_why(unreachable):
    unreachable.reach()
    resp = create(unreachable)
    assert resp.status_code == 503 and fault_message(resp) == REFUSED
    [listed] = unreachable.get('/instances').json_body_or_none['instances']
    shown = unreachable.get('/instances/%s' % listed['id']).json_body_or_none['instance']
    assert shown['status'] == 'ERROR'
    assert shown['fault']['message'] == ('No task manager was reachable to build the '
                                         'instance; delete it and create it again.')
    # Its quota is held until it is deleted, as any instance's.
    assert in_use()['instances'] == 1 and in_use()['ram'] == 512


def test_a_never_built_instance_gives_its_quota_back_when_deleted(unreachable):
    from api_service.taskmanager import flows
    unreachable.reach()
    create(unreachable)
    [shown] = unreachable.get('/instances').json_body_or_none['instances']
    with session_scope() as session:
        session.get(m.Instance, shown['id']).status = 'DELETING'
    flows.delete(None, shown['id'])
    assert {k: in_use()[k] for k in ('instances', 'ram', 'volumes')} == {
        'instances': 0, 'ram': 0, 'volumes': 0}


def test_a_delete_recorded_is_accepted_and_left_to_the_janitor(unreachable):
    instance_id = active(unreachable)
    unreachable.reach()
    resp = unreachable.request('DELETE', '/instances/%s' % instance_id)
    assert resp.status_code == 202
    assert set(unreachable.tried) == {'delete_instance'}
    status, task, deadline = row(instance_id)
    # The janitor casts the delete again once its deadline passes.
    assert (status, task) == ('DELETING', 'delete') and deadline is not None


def test_a_backup_no_task_manager_takes_fails_and_its_instance_is_active_again(unreachable):
    instance_id = active(unreachable)
    before = in_use()['backups']
    unreachable.reach()
    resp = unreachable.request('POST', '/backups',
                               body={'backup': {'name': 'b', 'instance': instance_id}})
    assert resp.status_code == 503 and fault_message(resp) == REFUSED
    with session_scope() as session:
        [made] = session.query(b.Backup).all()
        assert made.status == 'FAILED'
        assert made.fail_reason == ('No task manager was reachable to make the backup; try '
                                    'again shortly.')
    assert row(instance_id) == ('ACTIVE', None, None)
    assert in_use()['backups'] == before


def test_an_instance_a_delete_reached_meanwhile_keeps_deleting_and_its_reservation_back(
        unreachable):
    from api_service.domain import instances
    instance_id = active(unreachable)
    before = in_use()
    instances.begin(_ctx(), instance_id, 'resize_volume', 600,
                    quota_deltas={'volumes': 2})
    with session_scope() as session:
        session.get(m.Instance, instance_id).status = 'DELETING'
    instances.undo_begin(instance_id, 'resize_volume', {'volumes': 2})
    assert row(instance_id)[0] == 'DELETING'
    assert in_use() == before


def _ctx():
    from api_service.common import context
    return context.RequestContext(project_id=PROJECT, user_id='u', roles=['member'])


def test_a_restart_no_task_manager_takes_is_a_503_in_words_not_a_500(unreachable):
    # Its REBOOT has no way back in the state machine yet (the status it began from is not
    # kept): its deadline ends it, as before.
    instance_id = active(unreachable)
    unreachable.reach()
    resp = action(unreachable, instance_id, {'restart': {}})
    assert resp.status_code == 503 and fault_message(resp) == REFUSED
