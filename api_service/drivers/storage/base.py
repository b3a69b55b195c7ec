"""The backup storage interface: whole objects under keys, written atomically, read back verified.

A backup is one object, streamed in by the guest agent while the engine's
tool runs. The object only becomes visible under its key on commit, so a
backup that failed, was aborted or whose agent was killed leaves nothing
that looks whole: at most a partial that `cleanup_partials` removes later.

Every commit returns the SHA-256 of the stored bytes; the server keeps it
with the backup, and a restore reads the object through `verified_reader`,
which raises ChecksumMismatch at the end of the stream if the bytes differ.
The reader cannot know before the end, so whoever restores must not let the
engine use the data until the stream has been read to its end (the guest's
restore strategies unpack into a scratch directory and swap it in only then).

Stdlib only: the guest agent imports this, and it imports nothing of the server.
"""
import abc
import hashlib
import io
import os
import re
import stat

CHUNK_SIZE = 1024 * 1024
CHECKSUM_ALGORITHM = 'sha256'

# Keys are paths of plain names ('backups/<backup_id>/data.gz'): no empty,
# hidden, '.' or '..' segment, so a key can never leave the store's root.
_KEY = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*\Z')
MAX_KEY_LENGTH = 512


class StorageError(Exception):
    """Base class: a tenant-safe message, operator details, and how it maps to HTTP.

    Shaped like the guest agent's errors (`to_dict`), so the agent can carry
    it over RPC the same way.
    """

    code = 500
    fault = 'backupFault'
    message = 'The backup storage failed.'

    def __init__(self, message=None, *, details=None):
        self.message = message or self.message
        self.details = details
        super().__init__(self.message)

    def to_dict(self):
        return {'type': type(self).__name__, 'code': self.code, 'fault': self.fault,
                'message': self.message, 'details': self.details}


class StoreFull(StorageError):
    """The store has no room left (a full filesystem, a quota reached): nothing was kept."""

    code, fault = 413, 'overLimit'
    message = ('The backup store is full: there was no room to write this backup, and '
               'nothing of it was kept. Delete backups you no longer need or ask the '
               'operator for more room, then try again.')


class InvalidKey(StorageError):
    """The key is not a path of plain names."""

    code, fault, message = 400, 'badRequest', 'The backup object name is not valid.'


class ObjectNotFound(StorageError):
    """No committed object exists under the key."""

    code, fault, message = 404, 'itemNotFound', 'The backup object was not found.'


class ChecksumMismatch(StorageError):
    """The object's bytes do not hash to the checksum recorded when it was written."""

    message = 'The backup object is corrupted: its checksum does not match.'


def check_key(key):
    """`key` if it is a valid object key, else InvalidKey."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH or not _KEY.match(key):
        raise InvalidKey(details='invalid key %r' % (key,))
    return key


def format_checksum(digest):
    return '%s:%s' % (CHECKSUM_ALGORITHM, digest.hexdigest())


def parse_checksum(checksum):
    """The hex digest of a 'sha256:<hex>' checksum; StorageError for anything else."""
    algorithm, _, value = (checksum or '').partition(':')
    if algorithm != CHECKSUM_ALGORITHM or not re.match(r'[0-9a-f]{64}\Z', value):
        raise StorageError('The backup has no valid checksum.',
                           details='unusable checksum %r' % (checksum,))
    return value


class ObjectWriter(abc.ABC):
    """One object being written: `write` bytes, then `commit` (or `abort`).

    As a context manager it aborts on leaving unless committed, so an
    exception (or a forgotten commit) never leaves an object behind.
    """

    def __init__(self, key):
        self.key = check_key(key)
        self._digest = hashlib.new(CHECKSUM_ALGORITHM)
        self._size = 0
        self.state = 'open'

    @property
    def bytes_written(self):
        return self._size

    def write(self, data):
        if self.state != 'open':
            raise StorageError(details='write to a %s object %s' % (self.state, self.key))
        if data:
            self._write(data)
            self._digest.update(data)
            self._size += len(data)
        return len(data)

    def commit(self):
        """Make the object visible under its key; {'size', 'checksum'} of the stored bytes."""
        if self.state != 'open':
            raise StorageError(details='commit of a %s object %s' % (self.state, self.key))
        try:
            self._commit()
        except BaseException:
            self.abort()
            raise
        self.state = 'committed'
        return {'size': self._size, 'checksum': format_checksum(self._digest)}

    def abort(self):
        """Throw away what was written; a no-op once committed or aborted."""
        if self.state == 'open':
            self.state = 'aborted'
            self._abort()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.abort()
        return False

    @abc.abstractmethod
    def _write(self, data):
        """Store `data` after what was written so far, in the partial."""

    @abc.abstractmethod
    def _commit(self):
        """Make the partial durable and visible under the key, atomically."""

    @abc.abstractmethod
    def _abort(self):
        """Remove the partial."""


class BackupStorage(abc.ABC):
    """Where backups live: objects under keys, written whole or not at all."""

    @abc.abstractmethod
    def open_writer(self, key):
        """An ObjectWriter for a new object under `key` (replacing one only on commit)."""

    @abc.abstractmethod
    def open_reader(self, key):
        """A binary file-like object reading the committed object; ObjectNotFound if none."""

    @abc.abstractmethod
    def delete(self, key):
        """Remove the object; True if it existed (deleting twice is not an error)."""

    @abc.abstractmethod
    def exists(self, key):
        """True when a committed object exists under `key`."""

    @abc.abstractmethod
    def size(self, key):
        """The committed object's size in bytes; ObjectNotFound if none."""

    @abc.abstractmethod
    def cleanup_partials(self, older_than_seconds):
        """Remove partial objects not written to for that long; returns how many went."""


class VerifiedReader:
    """Reads an object and checks its SHA-256 once the end is reached.

    `read()` returns b'' at the end only when the checksum matched; otherwise
    it raises ChecksumMismatch (and does so again on every later read). Iterate
    for chunks; `drain()` reads whatever is left, for a consumer that stopped
    early but must still know whether the object was whole.
    """

    def __init__(self, raw, checksum, key=None, size=None):
        self._raw = raw
        self._shared_fd = None
        self._expected = parse_checksum(checksum)
        self._expected_size = size
        self._digest = hashlib.new(CHECKSUM_ALGORITHM)
        self._size = 0
        self.key = key
        self.verified = False
        self._error = None

    def read(self, size=CHUNK_SIZE):
        if self._error is not None:
            raise self._error
        if self.verified:
            return b''
        size = CHUNK_SIZE if size is None or size < 0 else size
        if self._shared_fd is not None:
            data = os.pread(self._shared_fd, size, self._size)
        else:
            data = self._raw.read(size)
        if data:
            self._digest.update(data)
            self._size += len(data)
            return data
        self._check()
        return b''

    def _check(self):
        actual = self._digest.hexdigest()
        if actual != self._expected or (self._expected_size is not None
                                         and self._size != self._expected_size):
            self._error = ChecksumMismatch(details='object %s: expected %s:%s (%s bytes), read '
                                           '%s:%s (%d bytes)' % (
                                               self.key, CHECKSUM_ALGORITHM, self._expected,
                                               self._expected_size, CHECKSUM_ALGORITHM, actual,
                                               self._size))
            raise self._error
        self.verified = True

    def share_file(self):
        """The descriptor of the object's local file, for a consumer that reads it directly.

        None unless the object is a regular file not read from yet. Once shared,
        this reader reads by position (pread) and leaves the descriptor's
        offset to the consumer: both read the file at once, and `drain()` still
        tells whether what the consumer read was intact.
        """
        if self._size or self.verified or self._error is not None:
            return None
        try:
            fd = self._raw.fileno()
            if not stat.S_ISREG(os.fstat(fd).st_mode) or self._raw.tell() != 0:
                return None
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            return None
        self._shared_fd = fd
        return fd

    def drain(self):
        """Read to the end (discarding) so the checksum is checked; raises ChecksumMismatch."""
        if self._shared_fd is not None and self._error is None and not self.verified:
            # Into one buffer, hashed in place: no bytes object per chunk.
            buffer = bytearray(4 * CHUNK_SIZE)
            view = memoryview(buffer)
            while True:
                count = os.preadv(self._shared_fd, [buffer], self._size)
                if not count:
                    break
                self._digest.update(view[:count])
                self._size += count
            self._check()
        while self.read(CHUNK_SIZE):
            pass

    def __iter__(self):
        while True:
            data = self.read(CHUNK_SIZE)
            if not data:
                return
            yield data

    def close(self):
        self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False


def verified_reader(storage, key, checksum, size=None):
    """A VerifiedReader over the object `key`, checked against `checksum` ('sha256:<hex>')."""
    parse_checksum(checksum)
    return VerifiedReader(storage.open_reader(key), checksum, key=key, size=size)


def verify_object(storage, key, checksum, size=None):
    """Read the whole object once; raises ChecksumMismatch unless it is intact."""
    with verified_reader(storage, key, checksum, size) as reader:
        reader.drain()
