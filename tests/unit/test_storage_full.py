"""A full backup store (#15): StoreFull in words wherever the filesystem says ENOSPC, and no
partial left behind. The functional test (test_faults_storage.py) fills a real tmpfs."""
import errno
import os

import pytest

from api_service.drivers import storage
from api_service.drivers.storage import local
from api_service.guestagent import service as guest_service

KEY = 'backups/0b7e3c1e-0000-4000-8000-000000000001/data.zst'


def _no_room(*_args):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _write_then_full(room):
    """os.write that accepts `room` bytes in all, then says the filesystem is full."""
    left = [room]
    real_write = os.write

    def write(fd, data):
        if left[0] <= 0:
            _no_room()
        count = real_write(fd, bytes(data[:left[0]]))
        left[0] -= count
        return count
    return write


def test_a_write_meeting_a_full_filesystem_is_store_full_and_leaves_no_partial(tmp_path,
                                                                             monkeypatch):
    store = local.LocalObjectStore(str(tmp_path))
    monkeypatch.setattr(local.os, 'write', _write_then_full(5000))
    with pytest.raises(storage.StoreFull) as caught:
        with store.open_writer(KEY) as writer:
            writer.write(b'x' * 4096)            # fits
            writer.write(b'y' * 4096)            # half of it does not
    assert 'The backup store is full' in caught.value.message
    assert 'No space left on device' in caught.value.details     # for operators only
    assert store.list_partials() == []
    assert not store.exists(KEY)


@pytest.mark.parametrize('call', ['fsync', 'rename'])
def test_no_room_at_commit_is_store_full_too(tmp_path, monkeypatch, call):
    # On a disk filesystem the fsync, or the directory backups/<id>/ made at commit, is where
    # a nearly full one says so.
    store = local.LocalObjectStore(str(tmp_path))
    writer = store.open_writer(KEY)
    writer.write(b'data')
    monkeypatch.setattr(local.os, call, _no_room)
    with pytest.raises(storage.StoreFull):
        writer.commit()
    assert writer.state == 'aborted'
    assert store.list_partials() == []
    assert not store.exists(KEY)


def test_no_room_for_the_partial_itself_is_store_full(tmp_path, monkeypatch):
    store = local.LocalObjectStore(str(tmp_path))
    monkeypatch.setattr(local.os, 'open', _no_room)
    with pytest.raises(storage.StoreFull):
        store.open_writer(KEY)


def test_other_write_errors_are_not_called_a_full_store(tmp_path, monkeypatch):
    store = local.LocalObjectStore(str(tmp_path))
    monkeypatch.setattr(local.os, 'write', lambda *_: (_ for _ in ()).throw(
        OSError(errno.EIO, 'I/O error')))
    with pytest.raises(OSError) as caught:
        with store.open_writer(KEY) as writer:
            writer.write(b'x')
    assert not isinstance(caught.value, storage.StoreFull)
    assert store.list_partials() == []


def test_the_guest_reports_the_store_full_in_its_words():
    # What the conductor records as the backup's reason and the instance's fault.
    message = guest_service._tenant_message(storage.StoreFull(details='/a/path: ENOSPC'),
                                            'The backup failed')
    assert message.startswith('The backup store is full')
    assert '/a/path' not in message and len(message) <= 255     # fail_reason's column


@pytest.mark.parametrize('code', [413, 507])
def test_swift_refusing_an_upload_for_room_is_store_full(code):
    # 413: over a container or account quota; 507: the object servers have no room.
    from unittest import mock

    from api_service.drivers.storage import swift
    store = swift.SwiftObjectStore('c', storage_url='http://127.0.0.1:9/v1/AUTH_x', token='t')
    assert isinstance(store.error('PUT', 'seg/1', mock.Mock(status_code=code)), storage.StoreFull)
    other = store.error('PUT', 'seg/1', mock.Mock(status_code=500))
    assert not isinstance(other, storage.StoreFull)
    assert not isinstance(store.error('GET', 'x', mock.Mock(status_code=413)), storage.StoreFull)
