"""The replay server's rules: broken-off requests are optional and maybe late; tokens re-dated."""
import datetime
import json

import pytest

from tests.unit import http_replay
from tests.unit.http_replay import Replay


def exchange(method, path, error=False):
    made = {'method': method, 'url': 'http://swift.invalid' + path, 'request_headers': {},
            'status': 200, 'response_headers': {}}
    if error:
        made['error'] = 'cancelled'
        del made['status']
    return made


@pytest.mark.parametrize('order', [
    ['A', 'B', 'C', 'D'],     # as recorded
    ['A', 'C', 'D'],          # the broken-off B never reached the server
    ['A', 'C', 'B', 'D'],     # B's handler ran after C's
])
def test_a_broken_off_request_is_optional_and_may_come_late(order):
    server = Replay([exchange('PUT', '/a'), exchange('PUT', '/b', error=True),
                     exchange('GET', '/c'), exchange('DELETE', '/d')])
    try:
        paths = {'A': ('PUT', '/a', False), 'B': ('PUT', '/b', True),
                 'C': ('GET', '/c', False), 'D': ('DELETE', '/d', False)}
        served = [server.next_exchange(*paths[name][:2], {}, b'', paths[name][2])['url'][-2:]
                  for name in order]
        assert served == ['/' + name.lower() for name in order]
        assert server.mismatches == []
    finally:
        server.server_close()


def test_an_unbroken_request_out_of_order_is_still_a_mismatch():
    server = Replay([exchange('PUT', '/a'), exchange('GET', '/c')])
    try:
        server.next_exchange('GET', '/c', {}, b'', False)
        assert server.mismatches
    finally:
        server.server_close()


def test_recorded_tokens_are_redated_to_now_with_their_lifetime():
    recorded = ('{"token": {"expires_at": "2026-11-22T19:57:52.000000Z", "methods": [], '
                '"issued_at": "2026-11-22T07:57:52.000000Z"}}')
    now = datetime.datetime(2031, 5, 1, 10, 0, 0, tzinfo=datetime.timezone.utc)
    token = json.loads(http_replay.redate_tokens(recorded, now))['token']
    assert token['issued_at'] == '2031-05-01T10:00:00.000000Z'
    assert token['expires_at'] == '2031-05-01T22:00:00.000000Z'
    assert http_replay.redate_tokens('{"expires_at": "2026-11-22T19:57:52Z"}', now) == \
        '{"expires_at": "2026-11-22T19:57:52Z"}'  # no issued_at: not a token, left alone
