"""Shared fixtures: one real embedded stack for the functional and browser tests.

It runs in its own state directory on shifted ports (STACK_PORT_OFFSET), so a
developer's `make run` keeps working beside `make test`.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest
import requests

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
# DBAAS_TEST_PORT_OFFSET moves the shared stack, so two checkouts can test at once.
TEST_PORT_OFFSET = os.environ.get('DBAAS_TEST_PORT_OFFSET', '1000')


def _run_temp_dir():
    """Every temporary file of this run (pytest's, Horizon's secret key store, the stacks'
    directories, what subprocesses make) goes in one new directory of this run: fixed names
    in the shared temp directory belong to whoever made them first, maybe another user.
    Stacks are made beside it, not in it (traversable_tempdir), so the unix sockets of
    their instances stay short."""
    run_dir = tempfile.mkdtemp(prefix='dbaas-test-run-')
    os.chmod(run_dir, 0o755)
    tempfile.tempdir = run_dir
    os.environ['TMPDIR'] = run_dir
    return run_dir


SYSTEM_TEMP_DIR = tempfile.gettempdir()
RUN_TEMP_DIR = _run_temp_dir()


def pytest_sessionfinish(session, exitstatus):
    if exitstatus == 0:
        shutil.rmtree(RUN_TEMP_DIR, ignore_errors=True)
    else:
        print('\nThis run\'s temporary files are kept in %s' % RUN_TEMP_DIR)


class RunningStack:
    """What tests need to know about a running stack."""

    def __init__(self, root, env):
        self.root = root
        self.env = env
        with open(os.path.join(root, 'secrets.json')) as handle:
            self.secrets = json.load(handle)
        with open(os.path.join(root, 'run', 'state.json')) as handle:
            self.state = json.load(handle)
        self.urls = self.state['urls']
        self.demo_project_id = self.state['facts']['demo_project_id']
        self.admin_project_id = self.state['facts']['admin_project_id']

    def openrc_env(self, user):
        env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get('PATH', ''))
        with open(os.path.join(self.root, '%s-openrc' % user)) as handle:
            for line in handle:
                if line.startswith('export '):
                    key, _, value = line[len('export '):].strip().partition('=')
                    env[key] = value
        return env

    def token(self, user):
        """A project-scoped token and its project id, from real Keystone."""
        password = self.secrets['%s_password' % user]
        body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
            'name': user, 'domain': {'id': 'default'}, 'password': password}}},
            'scope': {'project': {'name': user, 'domain': {'id': 'default'}}}}}
        resp = requests.post(self.urls['keystone'] + '/v3/auth/tokens', json=body, timeout=10)
        resp.raise_for_status()
        return resp.headers['X-Subject-Token'], resp.json()['token']['project']['id']

    def api(self, project_id):
        return '%s/v1.0/%s' % (self.urls['api'], project_id)


def stack_env(root, offset):
    env = dict(os.environ, STACK_DIR=root, STACK_PORT_OFFSET=offset,
               STACK_HEARTBEAT_INTERVAL='1', STACK_BUILD_DEADLINE='30',
               STACK_BACKUP_DEADLINE='20',
               PATH=BIN + os.pathsep + os.environ.get('PATH', ''))
    # A test stack keeps its own SQLite file (tests read it), whatever `make run` is told.
    env.pop('DBAAS_DATABASE_URL', None)
    return env


def pids_of(root):
    with open(os.path.join(root, 'run', 'state.json')) as handle:
        state = json.load(handle)
    return [state['launcher_pid']] + list(state['children'].values())


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().split(')')[-1].split()[0] != 'Z'
    except OSError:
        return False


def traversable_tempdir(prefix):
    """A temp dir engines running as their system users can reach (pytest's are 0700), in
    the system's temp directory: an instance's sockets live under it, within 107 bytes."""
    root = tempfile.mkdtemp(prefix=prefix, dir=SYSTEM_TEMP_DIR)
    os.chmod(root, 0o755)
    return root


@pytest.fixture(scope='session')
def stack(request):
    root = traversable_tempdir('dbaas-test-stack-')
    env = stack_env(root, TEST_PORT_OFFSET)
    up = subprocess.run([os.path.join(BIN, 'dbaas-stack'), 'up'], env=env, cwd=REPO,
                        capture_output=True, text=True, timeout=300)
    assert up.returncode == 0, 'make up failed:\n%s\n%s' % (up.stdout, up.stderr)
    running = RunningStack(root, env)
    yield running
    pids = pids_of(root)
    down = subprocess.run([os.path.join(BIN, 'dbaas-stack'), 'down'], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert down.returncode == 0, down.stderr
    assert [p for p in pids if alive(p)] == []
    if request.session.testsfailed:
        print('\nThe test stack\'s state and logs are kept in %s' % root)
    else:
        shutil.rmtree(root, ignore_errors=True)
