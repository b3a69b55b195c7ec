"""Compression codecs and the byte pipes between engine tools and backup objects.

Throughput decides the codec. On the 2-core machines this runs on, zlib at
level 1 compresses random-ish table data at ~95 MB/s per core, far under
what mariadb-backup or pg_basebackup produce (300-800 MB/s), while zstd -1
runs at ~330-360 MB/s per core with a better ratio (bench/backup_throughput.py).
So `zstd` (the zstd command, fed through pipes, two threads) is the default
when the command is installed, and `gzip` (zlib in a thread pool, one gzip
member per 4 MiB block, which every gunzip reads) is the fallback. A
negative zstd level means --fast=N. A backup records its codec, and
restore uses the one recorded.

A tap (see tarstream.TarCapture) watches the raw stream on its way to the
codec. Every function here reads its input to the end, so a VerifiedReader always
reaches the point where it checks its checksum, also when the consumer (tar,
mbstream) stops reading early.
"""
import abc
import collections
import concurrent.futures
import contextlib
import fcntl
import os
import shutil
import subprocess
import threading
import zlib

from api_service.drivers import storage
from api_service.guestagent import errors

CHUNK = 1024 * 1024
_F_SETPIPE_SZ = getattr(fcntl, 'F_SETPIPE_SZ', 1031)


class CorruptStream(errors.EngineError):
    """The stored bytes do not decompress (checked against the checksum before being reported)."""

    message = 'The backup could not be decompressed.'


def widen_pipe(stream):
    """Best effort: a 1 MiB pipe buffer, so fewer, larger reads and writes cross it."""
    try:
        fcntl.fcntl(stream.fileno(), _F_SETPIPE_SZ, CHUNK)
    except (OSError, ValueError, AttributeError):
        pass


def read_chunks(source):
    """1 MiB chunks (the last one shorter) from a pipe, file or reader until EOF.

    Whole chunks, not whatever a pipe holds: pg_basebackup writes 8 KiB at a
    time, and that many trips through Python would halve the throughput.
    """
    while True:
        data = source.read(CHUNK)
        if not data:
            return
        yield data


def drain(reader):
    """Read `reader` to its end, discarding, so a VerifiedReader checks its checksum."""
    if hasattr(reader, 'drain'):
        reader.drain()
    else:
        while reader.read(CHUNK):
            pass


def write_all(sink, data):
    """Write to a pipe or file object; False once its reader went away."""
    try:
        sink.write(data)
    except BrokenPipeError:
        return False
    return True


class Codec(abc.ABC):
    """A compression format: how a backup stream is packed and unpacked."""

    name = None

    @abc.abstractmethod
    def compress(self, source, write, tap=None):
        """Read `source` (a pipe; consumed and closed) to EOF, passing each raw chunk to `tap`,
        and call `write(bytes)` with the compressed stream."""

    @abc.abstractmethod
    def decompress(self, reader, sink):
        """Read `reader` to its end and write the decompressed bytes into `sink` (a pipe or
        file; closed afterwards). A sink that stops reading early does not stop the draining."""


class GzipCodec(Codec):
    """gzip at a low level, compressed by a thread pool (zlib releases the GIL)."""

    name = 'gzip'

    def __init__(self, level=1, threads=2, block_size=4 * CHUNK):
        self.level, self.threads, self.block_size = level, threads, block_size

    def _blocks(self, source, tap):
        block = bytearray()
        for data in read_chunks(source):
            if tap is not None:
                tap(data)
            block += data
            if len(block) >= self.block_size:
                yield bytes(block)
                block.clear()
        if block:
            yield bytes(block)

    def _member(self, block):
        packer = zlib.compressobj(self.level, zlib.DEFLATED, 31)
        return packer.compress(block) + packer.flush()

    def compress(self, source, write, tap=None):
        try:
            with concurrent.futures.ThreadPoolExecutor(self.threads) as pool:
                pending = collections.deque()
                try:
                    for block in self._blocks(source, tap):
                        pending.append(pool.submit(self._member, block))
                        while len(pending) > self.threads:
                            write(pending.popleft().result())
                    while pending:
                        write(pending.popleft().result())
                finally:
                    for future in pending:
                        future.cancel()
        finally:
            source.close()

    def decompress(self, reader, sink):
        open_sink = True
        unpacker = zlib.decompressobj(31)
        started = False
        try:
            for data in read_chunks(reader):
                while data:
                    if not open_sink:
                        break
                    try:
                        out = unpacker.decompress(data, 4 * CHUNK)
                    except zlib.error as exc:
                        raise CorruptStream(details='gzip: %s' % exc)
                    started = True
                    if out and not write_all(sink, out):
                        open_sink = False
                    if unpacker.eof:
                        # The next gzip member, if any, starts in what was left over.
                        data = unpacker.unused_data
                        unpacker = zlib.decompressobj(31)
                        started = False
                    else:
                        data = unpacker.unconsumed_tail
                if not open_sink:
                    break
            if open_sink and started:
                raise CorruptStream(details='gzip: the stream ends inside a member')
            drain(reader)
        finally:
            _close(sink)


class ZstdCodec(Codec):
    """zstd through the `zstd` command, multithreaded, streaming between pipes."""

    name = 'zstd'

    def __init__(self, level=1, threads=2, binary=None):
        self.level, self.threads = level, threads
        self.binary = binary or shutil.which('zstd') or '/usr/bin/zstd'

    def _spawn(self, argv, **kwargs):
        try:
            return subprocess.Popen([self.binary] + argv, close_fds=True, **kwargs)
        except OSError as exc:
            raise errors.EngineError('The zstd command is not available on this host.',
                                     details=str(exc))

    def compress(self, source, write, tap=None):
        level = '-%d' % self.level if self.level > 0 else '--fast=%d' % -self.level
        argv = [level, '-T%d' % self.threads, '-q', '-c']
        if tap is None:
            # The tool's pipe goes straight into zstd: no copy through Python.
            proc = self._spawn(argv, stdin=source, stdout=subprocess.PIPE)
            source.close()
            feeder = None
        else:
            proc = self._spawn(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            widen_pipe(proc.stdin)
            feeder = _Thread(self._feed, source, proc.stdin, tap)
        widen_pipe(proc.stdout)
        try:
            for data in read_chunks(proc.stdout):
                write(data)
            status = proc.wait()
            if feeder is not None:
                feeder.join_and_raise()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            proc.stdout.close()
        if status != 0:
            raise errors.EngineError('Compressing the backup failed.',
                                     details='zstd exited with status %d' % status)

    @staticmethod
    def _feed(source, sink, tap):
        try:
            if getattr(tap, 'pump', None) is not None and hasattr(os, 'splice'):
                # The tap sees only what it needs; the rest moves pipe to pipe.
                try:
                    tap.pump(source.fileno(), sink.fileno())
                except BrokenPipeError:
                    pass
                return
            for data in read_chunks(source):
                tap(data)
                if not write_all(sink, data):
                    return
        finally:
            source.close()
            _close(sink)

    def decompress(self, reader, sink):
        shared = getattr(reader, 'share_file', lambda: None)()
        if shared is not None:
            self._decompress_file(reader, shared, sink)
            return
        proc = self._spawn(['-d', '-q', '-c'], stdin=subprocess.PIPE, stdout=sink)
        _close(sink)
        widen_pipe(proc.stdin)
        try:
            for data in read_chunks(reader):
                if not write_all(proc.stdin, data):
                    break
            drain(reader)
        except BaseException:
            proc.kill()
            raise
        finally:
            _close(proc.stdin)
            status = proc.wait()
        _check_unpacked(status)

    def _decompress_file(self, reader, fd, sink):
        # A local object: zstd reads the file itself while this thread hashes
        # it (reader.drain), instead of every byte passing through Python.
        proc = self._spawn(['-d', '-q', '-c'], stdin=fd, stdout=sink)
        _close(sink)
        try:
            reader.drain()
        except BaseException:
            proc.kill()
            raise
        finally:
            status = proc.wait()
        _check_unpacked(status)


def _check_unpacked(status):
    """zstd -d's exit status, checked once the reader was drained (its checksum error wins)."""
    if status != 0:
        raise CorruptStream(details='zstd -d exited with status %d' % status)


@contextlib.contextmanager
def decompressed_pipe(codec, reader):
    """The read end of a pipe that `codec` fills, from a thread, with `reader` decompressed.

    The consumer reads it to its end. The thread always reads `reader` to its
    end (so its checksum is checked); a ChecksumMismatch it meets wins over the
    consumer's own error, which a corrupted stream usually causes.
    """
    read_fd, write_fd = os.pipe()
    sink = os.fdopen(write_fd, 'wb', buffering=0)
    widen_pipe(sink)
    worker = _Thread(codec.decompress, reader, sink)
    try:
        yield read_fd
    except BaseException:
        os.close(read_fd)
        read_fd = None
        worker.join()
        if isinstance(worker.error, storage.ChecksumMismatch):
            raise worker.error
        raise
    finally:
        if read_fd is not None:
            os.close(read_fd)
    worker.join_and_raise()


class _Thread(threading.Thread):
    """A thread whose exception is re-raised by join_and_raise()."""

    def __init__(self, target, *args):
        super().__init__(daemon=True)
        self._call, self._args, self.error = target, args, None
        self.start()

    def run(self):
        try:
            self._call(*self._args)
        except BaseException as exc:  # handed to the joining thread
            self.error = exc

    def join_and_raise(self):
        self.join()
        if self.error is not None:
            raise self.error


def _close(stream):
    try:
        stream.close()
    except (BrokenPipeError, OSError):
        pass


CODECS = {'gzip': GzipCodec, 'zstd': ZstdCodec}


def default_codec_name():
    """zstd when its command is installed, else gzip (stdlib)."""
    return 'zstd' if shutil.which('zstd') else 'gzip'


def get_codec(name=None, level=None):
    """A codec by name ('zstd', 'gzip'); the default one when name is None."""
    name = name or default_codec_name()
    try:
        cls = CODECS[name]
    except KeyError:
        raise errors.BadRequest('Unknown backup compression %r.' % (name,))
    return cls() if level is None else cls(level=level)
