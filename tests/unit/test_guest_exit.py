"""A guest agent that exits while starting ends the wait for it at once, with its own reason:
the agent records why it exited in its run directory, the local driver reads it, and the
create flow's fault carries it (the message for the tenant, the traceback for admins).
Also: engine sockets live in a short directory whatever the depth of the run directory."""
import os
import time

import pytest

from api_service.common import config
from api_service.drivers.compute import local_instances
from api_service.drivers.compute.base import Placement
from api_service.guestagent.datastore import get_manager_class, sockets
from api_service.taskmanager import flows
from tests.unit.test_instances_api import api, create  # noqa: F401  (fixture)

INSTANCE_ID = '3f2a1b4c-0000-4000-8000-00000000beef'


@pytest.fixture
def instances_dir(tmp_path):
    config.load([])
    # Deeper than any unix socket path could be.
    path = tmp_path.joinpath(*(['a-rather-long-directory-name'] * 5), 'instances')
    config.CONF.set_override('instances_dir', str(path), 'local_driver')
    yield str(path)
    config.CONF.clear_override('instances_dir', 'local_driver')


def write_guest_conf(run_dir, **changes):
    os.makedirs(run_dir)
    values = {'instance_id': INSTANCE_ID, 'manager': 'redis', 'engine_path': '/usr/bin',
              'data_dir': os.path.join(run_dir, 'volume'), 'run_dir': run_dir,
              'address': '127.0.0.1', 'memory_mb': '64', 'admin_password': 'x' * 24,
              'instance_key': 'k' * 44}
    values.update(changes)
    with open(os.path.join(run_dir, 'guest.conf'), 'w') as handle:
        handle.write('[guest]\n' + ''.join('%s = %s\n' % item for item in values.items()))


def test_an_agent_that_cannot_start_says_why_and_is_seen_to_have_exited(instances_dir):
    run_dir = local_instances.run_dir(INSTANCE_ID)
    write_guest_conf(run_dir, memory_mb='0')        # refused by the engine manager
    local_instances.spawn_guest(INSTANCE_ID)
    # Its pid is known at once, before the agent gets to write it.
    assert os.path.exists(os.path.join(run_dir, 'agent.pid'))
    deadline = time.monotonic() + 60
    while not local_instances.guest_exited(INSTANCE_ID):
        assert time.monotonic() < deadline, 'the agent did not exit'
        time.sleep(0.1)
    message, details = local_instances.guest_exit_reason(INSTANCE_ID)
    assert message == 'memory_mb must be a positive integer.'
    assert 'Traceback' in details and 'BadRequest' in details


def test_an_agent_that_dies_without_a_word_is_reported_from_its_log(instances_dir):
    run_dir = local_instances.run_dir(INSTANCE_ID)
    os.makedirs(run_dir)
    with open(os.path.join(run_dir, 'agent.log'), 'w') as handle:
        handle.write('ImportError: no module named x\n')
    message, details = local_instances.guest_exit_reason(INSTANCE_ID)
    assert message == 'The guest agent exited while starting.'
    assert 'ImportError' in details and 'ImportError' not in message


class ExitedDriver:
    def __init__(self, reason):
        self.reason = reason

    def guest_exited(self, instance_id):
        return True

    def guest_exit_reason(self, instance_id):
        return self.reason


def test_the_build_stops_waiting_at_once_with_the_agents_reason(monkeypatch):
    monkeypatch.setattr(flows, '_check_status', lambda *args: None)
    driver = ExitedDriver(('The database engine failed.', 'Traceback …\n/deep/run/dir'))
    began = time.monotonic()
    with pytest.raises(flows.GuestExited) as raised:
        flows._await_guest(driver, INSTANCE_ID, guest=None, ctx={}, expected_status='BUILD')
    assert time.monotonic() - began < 1
    assert str(raised.value) == ('The guest agent exited while starting: '
                                 'The database engine failed.')
    assert raised.value.details == 'Traceback …\n/deep/run/dir'
    assert flows.events.written_for_tenant(raised.value)
    # A driver that cannot tell why still ends the wait.
    with pytest.raises(flows.GuestExited, match='^The guest agent exited while starting.$'):
        flows._await_guest(ExitedDriver(None), INSTANCE_ID, None, {}, 'BUILD')


@pytest.mark.parametrize('manager', ['mariadb', 'postgresql', 'redis'])
def test_sockets_fit_whatever_the_depth_of_the_run_directory(tmp_path, manager):
    run_dir = str(tmp_path.joinpath(*(['a-rather-long-directory-name'] * 8), INSTANCE_ID))
    engine = get_manager_class(manager)(data_dir=str(tmp_path / 'volume'), run_dir=run_dir,
                                        address='127.0.0.1', engine_path='/usr/bin',
                                        memory_mb=64)
    assert len(run_dir) > sockets.MAX_SOCKET_PATH
    assert len(engine.socket_path) <= sockets.MAX_SOCKET_PATH
    assert not engine.socket_path.startswith(str(tmp_path))
    # The same run directory always gets the same socket directory; another, another one.
    assert engine.socket_dir == sockets.socket_dir_for(run_dir)
    assert sockets.socket_dir_for(run_dir + '-2') != engine.socket_dir
    assert os.path.basename(engine.socket_dir).startswith(INSTANCE_ID[:8])


def test_a_socket_base_in_tmp_that_someone_else_made_is_refused(monkeypatch):
    # Not root: /tmp/dbaas-<uid>, which must be ours and private (a fixed name in /tmp may
    # have been made first by another user, to watch or replace our engines' sockets).
    uid = 4000000 + os.getpid() % 100000
    base = '/tmp/dbaas-%d' % uid
    os.mkdir(base, 0o755)          # made by "someone else" (we are not uid)
    try:
        monkeypatch.setattr(sockets.os, 'geteuid', lambda: uid)
        with pytest.raises(sockets.errors.EngineError) as raised:
            sockets.socket_dir_for('/some/run/dir/%s' % INSTANCE_ID)
        assert raised.value.message == 'The directory for the engine\'s sockets is not private.'
        assert base in raised.value.details
    finally:
        os.rmdir(base)


class BuildDriver(ExitedDriver):
    """Places and provisions; its guest exits at once with the reason given."""

    def place(self, instance_id):
        return Placement('h1', 'nova', '127.0.0.9')

    def provision_volume(self, instance_id):
        return '/volumes/%s' % instance_id

    def spawn_guest(self, instance_id, spec):
        pass


def test_a_build_whose_guest_exits_fails_at_once_with_its_reason(api, monkeypatch):  # noqa: F811
    from api_service.db import models_instances as m
    from api_service.db.session import session_scope
    from api_service.domain import faults

    instance_id = create(api).json_body_or_none['instance']['id']
    details = 'Traceback (most recent call last):\n  File "/deep/agent.py"\nBadRequest: …'
    monkeypatch.setattr(flows, 'get_driver', lambda: BuildDriver(
        ('memory_mb must be a positive integer.', details)))
    monkeypatch.setattr(flows, '_guest', lambda instance_id: None)
    began = time.monotonic()
    flows.create({}, instance_id, [], [])
    assert time.monotonic() - began < 5
    with session_scope() as session:
        assert session.get(m.Instance, instance_id).status == 'ERROR'
        fault = faults.latest(session, instance_id)
        assert fault.message == ('The guest agent exited while starting: '
                                 'memory_mb must be a positive integer.')
        assert fault.details == details          # admin-only
    tenant = api.get('/instances/%s' % instance_id).json_body_or_none['instance']
    assert 'Traceback' not in str(tenant) and '/deep/' not in str(tenant)


def test_the_pid_file_is_replaced_whole_never_seen_empty(tmp_path):
    from api_service.guestagent import exit_report
    exit_report.write_pid(str(tmp_path), 123)
    seen = []
    real_open = open

    def watching_open(path, mode='r', *args, **kwargs):
        # While a writer has its file open, the pid file a reader would open is still whole.
        if 'w' in mode:
            with real_open(tmp_path / exit_report.PID_FILE) as handle:
                seen.append(handle.read())
        return real_open(path, mode, *args, **kwargs)
    import builtins
    builtins_open, builtins.open = builtins.open, watching_open
    try:
        exit_report.write_pid(str(tmp_path), 456)
    finally:
        builtins.open = builtins_open
    assert seen == ['123']
    assert (tmp_path / exit_report.PID_FILE).read_text() == '456'
    assert sorted(p.name for p in tmp_path.iterdir()) == [exit_report.PID_FILE]
