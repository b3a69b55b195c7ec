"""The guest agent's side of the operator's stop and diagnostics (RPC 1.1), around a stand-in
engine manager: stop_db stops the engine and keeps it down (the heartbeat and a restarted
agent leave it stopped, a crash is still restarted), the agent says SHUTDOWN at once, and
get_diagnostics answers the engine's figures and the volume's use in one answer."""
import os
import threading
import types

import oslo_messaging as messaging
import pytest

from api_service.guestagent import errors
from api_service.guestagent import service
from api_service.guestagent.datastore import diagnostics
from api_service.rpc import guest_client


class FakeManager:
    """The lifecycle an EngineManager offers the endpoint, in memory."""

    capabilities = frozenset()

    def __init__(self):
        self.running, self.stopped_by_operator, self.starts = True, False, 0
        self.stop_error = None

    def is_running(self):
        return self.running

    def stopped_on_request(self):
        return self.stopped_by_operator

    def stop_on_request(self):
        self.stopped_by_operator = True         # recorded first, as EngineManager does
        if self.stop_error:
            if self.running:                    # the real one forgets it while alive
                self.stopped_by_operator = False
            raise self.stop_error
        self.running = False

    def start(self):
        self.stopped_by_operator, self.running = False, True
        self.starts += 1

    def restart(self):
        self.start()

    def data_size_bytes(self):
        return 4096

    def pid(self):
        return os.getpid() if self.running else None

    def engine_version(self):
        return '10.11.6-MariaDB'


class FakeReporter:
    def __init__(self):
        self.heartbeats = []

    def heartbeat(self, engine_status, used_bytes, last_rollback=None, metrics=None):
        self.heartbeats.append(engine_status)


@pytest.fixture
def endpoint():
    conf = types.SimpleNamespace(restart_failed_engines=True, heartbeat_interval=5,
                                 instance_id='i-1', run_dir='/nonexistent')
    guest = service.GuestEndpoint(FakeManager(), FakeReporter(), conf)
    guest.prepared.set()
    return guest


def test_stop_db_stops_the_engine_says_shutdown_at_once_and_the_agent_stays(endpoint):
    assert endpoint.stop_db({}) == {'result': {'status': 'SHUTDOWN'}}
    assert not endpoint.manager.running and endpoint.manager.stopped_by_operator
    assert endpoint.reporter.heartbeats == ['SHUTDOWN']
    # The agent still answers.
    assert endpoint.rpc_ping({})['instance_id'] == 'i-1'
    # The lifecycle lock is free again.
    assert endpoint.busy.acquire(blocking=False)
    endpoint.busy.release()


def test_heartbeats_leave_an_engine_stopped_on_purpose_down(endpoint):
    endpoint.stop_db({})
    for _ in range(3):          # dead for whole periods: a crash would be restarted by now
        endpoint._heartbeat()
    assert endpoint.manager.starts == 0
    assert endpoint.reporter.heartbeats == ['SHUTDOWN'] * 4


def test_a_crashed_engine_is_still_restarted(endpoint):
    endpoint.manager.running = False        # died; nobody asked
    endpoint._heartbeat()
    assert endpoint.manager.starts == 0     # first seen dead: SHUTDOWN said, then restart
    endpoint._heartbeat()
    assert endpoint.manager.starts == 1
    assert endpoint.reporter.heartbeats == ['SHUTDOWN', 'HEALTHY']


def test_a_restart_starts_a_stopped_engine_and_crashes_are_restarted_again(endpoint):
    endpoint.stop_db({})
    assert endpoint.restart({}) == {'status': 'HEALTHY'}
    assert endpoint.manager.running and not endpoint.manager.stopped_by_operator
    endpoint._heartbeat()
    endpoint.manager.running = False
    endpoint._heartbeat()
    endpoint._heartbeat()
    assert endpoint.manager.starts == 2     # the restart's, then the crash's


def test_a_restarted_agent_keeps_a_stopped_engine_down(endpoint):
    endpoint.stop_db({})
    endpoint.resume()
    assert endpoint.manager.starts == 0
    endpoint.manager.stopped_by_operator = False
    endpoint.resume()                       # not stopped on purpose: started as before
    assert endpoint.manager.starts == 1


def test_a_stop_the_engine_refuses_answers_its_reason_without_details(endpoint):
    endpoint.manager.stop_error = errors.EngineTimeout('MariaDB did not stop in time.',
                                                       details='/var/log/secret path')
    answer = endpoint.stop_db({})
    assert answer['error']['message'] == 'MariaDB did not stop in time.'
    assert 'details' not in answer['error'] and endpoint.reporter.heartbeats == []
    endpoint.manager.stop_error = OSError('disk on fire')
    answer = endpoint.stop_db({})
    assert answer['error']['message'] == (
        'The guest agent could not complete stopping the database.')
    # Still running, so a later crash is still the heartbeat's to restart.
    assert not endpoint.manager.stopped_on_request()


class StuckEngine:
    """Stands in for the engine process under the real EngineManager: alive or not, and a
    stop that ends in `error` (after the process died, with `dies`)."""

    def __init__(self, error, dies=False):
        self.alive, self.error, self.dies = True, error, dies

    def stop(self, timeout=None):
        if self.dies:
            self.alive = False
        raise self.error

    def pid(self):
        return 4242 if self.alive else None


def real_manager(tmp_path, monkeypatch, engine):
    from api_service.guestagent.datastore import get_manager_class
    for name in ('data', 'run'):
        (tmp_path / name).mkdir()
    manager = get_manager_class('mariadb')(
        data_dir=str(tmp_path / 'data'), run_dir=str(tmp_path / 'run'), address='127.0.0.1',
        engine_path=str(tmp_path), memory_mb=512)
    monkeypatch.setattr(manager, 'stop', engine.stop)
    monkeypatch.setattr(manager, 'pid', engine.pid)
    return manager


def test_a_stop_that_fails_with_the_engine_alive_forgets_the_mark(tmp_path, monkeypatch):
    engine = StuckEngine(errors.EngineTimeout('MariaDB did not die in time.'))
    manager = real_manager(tmp_path, monkeypatch, engine)
    with pytest.raises(errors.EngineTimeout):
        manager.stop_on_request()
    # Left, the mark would keep a heartbeat from restarting this engine after a crash.
    assert not manager.stopped_on_request()
    # What a restarted agent reads from run_dir.
    assert manager._load_state()['stopped_on_request'] is False


def test_a_stop_that_fails_after_the_engine_died_keeps_it_down(tmp_path, monkeypatch):
    engine = StuckEngine(OSError('socket dir busy'), dies=True)
    manager = real_manager(tmp_path, monkeypatch, engine)
    with pytest.raises(OSError):
        manager.stop_on_request()
    assert manager.stopped_on_request()     # down, as the operator asked


def test_a_stop_waits_for_the_heartbeat_to_finish(endpoint):
    endpoint.busy.acquire()                 # the heartbeat is restarting a dead engine
    answers = []
    stopping = threading.Thread(target=lambda: answers.append(endpoint.stop_db({})))
    stopping.start()
    stopping.join(0.2)
    assert answers == [] and endpoint.manager.running
    endpoint.busy.release()
    stopping.join(5)
    assert answers == [{'result': {'status': 'SHUTDOWN'}}] and not endpoint.manager.running


def test_get_diagnostics_reads_the_engine_process_and_the_volume(endpoint):
    answer = endpoint.get_diagnostics({})['result']
    assert answer['version'] == '10.11.6-MariaDB' and answer['used_bytes'] == 4096
    # The stand-in's "engine" is this test's own process.
    assert answer['threads'] >= 1 and answer['vm_rss'] > 0 and answer['fd_size'] > 0
    assert answer['vm_peak'] >= answer['vm_size'] > 0 and answer['vm_hwm'] >= answer['vm_rss']
    endpoint.stop_db({})
    stopped = endpoint.get_diagnostics({})['result']
    assert stopped == dict(dict.fromkeys(diagnostics.KEYS), used_bytes=4096)


def test_get_diagnostics_that_fails_is_an_answer_not_an_rpc_error(endpoint):
    def full_disk():
        raise OSError('No space left on device: /var/lib/secret')
    endpoint.manager.data_size_bytes = full_disk
    answer = endpoint.get_diagnostics({})
    assert answer['error']['message'] == (
        'The guest agent could not complete reading the diagnostics.')
    assert 'details' not in answer['error'] and 'secret' not in str(answer)


def test_a_version_the_engine_does_not_say_leaves_only_the_version_null(endpoint):
    def refuses():
        raise errors.EngineError('MariaDB is not reachable; it may be stopped.')
    endpoint.manager.engine_version = refuses
    answer = endpoint.get_diagnostics({})['result']
    assert answer['version'] is None and answer['vm_rss'] > 0


def test_proc_status_reads_kilobytes_and_counts():
    with open('/proc/self/status') as handle:
        text = handle.read()
    figures = diagnostics.proc_status(os.getpid())
    assert set(figures) == set(diagnostics.PROC_FIELDS.values())
    assert 'VmRSS:' in text and all(isinstance(value, int) for value in figures.values())
    assert diagnostics.proc_status(2 ** 22 + 1) == {}       # no such process


class RecordingClient:
    """oslo.messaging's client: what was prepared and called."""

    def __init__(self, answer):
        self.answer, self.prepared, self.called = answer, [], []

    def prepare(self, **kwargs):
        self.prepared.append(kwargs)
        return self

    def call(self, ctx, method, **kwargs):
        self.called.append(method)
        return self.answer


def client_with(answer):
    api = guest_client.GuestAPI.__new__(guest_client.GuestAPI)
    api._client = RecordingClient(answer)
    return api


def test_the_client_asks_1_1_for_the_new_calls_only():
    api = client_with({'result': {'status': 'SHUTDOWN'}})
    assert api.stop_db({}) == {'status': 'SHUTDOWN'}
    assert api._client.prepared == [{'timeout': guest_client.STOP_TIMEOUT, 'version': '1.1'}]
    api = client_with({'result': {'used_bytes': 1}})
    assert api.get_diagnostics({}, timeout=5) == {'used_bytes': 1}
    assert api._client.prepared == [{'timeout': 5, 'version': '1.1'}]
    api = client_with({'rpc_ping': True})
    api.ping({})
    assert api._client.prepared == [{'timeout': 2}]     # 1.0, as every agent answers it
    # The stop waits at least as long as the agent may (its lock, then its stop).
    from api_service.guestagent import waits
    assert guest_client.STOP_TIMEOUT > waits.STOP_WORST + 2 * waits.START_WORST


def test_the_client_raises_what_the_agent_refused():
    from api_service.common import exceptions
    api = client_with({'error': {'code': 409, 'message': 'MariaDB did not stop in time.'}})
    with pytest.raises(exceptions.Conflict, match='did not stop in time'):
        api.stop_db({})
    api = client_with({'error': {'code': 500, 'message': 'The guest agent could not '
                                 'complete reading the diagnostics.'}})
    with pytest.raises(exceptions.ServiceUnavailable, match='reading the diagnostics'):
        api.get_diagnostics({})


class RefusingClient(RecordingClient):
    def __init__(self, error):
        super().__init__(None)
        self.error = error

    def call(self, ctx, method, **kwargs):
        raise self.error


@pytest.mark.parametrize('method', ['stop_db', 'get_diagnostics'])
def test_an_agent_older_than_the_call_is_a_conflict_saying_what_to_do(method):
    from api_service.common import exceptions
    api = guest_client.GuestAPI.__new__(guest_client.GuestAPI)
    api._client = RefusingClient(messaging.RemoteError(
        'UnsupportedVersion', 'Endpoint does not support RPC version 1.1. Attempted method: '
        + method, 'Traceback ...'))
    with pytest.raises(exceptions.Conflict) as raised:
        getattr(api, method)({})
    assert str(raised.value) == guest_client.OLDER_AGENT
    assert 'older than this call' in str(raised.value) and 'restart' in str(raised.value)
    # Anything else the agent's RPC server raised: a typed failure, its text for admins.
    api._client = RefusingClient(messaging.RemoteError('KeyError', "'x'", 'Traceback ...'))
    with pytest.raises(exceptions.GuestFailed) as raised:
        getattr(api, method)({})
    assert 'Traceback' not in str(raised.value) and 'KeyError' in raised.value.details
