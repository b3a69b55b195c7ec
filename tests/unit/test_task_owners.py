"""A task manager that dies leaves operations: a live one settles them at once, never one
that another live task manager runs (#15: taskmanager/owners.py, janitor.settle_orphaned)."""
import datetime
import time

import pytest

from api_service.db import models
from api_service.db import models_backups as b
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import events
from api_service.domain import status
from api_service.taskmanager import janitor
from api_service.taskmanager import owners
from tests.unit.test_backups_api import active_instance, backup, bapi  # noqa: F401
from tests.unit.test_instances_api import api, create  # noqa: F401  (fixture)
from tests.unit.test_tenant_faults import mem  # noqa: F401  (fixture)

DEAD, ALIVE = 'dead-task-manager', 'live-task-manager'


@pytest.fixture
def judging(api, monkeypatch):  # noqa: F811
    """We have heartbeated long enough to judge; DEAD was last seen a minute ago, ALIVE now."""
    monkeypatch.setattr(owners, '_healthy_since', time.monotonic() - 100)
    now = models.utcnow()
    with session_scope() as session:
        session.add(m.TaskManager(id=DEAD, host='h', pid=1, started_at=now,
                                  seen_at=now - datetime.timedelta(seconds=60)))
        session.add(m.TaskManager(id=ALIVE, host='h', pid=2, started_at=now, seen_at=now))
    return api


def _building(api, owner, step=None):  # noqa: F811
    instance_id = create(api).json_body_or_none['instance']['id']
    with session_scope() as session:
        session.get(m.Instance, instance_id).task_owner = owner
    if step:
        events.start(instance_id, 'create', step)
    return instance_id


def _row(instance_id):
    with session_scope() as session:
        row = session.get(m.Instance, instance_id)
        session.expunge(row)
        return row


def _fault(instance_id):
    from api_service.domain import faults
    with session_scope() as session:
        return faults.latest(session, instance_id).message


def test_a_build_whose_task_manager_died_ends_at_once_naming_the_step(judging):
    instance_id = _building(judging, DEAD, 'guest')
    assert janitor.settle_orphaned() == ([], [])
    assert _row(instance_id).status == 'ERROR'
    assert _fault(instance_id) == 'The task manager building the instance stopped (step: guest).'
    with session_scope() as session:
        outcomes = {e.step: e.outcome for e in session.query(m.InstanceEvent).filter_by(
            instance_id=instance_id)}
    assert outcomes['guest'] == events.FAILED


def test_a_live_task_manager_s_operation_and_our_own_are_left_alone(judging):
    theirs = _building(judging, ALIVE, 'guest')
    ours = _building(judging, owners.ME, 'guest')
    nobody = _building(judging, None, 'guest')
    janitor.settle_orphaned()
    assert [_row(i).status for i in (theirs, ours, nobody)] == ['BUILD'] * 3


def test_a_task_manager_judges_others_only_after_its_own_heartbeats_went_through(
        judging, monkeypatch):
    # Just started, or the service database was unreachable a moment ago: a live task
    # manager may not have been seen again yet.
    monkeypatch.setattr(owners, '_healthy_since', time.monotonic() - 1)
    instance_id = _building(judging, DEAD, 'guest')
    assert janitor.settle_orphaned() == ([], [])
    assert _row(instance_id).status == 'BUILD'
    monkeypatch.setattr(owners, '_healthy_since', None)
    owners.touch()
    assert not owners.may_judge_others()


def test_what_the_guest_already_has_is_left_to_the_guest(judging):
    instance_id = _building(judging, DEAD, 'prepare')
    janitor.settle_orphaned()
    row = _row(instance_id)
    assert (row.status, row.task_owner) == ('BUILD', None)    # the deadline still holds
    assert row.task_deadline is not None


def test_a_delete_whose_task_manager_died_is_retried_at_once_by_us(judging):
    instance_id = _building(judging, DEAD)
    with session_scope() as session:
        row = session.get(m.Instance, instance_id)
        status.mark_deleting(row, 60)
        row.task_owner = DEAD
    assert janitor.settle_orphaned() == ([instance_id], [])
    assert _row(instance_id).task_owner == owners.ME


def test_backups_a_dead_task_manager_left_start_again_or_fail_with_the_reason(
        judging, bapi):  # noqa: F811
    started_id = active_instance(bapi)
    new = backup(bapi, started_id).json_body_or_none['backup']['id']
    failed_id = active_instance(bapi)
    building = backup(bapi, failed_id).json_body_or_none['backup']['id']
    with session_scope() as session:
        session.get(b.Backup, building).status = 'BUILDING'
        for instance_id in (started_id, failed_id):
            session.get(m.Instance, instance_id).task_owner = DEAD
    assert janitor.settle_orphaned() == ([], [(started_id, new)])
    with session_scope() as session:
        gone = session.get(b.Backup, building)
        assert (gone.status, gone.fail_reason) == (
            'FAILED', 'The task manager stopped before the backup was sent to the guest.')
        assert session.get(b.Backup, new).status == 'NEW'
    assert _row(failed_id).status == 'ACTIVE'


def test_a_new_operation_has_no_owner_until_a_task_manager_takes_it(judging):
    # An instance built by a task manager that died since: its resize, waiting in the
    # broker for a live one, must not be taken for the dead one's.
    instance_id = active_instance(judging)
    with session_scope() as session:
        row = session.get(m.Instance, instance_id)
        row.task_owner = DEAD
        status.begin(row, 'resize_volume', 60)
        assert row.task_owner is None
    janitor.settle_orphaned()
    assert _row(instance_id).status == 'RESIZE'
    owners.claim(instance_id)
    assert _row(instance_id).task_owner == owners.ME


def test_rows_of_task_managers_gone_long_ago_are_forgotten_unless_named(judging):
    old = models.utcnow() - owners.FORGET_AFTER - datetime.timedelta(minutes=1)
    named = _building(judging, 'named-old')
    with session_scope() as session:
        for name in ('named-old', 'unnamed-old'):
            session.add(m.TaskManager(id=name, host='h', pid=3, started_at=old, seen_at=old))
    owners.forget_gone()
    with session_scope() as session:
        left = {row.id for row in session.query(m.TaskManager)}
    assert 'named-old' in left and 'unnamed-old' not in left and DEAD in left
    assert _row(named).task_owner == 'named-old'


def _volumes_in_use():
    from api_service.domain import quotas
    from tests.unit.test_instances_api import PROJECT
    return {row['resource']: row['in_use'] for row in quotas.show(PROJECT)}['volumes']


def test_a_resize_whose_task_manager_died_gives_back_the_size_it_reserved(judging):
    instance_id = active_instance(judging)
    before = _volumes_in_use()
    resp = judging.request('POST', '/instances/%s/action' % instance_id,
                           body={'resize': {'volume': {'size': 3}}})
    assert resp.status_code == 202, resp.body
    assert _volumes_in_use() == before + 2
    # What the task manager's endpoint records when it takes the resize (service.py).
    owners.claim(instance_id, {'volumes': 3})
    with session_scope() as session:
        session.get(m.Instance, instance_id).task_owner = DEAD
    janitor.settle_orphaned()
    row = _row(instance_id)
    assert (row.status, row.volume_size, row.task_quota) == ('ERROR', 1, None)
    assert _fault(instance_id) == 'The task manager resizing the volume stopped.'
    assert _volumes_in_use() == before


# -- reservations: given back exactly once, by whoever ends the resize (owners.settle_quota)

def _resizing_volume(api, owner, size=3):  # noqa: F811
    instance_id = active_instance(api)
    before = _volumes_in_use()
    resp = api.request('POST', '/instances/%s/action' % instance_id,
                       body={'resize': {'volume': {'size': size}}})
    assert resp.status_code == 202, resp.body
    owners.claim(instance_id, {'volumes': size})
    with session_scope() as session:
        row = session.get(m.Instance, instance_id)
        row.task_owner = owner
        row.task_deadline = models.utcnow() - datetime.timedelta(seconds=1)
    return instance_id, before


def test_a_resize_past_its_deadline_whose_task_manager_died_gives_its_reservation_back(
        judging):
    instance_id, before = _resizing_volume(judging, DEAD)
    janitor.expire_deadlines()
    row = _row(instance_id)
    assert (row.status, row.task_quota) == ('ERROR', None)
    assert _volumes_in_use() == before


def test_a_resize_past_its_deadline_a_live_task_manager_runs_is_left_to_settle_by_its_flow(
        judging):
    instance_id, before = _resizing_volume(judging, ALIVE)
    janitor.expire_deadlines()
    row = _row(instance_id)
    assert row.status == 'ERROR' and owners.reserved_of(row) == {'volumes': 3}
    assert row.task_owner == ALIVE      # still named: if it dies now, it is settled then
    with session_scope() as session:
        session.get(m.TaskManager, ALIVE).seen_at = models.utcnow() - datetime.timedelta(
            seconds=60)
    janitor.settle_orphaned()
    assert _row(instance_id).task_quota is None and _volumes_in_use() == before


def test_before_we_may_judge_others_their_overdue_rows_wait(judging, monkeypatch):
    monkeypatch.setattr(owners, '_healthy_since', time.monotonic())
    instance_id, before = _resizing_volume(judging, DEAD)
    janitor.expire_deadlines()
    assert _row(instance_id).status == 'RESIZE'
    assert _volumes_in_use() == before + 2


def test_an_admin_reset_of_an_orphaned_resize_gives_its_reservation_back_once(judging):
    instance_id, before = _resizing_volume(judging, DEAD)
    resp = judging.request('POST', '/mgmt/instances/%s/action' % instance_id,
                           body={'reset_status': {}}, roles='admin')
    assert resp.status_code in (200, 202), resp.body
    assert _volumes_in_use() == before
    janitor.settle_orphaned()       # nothing left for the janitor to give back
    janitor.expire_deadlines()
    assert _volumes_in_use() == before


def test_a_flow_ending_after_the_janitor_settled_gives_nothing_back_twice(judging):
    from api_service.taskmanager import flows
    instance_id, before = _resizing_volume(judging, DEAD)
    janitor.expire_deadlines()
    flows._settle(instance_id)
    assert _volumes_in_use() == before


def test_the_resize_endpoint_claims_without_waiting_on_its_own_row_lock(judging, monkeypatch):
    """The flavor's RAM is read before the claim: read under the claim's lock, a second
    session waited for the first on SQLite (10 s) and the resize ran with no owner."""
    from api_service.taskmanager import service
    instance_id = active_instance(judging)
    monkeypatch.setattr(service, '_run', lambda func, *args: None)
    started = time.monotonic()
    service.TaskManagerEndpoint().resize_flavor({}, instance_id, '2')
    assert time.monotonic() - started < 5
    row = _row(instance_id)
    from api_service.drivers.compute import get_driver
    assert row.task_owner == owners.ME
    assert owners.reserved_of(row) == {'ram': get_driver().get_flavor('2').ram}


def test_the_heartbeat_runs_in_its_own_thread_whatever_the_janitor_does(api):  # noqa: F811
    import threading
    stop = threading.Event()
    thread = threading.Thread(target=owners.heartbeat_forever, args=(stop, 0.01), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while _seen(owners.ME) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        first = _seen(owners.ME)
        assert first is not None
        while _seen(owners.ME) == first and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _seen(owners.ME) > first
    finally:
        stop.set()
        thread.join(5)


def _seen(task_manager_id):
    with session_scope() as session:
        row = session.get(m.TaskManager, task_manager_id)
        return None if row is None else row.seen_at


def test_the_task_manager_is_seen_alive_before_it_serves_a_cast(api, monkeypatch):  # noqa: F811
    from api_service.cmd import taskmanager as cmd
    seen_at_serve = []
    conf = type('Conf', (), {'debug': False,
                             'rpc': type('Rpc', (), {'taskmanager_topic': 't'})()})()
    monkeypatch.setattr(cmd.config, 'load', lambda argv: conf)
    monkeypatch.setattr(cmd.log, 'setup', lambda *a: None)
    monkeypatch.setattr(cmd.compute, 'check_configured', lambda name: None)
    monkeypatch.setattr(cmd.access, 'check_configured', lambda name: None)
    monkeypatch.setattr(cmd.tm_service, 'resume_guests', lambda: None)
    monkeypatch.setattr(cmd.tm_service, 'janitor_forever', lambda stop: None)
    monkeypatch.setattr(cmd.tm_service, 'scheduler_forever', lambda stop: None)
    monkeypatch.setattr(cmd.service, 'serve',
                        lambda *a: seen_at_serve.append(_seen(owners.ME)))
    cmd.main([])
    assert seen_at_serve and seen_at_serve[0] is not None


# -- a resize that fails after the host step: settled against the row's size now ----------

@pytest.mark.parametrize('start,to', [('1', '2'), ('2', '1')], ids=['larger', 'smaller'])
def test_a_flavor_resize_failing_after_the_host_step_leaves_usage_as_the_row_says(
        mem, database_url, start, to):  # noqa: F811
    """The host step raised ram_mb to the larger flavor: giving back new - old left the
    usage at the old size while the row said the new one (a later delete: negative)."""
    from tests import stack_invariants
    from tests.unit.test_tenant_faults import FakeRPC, remote_error
    resp = mem.request('POST', '/instances', body={'instance': {
        'name': 'db1', 'flavorRef': start, 'volume': {'size': 1},
        'datastore': {'type': 'mariadb', 'version': '10.11'}}})
    instance_id = resp.json_body_or_none['instance']['id']
    FakeRPC.failing['resize_memory'] = remote_error()
    resp = mem.request('POST', '/instances/%s/action' % instance_id,
                       body={'resize': {'flavorRef': to}})
    assert resp.status_code == 202, resp.body
    assert _row(instance_id).status == 'ERROR'
    assert stack_invariants.quota_problems(stack_invariants.Snapshot(database_url)) == []


def test_an_orphaned_upsize_after_the_host_step_leaves_usage_as_the_row_says(
        judging, database_url):
    from tests import stack_invariants
    from api_service.drivers.compute import get_driver
    instance_id = active_instance(judging)
    old_ram = _row(instance_id).ram_mb
    larger = min((f for f in get_driver().list_flavors() if f.ram > old_ram),
                 key=lambda f: f.ram)
    resp = judging.request('POST', '/instances/%s/action' % instance_id,
                           body={'resize': {'flavorRef': larger.id}})
    assert resp.status_code == 202, resp.body
    new_ram = larger.ram
    owners.claim(instance_id, {'ram': new_ram})
    with session_scope() as session:
        row = session.get(m.Instance, instance_id)
        row.task_owner, row.ram_mb = DEAD, max(row.ram_mb, new_ram)   # the host step ran
    janitor.settle_orphaned()
    assert _row(instance_id).status == 'ERROR'
    assert stack_invariants.quota_problems(stack_invariants.Snapshot(database_url)) == []


def test_deleted_or_ended_rows_naming_a_task_manager_gone_long_ago_do_not_keep_it(judging):
    old = models.utcnow() - owners.FORGET_AFTER - datetime.timedelta(minutes=1)
    deleted, ended = _building(judging, 'gone-a'), _building(judging, 'gone-b')
    with session_scope() as session:
        session.get(m.Instance, deleted).deleted = True
        session.get(m.Instance, ended).status = 'ERROR'     # no reservation outstanding
        for name in ('gone-a', 'gone-b'):
            session.add(m.TaskManager(id=name, host='h', pid=3, started_at=old, seen_at=old))
    owners.forget_gone()
    with session_scope() as session:
        left = {row.id for row in session.query(m.TaskManager)}
    assert not {'gone-a', 'gone-b'} & left


def test_an_orphaned_delete_is_retried_once_not_again_by_its_deadline(judging):
    instance_id = _building(judging, DEAD)
    with session_scope() as session:
        row = session.get(m.Instance, instance_id)
        status.mark_deleting(row, 240)
        row.task_owner = DEAD
        row.task_deadline = models.utcnow() - datetime.timedelta(seconds=1)
    deletes, _ = janitor.settle_orphaned()
    assert deletes == [instance_id]
    assert janitor.expire_deadlines() == []
