"""Killed processes (#15): the task manager killed (-9) in the middle of a create, a volume
resize and a backup (a live task manager settles what a dead one left: taskmanager/owners.py);
the conductor killed while guests report; the broker restarted; the launcher restarting
what dies. Each ends with nothing lost and nothing stuck: final states
with their reasons, the engines' data read back, and the stack's invariants.

All on the fault stack (tests/functional/conftest.py: PostgreSQL as the service database,
build deadline 30 s, backup deadline 20 s). The moment of each kill is picked from the
instance's events or from the process's state, never by sleeping.
"""
import os
import signal
import time

import psycopg
import pytest

from tests import stack_invariants
from tests.functional.instance_helpers import processes_mentioning, raw, wait_status

BUILD_DEADLINE = 30     # tests/conftest.py stack_env


# -- helpers ----------------------------------------------------------------------------

def _pid(stack, name):
    return stack.launcher_state()['children'][name]


def _until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError('timed out after %s s waiting for %s' % (timeout, what))


def kill_and_await_restart(stack, name):
    """kill -9 the service; return once the launcher runs a new one (its state says so)."""
    old = _pid(stack, name)
    before = stack.restarts(name)
    os.kill(old, signal.SIGKILL)
    _until(lambda: stack.restarts(name) == before + 1
           and _pid(stack, name) != old, 30, 'the launcher to start %s again' % name)
    return _pid(stack, name)


def _answers(client):
    try:
        client.instances.list()
        return True
    except Exception:       # connection refused while the new API binds
        return False


def engine_processes(stack, instance_id):
    """Processes of the instance other than its guest agent."""
    try:
        with open(os.path.join(stack.instance_root, 'instances', instance_id,
                               'agent.pid')) as handle:
            agent = int(handle.read())
    except (OSError, ValueError):
        return []
    return [pid for pid in processes_mentioning(instance_id) if pid != agent]


def rabbit_answers(stack):
    from unittest import mock

    from api_service.embedded import layout as layout_mod
    from api_service.embedded import rabbitmq
    with mock.patch.dict(os.environ, STACK_PORT_OFFSET=stack.env['STACK_PORT_OFFSET']):
        layout = layout_mod.Layout(stack.root)
    try:
        return rabbitmq.ready(layout, stack.secrets)
    except Exception:       # refused while the new node starts
        return False


def _events(client, instance_id):
    return raw(client, 'GET', '/instances/%s/events' % instance_id).json()['events']


def await_step(client, instance_id, name, outcome='RUNNING', timeout=60):
    return _until(lambda: [e for e in _events(client, instance_id)
                           if e['name'] == name and e['outcome'] == outcome],
                  timeout, 'step %s %s' % (name, outcome))


def _db(stack):
    return psycopg.connect(stack.database_url.replace('postgresql+psycopg', 'postgresql'),
                           autocommit=True)


def _rows(stack, sql, *args):
    with _db(stack) as conn:
        return conn.execute(sql, args).fetchall()


def check_invariants(stack):
    """Quotas match what exists, nothing stuck past its deadline, no orphan process,
    directory, address or backup object (tests/stack_invariants.py)."""
    assert stack_invariants.check(stack) == []


def pg_instance(client, name):
    created = client.instances.create(
        name, flavor_id='1', volume={'size': 1}, datastore='postgresql',
        datastore_version='15', databases=[{'name': 'shop'}],
        users=[{'name': 'app', 'password': 'app-pw-1', 'databases': [{'name': 'shop'}]}])
    return created


def _address(client, instance_id):
    return client.instances.get(instance_id).ip[0]


def pg_write(client, instance_id, values):
    with psycopg.connect(host=_address(client, instance_id), user='app', password='app-pw-1',
                         dbname='shop', autocommit=True, connect_timeout=5) as conn:
        conn.execute('CREATE TABLE IF NOT EXISTS t (v text)')
        for value in values:
            conn.execute('INSERT INTO t VALUES (%s)', (value,))


def pg_read(client, instance_id):
    with psycopg.connect(host=_address(client, instance_id), user='app', password='app-pw-1',
                         dbname='shop', connect_timeout=5) as conn:
        return [row[0] for row in conn.execute('SELECT v FROM t ORDER BY v')]


def wait_backup(client, backup_id, wanted, timeout=60):
    return _until(lambda: (lambda b: b if b.status in wanted else None)(
        client.backups.get(backup_id)), timeout, 'backup %s in %s' % (backup_id, wanted))


def delete_all(client, ids):
    for instance_id in ids:
        client.instances.delete(instance_id)
    for instance_id in ids:
        _until(lambda: instance_id not in [i.id for i in client.instances.list()], 60,
               'instance %s deleted' % instance_id)


# -- the launcher -----------------------------------------------------------------------

def test_the_launcher_starts_killed_services_again(fault_stack, fault_demo):
    """API (gunicorn's master; its workers go with it and the port is bound again), task
    manager, conductor and broker (its start script; the node goes with its group), each
    kill -9'd: started again, counted, shown by status; the
    stack keeps serving."""
    for name in ('api', 'taskmanager', 'conductor', 'rabbitmq'):
        began = time.monotonic()
        kill_and_await_restart(fault_stack, name)
        print('%s back in %.2f s' % (name, time.monotonic() - began))
    _until(lambda: _answers(fault_demo), 30, 'the API to answer')
    # The broker's new node takes connections again (the services reconnect to it).
    _until(lambda: rabbit_answers(fault_stack), 60, 'the broker to answer')
    shown = fault_stack.dbaas('status')
    assert 'restarted 1 time after it died' in shown.stdout, shown.stdout
    assert 'DEAD' not in shown.stdout, shown.stdout


# -- the task manager -------------------------------------------------------------------

def test_task_manager_killed_while_it_starts_the_guest_the_build_ends_at_once_in_error(
        fault_stack, fault_demo):
    """Killed in the create's 'guest' step (agent spawned, prepare never sent): the
    restarted task manager finds the build's owner dead and ends it in ERROR with a fault
    naming the step, well before the build's deadline; the instance deletes cleanly."""
    instance = pg_instance(fault_demo, 'tm-killed-in-guest')
    await_step(fault_demo, instance.id, 'guest')
    kill_and_await_restart(fault_stack, 'taskmanager')
    killed = time.monotonic()
    failed = wait_status(fault_demo, instance.id, 'ERROR', timeout=BUILD_DEADLINE + 20)
    took = time.monotonic() - killed
    print('build settled %.1f s after the kill' % took)
    assert failed.fault['message'] == \
        'The task manager building the instance stopped (step: guest).'
    assert took < BUILD_DEADLINE - 5        # settled, not timed out
    assert _events(fault_demo, instance.id)[-1]['outcome'] == 'FAILED'
    delete_all(fault_demo, [instance.id])
    check_invariants(fault_stack)


def test_task_manager_killed_after_prepare_was_sent_the_build_still_ends_active(
        fault_stack, fault_demo):
    """The guest owns the build once prepare is sent: it reports ready through the
    conductor, the instance ends ACTIVE and its database takes data."""
    instance = pg_instance(fault_demo, 'tm-killed-in-prepare')
    await_step(fault_demo, instance.id, 'prepare')
    # The step starts just before the cast: the guest has prepare once its engine's
    # processes (initdb, postgres) appear.
    _until(lambda: engine_processes(fault_stack, instance.id), 30, 'the guest to prepare')
    kill_and_await_restart(fault_stack, 'taskmanager')
    wait_status(fault_demo, instance.id, 'ACTIVE', timeout=BUILD_DEADLINE + 10)
    pg_write(fault_demo, instance.id, ['a', 'b'])
    assert pg_read(fault_demo, instance.id) == ['a', 'b']
    delete_all(fault_demo, [instance.id])
    check_invariants(fault_stack)


@pytest.fixture(scope='module')
def active(fault_stack, fault_demo):
    """A PostgreSQL instance with two rows, for the tests that kill around a live one."""
    instance = pg_instance(fault_demo, 'faults-active')
    wait_status(fault_demo, instance.id, 'ACTIVE', timeout=BUILD_DEADLINE + 10)
    pg_write(fault_demo, instance.id, ['kept-1', 'kept-2'])
    yield instance
    delete_all(fault_demo, [instance.id])
    check_invariants(fault_stack)


def freeze_and_kill_task_manager(stack, request):
    """SIGSTOP the task manager, run `request` (its cast reaches the broker, maybe the
    frozen process's socket, never its code), then kill -9 it: the broker hands the
    unacknowledged cast to the task manager the launcher starts again."""
    pid = _pid(stack, 'taskmanager')
    os.kill(pid, signal.SIGSTOP)
    try:
        result = request()
    finally:
        before = stack.restarts('taskmanager')
        os.kill(pid, signal.SIGKILL)
    _until(lambda: stack.restarts('taskmanager') == before + 1,
           30, 'the task manager started again')
    return result


def test_task_manager_killed_with_a_volume_resize_in_hand_the_resize_completes(
        fault_stack, fault_demo, active):
    freeze_and_kill_task_manager(
        fault_stack, lambda: fault_demo.instances.resize_volume(active.id, 2))
    resized = wait_status(fault_demo, active.id, 'ACTIVE', timeout=60)
    assert resized.volume['size'] == 2
    assert pg_read(fault_demo, active.id) == ['kept-1', 'kept-2']
    check_invariants(fault_stack)


def _backup_object(stack, backup_id):
    location, = _rows(stack, 'SELECT location FROM backups WHERE id = %s', backup_id)[0]
    return os.path.join(stack.root, 'backups', location)


def test_task_manager_killed_with_a_backup_in_hand_the_backup_completes_once(
        fault_stack, fault_demo, active):
    backup = freeze_and_kill_task_manager(
        fault_stack, lambda: fault_demo.backups.create('tm-frozen', active.id))
    done = wait_backup(fault_demo, backup.id, ('COMPLETED', 'FAILED'))
    assert done.status == 'COMPLETED', done._info
    assert os.path.exists(_backup_object(fault_stack, backup.id))
    wait_status(fault_demo, active.id, 'ACTIVE')
    check_invariants(fault_stack)


def test_task_manager_killed_while_the_guest_streams_the_backup_completes(
        fault_stack, fault_demo, active):
    """Once cast, the backup is the guest's: the conductor records how it ends."""
    backup = fault_demo.backups.create('tm-killed-in-stream', active.id)
    await_step(fault_demo, active.id, 'stream to storage')
    kill_and_await_restart(fault_stack, 'taskmanager')
    done = wait_backup(fault_demo, backup.id, ('COMPLETED', 'FAILED'))
    assert done.status == 'COMPLETED', done._info
    assert os.path.exists(_backup_object(fault_stack, backup.id))
    wait_status(fault_demo, active.id, 'ACTIVE')
    assert pg_read(fault_demo, active.id) == ['kept-1', 'kept-2']
    check_invariants(fault_stack)


# -- the conductor ----------------------------------------------------------------------

def _heartbeat(stack, instance_id):
    return _rows(stack, 'SELECT service_status_updated, status FROM instances WHERE id = %s',
                 instance_id)[0]


def test_conductor_killed_while_guests_report_nothing_flaps_and_reports_resume(
        fault_stack, fault_demo, active):
    """Frozen, then killed: meanwhile heartbeats and a backup's end queue up in the broker;
    the instance never shows ERROR or SHUTDOWN; the new conductor records them."""
    pid = _pid(fault_stack, 'conductor')
    os.kill(pid, signal.SIGSTOP)
    seen = set()
    try:
        stamped, _ = _heartbeat(fault_stack, active.id)
        backup = fault_demo.backups.create('conductor-frozen', active.id)

        def streamed():
            seen.add(fault_demo.instances.get(active.id).status)
            return os.path.exists(_backup_object(fault_stack, backup.id))
        _until(streamed, 30, 'the guest to finish streaming')
        # No report was recorded meanwhile.
        assert _heartbeat(fault_stack, active.id)[0] == stamped
    finally:
        before = fault_stack.restarts('conductor')
        os.kill(pid, signal.SIGKILL)
    _until(lambda: fault_stack.restarts('conductor') == before + 1,
           30, 'the conductor started again')
    done = wait_backup(fault_demo, backup.id, ('COMPLETED', 'FAILED'))
    assert done.status == 'COMPLETED', done._info

    def resumed():
        seen.add(fault_demo.instances.get(active.id).status)
        updated, state = _heartbeat(fault_stack, active.id)
        return updated > stamped and state == 'ACTIVE'
    _until(resumed, 30, 'heartbeats recorded again')
    assert seen <= {'ACTIVE', 'BACKUP'}, seen
    check_invariants(fault_stack)


# -- the broker ---------------------------------------------------------------------------

def test_broker_restarted_agents_reconnect_and_no_operation_is_lost_or_run_twice(
        fault_stack, fault_demo, active):
    import threading
    stamped, _ = _heartbeat(fault_stack, active.id)
    stopped = fault_stack.dbaas('stop-service', 'rabbitmq')
    assert stopped.returncode == 0, stopped.stderr
    asked = {}

    def ask_backup():
        try:
            asked['backup'] = fault_demo.backups.create('broker-down', active.id)
        except Exception as error:       # a 503 in words is fine; a 500 is not
            asked['error'] = error
    thread = threading.Thread(target=ask_backup)
    thread.start()
    # The API has written the backup's row: its cast waits for the broker.
    _until(lambda: _rows(fault_stack, "SELECT id FROM backups WHERE name = 'broker-down'")
           or not thread.is_alive(), 30, 'the backup request to reach its cast')
    started = fault_stack.dbaas('start-service', 'rabbitmq')
    assert started.returncode == 0, started.stderr
    thread.join(120)
    assert not thread.is_alive()
    named = _rows(fault_stack,
                  "SELECT id, status, fail_reason FROM backups WHERE name = 'broker-down'")
    if 'error' in asked:
        # The broker was down longer than the API waits for it: a 503 in words, and the
        # backup is FAILED with the reason; nothing will make it later.
        assert getattr(asked['error'], 'http_status', None) == 503, asked['error']
        assert 'try again' in str(asked['error'])
        assert [(row[1], 'task manager' in (row[2] or '')) for row in named] == \
            [('FAILED', True)], named
    else:
        done = wait_backup(fault_demo, asked['backup'].id, ('COMPLETED', 'FAILED'))
        assert done.status == 'COMPLETED', done._info
        assert [row[0] for row in named] == [asked['backup'].id]
    # Every agent answers again (a guest call), heartbeats are recorded again.
    _until(lambda: raw(fault_demo, 'GET', '/instances/%s/databases' % active.id).status_code == 200,
           60, 'the guest to answer through the new broker')
    _until(lambda: _heartbeat(fault_stack, active.id)[0] > stamped, 30, 'heartbeats again')
    wait_status(fault_demo, active.id, 'ACTIVE')
    # Through the restarted broker a backup is made, exactly once: one row, one object.
    after = fault_demo.backups.create('broker-back', active.id)
    done = wait_backup(fault_demo, after.id, ('COMPLETED', 'FAILED'))
    assert done.status == 'COMPLETED', done._info
    assert [row[0] for row in _rows(
        fault_stack, "SELECT id FROM backups WHERE name = 'broker-back'")] == [after.id]
    assert os.path.isfile(_backup_object(fault_stack, after.id))
    wait_status(fault_demo, active.id, 'ACTIVE')
    assert pg_read(fault_demo, active.id) == ['kept-1', 'kept-2']
    check_invariants(fault_stack)



def test_a_report_made_before_the_conductor_is_back_on_a_restarted_broker_is_not_lost(
        fault_stack, fault_demo, active):
    """The broker restarted while the conductor was down: its queue is gone until it
    declares it again, while the exchange is back (the others declared it). The guest's
    report that a backup ended is not published into nothing: published mandatory, it is
    tried again until the conductor's queue takes it, and the backup completes once."""
    for command, name in (('stop-service', 'conductor'), ('stop-service', 'rabbitmq'),
                          ('start-service', 'rabbitmq')):
        done = fault_stack.dbaas(command, name)
        assert done.returncode == 0, (command, name, done.stderr)
    try:
        # Through the new broker: the task manager and the guest are back on it.
        _until(lambda: raw(fault_demo, 'GET', '/instances/%s/databases' % active.id)
               .status_code == 200, 60, 'the guest to answer through the new broker')
        asked = fault_demo.backups.create('conductor-queue-gone', active.id)
        # The guest has streamed it: its report now waits for the conductor's queue.
        _until(lambda: os.path.exists(_backup_object(fault_stack, asked.id)), 30,
               'the guest to finish streaming')
    finally:
        started = fault_stack.dbaas('start-service', 'conductor')
    assert started.returncode == 0, started.stderr
    done = wait_backup(fault_demo, asked.id, ('COMPLETED', 'FAILED'))
    assert done.status == 'COMPLETED', done._info
    assert [row[0] for row in _rows(
        fault_stack, "SELECT id FROM backups WHERE name = 'conductor-queue-gone'")] == [done.id]
    wait_status(fault_demo, active.id, 'ACTIVE')
    check_invariants(fault_stack)
