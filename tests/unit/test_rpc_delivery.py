"""Casts that no queue takes (the broker restarted, the server not back yet) are tried again,
not lost (#15)."""
import oslo_messaging as messaging
import pytest

from api_service.common import exceptions
from api_service.rpc import clients
from api_service.rpc import delivery as transport


class _Client:
    """Undeliverable `refusals` times, then delivered."""

    def __init__(self, refusals):
        self.refusals, self.casts, self.prepared = refusals, [], []

    def prepare(self, **kwargs):
        self.prepared.append(kwargs)
        return self

    def cast(self, ctx, method, **kwargs):
        if self.refusals:
            self.refusals -= 1
            raise messaging.MessageUndeliverable(Exception('NO_ROUTE'), 'dbaas', method, {})
        self.casts.append((method, kwargs))


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(transport, 'UNDELIVERABLE_INTERVAL', 0.001)


def test_an_undeliverable_cast_is_sent_again_until_a_queue_takes_it():
    client = _Client(refusals=3)
    transport.cast_delivered(client, {}, 'create_backup', backup_id='b')
    assert client.casts == [('create_backup', {'backup_id': 'b'})]


def test_a_cast_no_queue_takes_in_time_is_refused_not_dropped():
    client = _Client(refusals=10 ** 6)
    with pytest.raises(messaging.MessageUndeliverable):
        transport.cast_delivered(client, {}, 'create_backup', wait=0.02, backup_id='b')
    assert client.casts == []


def test_the_api_answers_503_in_words_when_no_task_manager_takes_the_cast(monkeypatch):
    api = clients.TaskManagerAPI.__new__(clients.TaskManagerAPI)
    api._client = _Client(refusals=10 ** 6)
    monkeypatch.setattr(transport, 'UNDELIVERABLE_WAIT', 0.02)
    with pytest.raises(exceptions.ServiceUnavailable) as raised:
        api.create_backup({'project_id': 'p'}, 'i', 'b')
    assert raised.value.code == 503 and 'task manager' in str(raised.value)


def test_casts_are_published_mandatory():
    assert transport.DELIVERED.at_least_once


def test_a_guest_report_of_an_operation_s_end_is_sent_again(monkeypatch):
    from api_service.guestagent import reporter as reporter_mod
    reporter = reporter_mod.Reporter.__new__(reporter_mod.Reporter)
    reporter._client, reporter._instance_id, reporter._key = _Client(refusals=2), 'i', None
    monkeypatch.setattr(reporter_mod.secure, 'seal', lambda key, payload: payload)
    reporter.operation_done('create', True)
    assert [m for m, _ in reporter._client.casts] == ['operation_done']
    # A heartbeat is not: the next one follows.
    reporter._client = _Client(refusals=1)
    reporter.heartbeat('HEALTHY', 1)
    assert reporter._client.casts == []


def test_the_guest_agent_s_reporter_loads_no_control_plane_configuration():
    # The agent registers its own options: the service's config module beside them is a
    # DuplicateOptError at the agent's start.
    import subprocess
    import sys
    code = ('import sys, api_service.guestagent.reporter; '
            'print(any(m.startswith("api_service.common") for m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == 'False'


def _reporter(monkeypatch, client):
    from api_service.guestagent import reporter as reporter_mod
    reporter = reporter_mod.Reporter.__new__(reporter_mod.Reporter)
    reporter._client, reporter._instance_id, reporter._key = client, 'i', None
    monkeypatch.setattr(reporter_mod.secure, 'seal', lambda key, payload: payload)
    return reporter_mod, reporter


def test_a_step_report_no_conductor_takes_never_stops_the_agent(monkeypatch):
    """A RUNNING step is sent before the prepare's try: raising there, the agent never
    prepared the engine."""
    reporter_mod, reporter = _reporter(monkeypatch, _Client(refusals=10 ** 6))
    monkeypatch.setattr(reporter_mod, 'REPORT_WAIT', {'heartbeat': 0, 'guest_step': 0.02})
    reporter.step('create', 'prepare', 'RUNNING', 'initialising the engine')
    assert reporter._client.casts == []


def test_an_end_report_no_conductor_takes_is_logged_as_an_error_not_raised(monkeypatch,
                                                                             caplog):
    reporter_mod, reporter = _reporter(monkeypatch, _Client(refusals=10 ** 6))
    monkeypatch.setattr(reporter_mod, 'END_REPORT_WAIT', 0.02)
    reporter.backup_done('b', True, size=1)
    assert reporter._client.casts == []
    assert [r for r in caplog.records if r.levelname == 'ERROR' and 'backup_done' in r.message]


def test_an_end_report_is_tried_again_much_longer_than_progress(monkeypatch):
    from api_service.guestagent import reporter as reporter_mod
    assert reporter_mod.END_REPORT_WAIT >= 240     # the default operation deadline
    assert max(reporter_mod.REPORT_WAIT.values()) <= 5


def test_a_broker_error_on_a_report_is_logged_not_raised(monkeypatch):
    class Broken:
        def cast(self, ctx, method, **kwargs):
            raise messaging.MessageDeliveryFailure('broker down')
    _, reporter = _reporter(monkeypatch, Broken())
    reporter.operation_done('create', True)
    reporter.step('create', 'modules', 'FAILED')


def test_the_api_answers_503_promptly_when_the_broker_is_down(monkeypatch):
    """retry=None reconnects for ever: an API thread would hang on a cast."""
    class Down(_Client):
        def cast(self, ctx, method, **kwargs):
            raise messaging.MessageDeliveryFailure('no broker after %s tries'
                                                   % self.prepared[-1]['retry'])
    api = clients.TaskManagerAPI.__new__(clients.TaskManagerAPI)
    api._client = Down(refusals=0)
    with pytest.raises(exceptions.ServiceUnavailable):
        api.create_backup({'project_id': 'p'}, 'i', 'b')
    assert api._client.prepared == [{'retry': clients.CAST_RETRY}]
    assert clients.CAST_RETRY is not None and clients.CAST_RETRY >= 0
