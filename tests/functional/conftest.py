"""The fault stack: a stack of its own whose processes the reliability tests kill (#15).

Its service database is PostgreSQL (a server of its own, which a test restarts); it runs on
offset 2400 (addresses 127.34.x.x), so killing its task manager, conductor, broker or API
never disturbs the stack the other functional tests share. One stack for every fault test:
each test leaves it serving (the launcher restarts what a test kills).
"""
import json
import os
import subprocess

import pytest

from tests import pgserver
from tests.conftest import (BIN, REPO, RunningStack, remove_stack_dirs, stack_env, stop_stack,
                            traversable_tempdir)
from tests.functional.instance_helpers import trove

# DBAAS_FAULT_OFFSET moves it (two people running fault tests side by side).
FAULT_OFFSET = os.environ.get('DBAAS_FAULT_OFFSET', '2400')


class FaultStack(RunningStack):
    """A running stack plus its service database's server."""

    def __init__(self, root, env, pg, database_url):
        super().__init__(root, env)
        self.pg = pg
        self.database_url = database_url

    def launcher_state(self):
        """The launcher's run/state.json now: its children's pids, restarts, holds
        (`state` is what it was when the stack started)."""
        with open(os.path.join(self.root, 'run', 'state.json')) as handle:
            return json.load(handle)

    def restarts(self, name):
        """How often the launcher started `name` again after it died."""
        return self.launcher_state().get('restarts', {}).get(name, 0)

    def dbaas(self, *args, timeout=120):
        return subprocess.run([os.path.join(BIN, 'dbaas-stack'), *args], env=self.env, cwd=REPO,
                              capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope='session')
def fault_stack(request):
    root = traversable_tempdir('dbaas-test-faults-')
    pg = pgserver.Server().start()
    env = stack_env(root, FAULT_OFFSET)
    env['DBAAS_DATABASE_URL'] = pg.create_database('dbaas_faults')
    try:
        up = subprocess.run([os.path.join(BIN, 'dbaas-stack'), 'up'], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=300)
        assert up.returncode == 0, 'the fault stack did not start:\n%s\n%s' % (up.stdout,
                                                                              up.stderr)
        yield FaultStack(root, env, pg, env['DBAAS_DATABASE_URL'])
    finally:
        left = stop_stack(root, env)
        pg.stop()
    assert left == [], 'dbaas-stack down left these processes running: %s' % left
    if request.session.testsfailed:
        print('\nThe fault stack\'s state and logs are kept in %s' % root)
    else:
        remove_stack_dirs(root)


@pytest.fixture(scope='session')
def fault_demo(fault_stack):
    """python-troveclient as demo on the fault stack."""
    return trove(fault_stack, 'demo')
