"""A backup store in a local directory (the embedded stack's object storage).

Layout under `root`:

    <key>                       committed objects, e.g. backups/<backup_id>/data.gz
    .partial/<random>.part      objects being written (or left by a killed writer)

A writer appends to its partial and, on commit, fsyncs it and renames it to
the key (then fsyncs the directory), so an object is either absent or whole,
also across a crash. Directories are 0700 and objects 0600: the store holds
tenants' data.

A filesystem without room (ENOSPC, or EDQUOT for a quota) raises StoreFull wherever it
shows: creating the partial, writing, the fsync or the directories of commit. The writer
is then aborted by its caller, so the partial goes with it.
"""
import contextlib
import errno
import logging
import os
import secrets
import time

from api_service.drivers.storage import base

LOG = logging.getLogger(__name__)

PARTIAL_DIR = '.partial'
# How much is written between two requests to start writing back.
WRITEBACK_STEP = 32 * 1024 * 1024


_NO_ROOM = (errno.ENOSPC, errno.EDQUOT)


@contextlib.contextmanager
def _full_is_store_full(what, *args):
    """OSError for a full filesystem as StoreFull, naming what was written (`what % args`,
    formatted only then: writes are hot) for operators."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _NO_ROOM:
            raise base.StoreFull(details='%s: %s' % (what % args, exc)) from exc
        raise


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _LocalWriter(base.ObjectWriter):

    def __init__(self, store, key):
        super().__init__(key)
        self._store = store
        self.partial_path = os.path.join(store.partial_dir, '%s.part' % secrets.token_hex(12))
        with _full_is_store_full('creating %s', self.partial_path):
            self._fd = os.open(self.partial_path,
                               os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        self._written = self._flushed = 0

    def _write(self, data):
        view = memoryview(data)
        with _full_is_store_full('writing %s for %s', self.partial_path, self.key):
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        self._written += len(data)
        if self._written - self._flushed >= WRITEBACK_STEP:
            # Start writing back what is done (and drop it from the page cache
            # once on disk): the fsync at commit then has little left to wait
            # for, and a backup does not push the engine's data out of memory.
            os.posix_fadvise(self._fd, 0, self._written, os.POSIX_FADV_DONTNEED)
            self._flushed = self._written

    def _commit(self):
        final = self._store.path(self.key)
        with _full_is_store_full('committing %s', final):
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            self._store.make_dirs(os.path.dirname(final))
            os.rename(self.partial_path, final)
            _fsync_dir(os.path.dirname(final))

    def _abort(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        try:
            os.unlink(self.partial_path)
        except FileNotFoundError:
            pass


class LocalObjectStore(base.BackupStorage):
    """Objects as files under `root` (created if missing)."""

    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.partial_dir = os.path.join(self.root, PARTIAL_DIR)
        with _full_is_store_full('creating %s', self.partial_dir):
            self.make_dirs(self.partial_dir)

    def path(self, key):
        """The file holding the object `key`."""
        return os.path.join(self.root, *base.check_key(key).split('/'))

    def make_dirs(self, path):
        os.makedirs(path, mode=0o700, exist_ok=True)

    def open_writer(self, key):
        return _LocalWriter(self, key)

    def open_reader(self, key):
        try:
            return open(self.path(key), 'rb')
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise base.ObjectNotFound(details='no object %s in %s' % (key, self.root))

    def exists(self, key):
        return os.path.isfile(self.path(key))

    def size(self, key):
        try:
            info = os.stat(self.path(key))
        except (FileNotFoundError, NotADirectoryError):
            raise base.ObjectNotFound(details='no object %s in %s' % (key, self.root))
        return info.st_size

    def delete(self, key):
        path = self.path(key)
        try:
            os.unlink(path)
        except (FileNotFoundError, NotADirectoryError):
            return False
        # Empty parent directories go too (backups/<id>/), never the root.
        parent = os.path.dirname(path)
        while parent != self.root:
            try:
                os.rmdir(parent)
            except OSError as exc:
                if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
                    break
                raise
            parent = os.path.dirname(parent)
        return True

    def cleanup_partials(self, older_than_seconds):
        """Remove partials whose last write is older than `older_than_seconds`.

        A writer that is alive keeps its partial's mtime fresh, so a threshold
        longer than the slowest pause between two writes spares running backups.
        """
        cutoff = time.time() - older_than_seconds
        removed = 0
        for name in os.listdir(self.partial_dir):
            path = os.path.join(self.partial_dir, name)
            try:
                if os.stat(path).st_mtime <= cutoff:
                    os.unlink(path)
                    removed += 1
            except FileNotFoundError:
                continue
        if removed:
            LOG.info('removed %d stale partial backup object(s) from %s', removed, self.root)
        return removed

    def list_partials(self):
        """Paths of the partial objects present now (for operators and tests)."""
        return sorted(os.path.join(self.partial_dir, name) for name in os.listdir(self.partial_dir))
