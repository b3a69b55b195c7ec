"""The backup scheduler: exactly once, MISSED and one catch-up, SKIPPED, retention."""
import datetime
import threading
import uuid

import pytest

from api_service.db import models_backups as b
from api_service.db import models_instances as m
from api_service.db import models_schedules as s
from api_service.db.session import session_scope
from api_service.domain import backups
from api_service.taskmanager import scheduler
from tests.unit.test_backups_api import active_instance, bapi  # noqa: F401  (fixtures)
from tests.unit.test_instances_api import api  # noqa: F401

T0 = datetime.datetime(2030, 1, 1, 0, 0, 0)


def completing(calls):
    """A start_backup that finishes the backup at once, as a healthy guest would."""
    def start(instance_id, backup_id):
        calls.append(backup_id)
        with session_scope() as session:
            row = session.get(b.Backup, backup_id)
            row.status, row.size_bytes, row.checksum = 'COMPLETED', 10, 'sha256:x'
            session.get(m.Instance, instance_id).status = 'ACTIVE'
    return start


def make_schedule(api, instance_id, pattern='* * * * *', **extra):
    resp = api.request('POST', '/instances/%s/schedules' % instance_id,
                       body={'schedule': dict(name='nightly', pattern=pattern, **extra)})
    assert resp.status_code == 200, resp.body
    schedule_id = resp.json_body_or_none['schedule']['id']
    with session_scope() as session:
        session.get(s.Schedule, schedule_id).next_execution_time = T0
    return schedule_id


def executions(schedule_id):
    with session_scope() as session:
        return [(e.scheduled_time, e.state, e.output) for e in session.query(s.Execution)
                .filter_by(schedule_id=schedule_id).order_by(s.Execution.scheduled_time)]


def test_bad_patterns_and_unknown_instances_are_clear(bapi):  # noqa: F811
    instance_id = active_instance(bapi)
    resp = bapi.request('POST', '/instances/%s/schedules' % instance_id,
                        body={'schedule': {'name': 'x', 'pattern': 'every day at 3'}})
    assert resp.status_code == 400 and ('The schedule needs 5 fields (minute hour day month '
                                        'weekday); it has 4.') in resp.body.decode()
    resp = bapi.request('POST', '/instances/%s/schedules' % uuid.uuid4(),
                        body={'schedule': {'name': 'x', 'pattern': '0 3 * * *'}})
    assert resp.status_code == 404


def test_incremental_schedules_need_an_engine_that_makes_incrementals(bapi):  # noqa: F811
    from api_service.domain import catalogue_admin
    catalogue_admin.upsert_datastore_version('mariadb', '10.11', '10.11.19', 'mariadb',
                                             '/usr/sbin', capabilities='backups,databases')
    instance_id = active_instance(bapi)     # its version offers backups, not incrementals
    resp = bapi.request('POST', '/instances/%s/schedules' % instance_id, body={'schedule': {
        'name': 'x', 'pattern': '0 3 * * *', 'incremental': True}})
    assert resp.status_code == 400
    assert 'cannot make incremental backups' in resp.body.decode()
    schedule_id = make_schedule(bapi, instance_id)
    resp = bapi.request('PATCH', '/instances/%s/schedules/%s' % (instance_id, schedule_id),
                        body={'schedule': {'incremental': True}})
    assert resp.status_code == 400 and 'incremental false' in resp.body.decode()
    catalogue_admin.upsert_datastore_version(
        'mariadb', '10.11', '10.11.19', 'mariadb', '/usr/sbin',
        capabilities='backups,databases,incremental_backups,root,users')
    resp = bapi.request('PATCH', '/instances/%s/schedules/%s' % (instance_id, schedule_id),
                        body={'schedule': {'incremental': True}})
    assert resp.status_code == 200 and resp.json_body_or_none['schedule']['incremental']


def test_each_due_run_happens_once_with_two_task_managers(bapi):  # noqa: F811
    instance_id = active_instance(bapi)
    schedule_id = make_schedule(bapi, instance_id)
    calls = []
    barrier = threading.Barrier(2)

    def task_manager():
        barrier.wait()
        scheduler.tick(completing(calls), lambda locations: None, now=T0)
    threads = [threading.Thread(target=task_manager) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert executions(schedule_id) == [(T0, 'SUCCESS', calls[0])]
    scheduler.tick(completing(calls), lambda locations: None, now=T0)
    assert len(calls) == 1


@pytest.mark.parametrize('minutes', [4, 250])
def test_downtime_records_missed_runs_and_one_catch_up(bapi, minutes):  # noqa: F811
    instance_id = active_instance(bapi)
    schedule_id = make_schedule(bapi, instance_id)
    calls = []
    later = T0 + datetime.timedelta(minutes=minutes, seconds=30)
    scheduler.tick(completing(calls), lambda locations: None, now=later)
    states = executions(schedule_id)
    # At most MAX_MISSED_RECORDED missed times are recorded (the first); the run is the latest.
    recorded = min(minutes, scheduler.MAX_MISSED_RECORDED)
    assert [state for _, state, _ in states] == ['MISSED'] * recorded + ['SUCCESS']
    assert [when for when, _, _ in states] == [T0 + datetime.timedelta(minutes=i)
                                               for i in range(recorded)] + \
        [T0 + datetime.timedelta(minutes=minutes)]
    assert len(calls) == 1
    with session_scope() as session:
        nxt = session.get(s.Schedule, schedule_id).next_execution_time
    assert nxt == T0 + datetime.timedelta(minutes=minutes + 1)


def test_busy_instance_is_skipped_with_the_reason(bapi):  # noqa: F811
    instance_id = active_instance(bapi)
    schedule_id = make_schedule(bapi, instance_id)
    with session_scope() as session:
        session.get(m.Instance, instance_id).status = 'RESIZE'
    scheduler.tick(completing([]), lambda locations: None, now=T0)
    ((_, state, output),) = executions(schedule_id)
    assert state == 'SKIPPED' and 'RESIZE' in output


@pytest.mark.parametrize('incremental', [False, True])
def test_retention_keeps_exactly_n_and_never_a_needed_parent(bapi, incremental):  # noqa: F811
    instance_id = active_instance(bapi)
    schedule_id = make_schedule(bapi, instance_id, retention=2)
    if incremental:
        full = bapi.request('POST', '/backups', body={'backup': {
            'name': 'base', 'instance': instance_id}}).json_body_or_none['backup']['id']
        completing([])(instance_id, full)
        with session_scope() as session:
            session.get(s.Schedule, schedule_id).incremental = True
    calls, deleted = [], []
    for minute in range(5):
        scheduler.tick(completing(calls), deleted.extend,
                       now=T0 + datetime.timedelta(minutes=minute))
    with session_scope() as session:
        live = [x for x in session.query(b.Backup).filter_by(schedule_id=schedule_id,
                                                             status='COMPLETED')]
        assert set(calls[-2:]) <= {x.id for x in live}
        for backup in live:     # whatever is kept still has every ancestor
            parent_id = backup.parent_id
            while parent_id:
                parent = session.get(b.Backup, parent_id)
                assert parent.status == 'COMPLETED' and not parent.deleted
                parent_id = parent.parent_id
    if incremental:
        # Chains of at most `retention` backups: a run after a full chain starts a new one
        # with a full backup, and an old chain goes once no kept backup needs it.
        with session_scope() as session:
            made = [session.get(b.Backup, backup_id) for backup_id in calls]
            assert [x.parent_id is None for x in made] == [False, True, False, True, False]
            assert made[0].parent_id == full and made[2].parent_id == made[1].id
        assert [x.id for x in sorted(live, key=lambda x: x.created)] == calls[-2:]
        assert len(deleted) == 3
    else:
        assert len(live) == 2 and len(deleted) == 3
    with session_scope() as session:    # recorded before their objects are deleted
        assert {session.get(b.Backup, x).status for x in deleted} == {'DELETING'}


def starting(calls):
    """A start_backup whose guest is still streaming: the backup stays as created."""
    return lambda instance_id, backup_id: calls.append(backup_id)


@pytest.mark.parametrize('outcome', ['complete', 'fail'])
def test_a_finished_backup_ends_its_run_in_the_same_transaction(bapi, outcome):  # noqa: F811
    # The dashboard shows a run's state beside its backup's: a backup COMPLETED while its
    # run still says Running (until a later tick) is a state no reader should see.
    instance_id = active_instance(bapi)
    schedule_id = make_schedule(bapi, instance_id)
    calls = []
    scheduler.tick(starting(calls), lambda locations: None, now=T0)
    assert [state for _, state, _ in executions(schedule_id)] == ['RUNNING']
    if outcome == 'complete':
        backups.complete(instance_id, calls[0], 10, 'sha256:x', {})
        assert executions(schedule_id) == [(T0, 'SUCCESS', calls[0])]
    else:
        backups.fail(instance_id, calls[0], 'The volume is full.')
        assert executions(schedule_id) == [(T0, 'FAILED', 'The volume is full.')]


def test_retention_applies_to_runs_their_backups_completion_settled(bapi):  # noqa: F811
    instance_id = active_instance(bapi)
    schedule_id = make_schedule(bapi, instance_id, retention=1)
    calls, deleted = [], []
    for minute in range(3):
        scheduler.tick(starting(calls), deleted.extend,
                       now=T0 + datetime.timedelta(minutes=minute))
        backups.complete(instance_id, calls[-1], 10, 'sha256:x', {})
    scheduler.tick(starting(calls), deleted.extend, now=T0 + datetime.timedelta(minutes=2))
    assert sorted(deleted) == sorted(calls[:2])
