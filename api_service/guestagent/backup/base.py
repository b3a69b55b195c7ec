"""The backup strategy interface, and the restore procedure every engine shares.

A strategy streams one engine's backup, compressed, into an ObjectWriter and
returns the metadata to keep with it; and restores a chain (a full backup,
then its incrementals in order) into a stopped instance.

Restore never lets the engine near data whose checksum was not confirmed:
each object is unpacked into a scratch directory inside data_dir (same
filesystem, so the final move is a rename) while its VerifiedReader hashes
it, and only once every object of the chain was read to its end are the
engine's tools (prepare, combine) run on it and the result renamed into
place. One pass over each object; a corrupted one raises ChecksumMismatch
and leaves the instance's data directory as it was.

Metadata every strategy returns, besides its engine's own fields:
    engine       the manager name ('mariadb', 'postgresql', 'redis')
    type         'full' or 'incremental'
    compression  the codec the object is packed with ('zstd', 'gzip')
    format       what is inside once decompressed ('xbstream', 'tar', 'rdb')
    parent_key   the parent's object key (incrementals)
"""
import abc
import contextlib
import fcntl
import logging
import os
import shutil
import subprocess
import tempfile
import time

from api_service.guestagent import errors
from api_service.guestagent.backup import processes
from api_service.guestagent.backup import streams

LOG = logging.getLogger(__name__)


@contextlib.contextmanager
def exclusive(manager):
    """One backup or restore at a time per instance (across processes: a lock in run_dir)."""
    fd = os.open(os.path.join(manager.run_dir, 'backup.lock'), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise errors.Conflict('A backup or restore of this instance is already running.')
        yield
    finally:
        os.close(fd)


class BackupStrategy(abc.ABC):
    """How one engine is backed up and restored."""

    manager_name = None
    supports_incremental = False
    # What a backup object holds once decompressed.
    format = None

    # Compression level per codec, unless the caller chooses one.
    levels = {'zstd': 1, 'gzip': 1}

    def __init__(self, compression=None, level=None):
        name = compression or streams.default_codec_name()
        self.codec = streams.get_codec(name, self.levels.get(name) if level is None else level)

    # ---------------------------------------------------------------- backup

    def backup(self, manager, writer, parent=None):
        """Stream a backup of the running engine into `writer`; returns its metadata.

        `parent` (the parent's metadata plus its object 'key') makes it an
        incremental; engines without incrementals raise NotSupported. The
        caller commits the writer (or aborts it when this raises).
        """
        self._check_manager(manager)
        if parent is not None:
            if not self.supports_incremental:
                raise errors.NotSupported('incremental backup', manager.manager)
            self._check_parent(manager, parent)
        if not manager.is_running():
            raise errors.EngineError('%s must be running to be backed up.'
                                     % manager.display_name)
        started = time.monotonic()
        with exclusive(manager):
            metadata = self._backup(manager, writer, parent)
        metadata.update(engine=manager.manager, compression=self.codec.name, format=self.format,
                        type='full' if parent is None else 'incremental')
        if parent is not None:
            metadata['parent_key'] = parent.get('key')
        LOG.info('%s: %s backup of %d bytes in %.2f s', manager.manager, metadata['type'],
                 writer.bytes_written, time.monotonic() - started)
        return metadata

    @abc.abstractmethod
    def _backup(self, manager, writer, parent):
        """Stream the backup; returns the engine's own metadata fields."""

    def _check_parent(self, manager, parent):
        if not isinstance(parent, dict) or parent.get('engine') != manager.manager:
            raise errors.BadRequest('The parent backup is not a %s backup.'
                                    % manager.display_name)

    def _check_manager(self, manager):
        if manager.manager != self.manager_name:
            raise errors.BadRequest('A %s backup strategy cannot drive %s.'
                                    % (self.manager_name, manager.display_name))

    def _stream(self, tool, writer, tap=None):
        """Compress the tool's stdout into the writer, then check how the tool ended."""
        streams.widen_pipe(tool.stdout)
        stdout = tool.proc.stdout
        tool.proc.stdout = None   # the codec owns (and closes) the pipe now
        self.codec.compress(stdout, writer.write, tap)
        tool.check()

    # --------------------------------------------------------------- restore

    def restore(self, manager, chain):
        """Restore `chain` [(reader, metadata), ...] (full first) into the stopped instance.

        Afterwards manager.start() runs the restored data, and the agent's
        admin credential (this instance's, not the source's) works.
        """
        self._check_manager(manager)
        chain = list(chain)
        self._check_chain(manager, chain)
        if manager.pid() is not None:
            raise errors.EngineError('%s must be stopped before a restore.'
                                     % manager.display_name)
        started = time.monotonic()
        manager._make_dir(manager.data_dir)
        manager._make_dir(manager.run_dir)
        with exclusive(manager):
            self._restore(manager, chain)
        LOG.info('%s: restored a chain of %d backup(s) in %.2f s', manager.manager, len(chain),
                 time.monotonic() - started)

    def _restore(self, manager, chain):
        staging = tempfile.mkdtemp(prefix='.restore-', dir=manager.data_dir)
        manager._chown(staging)
        try:
            parts = []
            for index, (reader, metadata) in enumerate(chain):
                target = os.path.join(staging, str(index))
                manager._make_dir(target)
                self._unpack(manager, reader, metadata, target)
                parts.append(target)
            # Every object was read to its end and matched its checksum.
            data = self._assemble(manager, chain, parts, staging)
            previous = self._swap_in(manager, data, staging)
            try:
                self._finish(manager, chain, staging)
            except BaseException:
                self._swap_back(manager, previous)
                raise
            if previous:
                shutil.rmtree(previous, ignore_errors=True)
            state = manager._load_state()
            manager._save_state(prepared=True, memory_mb=state.get('memory_mb', manager.memory_mb))
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _check_chain(self, manager, chain):
        if not chain:
            raise errors.BadRequest('There is no backup to restore.')
        for index, item in enumerate(chain):
            if not (isinstance(item, (tuple, list)) and len(item) == 2
                    and isinstance(item[1], dict)):
                raise errors.BadRequest('Each backup to restore is a (reader, metadata) pair.')
            metadata = item[1]
            expected = 'full' if index == 0 else 'incremental'
            if metadata.get('engine') != manager.manager:
                raise errors.BadRequest('The backup is not a %s backup.' % manager.display_name)
            if metadata.get('type') != expected or metadata.get('format') != self.format:
                raise errors.BadRequest('The backups to restore are not a full backup followed '
                                        'by its incrementals.')
        if len(chain) > 1 and not self.supports_incremental:
            raise errors.NotSupported('incremental backup', manager.manager)

    def _unpack(self, manager, reader, metadata, target):
        """Decompress one object into the directory `target` (owned by the engine's user)."""
        codec = streams.get_codec(metadata.get('compression'))
        try:
            self._unpack_stream(manager, codec, reader, metadata, target)
        except BaseException:
            # A corrupted object often breaks the decompressor or the tool
            # before its end: read the rest, and say so when that is why.
            streams.drain(reader)
            raise

    def _unpack_stream(self, manager, codec, reader, metadata, target):
        """Unpack with the engine's tool (_extract_command) reading the decompressed stream."""
        argv = self._extract_command(manager, metadata, target)
        with processes.Tool(manager, argv, 'Unpacking the backup',
                            stdin=subprocess.PIPE) as tool:
            streams.widen_pipe(tool.stdin)
            stdin = tool.proc.stdin
            tool.proc.stdin = None
            codec.decompress(reader, stdin)
            tool.check()

    def _extract_command(self, manager, metadata, target):
        """The argv that reads one decompressed object on stdin and unpacks it into `target`."""
        raise NotImplementedError

    def _assemble(self, manager, chain, parts, staging):
        """Turn the unpacked parts into one data directory; returns its path."""
        return parts[0]

    def _swap_in(self, manager, data, staging):
        """Rename `data` to the engine's data directory; returns where the old one went."""
        previous = None
        if os.path.lexists(manager.engine_data_dir):
            previous = os.path.join(staging, 'previous-data')
            os.rename(manager.engine_data_dir, previous)
        manager._chown_tree(data)
        os.chmod(data, 0o700)
        os.rename(data, manager.engine_data_dir)
        return previous

    def _swap_back(self, manager, previous):
        shutil.rmtree(manager.engine_data_dir, ignore_errors=True)
        if previous:
            os.rename(previous, manager.engine_data_dir)

    def _finish(self, manager, chain, staging):
        """Make the restored data usable by this instance (credentials, logs); engine stopped."""
