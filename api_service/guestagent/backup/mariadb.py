"""MariaDB: mariadb-backup streamed as xbstream; incrementals from the parent's LSN.

Backup: `mariadb-backup --backup --stream=xbstream` (an incremental adds
--incremental-lsn=<parent's to_lsn>) as the engine's user, over the private
socket as the agent's admin; --extra-lsndir leaves xtrabackup_checkpoints and
xtrabackup_info beside the stream, where the metadata comes from.

Restore: `mbstream -x` of each object into its own directory, then (all
checksums confirmed) `--prepare` of the full backup and once more with
--incremental-dir for each incremental, in order; the prepared directory
becomes the data directory by a rename. The data carries the source
instance's os_admin, with its password: the first start runs with an
--init-file that sets this instance's (as a hash) before the server accepts
any connection (EngineManager.defer_admin_reset).

An incremental holds every page changed since the parent's to_lsn, its
starting checkpoint; on a quiet server the checkpoint lags, so it may repeat
pages the parent already had: larger, never wrong.

Metadata: from_lsn, to_lsn, last_lsn (InnoDB LSNs), gtid (the binlog
position mariadb-backup recorded, '' without binlogs), gtid_position (its GTID
position alone, e.g. '0-2135883777-7', '' without binlogs: where a replica
seeded from this backup starts following), server_version.

The restored data directory keeps mariadb-backup's xtrabackup_binlog_info
(file, offset, GTID position), which a replica's attach reads
(guestagent/replication/mariadb.py): the replica needs no metadata but its data.
"""
import os
import re
import shutil
import subprocess
import tempfile

from api_service.guestagent import errors
from api_service.guestagent.backup import base
from api_service.guestagent.backup import processes


def _tool(manager, name):
    for candidate in (os.path.join(manager.engine_path, name),
                      os.path.join(os.path.dirname(manager.engine_path), 'bin', name),
                      shutil.which(name) or '', '/usr/bin/%s' % name):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise errors.EngineError('%s is not installed next to %s.' % (name, manager.binary))


def gtid_position(binlog_pos):
    """The GTID position in xtrabackup_info's binlog_pos ("filename 'binlog.000001',
    position '328', GTID of the last change '0-1-7'"); '' when there is none."""
    found = re.search(r"GTID of the last change '([0-9,-]*)'", binlog_pos or '')
    return found.group(1) if found else ''


def _read_pairs(path):
    """'key = value' lines of an xtrabackup_* file, as a dict."""
    values = {}
    try:
        with open(path) as handle:
            for line in handle:
                key, sep, value = line.partition('=')
                if sep:
                    values[key.strip()] = value.strip()
    except FileNotFoundError:
        pass
    return values


class MariaDBBackup(base.BackupStrategy):
    """mariadb-backup, full and incremental."""

    manager_name = 'mariadb'
    supports_incremental = True
    format = 'xbstream'
    # Memory mariadb-backup --prepare may use for its buffer pool.
    prepare_memory = '256M'

    def _check_parent(self, manager, parent):
        super()._check_parent(manager, parent)
        if not str(parent.get('to_lsn', '')).isdigit():
            raise errors.BadRequest('The parent backup has no log position to continue from.')

    def _backup(self, manager, writer, parent):
        workdir = tempfile.mkdtemp(prefix='backup-', dir=manager.run_dir)
        try:
            manager._chown(workdir)
            argv = [_tool(manager, 'mariadb-backup'), '--defaults-file=%s' % manager._config_path(),
                    '--backup', '--stream=xbstream', '--target-dir=%s' % workdir,
                    '--extra-lsndir=%s' % workdir, '--socket=%s' % manager.socket_path,
                    '--user=%s' % manager.admin_user]
            if parent is not None:
                argv.append('--incremental-lsn=%s' % parent['to_lsn'])
            with processes.Tool(manager, argv, 'The MariaDB backup', stdout=subprocess.PIPE,
                                env={'MYSQL_PWD': manager.admin_password}) as tool:
                self._stream(tool, writer)
            checkpoints = _read_pairs(os.path.join(workdir, 'xtrabackup_checkpoints'))
            info = _read_pairs(os.path.join(workdir, 'xtrabackup_info'))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        if not checkpoints.get('to_lsn', '').isdigit():
            raise errors.EngineError('The MariaDB backup recorded no log position.')
        return {'from_lsn': int(checkpoints.get('from_lsn') or 0),
                'to_lsn': int(checkpoints['to_lsn']),
                'last_lsn': int(checkpoints.get('last_lsn') or checkpoints['to_lsn']),
                'gtid': info.get('binlog_pos', ''),
                'gtid_position': gtid_position(info.get('binlog_pos')),
                'server_version': info.get('server_version', '')}

    def _check_chain(self, manager, chain):
        super()._check_chain(manager, chain)
        for (_, parent), (_, child) in zip(chain, chain[1:]):
            if child.get('from_lsn') != parent.get('to_lsn'):
                raise errors.BadRequest('The incremental backups do not follow each other.')

    def _extract_command(self, manager, metadata, target):
        return [_tool(manager, 'mbstream'), '-x', '--parallel=2', '-C', target]

    def _assemble(self, manager, chain, parts, staging):
        tool = _tool(manager, 'mariadb-backup')
        full = parts[0]
        prepare = [tool, '--no-defaults', '--prepare', '--target-dir=%s' % full,
                   '--use-memory=%s' % self.prepare_memory]
        processes.run_tool(manager, prepare, 'Preparing the MariaDB backup')
        for increment in parts[1:]:
            processes.run_tool(manager, prepare + ['--incremental-dir=%s' % increment],
                               'Applying an incremental MariaDB backup')
            shutil.rmtree(increment, ignore_errors=True)
        return full

    def _finish(self, manager, chain, staging):
        manager._write_config()
        manager.defer_admin_reset()
