"""Compression codecs and the byte pipes between engine tools and backup objects.

Throughput decides the codec. On the 2-core machines this runs on, zlib at
level 1 compresses random-ish table data at ~95 MB/s per core, well under
what mariadb-backup or pg_basebackup produce (300-700 MB/s), while zstd -1
runs at ~360 MB/s per core with a slightly better ratio (bench/backup_throughput.py).
So `zstd` (the zstd command, fed through pipes, two threads) is the default
when the command is installed, and `gzip` (zlib in a thread pool, one gzip
member per 4 MiB block, which every gunzip reads) is the fallback. A backup
records its codec, and restore uses the one recorded.

Every function here reads its input to the end, so a VerifiedReader always
reaches the point where it checks its checksum, also when the consumer (tar,
mbstream) stops reading early.
"""
import abc
import collections
import concurrent.futures
import fcntl
import shutil
import subprocess
import threading
import zlib

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
    """Chunks from a pipe, file or reader until EOF: whatever is there, up to 1 MiB each."""
    read = getattr(source, 'read1', None) or source.read
    while True:
        data = read(CHUNK)
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
        argv = ['-%d' % self.level, '-T%d' % self.threads, '-q', '-c']
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
            for data in read_chunks(source):
                tap(data)
                if not write_all(sink, data):
                    return
        finally:
            source.close()
            _close(sink)

    def decompress(self, reader, sink):
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
        if status != 0:
            raise CorruptStream(details='zstd -d exited with status %d' % status)


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


class TarCapture:
    """A tap that keeps the contents of chosen members of a tar stream passing by.

    pg_basebackup's tar carries backup_label and backup_manifest; reading them
    on the way saves a second pass over the backup. Handles ustar, pax ('x',
    'g') and GNU long-name ('L') headers.
    """

    def __init__(self, names):
        self.names = set(names)
        self.members = {}
        self._header = bytearray()
        self._remaining = 0       # bytes of member data still to come
        self._padding = 0         # bytes of padding after it
        self._target = None       # bytearray receiving the current member
        self._pending_name = None
        self._long_name = None
        self._done = False

    def __call__(self, data):
        view = memoryview(data)
        while view and not self._done:
            if self._remaining:
                take = min(self._remaining, len(view))
                if self._target is not None:
                    self._target += view[:take]
                self._remaining -= take
                view = view[take:]
                if not self._remaining:
                    self._end_member()
            elif self._padding:
                take = min(self._padding, len(view))
                self._padding -= take
                view = view[take:]
            else:
                take = min(512 - len(self._header), len(view))
                self._header += view[:take]
                view = view[take:]
                if len(self._header) == 512:
                    self._start_member(bytes(self._header))
                    self._header.clear()

    def _start_member(self, header):
        if header == bytes(512):
            self._done = True
            return
        name = header[0:100].split(b'\0', 1)[0]
        prefix = header[345:500].split(b'\0', 1)[0]
        if prefix and header[257:262] == b'ustar':
            name = prefix + b'/' + name
        size = _tar_size(header[124:136])
        kind = header[156:157]
        if self._long_name is not None:
            name, self._long_name = self._long_name, None
        name = name.decode('utf-8', 'replace')
        while name.startswith('./'):
            name = name[2:]
        self._pending_name = name
        self._target = None
        if kind == b'L':
            self._target = bytearray()
            self._pending_name = '\0longname'
        elif kind in (b'0', b'\0') and name in self.names:
            self._target = bytearray()
        self._remaining = size
        self._padding = (-size) % 512
        if not size:
            self._end_member()

    def _end_member(self):
        if self._target is not None:
            if self._pending_name == '\0longname':
                self._long_name = bytes(self._target).split(b'\0', 1)[0]
            else:
                self.members[self._pending_name] = bytes(self._target)
        self._target = None


def _tar_size(field):
    if field[0] & 0x80:   # GNU base-256 for sizes over 8 GiB
        return int.from_bytes(bytes([field[0] & 0x7f]) + field[1:], 'big')
    text = field.split(b'\0', 1)[0].strip()
    return int(text, 8) if text else 0
