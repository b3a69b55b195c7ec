"""The canary writers when the member cannot take the write: no engine answers on the port,
or one accepts the connection and never answers. Each write is then False, quickly, with no
exception and no password in the log (the writers' acknowledged writes and the engines'
refusals are proved on real engines in tests/functional/test_replication_canary.py)."""
import logging
import socket
import threading
import time

import pytest

from api_service.common import canary_writers

ENGINES = ('mariadb', 'postgresql', 'redis')
PASSWORD = 'Canary0Password0Never0Logged0000'


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_server():
    """A port whose listener accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(16)
    accepted, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    listener.close()


def test_an_unknown_engine_has_no_writer():
    with pytest.raises(ValueError):
        canary_writers.writer_for('mongodb', '127.0.0.1', 1, 'os_canary', PASSWORD)


@pytest.mark.parametrize('engine', ENGINES)
def test_nothing_listening_is_a_failed_write_at_once(engine, caplog):
    caplog.set_level(logging.DEBUG)
    account = {'user': 'os_canary', 'database': None, 'target': None, 'port': 1}
    writer = canary_writers.writer_for(engine, '127.0.0.1', free_port(), account, PASSWORD)
    started = time.monotonic()
    assert [writer.write(seq) for seq in (1, 2, 3)] == [False] * 3
    assert writer.read_seq() is None
    assert time.monotonic() - started < 1
    writer.close()
    writer.close()
    # One line for the run of failures, naming the member, never the password.
    lines = [r.getMessage() for r in caplog.records if r.name == canary_writers.__name__]
    assert len(lines) == 1 and '127.0.0.1' in lines[0]
    assert PASSWORD not in caplog.text and PASSWORD not in repr(writer)


@pytest.mark.parametrize('engine', ['mariadb', 'redis'])
def test_a_member_that_never_answers_fails_within_the_write_timeout(engine, silent_server):
    writer = canary_writers.writer_for(engine, '127.0.0.1', silent_server, 'os_canary',
                                       PASSWORD)
    started = time.monotonic()
    assert writer.write(1) is False
    assert time.monotonic() - started < 4 * canary_writers.WRITE_TIMEOUT
    writer.close()


def test_a_postgresql_member_that_never_answers_fails_within_libpqs_minimum(silent_server):
    # libpq waits 2 s at least for a server that took the TCP connection and says nothing
    # (a member that is gone fails the TCP connect within WRITE_TIMEOUT: above).
    writer = canary_writers.writer_for('postgresql', '127.0.0.1', silent_server, 'os_canary',
                                       PASSWORD)
    started = time.monotonic()
    assert writer.write(1) is False
    assert time.monotonic() - started < 3


def test_the_guest_call_goes_as_1_4_sealed_and_keeps_the_agents_text_out():
    import oslo_messaging as messaging

    from api_service.common import exceptions
    from api_service.rpc import guest_client
    from tests.unit.test_instance_modules_reapply import client_with

    assert guest_client.GuestAPI.VERSION == '1.4'
    answer = {'user': 'os_canary', 'database': 'postgres', 'target': 'os_canary.beat',
              'port': 5432}
    api = client_with(answer={'result': answer})
    assert api.replication_canary_account({}, PASSWORD, ['10.0.0.0/24']) == answer
    assert api._client.prepared == [{'timeout': guest_client.REPLICATION_QUICK_TIMEOUT,
                                     'version': '1.4'}]
    assert api._client.called == [('replication_canary_account', {
        'password': PASSWORD, 'sources': ['10.0.0.0/24']})]
    # A failure inside the agent: its kind only (its text could hold the password).
    # A run token, when given, scopes a removal to the run that set the account.
    api = client_with(answer={'result': answer})
    api.replication_canary_account({}, None, ['10.0.0.0/24'], run='r1')
    assert api._client.called == [('replication_canary_account', {
        'password': None, 'sources': ['10.0.0.0/24'], 'run': 'r1'})]
    api = client_with(error=messaging.RemoteError('EngineError', 'with %s' % PASSWORD, ''))
    with pytest.raises(exceptions.GuestFailed) as failed:
        api.replication_canary_account({}, PASSWORD, [])
    assert PASSWORD not in repr(failed.value.__dict__) and PASSWORD not in str(failed.value)
    api = client_with(error=messaging.MessagingTimeout())
    with pytest.raises(exceptions.Conflict):
        api.replication_canary_account({}, None, None)


class CountingRedis:
    """A Redis-speaking listener that counts connections: SET answered READONLY (a
    replica), anything else +OK; or, with `hang_up`, each connection closed at once."""

    def __init__(self, hang_up=False):
        self.hang_up, self.connections = hang_up, 0
        self.listener = socket.socket()
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.stop, self.conns = threading.Event(), []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        self.listener.settimeout(0.02)
        while not self.stop.is_set():
            try:
                conn = self.listener.accept()[0]
            except OSError:
                continue
            self.connections += 1
            if self.hang_up:
                conn.close()
                continue
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        reader = conn.makefile('rb')
        try:
            while True:
                header = reader.readline()
                if not header:
                    return
                words = []
                for _ in range(int(header[1:])):
                    size = int(reader.readline()[1:])
                    words.append(reader.read(size + 2)[:-2])
                if words[0].upper() == b'SET':
                    conn.sendall(b"-READONLY You can't write against a read only replica.\r\n")
                else:
                    conn.sendall(b'+OK\r\n')
        except (OSError, ValueError):
            return

    def close(self):
        self.stop.set()
        self.thread.join(2)
        for conn in self.conns:
            conn.close()
        self.listener.close()


@pytest.fixture
def counting_redis():
    servers = []

    def make(**kwargs):
        servers.append(CountingRedis(**kwargs))
        return servers[-1]
    yield make
    for server in servers:
        server.close()


def test_refused_writes_keep_their_connection(counting_redis, caplog):
    caplog.set_level(logging.DEBUG)
    server = counting_redis()
    writer = canary_writers.writer_for('redis', '127.0.0.1', server.port, 'os_canary',
                                       PASSWORD)
    assert [writer.write(seq) for seq in range(1, 31)] == [False] * 30
    assert server.connections == 1      # no reconnect storm against a read-only member
    writer.close()
    assert PASSWORD not in caplog.text


def test_after_a_lost_connection_reconnecting_backs_off(counting_redis, caplog):
    caplog.set_level(logging.DEBUG)
    server = counting_redis(hang_up=True)
    writer = canary_writers.writer_for('redis', '127.0.0.1', server.port, 'os_canary',
                                       PASSWORD)
    started = time.monotonic()
    results = []
    while time.monotonic() - started < 0.5:        # the canary's pace: every 10 ms
        results.append(writer.write(len(results) + 1))
        time.sleep(0.01)
    assert not any(results) and len(results) > 20
    # 0, 0.1, 0.3, 0.55 s: a connect per backoff (100 ms doubling, 250 ms at most), not
    # one per write.
    assert 2 <= server.connections <= 4
    writer.close()
    assert PASSWORD not in caplog.text


class RefusingManager:
    """An engine manager whose running engine refuses a change of its access rules."""

    capabilities = frozenset({'access', 'replication'})
    manager = 'mariadb'
    port = 3306

    def __init__(self):
        self._lock = threading.RLock()
        self.state = {'canary_sources': ['10.1.0.0/24'], 'prepared': True}
        self.written = []

    def _load_state(self):
        return dict(self.state)

    def _save_state(self, **changes):
        self.state.update(changes)

    def pid(self):
        return 1

    def _write_config(self, bootstrap=False):
        self.written.append(self.state.get('canary_sources'))

    def _apply_access_live(self):
        raise RuntimeError('the engine refused the access rule')

    def _check_sources(self, sources):
        return list(sources)


def test_sources_the_engine_refused_are_not_kept():
    from api_service.guestagent.replication import canary as canary_account

    manager = RefusingManager()
    account = canary_account.MariaDBCanary(manager)
    with pytest.raises(RuntimeError):
        account.apply(PASSWORD, ['127.0.0.1/32'])
    # The rules in force (and the configuration written back) keep the previous sources.
    assert manager.state['canary_sources'] == ['10.1.0.0/24']
    assert manager.written == [['127.0.0.1/32'], ['10.1.0.0/24']]
