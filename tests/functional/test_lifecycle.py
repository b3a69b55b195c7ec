"""The launcher itself: Ctrl-C stops everything, a restart keeps the data, up/down are idempotent."""
import json
import os
import signal
import subprocess
import time

import pytest
import redis as redis_py
import requests

from tests.conftest import (BIN, REPO, alive, pids_of, remove_stack_dirs, stack_env, stop_stack,
                            traversable_tempdir)
from tests.functional.instance_helpers import processes_mentioning

OFFSET = '2000'


def wait_ready(root, proc, timeout=180):
    deadline = time.monotonic() + timeout
    path = os.path.join(root, 'run', 'state.json')
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read()
        try:
            with open(path) as handle:
                state = json.load(handle)
            if state['status'] == 'ready' and state['launcher_pid'] == proc.pid:
                return state
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise AssertionError('stack not ready in %d s' % timeout)


def demo_token(state, root):
    with open(os.path.join(root, 'secrets.json')) as handle:
        password = json.load(handle)['demo_password']
    body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'demo', 'domain': {'id': 'default'}, 'password': password}}},
        'scope': {'project': {'name': 'demo', 'domain': {'id': 'default'}}}}}
    resp = requests.post(state['urls']['keystone'] + '/v3/auth/tokens', json=body, timeout=10)
    resp.raise_for_status()
    return resp.headers['X-Subject-Token']


def wait_instance(api, headers, instance_id, status, operating=None, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        instance = requests.get(api + '/instances/%s' % instance_id, headers=headers,
                                timeout=10).json()['instance']
        if instance['status'] == status and operating in (None, instance['operating_status']):
            return instance
        assert instance['status'] != 'ERROR', instance.get('fault')
        time.sleep(0.2)
    raise AssertionError('instance never became %s' % status)


def listening(port):
    out = subprocess.run(['ss', '-ltnH', 'sport = :%d' % port], capture_output=True, text=True)
    return bool(out.stdout.strip())


@pytest.fixture
def root(request):
    """The stack's state directory: whatever the test started there is stopped afterwards,
    passed or failed (the next tests use the same ports); the directory is removed after a
    passing test, kept (and named) after a failing one."""
    path = traversable_tempdir('dbaas-test-%s-' % request.node.name.replace('test_', '')[:20])
    failed_before = request.session.testsfailed
    yield path
    stop_stack(path, stack_env(path, OFFSET))
    if request.session.testsfailed == failed_before:
        remove_stack_dirs(path)
    else:
        print('\nThe stack\'s state and logs are kept in %s' % path)


def test_ctrl_c_stops_everything_and_a_restart_keeps_data(root):
    env = stack_env(root, OFFSET)
    run = [os.path.join(BIN, 'dbaas-stack'), 'run']

    first = subprocess.Popen(run, env=env, cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    state = wait_ready(root, first)
    project = state['facts']['demo_project_id']
    token = demo_token(state, root)
    # An instance with data: its processes stop with the stack and come back with it.
    api = '%s/v1.0/%s' % (state['urls']['api'], project)
    headers = {'X-Auth-Token': token}
    instance_id = requests.post(api + '/instances', headers=headers, timeout=30, json={
        'instance': {'name': 'survivor', 'flavorRef': '1', 'volume': {'size': 1},
                     'datastore': {'type': 'redis', 'version': '7.0'}}}).json()['instance']['id']
    instance = wait_instance(api, headers, instance_id, 'ACTIVE')
    password = requests.post(api + '/instances/%s/root' % instance_id, headers=headers,
                             timeout=30).json()['user']['password']
    redis_py.Redis(host=instance['ip'][0], password=password).set('kept', 'yes')
    # Keystone data written in the first run: a token and the demo project id.
    pids = pids_of(root)
    first.send_signal(signal.SIGINT)
    assert first.wait(60) == 0
    output = first.stdout.read()
    assert 'Dashboard: http://127.0.0.1:10000/' in output and 'demo  / ' in output
    assert [p for p in pids if alive(p)] == []
    for port in (7000, 10779, 10000, 21672, 21369):  # keystone, api, horizon, amqp, epmd
        assert not listening(port), port
    assert processes_mentioning(root) == []

    second = subprocess.Popen(run, env=env, cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    state = wait_ready(root, second)
    try:
        assert state['facts']['demo_project_id'] == project
        # Fernet keys survived, so the first run's token is still valid.
        resp = requests.get('%s/v1.0/%s/flavors' % (state['urls']['api'], project),
                            headers={'X-Auth-Token': token}, timeout=10)
        assert resp.status_code == 200
        # The task manager started the instance's agent again, which started its engine.
        instance = wait_instance(api, headers, instance_id, 'ACTIVE', operating='HEALTHY')
        deadline = time.monotonic() + 30
        while True:
            try:
                value = redis_py.Redis(host=instance['ip'][0], password=password).get('kept')
                break
            except redis_py.exceptions.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert value == b'yes'
        requests.delete(api + '/instances/%s' % instance_id, headers=headers, timeout=30)
    finally:
        second.send_signal(signal.SIGINT)
        assert second.wait(60) == 0


def test_up_status_down_are_idempotent(root):
    env = stack_env(root, OFFSET)
    stack = os.path.join(BIN, 'dbaas-stack')

    def cmd(*args):
        return subprocess.run([stack, *args], env=env, cwd=REPO, capture_output=True,
                              text=True, timeout=300)

    assert cmd('status').returncode == 3
    assert cmd('down').returncode == 0
    assert cmd('up').returncode == 0
    again = cmd('up')
    assert again.returncode == 0 and 'already running' in again.stdout
    status = cmd('status')
    assert status.returncode == 0
    for name in ('api', 'conductor', 'horizon', 'keystone', 'rabbitmq', 'taskmanager'):
        assert name in status.stdout
    assert 'DEAD' not in status.stdout and 'DOES NOT ANSWER' not in status.stdout
    pids = pids_of(root)
    assert cmd('down').returncode == 0
    assert [p for p in pids if alive(p)] == []
    assert cmd('down').returncode == 0


def test_up_fails_clearly_when_a_port_is_taken(root):
    env = stack_env(root, OFFSET)
    import socket
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(('127.0.0.1', 10779))
    blocker.listen()
    try:
        result = subprocess.run([os.path.join(BIN, 'dbaas-stack'), 'up'], env=env, cwd=REPO,
                                capture_output=True, text=True, timeout=120)
    finally:
        blocker.close()
    assert result.returncode != 0
    assert '10779' in result.stderr and 'already in use' in result.stderr
