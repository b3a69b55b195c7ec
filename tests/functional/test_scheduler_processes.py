"""The backup scheduler's guarantees, with real task manager processes on a stack of our own.

Issue #5: each due run executes exactly once with two task managers; after a downtime the
missed times are MISSED and one catch-up runs; a busy instance's run is SKIPPED with the
reason; retention keeps exactly N backups and their objects. The schedule fires every
2 seconds (croniter's sixth field is seconds), so each check waits a few periods of wall
clock. Beyond the API's word, the checks read the service database (read-only), the object
store's files and the task managers' logs (which process claimed, or lost, each run).
The stack runs on offset 600 (addresses 127.16.x.x): stopping its task manager must not
disturb the stack the other functional tests share.
"""
import contextlib
import datetime
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time

import psutil
import pytest
import requests

from tests.conftest import BIN, REPO, RunningStack, alive, pids_of, stack_env, \
    traversable_tempdir
from tests.functional.instance_helpers import processes_mentioning

# Its ports (5000, 8779, 8000, 19672-3, 19369 + offset) clash with no other stack the tests
# run: the shared one is at 1000 (its Horizon is on 9000), the lifecycle one at 2000.
OFFSET = '600'
PERIOD = 2
PATTERN = '* * * * * */%d' % PERIOD      # minute hour day month weekday second
TIMEOUT = 30


def wait_for(check, what, timeout=TIMEOUT, interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, 'timed out waiting for %s' % what
        time.sleep(interval)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def parse(text):
    return datetime.datetime.fromisoformat(text) if text else None


class Api:
    """The demo project's view of the stack, plus what only the stack's files can tell."""

    def __init__(self, stack):
        self.stack = stack
        token, project_id = stack.token('demo')
        self.base = stack.api(project_id)
        self.http = requests.Session()
        self.http.headers['X-Auth-Token'] = token

    def call(self, method, path, expect=200, **kwargs):
        resp = self.http.request(method, self.base + path, timeout=30, **kwargs)
        assert resp.status_code == expect, (method, path, resp.status_code, resp.text)
        return resp.json() if resp.content else None

    def dbaas(self, *args):
        return subprocess.run([os.path.join(BIN, 'dbaas-stack'), *args], env=self.stack.env,
                              cwd=REPO, capture_output=True, text=True, timeout=90)

    # -- instances and schedules ---------------------------------------------------
    def instance(self, instance_id):
        return self.call('GET', '/instances/%s' % instance_id)['instance']

    def wait_active(self, instance_id):
        def active():
            instance = self.instance(instance_id)
            assert instance['status'] != 'ERROR', instance.get('fault')
            return instance['status'] == 'ACTIVE'
        wait_for(active, 'instance %s to be ACTIVE' % instance_id, timeout=90)

    def schedule(self, instance_id, **fields):
        body = {'schedule': dict({'name': 'every %d s' % PERIOD, 'pattern': PATTERN}, **fields)}
        return self.call('POST', '/instances/%s/schedules' % instance_id,
                         json=body)['schedule']['id']

    def change(self, instance_id, schedule_id, **fields):
        return self.call('PATCH', '/instances/%s/schedules/%s' % (instance_id, schedule_id),
                         json={'schedule': fields})['schedule']

    def executions(self, instance_id, schedule_id):
        rows = self.call('GET', '/instances/%s/schedules/%s/executions'
                         % (instance_id, schedule_id))['executions']
        for row in rows:
            for key in ('scheduled_time', 'started', 'finished'):
                row[key] = parse(row[key])
        return sorted(rows, key=lambda row: row['scheduled_time'])

    def stop_schedule(self, instance_id, schedule_id):
        """Disable it and wait until its last run has settled (and retention has acted)."""
        self.change(instance_id, schedule_id, enabled=False)
        wait_for(lambda: all(x['state'] != 'RUNNING' for x in
                             self.executions(instance_id, schedule_id)),
                 'the last run of %s to settle' % schedule_id)
        self.wait_active(instance_id)
        return self.executions(instance_id, schedule_id)

    def scheduled_backups(self, instance_id, schedule_id):
        return [x for x in self.call('GET', '/instances/%s/backups' % instance_id)['backups']
                if x['schedule_id'] == schedule_id]

    # -- ground truth: the service database and the object store ----------------------
    def rows(self, sql, *args):
        db = sqlite3.connect('file:%s?mode=ro' % os.path.join(self.stack.root, 'dbaas.sqlite'),
                             uri=True, timeout=10)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def backup_rows(self, schedule_id):
        """Every backup the schedule made, deleted ones too: id -> (status, deleted)."""
        return {x[0]: (x[1], bool(x[2])) for x in self.rows(
            'SELECT id, status, deleted FROM backups WHERE schedule_id = ?', schedule_id)}

    def object_path(self, backup):
        return os.path.join(self.stack.root, 'backups', *backup['locationRef'].split('/'))

    def claims(self, schedule_id, lost=False):
        """(scheduled time, pid) of every run a task manager's log says it claimed (or lost)."""
        found = []
        pattern = re.compile(r'^\S+ \S+ (\d+) INFO taskmanager \S+: schedule %s: %s (\S+) '
                             % (schedule_id, 'the run of' if lost else 'claimed the run of'))
        for name in os.listdir(os.path.join(self.stack.root, 'logs')):
            if name.startswith('taskmanager'):
                with open(os.path.join(self.stack.root, 'logs', name)) as handle:
                    found += [(parse(m.group(2)), int(m.group(1))) for m in
                              map(pattern.match, handle) if m]
        return sorted(found)


@pytest.fixture(scope='module')
def api(request):
    root = traversable_tempdir('dbaas-test-scheduler-')
    env = stack_env(root, OFFSET)
    failed_before = request.session.testsfailed
    pids = []
    try:
        up = subprocess.run([os.path.join(BIN, 'dbaas-stack'), 'up'], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=300)
        assert up.returncode == 0, 'up failed:\n%s\n%s' % (up.stdout, up.stderr)
        pids = pids_of(root)
        yield Api(RunningStack(root, env))
    finally:
        down = subprocess.run([os.path.join(BIN, 'dbaas-stack'), 'down'], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=120)
        if request.session.testsfailed > failed_before:
            print_logs(root)
        leftover = [p for p in pids if alive(p)], processes_mentioning(root)
        shutil.rmtree(root, ignore_errors=True)
    assert down.returncode == 0, down.stderr
    assert leftover == ([], [])


def print_logs(root, lines=40):
    logs = os.path.join(root, 'logs')
    for name in sorted(os.listdir(logs)) if os.path.isdir(logs) else []:
        if name.startswith(('taskmanager', 'conductor', 'stack')):
            with open(os.path.join(logs, name), errors='replace') as handle:
                print('--- %s ---\n%s' % (name, ''.join(handle.readlines()[-lines:])))


@pytest.fixture(scope='module')
def instance_id(api):
    instance_id = api.call('POST', '/instances', json={'instance': {
        'name': 'scheduled', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'redis', 'version': '7.0'}}})['instance']['id']
    api.wait_active(instance_id)
    # This stack's own address range: no clash with the shared stack's instances.
    assert api.instance(instance_id)['ip'][0].startswith('127.16.')
    return instance_id


@contextlib.contextmanager
def second_task_manager(api):
    """Another dbaas-taskmanager process with the stack's configuration, stopped afterwards."""
    log_path = os.path.join(api.stack.root, 'logs', 'taskmanager-2.log')
    with open(log_path, 'ab') as log:
        proc = subprocess.Popen([os.path.join(BIN, 'dbaas-taskmanager'), '--config-file',
                                 os.path.join(api.stack.root, 'etc', 'dbaas.conf')],
                                stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                                start_new_session=True)
    try:
        def listening():
            assert proc.poll() is None, open(log_path).read()
            return 'taskmanager listening' in open(log_path).read()
        wait_for(listening, 'the second task manager to listen')
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def task_managers(root):
    """The pids of every task manager process running with this stack's configuration."""
    config = os.path.join(root, 'etc', 'dbaas.conf')
    found = []
    for proc in psutil.process_iter(['pid', 'cmdline', 'status']):
        cmdline = ' '.join(proc.info['cmdline'] or [])
        if 'taskmanager' in cmdline and config in cmdline and \
                proc.info['status'] != psutil.STATUS_ZOMBIE:
            found.append(proc.info['pid'])
    return sorted(found)


def assert_one_row_per_time(executions):
    """Each scheduled time since the first has exactly one execution: none twice, none lost."""
    times = [x['scheduled_time'] for x in executions]
    assert times == sorted(set(times)), times
    assert all(t.second % PERIOD == 0 and t.microsecond == 0 for t in times), times
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    assert gaps == [PERIOD] * len(gaps), times


def assert_claimed_once(api, schedule_id, executions, pids):
    """The task managers' logs agree: each run was claimed once, by one of `pids`."""
    claims = api.claims(schedule_id)
    assert [when for when, _ in claims] == [x['scheduled_time'] for x in executions
                                            if x['state'] != 'MISSED']
    assert {pid for _, pid in claims} <= set(pids)
    return claims


def assert_one_backup_per_success(api, schedule_id, executions):
    """The database holds one backup per SUCCESS execution and no other of the schedule."""
    made = [x['backup_id'] for x in executions if x['state'] == 'SUCCESS']
    assert len(made) == len(set(made))
    rows = api.backup_rows(schedule_id)
    assert set(rows) == set(made), (rows, executions)
    # Live backups are COMPLETED; those retention deleted stay as history, DELETING until
    # their objects are gone, then DELETED.
    assert {status for status, deleted in rows.values() if not deleted} <= {'COMPLETED'}
    assert {status for status, deleted in rows.values() if deleted} <= {'DELETING', 'DELETED'}


def next_time_after(moment):
    return moment.replace(microsecond=0) + datetime.timedelta(
        seconds=PERIOD - moment.second % PERIOD)


def race(pids, claimed):
    """Freeze both task managers over a scheduled time, then wake them together: both find
    the run due at once and try to claim it. Only once the time before it was claimed (on a
    loaded machine a tick may lag): the freeze must not make that one MISSED."""
    while True:
        due = next_time_after(utcnow() + datetime.timedelta(seconds=0.3))
        wait_for(lambda: due - datetime.timedelta(seconds=PERIOD) in claimed(),
                 'the run before %s' % due)
        if utcnow() < due - datetime.timedelta(seconds=0.1):
            break
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        while utcnow() < due + datetime.timedelta(seconds=0.2):   # the wall clock is the point
            time.sleep(0.05)
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    return due


def test_two_task_managers_run_each_time_once_and_retention_keeps_n(api, instance_id):
    runs, races, retention = 4, 3, 2
    with second_task_manager(api) as second:
        pids = {second.pid, api.stack.state['children']['taskmanager']}
        assert task_managers(api.stack.root) == sorted(pids)
        schedule_id = api.schedule(instance_id, retention=retention)
        wait_for(lambda: sum(x['state'] not in ('RUNNING', 'MISSED') for x in
                             api.executions(instance_id, schedule_id)) >= runs,
                 '%d runs' % runs, timeout=runs * PERIOD + TIMEOUT)
        raced_times = []
        for _ in range(races):
            raced = race(pids, lambda: {x['scheduled_time'] for x in api.executions(
                instance_id, schedule_id)})
            raced_times.append(raced)
            wait_for(lambda: raced in {x['scheduled_time'] for x in api.executions(
                instance_id, schedule_id)}, 'the raced run of %s' % raced)
        executions = api.stop_schedule(instance_id, schedule_id)
        assert second.poll() is None
    assert_one_row_per_time(executions)
    # A run may find the previous backup still going (the machine is slow): SKIPPED, said why.
    # A tick held up for more than a period (a loaded machine) makes one MISSED, said why;
    # never a raced time, which both processes were woken for.
    assert {x['state'] for x in executions} <= {'SUCCESS', 'SKIPPED', 'MISSED'}, executions
    missed = [x for x in executions if x['state'] == 'MISSED']
    assert len(missed) <= 1 and not {x['scheduled_time'] for x in missed} & set(raced_times), \
        executions
    assert all(x['output'] == 'No task manager ran it in time.' for x in missed), missed
    for skipped in (x for x in executions if x['state'] == 'SKIPPED'):
        assert 'is BACKUP; backup needs it to be ACTIVE' in skipped['output'], skipped
    succeeded = [x for x in executions if x['state'] == 'SUCCESS']
    assert len(succeeded) >= runs - 2, executions
    assert_one_backup_per_success(api, schedule_id, executions)
    claims = assert_claimed_once(api, schedule_id, executions, pids)
    lost = api.claims(schedule_id, lost=True)
    claimer = dict(claims)
    for when, pid in lost:      # a loser lost to the other process, never to itself
        assert when in claimer and claimer[when] != pid, (when, pid, claims)
    print('runs claimed per task manager pid: %s; runs a second claimer lost: %d' % (
        {pid: sum(1 for _, p in claims if p == pid) for _, pid in claims}, len(lost)))

    # Retention: exactly the newest N backups are left, each with its object intact.
    newest = [x['backup_id'] for x in succeeded[-retention:]]
    # (retention acts just after the run is marked SUCCESS, in the same tick)
    kept = wait_for(lambda: sorted(x['id'] for x in api.scheduled_backups(
        instance_id, schedule_id)) == sorted(newest) and api.scheduled_backups(
        instance_id, schedule_id), 'retention to keep the newest %d' % retention)
    for backup in kept:
        assert backup['status'] == 'COMPLETED'
        with open(api.object_path(backup), 'rb') as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        assert backup['checksum'] == 'sha256:' + digest
    rows = api.backup_rows(schedule_id)
    assert sorted(x for x, (_, deleted) in rows.items() if not deleted) == sorted(newest)
    gone = [os.path.join(api.stack.root, 'backups', 'backups', x, 'data') for x in rows
            if x not in newest]
    assert len(gone) == len(succeeded) - retention
    wait_for(lambda: not any(os.path.exists(x) for x in gone), 'retention to remove objects')
    wait_for(lambda: {status for x, (status, _) in api.backup_rows(schedule_id).items()
                      if x not in newest} == {'DELETED'}, 'the deleted backups to be DELETED')


def test_a_busy_instance_is_skipped_with_the_reason(api, instance_id):
    api.wait_active(instance_id)
    with open(os.path.join(api.stack.root, 'instances', instance_id, 'agent.pid')) as handle:
        agent = int(handle.read())
    # A frozen agent cannot finish the manual backup: the instance stays BACKUP meanwhile.
    os.kill(agent, signal.SIGSTOP)
    try:
        manual = api.call('POST', '/backups', expect=202, json={'backup': {
            'name': 'manual', 'instance': instance_id}})['backup']['id']
        assert api.instance(instance_id)['status'] == 'BACKUP'
        schedule_id = api.schedule(instance_id, retention=1)
        wait_for(lambda: len(api.executions(instance_id, schedule_id)) >= 2, 'two runs',
                 timeout=3 * PERIOD + TIMEOUT)
        skipped = api.executions(instance_id, schedule_id)
    finally:
        os.kill(agent, signal.SIGCONT)
    for execution in skipped:
        assert execution['state'] == 'SKIPPED', execution
        assert execution['output'] == ('Instance %s is BACKUP; backup needs it to be ACTIVE.'
                                       % instance_id)
        assert execution['backup_id'] is None
    assert api.backup_rows(schedule_id) == {}
    # Once the agent has finished the manual backup, the schedule's runs succeed again.
    wait_for(lambda: api.call('GET', '/backups/%s' % manual)['backup']['status'] ==
             'COMPLETED', 'the manual backup')
    wait_for(lambda: any(x['state'] == 'SUCCESS' for x in
                         api.executions(instance_id, schedule_id)), 'a run to succeed')
    executions = api.stop_schedule(instance_id, schedule_id)
    assert_one_row_per_time(executions)
    assert_one_backup_per_success(api, schedule_id, executions)


def test_downtime_is_missed_then_caught_up_once(api, instance_id):
    schedule_id = api.schedule(instance_id, retention=2)
    wait_for(lambda: any(x['state'] == 'SUCCESS' for x in
                         api.executions(instance_id, schedule_id)), 'a first run',
             timeout=PERIOD + TIMEOUT)
    # Disabled while the task manager stops, so no run is cut off halfway.
    before = api.stop_schedule(instance_id, schedule_id)
    stopped = api.dbaas('stop-service', 'taskmanager')
    assert stopped.returncode == 0, stopped.stderr
    restarted = None
    try:
        assert task_managers(api.stack.root) == []
        down_from = parse(api.change(instance_id, schedule_id,
                                     enabled=True)['next_execution_time'])
        # Wall-clock time passing is the condition here: four times fall in the downtime.
        while utcnow() < down_from + datetime.timedelta(seconds=3 * PERIOD + 0.5):
            time.sleep(0.2)
        assert api.executions(instance_id, schedule_id) == before
    finally:
        restarting_at = utcnow()
        restarted = api.dbaas('start-service', 'taskmanager')
    assert restarted.returncode == 0, restarted.stderr
    wait_for(lambda: any(x['state'] == 'SUCCESS' and x['scheduled_time'] >= down_from
                         for x in api.executions(instance_id, schedule_id)),
             'the catch-up run')
    executions = api.stop_schedule(instance_id, schedule_id)
    assert_one_row_per_time(executions[len(before):])
    after = executions[len(before):]
    assert after[0]['scheduled_time'] == down_from
    missed = [x for x in after if x['state'] == 'MISSED']
    catch_up = after[len(missed)]
    assert len(missed) >= 3, after
    assert after[:len(missed)] == missed       # the missed ones come first, then the catch-up
    assert {x['output'] for x in missed} == {'No task manager ran it in time.'}
    assert all(x['started'] is None and x['backup_id'] is None for x in missed)
    # Exactly one catch-up: the latest time that had passed when the task manager came back.
    assert catch_up['state'] == 'SUCCESS', catch_up
    assert catch_up['scheduled_time'] > restarting_at - datetime.timedelta(seconds=PERIOD)
    assert 'MISSED' not in {x['state'] for x in after[len(missed) + 1:]}
    # One claim recorded them all and made the one run.
    with open(os.path.join(api.stack.root, 'logs', 'taskmanager.log')) as handle:
        assert 'schedule %s: claimed the run of %s (%d missed)' % (
            schedule_id, catch_up['scheduled_time'].isoformat(), len(missed)) in handle.read()
    with open(os.path.join(api.stack.root, 'run', 'state.json')) as handle:
        now_running = json.load(handle)['children']['taskmanager']
    assert_claimed_once(api, schedule_id, executions,
                        {api.stack.state['children']['taskmanager'], now_running})
    assert_one_backup_per_success(api, schedule_id, executions)
    wait_for(lambda: len(api.scheduled_backups(instance_id, schedule_id)) == 2, 'retention')
