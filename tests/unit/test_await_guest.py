"""The wait for a new guest agent (flows._await_guest) answers as soon as the agent's queue
exists and the agent replies: its pings are published mandatory, so one sent before the
queue exists comes back at once (MessageUndeliverable) and the next follows quickly; a ping
not answered in time (a busy agent) is sent again; an agent that exits ends the wait."""
import time

import oslo_messaging as messaging
import pytest

from api_service.rpc import delivery
from api_service.rpc import guest_client
from api_service.taskmanager import flows

INSTANCE_ID = '3f2a1b4c-0000-4000-8000-00000000cafe'


class Driver:
    def __init__(self):
        self.exited = False

    def guest_exited(self, instance_id):
        return self.exited

    def guest_exit_reason(self, instance_id):
        return ('The database engine failed.', 'details')


class Client:
    """Stands in for the guest's oslo.messaging client: no queue until `listening_at`, then
    the answers in `replies` (an exception is raised, anything else answered)."""

    def __init__(self, listening_at, replies=('pong',)):
        self.listening_at, self.replies = listening_at, list(replies)
        self.sent = []

    def prepare(self, timeout=None, transport_options=None):
        self.sent.append((timeout, transport_options))
        return self

    def call(self, ctx, method):
        assert method == 'rpc_ping'
        if time.monotonic() < self.listening_at:
            raise messaging.MessageUndeliverable(Exception('NO_ROUTE'), 'dbaas', method, {})
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply


class Guest:
    """The guest client's own mandatory ping, over the stand-in client."""
    ping_delivered = guest_client.GuestAPI.ping_delivered

    def __init__(self, client):
        self._client = client


@pytest.fixture(autouse=True)
def building(monkeypatch):
    monkeypatch.setattr(flows, '_check_status', lambda *args: None)


def test_the_agent_is_seen_as_soon_as_its_queue_exists():
    client = Client(time.monotonic() + 0.3)
    began = time.monotonic()
    assert flows._await_guest(Driver(), INSTANCE_ID, Guest(client), {}, 'BUILD') == 'pong'
    waited = time.monotonic() - began
    # Within a retry of the queue's creation, not a ping's timeout later.
    assert 0.3 <= waited < 0.3 + flows.AGENT_RETRY + 0.2
    assert all(options is delivery.DELIVERED for _, options in client.sent)
    assert {timeout for timeout, _ in client.sent} == {flows.AGENT_PING_TIMEOUT}
    assert len(client.sent) > 2


def test_a_ping_not_answered_in_time_is_sent_again():
    client = Client(0, [messaging.MessagingTimeout('slow'), messaging.MessagingTimeout('slow'),
                        'pong'])
    assert flows._await_guest(Driver(), INSTANCE_ID, Guest(client), {}, 'BUILD') == 'pong'
    assert len(client.sent) == 3


def test_an_agent_that_exits_while_its_queue_is_missing_ends_the_wait_with_its_reason():
    driver, client = Driver(), Client(time.monotonic() + 60)

    def exits_on_third(ctx, method, call=client.call):
        if len(client.sent) == 3:
            driver.exited = True
        return call(ctx, method)

    client.call = exits_on_third
    began = time.monotonic()
    with pytest.raises(flows.GuestExited, match='exited while starting: The database engine'):
        flows._await_guest(driver, INSTANCE_ID, Guest(client), {}, 'BUILD')
    assert time.monotonic() - began < 1


def test_a_guest_without_the_rpc_client_is_pinged_as_usual():
    class Plain:
        def ping(self, ctx, timeout=2):
            return 'pong-%s' % timeout

    assert flows._await_guest(Driver(), INSTANCE_ID, Plain(), {}, 'BUILD') == \
        'pong-%s' % flows.AGENT_PING_TIMEOUT
