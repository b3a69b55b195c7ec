"""Transient Swift failures are retried: the real recording of a commit, read and delete, with
Swift's own 503 answer (its proxy's "Service Unavailable") put before some of its requests.

The replay checks that each retry is the recorded request again (same path, query and bytes)
and that nothing is left unsent.
"""
import copy
import threading

import pytest

from api_service.drivers import storage
from api_service.drivers.storage import base
from tests.unit.http_replay import Replay
from tests.unit.test_swift_storage import (TOKEN, commit_read_delete, load,  # noqa: F401
                                           replay)

# What Swift 2.38's proxy answers when it cannot reach enough object servers.
SERVICE_UNAVAILABLE = {
    'status': 503,
    'response_headers': {'Content-Type': 'text/html; charset=UTF-8'},
    'response_body': {'text': '<html><h1>Service Unavailable</h1><p>The server is currently '
                              'unavailable. Please try again at a later time.</p></html>'}}


def unavailable_before(exchanges, wanted, times=1):
    """The exchanges with `times` 503 answers before each exchange `wanted(exchange)` picks."""
    result = []
    for exchange in exchanges:
        if wanted(exchange):
            failed = dict(copy.deepcopy(exchange), **copy.deepcopy(SERVICE_UNAVAILABLE))
            result += [failed] * times
        result.append(exchange)
    return result


def first_segment(exchange):
    return exchange['method'] == 'PUT' and exchange['url'].endswith('/0000000000000001/00000001')


def store_on(exchanges, fixture, servers, retries=3):
    server = Replay(exchanges)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    servers.append(server)
    store = storage.get_storage('swift', container=fixture['container'],
                                segment_size=fixture['segment_size'],
                                storage_url=server.url + fixture['storage_path'], token=TOKEN,
                                retries=retries, retry_delay=0.01)
    return store, server


@pytest.fixture
def servers(replay):   # replay: its fixed writer names, for the recorded segment paths
    started = []
    yield started
    for server in started:
        server.shutdown()
        server.server_close()


def test_a_503_on_a_segment_a_read_a_manifest_and_a_delete_is_retried(servers):
    fixture = load('commit_read_delete')
    exchanges = unavailable_before(fixture['exchanges'], lambda e: first_segment(e) or (
        e['method'] in ('GET', 'DELETE') and '/backups/b1/data' in e['url'].split('?')[0]
        and '?prefix' not in e['url']) or 'multipart-manifest=put' in e['url'])
    # The first segment, the manifest, the read, and three deletes (the object twice, a segment).
    assert sum(e.get('status') == 503 for e in exchanges) == 6
    store, server = store_on(exchanges, fixture, servers)
    commit_read_delete(store, fixture)
    server.check_done()


def test_a_segment_swift_keeps_refusing_fails_the_backup_after_its_retries(servers):
    fixture = load('commit_read_delete')
    # The streamed PUT and both retries answer 503; the writer then aborts and cleans up.
    exchanges = unavailable_before(fixture['exchanges'][:2], first_segment, times=3)[:4]
    store, server = store_on(exchanges, fixture, servers, retries=2)
    writer = store.open_writer('backups/b1/data')
    payload = bytes.fromhex(fixture['facts']['payload'])
    with pytest.raises(base.StorageError) as raised:
        writer.write(payload[:17])
    assert 'HTTP 503' in raised.value.details
    assert server.position == 4 and server.mismatches == []
