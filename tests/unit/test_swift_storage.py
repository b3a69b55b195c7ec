"""The Swift backup store against exchanges recorded from a real Swift (tests/fixtures/swift/).

A loopback HTTP server replays one recording in order: each request the
driver sends must be the recorded one (method, path, query and, for writes,
the exact body), and gets the recorded answer. A driver that asks for
something else, in another order, or sends other bytes, fails the test; so
does one that leaves recorded requests unsent. Re-record with
scripts/record_swift_fixtures.py.
"""
import itertools
import json
import os
import threading
from unittest import mock

import pytest

from api_service.drivers import storage
from api_service.drivers.storage import base
from api_service.drivers.storage import swift
from tests.unit.http_replay import Replay, body_bytes as _bytes

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'fixtures', 'swift')
TOKEN = 'SCRUBBED-TOKEN'
RECORDED_ADDRESS = 'http://swift.invalid'


def load(name):
    with open(os.path.join(FIXTURES, '%s.json' % name)) as handle:
        return json.load(handle)


@pytest.fixture
def replay():
    """replay(name) -> (store, fixture, server), the store talking to the replayed recording."""
    servers = []

    def start(name, container=None):
        fixture = load(name)
        server = Replay(fixture['exchanges'])
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        store = storage.get_storage('swift', container=container or fixture['container'],
                                    segment_size=fixture['segment_size'],
                                    storage_url=server.url + fixture['storage_path'],
                                    token=TOKEN)
        return store, fixture, server

    counter = itertools.count(1)
    with mock.patch.object(swift.secrets, 'token_hex', lambda n=8: '%016x' % next(counter)):
        yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def data(size, seed):
    return bytes((seed + i * 7) % 251 for i in range(size))


def test_object_is_visible_only_after_commit_and_reads_back_exactly(replay):
    store, fixture, server = replay('commit_read_delete')
    commit_read_delete(store, fixture)
    server.check_done()


def commit_read_delete(store, fixture):
    """The recorded scenario: write in three pieces, commit, read back, delete twice."""
    payload = bytes.fromhex(fixture['facts']['payload'])
    writer = store.open_writer('backups/b1/data')
    writer.write(payload[:7])
    writer.write(payload[7:17])
    assert store.exists('backups/b1/data') is False
    writer.write(payload[17:])
    record = writer.commit()
    assert record == fixture['facts']['record']
    assert record['size'] == 20
    with base.verified_reader(store, 'backups/b1/data', record['checksum'], 20) as reader:
        assert b''.join(reader) == payload
        assert reader.verified
    assert store.exists('backups/b1/data') is True
    assert store.size('backups/b1/data') == 20
    assert store.delete('backups/b1/data') is True
    assert store.exists('backups/b1/data') is False
    assert store.list_names(swift.SEGMENT_PREFIX) == []
    assert store.delete('backups/b1/data') is False


def test_a_location_addresses_another_container_of_the_account(replay):
    # The store's own container is another one: every request must still go to the recorded one.
    store, fixture, server = replay('commit_read_delete', container='deployment_default')
    key = swift.location(fixture['container'], 'backups/b1/data')
    assert swift.split_location(key) == (fixture['container'], 'backups/b1/data')
    payload = bytes.fromhex(fixture['facts']['payload'])
    writer = store.open_writer(key)
    writer.write(payload[:7])
    writer.write(payload[7:17])
    assert store.exists(key) is False
    writer.write(payload[17:])
    record = writer.commit()
    assert record == fixture['facts']['record']
    with base.verified_reader(store, key, record['checksum'], 20) as reader:
        assert b''.join(reader) == payload
    assert store.exists(key) is True and store.size(key) == 20
    assert store.delete(key) is True and store.exists(key) is False
    assert store.in_container(fixture['container']).list_names(swift.SEGMENT_PREFIX) == []
    assert store.delete(key) is False
    server.check_done()


def test_bad_locations_are_invalid_keys():
    store = swift.SwiftObjectStore('c', storage_url='http://swift.invalid', token='t')
    for key in ('swift:///backups/x', 'swift://c', 'swift://c/../x', 'swift://c/'):
        with pytest.raises(base.InvalidKey):
            store.exists(key)
    with pytest.raises(base.InvalidKey):
        storage.LocalObjectStore('/nonexistent').exists(swift.location('c', 'backups/x/data'))


def test_recording_has_segments_of_the_bytes_then_the_manifest_then_the_marker():
    fixture = load('commit_read_delete')
    puts = [e for e in fixture['exchanges'] if e['method'] == 'PUT']
    segments = [_bytes(e['request_body']) for e in puts if '/.segments/' in e['url']
                and not e['url'].endswith('/committed')]
    manifest_put, marker_put = puts[-2:]
    manifest = json.loads(_bytes(manifest_put['request_body']))
    assert 'multipart-manifest=put' in manifest_put['url']
    assert [len(s) for s in segments] == [8, 8, 4]
    assert b''.join(segments) == bytes.fromhex(fixture['facts']['payload'])
    assert [entry['size_bytes'] for entry in manifest] == [8, 8, 4]
    assert manifest_put['request_headers'][swift.SEGMENTS_HEADER] == '0000000000000001'
    assert marker_put['url'].endswith('/.segments/backups/b1/data/0000000000000001/committed')
    assert _bytes(marker_put['request_body']) == b''


def test_empty_object_is_stored_plain(replay):
    store, fixture, server = replay('empty_object')
    record = store.open_writer('backups/empty/data').commit()
    assert record == fixture['facts']['record']
    with base.verified_reader(store, 'backups/empty/data', record['checksum'], 0) as reader:
        assert reader.read() == b''
        assert reader.verified
    assert store.size('backups/empty/data') == 0
    # multipart-manifest=delete refuses a plain object; the store falls back to a plain DELETE.
    assert store.delete('backups/empty/data') is True
    server.check_done()


def test_abort_breaks_off_the_segment_in_flight_and_leaves_nothing(replay):
    store, fixture, server = replay('abort')
    writer = store.open_writer('backups/b2/data')
    writer.write(data(8, 2))
    writer.write(data(5, 3))
    writer.abort()
    assert writer.state == 'aborted'
    assert store.exists('backups/b2/data') is False
    assert store.list_names(swift.SEGMENT_PREFIX) == []
    server.check_done()


def test_a_writer_left_by_an_exception_is_aborted(replay):
    store, fixture, server = replay('abort')
    with pytest.raises(RuntimeError):
        with store.open_writer('backups/b2/data') as writer:
            writer.write(data(8, 2))
            writer.write(data(5, 3))
            raise RuntimeError('the engine tool died')
    assert store.exists('backups/b2/data') is False
    assert store.list_names(swift.SEGMENT_PREFIX) == []
    server.check_done()


def test_missing_object(replay):
    store, fixture, server = replay('missing')
    with pytest.raises(base.ObjectNotFound):
        store.open_reader('backups/missing/data')
    with pytest.raises(base.ObjectNotFound):
        store.size('backups/missing/data')
    assert store.exists('backups/missing/data') is False
    assert store.delete('backups/missing/data') is False
    server.check_done()


def test_checksum_mismatch_is_raised_at_the_end_of_the_stream(replay):
    store, fixture, server = replay('checksum_mismatch')
    payload = data(12, 4)
    writer = store.open_writer('backups/b3/data')
    for start in range(0, 12, 4):
        writer.write(payload[start:start + 4])
    record = writer.commit()
    assert record == fixture['facts']['record']
    with pytest.raises(base.ChecksumMismatch):
        base.verify_object(store, 'backups/b3/data', fixture['facts']['wrong_checksum'], 12)
    base.verify_object(store, 'backups/b3/data', record['checksum'], 12)
    assert store.delete('backups/b3/data') is True
    server.check_done()


def test_cleanup_removes_only_writers_that_died(replay):
    store, fixture, server = replay('cleanup_partials')
    facts = fixture['facts']
    assert _write(store, 'backups/b4/data', data(20, 5)) == facts['committed']
    assert _write(store, 'backups/b6/data', data(10, 7)) == facts['unmarked']
    store.expect((204,), 'DELETE', '.segments/backups/b6/data/0000000000000002/committed')
    dead = store.open_writer('backups/b5/data')
    dead.write(data(16, 6))
    store.mark_committed('.segments/backups/b7/data/00000000000000ff/')
    with mock.patch.object(swift, '_now', side_effect=facts['clock']):
        assert store.cleanup_partials(3600) == 0      # still fresh: spared
        assert store.cleanup_partials(1) == 1         # stale and uncommitted: removed
    names = [name for name, _ in store.list_names(swift.SEGMENT_PREFIX)]
    assert names == facts['segments_left']
    # b4's and b6's segments and markers (b6 marked again by the janitor); b5 and b7 gone.
    assert names == ['.segments/backups/b4/data/0000000000000001/%s' % n
                     for n in ('00000001', '00000002', '00000003', 'committed')] + [
                    '.segments/backups/b6/data/0000000000000002/%s' % n
                     for n in ('00000001', '00000002', 'committed')]
    assert store.size('backups/b4/data') == 20
    assert store.delete('backups/b4/data') is True
    assert store.delete('backups/b6/data') is True
    assert store.list_names(swift.SEGMENT_PREFIX) == []      # deletes leave nothing behind
    server.check_done()


def test_cleanup_asks_swift_only_about_writers_without_a_marker():
    sweep = _second_sweep(load('cleanup_partials')['exchanges'])
    heads = [e['url'].split('/database_backups/')[1] for e in sweep if e['method'] == 'HEAD']
    assert heads == ['backups/b5/data', 'backups/b6/data']    # not b4: its marker says enough
    assert [e['url'].rsplit('/', 4)[-4:] for e in sweep if e['method'] == 'PUT'] == [
        ['b6', 'data', '0000000000000002', 'committed']]


def _second_sweep(exchanges):
    """The exchanges of the second cleanup_partials: from the second segment listing on,
    up to the listing the test makes after it."""
    listings = [i for i, e in enumerate(exchanges) if e['method'] == 'GET'
                and 'prefix=.segments%2F' in e['url'] and 'marker=&' in e['url']]
    return exchanges[listings[1] + 1:listings[2]]


def _write(store, key, payload, pieces=3):
    writer = store.open_writer(key)
    step = max(1, len(payload) // pieces)
    for start in range(0, len(payload), step):
        writer.write(payload[start:start + step])
    return writer.commit()


def test_replay_notices_a_driver_that_sends_other_bytes(replay):
    store, fixture, server = replay('checksum_mismatch')
    writer = store.open_writer('backups/b3/data')
    with pytest.raises(base.StorageError) as caught:
        # The recorded ETag is not the MD5 of these bytes: the first segment fails.
        writer.write(b'not what was recorded')
    assert 'etag' in caught.value.details
    assert server.mismatches


def test_credentials_never_show_in_the_store_or_its_errors():
    store = swift.SwiftObjectStore('c', auth_url='http://127.0.0.1:9/v3', username='u',
                                   password='hunter2-secret', project_name='p')
    assert 'hunter2' not in repr(store)
    with pytest.raises(base.StorageError) as caught:
        store.exists('backups/x/data')
    assert 'hunter2' not in str(caught.value.to_dict())


def test_bad_options_are_refused():
    with pytest.raises(base.StorageError):
        swift.SwiftObjectStore('a/b', storage_url='http://x', token='t')
    with pytest.raises(base.StorageError):
        swift.SwiftObjectStore('c', segment_size=6 * 1024 ** 3, storage_url='http://x', token='t')
    with pytest.raises(base.StorageError):
        swift.SwiftObjectStore('c').exists('backups/x/data')


def test_configured_backend_reaches_the_server_and_the_guest():
    from oslo_config import cfg

    from api_service.common import config  # noqa: F401 - registers [backup_swift]
    from api_service.domain import backups
    from api_service.drivers.compute import local_instances
    conf = cfg.CONF
    assert local_instances._guest_storage_lines() == []       # local: the guest default
    conf.set_override('storage_backend', 'swift', 'backup')
    conf.set_override('container', 'tenant_backups', 'backup_swift')
    conf.set_override('storage_url', 'http://swift.invalid/v1/AUTH_p', 'backup_swift')
    conf.set_override('token', 'secret-token', 'backup_swift')
    try:
        store = backups.object_store()
        assert isinstance(store, swift.SwiftObjectStore)
        assert store.container == 'tenant_backups'
        lines = local_instances._guest_storage_lines()
        assert lines[:2] == ['backup_storage_backend = swift', '[backup_swift]']
        assert 'container = tenant_backups' in lines and 'token = secret-token' in lines
    finally:
        for name, group in (('storage_backend', 'backup'), ('container', 'backup_swift'),
                            ('storage_url', 'backup_swift'), ('token', 'backup_swift')):
            conf.clear_override(name, group)
