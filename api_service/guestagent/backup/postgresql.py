"""PostgreSQL: pg_basebackup tar streams; native incrementals on 17+, WAL ones before.

Full backup: `pg_basebackup -D - -Ft -X fetch -c fast` as the agent's admin
over the private socket (a replication connection). The tar on stdout holds
the data directory, the WAL needed to make it consistent and, at its end,
the backup_manifest, which a tap reads on the way. A temporary replication
slot, held by an open session for the duration, keeps the server from
recycling that WAL before it is fetched. When the codec is zstd and this
pg_basebackup was built with it, it compresses the tar itself
(--compress=client-zstd, two workers): its output is stored as it is, and
the manifest is read from a copy decompressed on the side. That saves
pushing the whole uncompressed tar through pipes: on pgbench's tables the
backup then took 0.46-0.93 of the time pg_basebackup takes to write a plain
tar file (bench/backup_throughput.py).

Incremental, PostgreSQL 17 and later ('native'): the same command with
--incremental=<the parent's backup_manifest> (the server keeps WAL
summaries, summarize_wal = on). The parent's manifest is kept in
run_dir/backup-manifests/ when each backup is made, so only backups taken on
this instance can be parents. Restore: pg_combinebackup of the full and
every incremental, in order.

Incremental, before 17 ('wal'): WAL segments since the parent plus a named
restore point; see postgresql_wal.py.

Restore of a full backup or a native chain leaves crash recovery to the
first start, which also sets this instance's admin password (as a SCRAM
verifier) in the restored roles (EngineManager.defer_admin_reset). A WAL
chain instead runs the server once off the network, with trust for os_admin
on the private socket, replaying up to the restore point, and sets the
password there.

Metadata: method ('native' or 'wal'), server_version, system_identifier,
timeline, start_lsn, end_lsn (backup WAL range), end_wal (the segment of the
position an incremental continues from), manifest_id (native), and for WAL
incrementals restore_point, lsn, start_wal.
"""
import functools
import json
import os
import secrets
import shutil
import subprocess
import time

import psycopg

from api_service.guestagent import errors
from api_service.guestagent.backup import base
from api_service.guestagent.backup import postgresql_wal as wal
from api_service.guestagent.backup import processes
from api_service.guestagent.backup import streams
from api_service.guestagent.backup import tarstream
from api_service.guestagent.datastore.postgresql import (ADMIN_SESSION_OPTIONS,
                                                         NATIVE_INCREMENTAL_MAJOR)

# Manifests kept for future incrementals; older ones can no longer be parents.
KEEP_MANIFESTS = 16


def _method(manager):
    return 'native' if manager.server_major >= NATIVE_INCREMENTAL_MAJOR else 'wal'


def _manifest_dir(manager):
    return os.path.join(manager.run_dir, 'backup-manifests')


def _manifest_path(manager, manifest_id):
    return os.path.join(_manifest_dir(manager), '%s.json' % manifest_id)


@functools.lru_cache(maxsize=None)
def _builds_with_zstd(engine_path):
    """Whether this pg_basebackup links libzstd: it then compresses in-process (client-zstd),
    with no uncompressed copy of the backup crossing a pipe (Debian's builds; not every one)."""
    try:
        with open(os.path.join(engine_path, 'pg_basebackup'), 'rb') as handle:
            return b'libzstd.so' in handle.read()
    except OSError:
        return False


class _Tee:
    """A reader of `source` that hands every chunk it returns to `write` first."""

    def __init__(self, source, write):
        self._source, self._write = source, write

    def read(self, size):
        data = self._source.read(size)
        if data:
            self._write(data)
        return data


class PostgreSQLBackup(base.BackupStrategy):
    """pg_basebackup, with native or WAL-archive incrementals by server version."""

    manager_name = 'postgresql'
    supports_incremental = True
    format = 'tar'

    def _check_parent(self, manager, parent):
        super()._check_parent(manager, parent)
        if parent.get('method') != _method(manager):
            raise errors.BadRequest('The parent backup was made by another PostgreSQL version; '
                                    'take a full backup.')
        if parent['method'] == 'native' and not os.path.isfile(
                _manifest_path(manager, parent.get('manifest_id', '-'))):
            raise errors.BadRequest('The parent backup was not made on this instance, or is too '
                                    'old to continue from; take a full backup.')

    # ---------------------------------------------------------------- backup

    def _server_facts(self, manager):
        with manager._connection('Reading the server identity') as conn:
            version, system_id, segment_size = conn.execute(
                "SELECT current_setting('server_version_num')::int, "
                '(SELECT system_identifier FROM pg_control_system()), '
                "(SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size')"
            ).fetchone()
        return {'server_version': version, 'system_identifier': str(system_id),
                'wal_segment_size': int(segment_size)}

    def _backup(self, manager, writer, parent):
        facts = self._server_facts(manager)
        if parent is not None and parent.get('system_identifier') != facts['system_identifier']:
            raise errors.BadRequest('The parent backup belongs to another database cluster.')
        method = _method(manager)
        if method == 'wal' and parent is not None:
            return dict(facts, method=method, **self._wal_increment(manager, writer, parent,
                                                                    facts['wal_segment_size']))
        if method == 'wal':
            wal.enable_archive(manager)
        fields = self._basebackup(manager, writer, parent, facts['wal_segment_size'])
        if method == 'wal':
            wal.prune_archive(manager, fields['start_wal'], facts['wal_segment_size'])
        return dict(facts, method=method, **fields)

    def _basebackup(self, manager, writer, parent, segment_size):
        label = 'backup-%s' % secrets.token_hex(8)
        argv = [os.path.join(manager.engine_path, 'pg_basebackup'), '-h', manager.socket_dir,
                '-p', str(manager.port), '-U', manager.admin_user, '-w', '-D', '-', '-F', 't',
                '-X', 'fetch', '-c', 'fast', '-l', label]
        if parent is not None:
            argv.append('--incremental=%s' % _manifest_path(manager, parent['manifest_id']))
        in_process = (isinstance(self.codec, streams.ZstdCodec)
                      and _builds_with_zstd(manager.engine_path))
        if in_process:
            argv.append('--compress=client-zstd:level=%d,workers=%d'
                        % (self.codec.level, self.codec.threads))
        capture = tarstream.TarCapture({'backup_manifest'})
        with manager._connection('Reserving WAL for the backup') as slot:
            # A temporary slot lives as long as this session: it keeps the WAL
            # the backup fetches at its end, and cannot outlive a crashed agent.
            slot.execute('SELECT pg_create_physical_replication_slot(%s, true, true)',
                         ('os_backup_%s' % secrets.token_hex(6),))
            with processes.Tool(manager, argv, 'The PostgreSQL backup',
                                stdout=subprocess.PIPE,
                                env={'PGPASSWORD': manager.admin_password,
                                     'PGOPTIONS': ADMIN_SESSION_OPTIONS}) as tool:
                if in_process:
                    self._store_compressed(tool, writer, capture)
                else:
                    self._stream(tool, writer, tap=capture)
        manifest = capture.members.get('backup_manifest')
        if not manifest:
            raise errors.EngineError('The PostgreSQL backup has no manifest.')
        ranges = json.loads(manifest)['WAL-Ranges']
        start, end = wal.parse_lsn(ranges[0]['Start-LSN']), wal.parse_lsn(ranges[-1]['End-LSN'])
        timeline = int(ranges[-1]['Timeline'])
        fields = {'label': label, 'timeline': timeline, 'start_lsn': wal.format_lsn(start),
                  'end_lsn': wal.format_lsn(end),
                  'start_wal': wal.segment_name(ranges[0]['Timeline'], start // segment_size,
                                                segment_size),
                  'end_wal': wal.segment_of(end, timeline, segment_size)}
        if _method(manager) == 'native':
            fields['manifest_id'] = self._keep_manifest(manager, manifest)
        return fields

    def _store_compressed(self, tool, writer, capture):
        """Store pg_basebackup's own zstd output as it is; read the manifest from a decompressed
        copy on the side (zstd -d into the capture, the rest spliced to /dev/null)."""
        streams.widen_pipe(tool.stdout)
        stdout = tool.proc.stdout
        tool.proc.stdout = None
        devnull = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
        try:
            with streams.decompressed_pipe(self.codec, _Tee(stdout, writer.write)) as stream:
                capture.pump(stream, devnull)
        except errors.EngineError:
            tool.check()    # a tool that died is why its stream broke off: say that instead
            raise
        finally:
            os.close(devnull)
            stdout.close()
        tool.check()

    def _keep_manifest(self, manager, manifest):
        directory = _manifest_dir(manager)
        manager._make_dir(directory)
        manifest_id = '%d-%s' % (time.time(), secrets.token_hex(6))
        path = _manifest_path(manager, manifest_id)
        with open(path + '.tmp', 'wb') as handle:
            handle.write(manifest)
        manager._chown(path + '.tmp')
        os.rename(path + '.tmp', path)
        kept = sorted(os.listdir(directory), key=lambda name: os.stat(
            os.path.join(directory, name)).st_mtime)
        for name in kept[:-KEEP_MANIFESTS]:
            os.unlink(os.path.join(directory, name))
        return manifest_id

    def _wal_increment(self, manager, writer, parent, segment_size):
        point = wal.create_restore_point(manager)
        names = wal.segments_since(manager, parent, point['end_wal'], segment_size)
        argv = ['tar', '-c', '-f', '-', '-C', manager.wal_archive_dir, '--'] + names
        with processes.Tool(manager, argv, 'Collecting the WAL for the backup',
                            stdout=subprocess.PIPE) as tool:
            self._stream(tool, writer)
        return dict(point, start_wal=parent['end_wal'],
                    wal_segments=sum(1 for name in names if not name.endswith('.history')))

    # --------------------------------------------------------------- restore

    def _check_chain(self, manager, chain):
        super()._check_chain(manager, chain)
        first = chain[0][1]
        for _, metadata in chain:
            if metadata.get('system_identifier') != first.get('system_identifier') or (
                    metadata.get('method') != first.get('method')):
                raise errors.BadRequest('The backups to restore are not from one chain.')
        major = int(first.get('server_version') or 0) // 10000
        if major and major != manager.server_major:
            raise errors.BadRequest('The backup was made by PostgreSQL %d and cannot be restored '
                                    'into PostgreSQL %d.' % (major, manager.server_major))

    def _unpack_stream(self, manager, codec, reader, metadata, target):
        # In-process, splicing member contents into their files (tarstream.extract):
        # about a third faster than piping into tar, and it writes nothing but
        # files and directories inside the target.
        with streams.decompressed_pipe(codec, reader) as stream:
            try:
                tarstream.extract(stream, target, owner=manager.file_owner())
            except (tarstream.UnsafeMember, EOFError) as exc:
                raise errors.EngineError('The backup could not be unpacked: %s.' % exc)

    def _assemble(self, manager, chain, parts, staging):
        if len(parts) == 1:
            return parts[0]
        if chain[0][1]['method'] == 'wal':
            wal.merge_wal(parts[1:], os.path.join(staging, 'wal'))
            return parts[0]
        combined = os.path.join(staging, 'combined')
        argv = [os.path.join(manager.engine_path, 'pg_combinebackup'), '-o', combined]
        if manager.server_major >= 18:
            argv.append('--link')   # the inputs are deleted afterwards
        processes.run_tool(manager, argv + parts, 'Combining the incremental PostgreSQL backups')
        for part in parts:
            shutil.rmtree(part, ignore_errors=True)
        return combined

    def _finish(self, manager, chain, staging):
        # What this instance kept for incrementals belongs to the data replaced.
        shutil.rmtree(manager.wal_archive_dir, ignore_errors=True)
        shutil.rmtree(_manifest_dir(manager), ignore_errors=True)
        if not (chain[0][1]['method'] == 'wal' and len(chain) > 1):
            # Consistent after crash recovery, which the first start does; it
            # also sets this instance's admin password (defer_admin_reset).
            manager.defer_admin_reset()
            return
        # A WAL chain replays to its restore point: the server runs once off the
        # network, with trust for os_admin on the private socket (bootstrap
        # config), and gets this instance's password before it is promoted.
        manager._write_config(bootstrap=True)
        args = ['-c', "listen_addresses=", '-c', 'archive_mode=off']
        args += wal.recovery_settings(manager, os.path.join(staging, 'wal'), chain)
        try:
            with processes.temporary_engine(manager, args, lambda: self._writable(manager),
                                            'Recovering the restored PostgreSQL data'):
                manager._complete_admin_reset()
        finally:
            manager._write_config(bootstrap=False)

    @staticmethod
    def _writable(manager):
        try:
            with manager._connection('Waiting for recovery') as conn:
                return not conn.execute('SELECT pg_is_in_recovery()').fetchone()[0]
        except (errors.GuestError, psycopg.Error):
            return False
