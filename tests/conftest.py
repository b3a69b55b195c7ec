"""Shared fixtures: one real embedded stack for the functional and browser tests.

It runs in its own state directory on shifted ports (STACK_PORT_OFFSET), so a
developer's `make run` keeps working beside `make test`.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

import psutil
import pytest
import requests

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
# DBAAS_TEST_PORT_OFFSET moves the shared stack, so two checkouts can test at once.
TEST_PORT_OFFSET = os.environ.get('DBAAS_TEST_PORT_OFFSET', '1000')
MODULE_DRIVERS = os.path.join(os.path.dirname(__file__), 'fixtures', 'module_drivers')


def _run_temp_dir():
    """Every temporary file of this run (pytest's, Horizon's secret key store, the stacks'
    directories, what subprocesses make) goes in one new directory of this run: fixed names
    in the shared temp directory belong to whoever made them first, maybe another user.
    The stacks' directories too: their instances' unix sockets have short directories of
    their own (guestagent/datastore/sockets.py), whatever the depth of this one."""
    run_dir = tempfile.mkdtemp(prefix='dbaas-test-run-')
    os.chmod(run_dir, 0o755)
    tempfile.tempdir = run_dir
    os.environ['TMPDIR'] = run_dir
    return run_dir


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
        # Instances' volumes and run directories: the state directory unless, as root, the
        # engines' users could not reach it (layout.instance_root_for).
        self.instance_root = self.state.get('paths', {}).get('instances', root)
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
               # The Metrics tab's test sees a new sample every 5 s (a slot per 5 s).
               STACK_METRICS_INTERVAL='5',
               # The guest module drivers of tests/fixtures/module_drivers (a failing one, a
               # journal of the order they ran in) and a type no driver serves.
               STACK_MODULE_TYPES='ping,file,fail,journal,missing',
               PYTHONPATH=os.pathsep.join(filter(None, [MODULE_DRIVERS,
                                                        os.environ.get('PYTHONPATH')])),
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


def _state_of(root):
    try:
        with open(os.path.join(root, 'run', 'state.json')) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def stop_stack(root, env):
    """Stop everything a stack in `root` started (launcher, services, instances' agents and
    engines), whether or not its test passed or it finished starting; its directory stays.
    Returns the pids that `dbaas-stack down` left alive (and that were then killed)."""
    state = _state_of(root)
    try:
        subprocess.run([os.path.join(BIN, 'dbaas-stack'), 'down'], env=env, cwd=REPO,
                       capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pass
    pids = [state.get('launcher_pid')] + list(state.get('children', {}).values())
    left = [pid for pid in pids if pid and alive(pid)]
    for pid in left:
        try:
            os.killpg(pid, signal.SIGKILL)     # each service leads its own process group
        except OSError:
            pass
    # Agents and engines of its instances (their command lines or directories name it).
    places = {root, state.get('paths', {}).get('instances', root)}
    stray = []
    for proc in psutil.process_iter(['pid', 'cmdline', 'cwd']):
        text = ' '.join(proc.info.get('cmdline') or []) + ' ' + (proc.info.get('cwd') or '')
        if proc.pid != os.getpid() and any(place in text for place in places):
            stray.append(proc)
    for proc in stray:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(stray, timeout=10)
    return left + [proc.pid for proc in stray]


def remove_stack_dirs(root):
    """The state directory and, if the stack kept its instances elsewhere, that directory."""
    instance_root = _state_of(root).get('paths', {}).get('instances', root)
    for path in {root, instance_root}:
        shutil.rmtree(path, ignore_errors=True)


def traversable_tempdir(prefix):
    """A temp dir of this run engines running as their system users can reach (pytest's are
    0700); if they cannot reach the run's directory, the stack keeps its instances where they
    can (layout.instance_root_for)."""
    root = tempfile.mkdtemp(prefix=prefix, dir=RUN_TEMP_DIR)
    os.chmod(root, 0o755)
    return root


@pytest.fixture(scope='session')
def stack(request):
    root = traversable_tempdir('dbaas-test-stack-')
    env = stack_env(root, TEST_PORT_OFFSET)
    try:
        up = subprocess.run([os.path.join(BIN, 'dbaas-stack'), 'up'], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=300)
        assert up.returncode == 0, 'make up failed:\n%s\n%s' % (up.stdout, up.stderr)
        yield RunningStack(root, env)
    finally:
        # Stopped whatever happened (a failed start or test too), so the next tests do not
        # find its ports taken; `down` itself must have stopped everything.
        left = stop_stack(root, env)
    assert left == [], 'dbaas-stack down left these processes running: %s' % left
    if request.session.testsfailed:
        print('\nThe test stack\'s state and logs are kept in %s' % root)
    else:
        remove_stack_dirs(root)
