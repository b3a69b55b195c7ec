"""The engine managers' side of the operator's stop and diagnostics, on real MariaDB,
PostgreSQL and Redis (the engine fixtures of tests/functional/test_engines.py): a stop on
request is remembered in run_dir, so a restarted agent knows it; any start forgets it; the
figures are the engine's main process's, as /proc has them, and the version is what the
running engine says of itself."""
import subprocess

import pytest

from api_service.guestagent.datastore import diagnostics, get_manager_class
from tests.functional.test_engines import (ALL_ENGINES, make_manager, template_root,  # noqa: F401
                                           workdir)


def same_agent_again(manager):
    """A manager as a restarted agent builds it, over the same directories."""
    return get_manager_class(manager.manager)(
        data_dir=manager.data_dir, run_dir=manager.run_dir, address=manager.address,
        engine_path=manager.engine_path, memory_mb=manager.memory_mb, run_as=manager.run_as,
        admin_password=manager.admin_password)


def proc_figure(pid, name):
    with open('/proc/%d/status' % pid) as handle:
        for line in handle:
            if line.startswith(name + ':'):
                return int(line.split()[1])


@pytest.mark.parametrize('engine', ALL_ENGINES)
def test_stop_on_request_is_remembered_until_a_start(engine, make_manager):  # noqa: F811
    manager = make_manager(engine)
    manager.prepare()
    assert not manager.stopped_on_request()
    manager.stop_on_request()
    assert manager.pid() is None and not manager.is_running()
    assert manager.stopped_on_request() and same_agent_again(manager).stopped_on_request()
    manager.restart()
    assert manager.is_running() and not manager.stopped_on_request()
    assert not same_agent_again(manager).stopped_on_request()


@pytest.mark.parametrize('engine', ALL_ENGINES)
def test_diagnostics_are_the_running_engines_own(engine, make_manager):  # noqa: F811
    manager = make_manager(engine)
    manager.prepare()
    figures = diagnostics.of(manager)
    pid = manager.pid()
    assert figures['threads'] >= 1         # MariaDB's count moves between two reads
    assert figures['fd_size'] == proc_figure(pid, 'FDSize')
    assert figures['vm_peak'] == proc_figure(pid, 'VmPeak')   # only ever grows
    assert 0 < figures['vm_rss'] <= figures['vm_hwm'] <= proc_figure(pid, 'VmHWM')
    assert 0 < figures['vm_size'] <= figures['vm_peak']
    # The running engine's words are its binary's (mariadbd's "Ver 10.11.6-MariaDB-…",
    # postgres's "15.14 (Debian …)", redis-server's "v=7.0.15").
    built = subprocess.run([manager.binary, '--version'], capture_output=True, text=True,
                           check=True).stdout
    assert figures['version'][0].isdigit() and figures['version'] in built
    manager.stop_on_request()
    assert diagnostics.of(manager) == dict.fromkeys(diagnostics.KEYS)
