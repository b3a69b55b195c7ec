"""Restore's byte path: tar unpacking in-process, and zstd reading local objects directly."""
import hashlib
import io
import os
import stat
import subprocess
import tarfile
import threading

import pytest

from api_service.drivers.storage import (ChecksumMismatch, LocalObjectStore, VerifiedReader,
                                         verified_reader)
from api_service.guestagent.backup import streams, tarstream


def _tree(top):
    """{relative path: (kind, permission bits, contents)} of everything under `top`."""
    found = {}
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(root, name)
            info = os.lstat(path)
            kind = 'dir' if stat.S_ISDIR(info.st_mode) else 'file'
            with_data = None
            if kind == 'file':
                with open(path, 'rb') as handle:
                    with_data = handle.read()
            found[os.path.relpath(path, top)] = (kind, stat.S_IMODE(info.st_mode), with_data)
    return found


def _extract_bytes(archive, target, **kwargs):
    """Feed `archive` through a pipe into tarstream.extract, as the decompressor does."""
    read_fd, write_fd = os.pipe()
    feeder = subprocess.Popen(['cat'], stdin=subprocess.PIPE, stdout=write_fd)
    os.close(write_fd)
    try:
        feeder.stdin.write(archive)
        feeder.stdin.close()
        tarstream.extract(read_fd, str(target), **kwargs)
    finally:
        os.close(read_fd)
        feeder.wait()


@pytest.fixture
def source(tmp_path):
    top = tmp_path / 'src'
    (top / 'base' / ('d' * 120)).mkdir(parents=True)      # a GNU long name below
    (top / 'base' / ('d' * 120) / ('f' * 110)).write_bytes(os.urandom(70_000))
    (top / 'global').mkdir()
    (top / 'global' / 'pg_control').write_bytes(os.urandom(8192))
    (top / 'empty').write_bytes(b'')
    (top / 'PG_VERSION').write_bytes(b'15\n')
    os.chmod(top / 'PG_VERSION', 0o640)
    os.chmod(top / 'empty', 0o600)
    return top


@pytest.mark.parametrize('tar_format', ['gnu', 'pax', 'ustar'])
def test_extract_writes_the_same_tree_tar_would(source, tmp_path, tar_format):
    names = sorted(os.listdir(source))
    if tar_format == 'ustar':    # ustar cannot hold the 230-character name
        names.remove('base')
    archive = subprocess.run(['tar', '-c', '-f', '-', '--format', tar_format, '-C', str(source),
                              '--'] + names, capture_output=True, check=True).stdout
    expected = tmp_path / 'by-tar'
    expected.mkdir()
    subprocess.run(['tar', '-x', '-f', '-', '-C', str(expected)], input=archive, check=True)
    ours = tmp_path / 'ours'
    ours.mkdir()
    # As root, entries go to the engine's user (here: nobody); otherwise they stay ours.
    owner = (65534, 65534) if os.geteuid() == 0 else None
    _extract_bytes(archive, ours, owner=owner)
    assert _tree(ours) == _tree(expected)
    owners = {(os.lstat(os.path.join(ours, path)).st_uid, os.lstat(os.path.join(ours, path)).st_gid)
              for path in _tree(ours)}
    assert owners == {owner or (os.getuid(), os.getgid())}


def test_extract_takes_a_leading_dot_directory(source, tmp_path):
    archive = subprocess.run(['tar', '-c', '-f', '-', '-C', str(source), '.'],
                             capture_output=True, check=True).stdout
    ours = tmp_path / 'ours'
    ours.mkdir()
    _extract_bytes(archive, ours)
    assert _tree(ours) == _tree(source)


def _archive(*members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w', format=tarfile.GNU_FORMAT) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def _member(name, data=b'x', kind=tarfile.REGTYPE, link=''):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(data) if kind == tarfile.REGTYPE else 0
    return info, data if kind == tarfile.REGTYPE else None


@pytest.mark.parametrize('bad, says', [
    (_member('../escape'), 'path'),
    (_member('/etc/escape'), 'path'),
    (_member('a/../../escape'), 'path'),
    (_member('link', kind=tarfile.SYMTYPE, link='/etc'), 'symbolic link'),
    (_member('hard', kind=tarfile.LNKTYPE, link='/etc/passwd'), 'hard link'),
    (_member('fifo', kind=tarfile.FIFOTYPE), 'FIFO'),
    (_member('dev', kind=tarfile.CHRTYPE), 'character device'),
])
def test_extract_refuses_what_a_data_directory_never_holds(tmp_path, bad, says):
    target = tmp_path / 'deep' / 'target'
    target.mkdir(parents=True)
    archive = _archive(_member('ok/first'), bad, _member('after'))
    with pytest.raises(tarstream.UnsafeMember) as raised:
        _extract_bytes(archive, target)
    assert says in str(raised.value)
    assert sorted(_tree(tmp_path)) == ['deep', 'deep/target', 'deep/target/ok',
                                       'deep/target/ok/first']   # nothing else, anywhere


@pytest.mark.parametrize('planted', ['global', 'PG_VERSION'])
def test_extract_never_follows_a_link_planted_in_the_target(source, tmp_path, planted):
    # The target belongs to the engine's user, who could plant links while root unpacks.
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'PG_VERSION').write_bytes(b'untouched')
    target = tmp_path / 'ours'
    target.mkdir()
    os.symlink(outside if planted == 'global' else outside / 'PG_VERSION', target / planted)
    archive = subprocess.run(['tar', '-c', '-f', '-', '-C', str(source), '.'],
                             capture_output=True, check=True).stdout
    with pytest.raises(tarstream.UnsafeMember) as raised:
        _extract_bytes(archive, target)
    assert planted in str(raised.value)
    assert sorted(os.listdir(outside)) == ['PG_VERSION']
    assert (outside / 'PG_VERSION').read_bytes() == b'untouched'


def test_extract_says_when_the_stream_ends_early(source, tmp_path):
    archive = subprocess.run(['tar', '-c', '-f', '-', '-C', str(source), '.'],
                             capture_output=True, check=True).stdout
    (tmp_path / 'ours').mkdir()
    with pytest.raises(EOFError):
        _extract_bytes(archive[:len(archive) // 2 + 100], tmp_path / 'ours')


# ------------------------------------------------- local objects read directly

@pytest.fixture
def stored(tmp_path):
    """A zstd-compressed object in a local store: (store, record, the raw bytes)."""
    store = LocalObjectStore(str(tmp_path / 'objects'))
    data = os.urandom(3 * 1024 * 1024).hex().encode()
    packed = subprocess.run(['zstd', '-1', '-q', '-c'], input=data, capture_output=True,
                            check=True).stdout
    with store.open_writer('backups/a/data') as writer:
        writer.write(packed)
        record = dict(writer.commit(), key='backups/a/data')
    return store, record, data


def _flip_middle_byte(path):
    with open(path, 'r+b') as handle:
        handle.seek(os.path.getsize(path) // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))


def test_zstd_reads_a_local_object_itself_and_it_is_still_verified(stored, tmp_path):
    store, record, data = stored
    with verified_reader(store, record['key'], record['checksum'], record['size']) as reader:
        with open(tmp_path / 'out', 'wb') as sink:
            streams.get_codec('zstd').decompress(reader, sink)
        assert reader.verified and reader._shared_fd is not None   # the direct path was taken
    assert (tmp_path / 'out').read_bytes() == data

    _flip_middle_byte(store.path(record['key']))
    with verified_reader(store, record['key'], record['checksum'], record['size']) as reader:
        with pytest.raises(ChecksumMismatch):
            with open(tmp_path / 'out', 'wb') as sink:
                streams.get_codec('zstd').decompress(reader, sink)


def test_a_reader_already_read_from_is_not_shared(stored):
    store, record, _ = stored
    with verified_reader(store, record['key'], record['checksum']) as reader:
        assert reader.read(10)
        assert reader.share_file() is None
        reader.drain()
        assert reader.verified


def test_the_checksum_error_wins_over_what_the_corrupted_stream_did_to_the_consumer(stored):
    store, record, _ = stored
    _flip_middle_byte(store.path(record['key']))
    with verified_reader(store, record['key'], record['checksum']) as reader:
        with pytest.raises(ChecksumMismatch):
            with streams.decompressed_pipe(streams.get_codec('zstd'), reader) as stream:
                os.read(stream, 4096)
                raise tarstream.UnsafeMember('garbage, as a corrupted stream gives')


@pytest.mark.parametrize('codec_name', ['zstd', 'gzip'])
def test_a_streamed_object_unpacks_through_the_pipe_too(source, tmp_path, codec_name):
    # What a Swift object (no local file) takes: the codec feeds from Python.
    archive = subprocess.run(['tar', '-c', '-f', '-', '-C', str(source), '.'],
                             capture_output=True, check=True).stdout
    codec = streams.get_codec(codec_name)
    packed = []
    feeder = subprocess.Popen(['cat'], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    writer = threading.Thread(target=lambda: (feeder.stdin.write(archive), feeder.stdin.close()))
    writer.start()
    codec.compress(feeder.stdout, packed.append)
    writer.join()
    feeder.wait()
    packed = b''.join(packed)
    reader = VerifiedReader(io.BytesIO(packed), 'sha256:' + hashlib.sha256(packed).hexdigest())
    assert reader.share_file() is None
    (tmp_path / 'ours').mkdir()
    with streams.decompressed_pipe(codec, reader) as stream:
        tarstream.extract(stream, str(tmp_path / 'ours'))
    assert reader.verified and _tree(tmp_path / 'ours') == _tree(source)
