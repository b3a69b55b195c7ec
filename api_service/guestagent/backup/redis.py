"""Redis: an RDB snapshot (BGSAVE), streamed; no incrementals (spec §9).

Backup: BGSAVE (SCHEDULE, so an AOF rewrite in progress delays rather than
fails it; a save already running is waited for, since it began before this
request), then wait until INFO persistence counts one more finished save,
and stream dump.rdb (opened at once: a later save renames a new file over
it, the open one stays whole). With persistence off the dump is removed
afterwards.

Restore: the RDB is decompressed into the scratch directory, then becomes
the data directory. With appendonly yes (this manager's config) Redis would
ignore the RDB and start from an empty AOF, so the server runs once with
appendonly no (off the network) to load it, CONFIG SET appendonly yes
rebuilds the AOF from what was loaded, and a clean stop leaves both; the
next start reads the AOF.

Credentials are not in the data: the accounts live in the config the agent
writes, so the restored instance keeps its own admin (and root) settings.

Metadata: redis_version, keys (all databases), lastsave, rdb_size.
"""
import os

from api_service.guestagent import errors
from api_service.guestagent.backup import base
from api_service.guestagent.backup import processes
from api_service.guestagent.backup import streams
from api_service.guestagent.datastore import base as datastore

SAVE_TIMEOUT = 3600
AOF_TIMEOUT = 3600


class RedisBackup(base.BackupStrategy):
    """BGSAVE and dump.rdb."""

    manager_name = 'redis'
    supports_incremental = False
    format = 'rdb'

    # ---------------------------------------------------------------- backup

    def _backup(self, manager, writer, parent):
        with manager._admin('Backing up Redis') as client:
            info = client.info('persistence')
            if info['rdb_bgsave_in_progress']:
                self._wait_saved(client, info['rdb_saves'])
                info = client.info('persistence')
            saves = info['rdb_saves']
            client.bgsave(schedule=True)
            info = self._wait_saved(client, saves)
            path = os.path.join(client.config_get('dir')['dir'],
                                client.config_get('dbfilename')['dbfilename'])
            source = open(path, 'rb')
            persistent = (client.config_get('save')['save'].strip() != ''
                          or client.config_get('appendonly')['appendonly'] == 'yes')
            keys = sum(db.get('keys', 0) for name, db in client.info('keyspace').items()
                       if name.startswith('db'))
            version = client.info('server')['redis_version']
        size = os.fstat(source.fileno()).st_size
        self.codec.compress(source, writer.write)
        if not persistent:
            # Nothing asked for this file: do not leave a copy of the data behind.
            os.unlink(path)
        return {'redis_version': version, 'keys': keys, 'lastsave': info['rdb_last_save_time'],
                'rdb_size': size}

    @staticmethod
    def _wait_saved(client, saves):
        """Wait for the save after `saves` saves to finish; its INFO persistence."""
        def saved():
            info = client.info('persistence')
            if info['rdb_saves'] > saves and not info['rdb_bgsave_in_progress']:
                return info
            return None

        info = datastore.wait_for(saved, SAVE_TIMEOUT, 'the Redis snapshot', max_interval=0.2)
        if info['rdb_last_bgsave_status'] != 'ok':
            raise errors.EngineError('Redis could not write its snapshot.',
                                     details='rdb_last_bgsave_status=%s'
                                     % info['rdb_last_bgsave_status'])
        return info

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
        if not _appendonly(manager):
            return
        with processes.temporary_engine(manager, ['--appendonly', 'no', '--port', '0'],
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


def _appendonly(manager):
    with open(manager._config_path()) as handle:
        for line in handle:
            words = line.split()
            if len(words) == 2 and words[0].lower() == 'appendonly':
                return words[1].lower() == 'yes'
    return False
