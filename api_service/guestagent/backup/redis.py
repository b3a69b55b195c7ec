"""Redis: an RDB snapshot (BGSAVE), streamed; no incrementals (spec §9).

Backup: BGSAVE (SCHEDULE, so an AOF rewrite in progress delays rather than
fails it; a save already running is waited for, since it began before this
request), streaming the RDB while the save's child writes it (see
_Snapshot) until INFO persistence counts one more finished save. With
persistence off the dump is removed afterwards.

Restore: the RDB is decompressed into the scratch directory, then becomes
the data directory. With appendonly yes (this manager's config) Redis would
ignore the RDB and start from an empty AOF. Redis 7 keeps its AOF as a
directory of parts named by a manifest, and a base part may be an RDB: the
restored RDB is linked in as the base, with an empty increment, so the next
start loads it from the AOF at no extra cost. Before Redis 7 (spec §9's way)
the server runs once with appendonly no (off the network) to load the RDB,
CONFIG SET appendonly yes rewrites the AOF from it, and it is stopped.

Credentials are not in the data: the accounts live in the config the agent
writes, so the restored instance keeps its own admin (and root) settings.

Metadata: redis_version, keys (all databases), lastsave, rdb_size.
"""
import logging
import os
import re
import subprocess
import time

from api_service.guestagent import errors
from api_service.guestagent.backup import base
from api_service.guestagent.backup import processes
from api_service.guestagent.backup import streams
from api_service.guestagent.datastore import base as datastore

LOG = logging.getLogger(__name__)

SAVE_TIMEOUT = 3600
AOF_TIMEOUT = 3600


class RedisBackup(base.BackupStrategy):
    """BGSAVE and dump.rdb."""

    manager_name = 'redis'
    supports_incremental = False
    format = 'rdb'
    # Whether a Redis 7 AOF is built from the RDB directly (else the server rewrites it).
    seed_aof_files = True
    # An RDB is already LZF-compressed: zstd -1 takes only ~10-13% more off it
    # and costs a quarter of the backup's throughput; the --fast levels take
    # nothing more, and --fast=5 keeps up with BGSAVE (bench/backup_throughput.py).
    levels = {'zstd': -5, 'gzip': 1}

    # ---------------------------------------------------------------- backup

    def _backup(self, manager, writer, parent):
        with manager._admin('Backing up Redis') as client:
            # A save already running began before this request: let it end first.
            datastore.wait_for(
                lambda: not client.info('persistence')['rdb_bgsave_in_progress'],
                SAVE_TIMEOUT, 'the running Redis snapshot', max_interval=0.2)
            info = client.info('persistence')
            directory = client.config_get('dir')['dir']
            path = os.path.join(directory, client.config_get('dbfilename')['dbfilename'])
            snapshot = _Snapshot(client, directory, path, info['rdb_saves'])
            client.bgsave(schedule=True)
            snapshot.open()
            try:
                # Compressing while the save is written: the backup takes as
                # long as the BGSAVE, not as long as the BGSAVE and then a copy.
                self.codec.compress(snapshot, writer.write, tap=_watch_nothing)
            finally:
                snapshot.close()
            persistent = (client.config_get('save')['save'].strip() != ''
                          or client.config_get('appendonly')['appendonly'] == 'yes')
            keys = sum(db.get('keys', 0) for name, db in client.info('keyspace').items()
                       if name.startswith('db'))
            version = client.info('server')['redis_version']
        if not persistent:
            # Nothing asked for this file: do not leave a copy of the data behind.
            os.unlink(path)
        return {'redis_version': version, 'keys': keys,
                'lastsave': snapshot.info['rdb_last_save_time'], 'rdb_size': snapshot.size}

    # --------------------------------------------------------------- restore

    def _extract_command(self, manager, metadata, target):
        raise NotImplementedError('an RDB is written, not extracted')

    def _unpack(self, manager, reader, metadata, target):
        codec = streams.get_codec(metadata.get('compression'))
        path = os.path.join(target, 'dump.rdb')
        try:
            with open(path, 'wb') as sink:
                os.chmod(path, 0o600)
                manager._chown(path)
                codec.decompress(reader, sink)
        except BaseException:
            streams.drain(reader)
            raise

    def _finish(self, manager, chain, staging):
        manager._write_config()
        if _config_value(manager, 'appendonly', 'no').lower() != 'yes':
            return
        if self.seed_aof_files and _server_major(manager) >= 7:
            self._seed_aof(manager)
        else:
            self._rewrite_aof(manager)

    @staticmethod
    def _seed_aof(manager):
        name = _config_value(manager, 'appendfilename', 'appendonly.aof')
        directory = os.path.join(manager.engine_data_dir,
                                 _config_value(manager, 'appenddirname', 'appendonlydir'))
        manager._make_dir(directory)
        base_part, increment = '%s.1.base.rdb' % name, '%s.1.incr.aof' % name
        os.link(os.path.join(manager.engine_data_dir, 'dump.rdb'),
                os.path.join(directory, base_part))
        manager._write_file(os.path.join(directory, increment), '')
        manager._write_file(os.path.join(directory, '%s.manifest' % name),
                            'file %s seq 1 type b\nfile %s seq 1 type i\n'
                            % (base_part, increment))

    def _rewrite_aof(self, manager):
        # No RDB save at the stop: the AOF just written holds everything.
        with processes.temporary_engine(manager, ['--appendonly', 'no', '--port', '0',
                                                  '--save', ''],
                                        manager._ping, 'Loading the restored Redis data'):
            with manager._admin('Rebuilding the append-only file') as client:
                client.config_set('appendonly', 'yes')

                def rewritten():
                    info = client.info('persistence')
                    return (info['aof_enabled'] and not info['aof_rewrite_in_progress']
                            and not info['aof_rewrite_scheduled'] and info)

                info = datastore.wait_for(rewritten, AOF_TIMEOUT, 'the AOF rewrite',
                                          max_interval=0.2)
                if info['aof_last_bgrewrite_status'] != 'ok':
                    raise errors.EngineError('Redis could not rebuild its append-only file.')


def _watch_nothing(data):
    """A tap: makes the codec read the snapshot through Python (it grows as it is read)."""


def _check_saved(info):
    if info['rdb_last_bgsave_status'] != 'ok':
        raise errors.EngineError('Redis could not write its snapshot.',
                                 details='rdb_last_bgsave_status=%s'
                                 % info['rdb_last_bgsave_status'])


class _Snapshot:
    """The RDB a BGSAVE writes, read as it is written, to its end.

    The save's child writes temp-<pid>.rdb sequentially and renames it to
    dump.rdb when done: reading the temp file as it grows, and past its
    current end only once INFO says the save finished well (and the file read
    is the one now named dump.rdb), yields exactly that snapshot.
    """

    def __init__(self, client, directory, path, saves):
        self.client, self.directory, self.path, self.saves = client, directory, path, saves
        self.leftovers = set(self._temp_files())
        self.file = None
        self.info = None
        self.size = 0

    def _temp_files(self):
        return [name for name in os.listdir(self.directory)
                if name.startswith('temp-') and name.endswith('.rdb')]

    def _finished(self):
        # rdb_saves counts saves as they start; ours is over once none runs.
        info = self.client.info('persistence')
        if info['rdb_saves'] > self.saves and not info['rdb_bgsave_in_progress']:
            _check_saved(info)
            self.info = info
        return self.info

    def _open_growing(self):
        if self._finished():
            self.file = open(self.path, 'rb')
            return True
        for name in set(self._temp_files()) - self.leftovers:
            try:
                self.file = open(os.path.join(self.directory, name), 'rb')
                LOG.debug('streaming the Redis snapshot %s while it is written', name)
                return True
            except FileNotFoundError:   # renamed just now: the save is over
                continue
        return False

    def open(self):
        datastore.wait_for(self._open_growing, SAVE_TIMEOUT, 'the Redis snapshot to start',
                           max_interval=0.05)

    def read(self, size):
        interval = 0.002
        while True:
            data = self.file.read(size)
            if data:
                self.size += len(data)
                return data
            if self.info is not None:
                return b''
            if self._finished():
                if os.fstat(self.file.fileno()).st_ino != os.stat(self.path).st_ino:
                    raise errors.EngineError('The Redis snapshot was replaced while it was '
                                             'read; try the backup again.')
                continue   # what was written since the last read, then the end
            time.sleep(interval)   # caught up with the save: let it write more
            interval = min(interval * 2, 0.05)

    def close(self):
        if self.file is not None:
            self.file.close()


def _server_major(manager):
    out = subprocess.run([manager.binary, '--version'], capture_output=True, text=True,
                         check=False).stdout
    found = re.search(r'v=(\d+)\.', out)
    return int(found.group(1)) if found else 0


def _config_value(manager, name, default):
    """A setting of the config the agent wrote, the configuration group's include read last
    (the last one wins, as in Redis)."""
    value = default
    for path in (manager._config_path(), manager.overrides_path):
        try:
            with open(path) as handle:
                for line in handle:
                    words = line.split(None, 1)
                    if len(words) == 2 and words[0].lower() == name:
                        value = words[1].strip().strip('"')
        except FileNotFoundError:
            pass
    return value
