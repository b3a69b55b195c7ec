"""The Swift backup store on Keystone password auth, against a real Keystone and Swift's exchanges.

tests/fixtures/swift_keystone/ holds what SwiftObjectStore said to a real
Keystone (password -> token and catalog) and to a real Swift whose proxy
checks tokens with keystonemiddleware's authtoken and keystoneauth. One
loopback server replays both in order (tests/unit/http_replay.py): the
catalog it hands out points back at it. The object-store entries of the
catalog include decoys on the same address (WRONG_REGION_, WRONG_INTERFACE_
accounts) so a store that picks the wrong entry is caught. Re-record with
scripts/record_swift_keystone_fixtures.py.
"""
import contextlib
import itertools
import json
import logging
import os
from unittest import mock

import pytest

from api_service.drivers import storage
from api_service.drivers.storage import base
from api_service.drivers.storage import swift
from tests.unit import http_replay
from tests.unit.http_replay import body_bytes

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'fixtures',
                        'swift_keystone')
RECORDED_ADDRESSES = ('http://keystone.invalid', 'http://swift.invalid')
PASSWORD = 'replayed-password-3f9c1d'
WRONG_PASSWORD = 'replayed-wrong-password-77ab'
TOKEN = 'SCRUBBED-TOKEN'


def recording(name):
    with open(os.path.join(FIXTURES, name + '.json')) as handle:
        return json.load(handle)


@pytest.fixture
def replay():
    """replay(name, **auth) -> (store, fixture, server): a password-auth store on the recording."""
    counter = itertools.count(1)
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.object(swift.secrets, 'token_hex',
                                              lambda n=8: '%016x' % next(counter)))

        def start(name, password=PASSWORD, **auth):
            fixture = recording(name)
            server = http_replay.serving(
                stack, fixture['exchanges'], addresses=RECORDED_ADDRESSES,
                secrets={'SCRUBBED-WRONG-PASSWORD': WRONG_PASSWORD,
                         'SCRUBBED-PASSWORD': PASSWORD})
            options = dict(fixture['auth'], auth_url=server.url + '/v3', password=password)
            options.update(auth)
            store = storage.get_storage('swift', container=fixture['container'],
                                        segment_size=fixture['segment_size'], **options)
            return store, fixture, server
        yield start


def test_recordings_come_from_keystone_and_a_swift_that_enforces_it():
    for name in ('commit_read_delete', 'missing', 'wrong_password'):
        fixture = recording(name)
        assert 'Keystone' in fixture['recorded_from'] and 'authtoken' in fixture['recorded_from']
        assert fixture['swift_refuses_unknown_token'] == 401
        first = fixture['exchanges'][0]
        assert (first['method'], first['url']) == (
            'POST', 'http://keystone.invalid/v3/auth/tokens')
        sent = json.loads(body_bytes(first['request_body']))['auth']
        assert sent['identity']['methods'] == ['password']
        assert sent['identity']['password']['user']['name'] == 'dbaas-backups'
        assert sent['scope']['project']['name'] == 'backups'
        assert 'X-Auth-Token' not in first['request_headers']
        # The password was sent; its value was scrubbed.
        assert sent['identity']['password']['user']['password'].startswith('SCRUBBED-')


def test_password_auth_commits_and_reads_back_exact_bytes(replay):
    store, fixture, server = replay('commit_read_delete')
    facts = fixture['facts']
    payload = bytes.fromhex(facts['payload'])
    writer = store.open_writer('backups/k1/data')
    writer.write(payload[:5])
    writer.write(payload[5:])
    record = writer.commit()
    assert record == facts['record'] and record['size'] == 13
    with base.verified_reader(store, 'backups/k1/data', record['checksum'], 13) as reader:
        assert b''.join(reader) == payload
        assert reader.verified
    assert store.size('backups/k1/data') == 13
    assert store.delete('backups/k1/data') is True
    assert store.exists('backups/k1/data') is False
    assert store.list_names(swift.SEGMENT_PREFIX) == []
    server.check_done()


def test_catalogs_endpoint_for_the_region_and_interface_and_a_missing_object(replay):
    store, fixture, server = replay('missing')
    catalog = json.loads(body_bytes(fixture['exchanges'][0]['response_body']))['token']['catalog']
    endpoints = next(entry['endpoints'] for entry in catalog if entry['type'] == 'object-store')
    assert len(endpoints) == 3    # the store's and two decoys
    chosen = [e['url'] for e in endpoints
              if (e['region_id'], e['interface']) == ('RegionTwo', 'internal')]
    assert chosen == ['http://swift.invalid' + fixture['storage_path']]
    with pytest.raises(base.ObjectNotFound):
        store.open_reader('backups/missing/data')
    # The GET went to the chosen endpoint's account (the replay compares paths).
    assert server.position == 2 and server.mismatches == []
    assert fixture['exchanges'][1]['url'].startswith(chosen[0] + '/' + fixture['container'])
    assert (store.exists('backups/missing/data'), store.delete('backups/missing/data')) == (
        False, False)
    server.check_done()


@pytest.mark.parametrize('region, interface, decoy', [
    ('RegionOne', 'internal', None),      # RegionOne has no internal object-store
    ('RegionOne', 'public', '/v1/WRONG_REGION_AUTH_'),
    ('RegionTwo', 'public', '/v1/WRONG_INTERFACE_AUTH_'),
])
def test_another_region_or_interface_is_another_endpoint(replay, region, interface, decoy):
    store, fixture, server = replay('missing', region_name=region, interface=interface)
    with pytest.raises(base.StorageError) as caught:
        store.open_reader('backups/missing/data')
    if decoy is None:
        assert 'internal endpoint for object-store service in RegionOne region not found' in \
            caught.value.details
        assert server.position == 1 and server.mismatches == []
    else:
        # The replay still answers (its recorded 404), but notes the decoy account asked for.
        assert len(server.mismatches) == 1 and decoy in server.mismatches[0]


def test_a_refused_password_is_a_storage_error_without_the_password(replay):
    store, fixture, server = replay('wrong_password', password=WRONG_PASSWORD)
    with pytest.raises(base.StorageError) as caught:
        store.exists('backups/k1/data')
    assert 'Unauthorized' in caught.value.details and '401' in caught.value.details
    assert WRONG_PASSWORD not in json.dumps(caught.value.to_dict())
    assert WRONG_PASSWORD not in repr(store)
    server.check_done()


def test_the_password_and_token_never_show_in_logs_repr_or_errors(replay, caplog):
    caplog.set_level(logging.DEBUG)
    store, fixture, server = replay('commit_read_delete')
    payload = bytes.fromhex(fixture['facts']['payload'])
    writer = store.open_writer('backups/k1/data')
    writer.write(payload)
    record = writer.commit()
    with base.verified_reader(store, 'backups/k1/data', record['checksum'], 13) as reader:
        assert b''.join(reader) == payload
    assert store.size('backups/k1/data') == 13
    assert store.delete('backups/k1/data') is True
    assert store.exists('backups/k1/data') is False
    assert store.list_names(swift.SEGMENT_PREFIX) == []
    server.check_done()
    missing, _, _ = replay('missing')
    with pytest.raises(base.ObjectNotFound) as caught:
        missing.open_reader('backups/missing/data')
    assert caplog.records, 'keystoneauth and openstacksdk log at DEBUG: the check must see them'
    for text in (caplog.text, repr(store), repr(missing), json.dumps(caught.value.to_dict())):
        assert PASSWORD not in text
        assert TOKEN not in text
