"""PostgreSQL before 17: incrementals made of archived WAL (spec §8, corrected).

The instance archives finished WAL segments into run_dir/wal-archive once
that directory exists (the manager's archive_command); a full backup creates
it before pg_basebackup starts, so every segment after the backup's start is
kept, and removes the segments older than its own start afterwards.

An incremental is a named restore point, `pg_create_restore_point(<name>)`,
then `pg_switch_wal()` so the segment holding it is finished and archived;
the object is a tar of every segment from the segment of the parent's
position (a full backup's end, or the parent incremental's restore point)
through the segment of its own, plus the timeline history files. A restore
replays the base backup and all of that WAL, up to the last restore point
(recovery_target_name), and promotes.

Limits: an incremental needs its parent's WAL still on the instance (its
parent must be from the same timeline and not older than the newest full
backup); otherwise it is refused and a full backup is needed.
"""
import os
import time
import uuid

from api_service.guestagent import errors
from api_service.guestagent.datastore import base

ARCHIVE_TIMEOUT = 300


def parse_lsn(text):
    high, _, low = str(text).partition('/')
    return (int(high, 16) << 32) + int(low, 16)


def format_lsn(value):
    return '%X/%X' % (value >> 32, value & 0xFFFFFFFF)


def segment_name(timeline, segno, segment_size):
    per_id = 0x100000000 // segment_size
    return '%08X%08X%08X' % (timeline, segno // per_id, segno % per_id)


def segment_number(name, segment_size):
    return int(name[8:16], 16) * (0x100000000 // segment_size) + int(name[16:24], 16)


def segment_of(lsn, timeline, segment_size):
    """The segment holding the record ending at `lsn` (an end on a boundary: the one before)."""
    return segment_name(timeline, (lsn - 1) // segment_size, segment_size)


def _is_segment(name):
    return len(name) == 24 and all(c in '0123456789ABCDEF' for c in name)


def enable_archive(manager):
    """Start archiving (idempotent): from now on every finished segment is kept."""
    manager._make_dir(manager.wal_archive_dir)


def prune_archive(manager, keep_from, segment_size):
    """Remove archived segments (and .backup files) older than segment `keep_from`."""
    directory = manager.wal_archive_dir
    first = segment_number(keep_from, segment_size)
    removed = 0
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        try:
            stale = name.endswith('.part') and time.time() - os.stat(path).st_mtime > 3600
            wal_file = _is_segment(name[:24]) and (len(name) == 24 or name.endswith('.backup'))
            if stale or (wal_file and segment_number(name, segment_size) < first):
                os.unlink(path)
                removed += 1
        except FileNotFoundError:   # a copy the archiver was just renaming
            continue
    return removed


def create_restore_point(manager):
    """Make a named restore point and archive its segment; returns its metadata fields."""
    name = 'backup-%s' % uuid.uuid4().hex
    with manager._connection('Creating a restore point') as conn:
        if conn.execute('SHOW archive_mode').fetchone()[0] == 'off':
            raise errors.EngineError('WAL archiving is off on this instance; restart it to '
                                     'make incremental backups.')
        lsn = conn.execute('SELECT pg_create_restore_point(%s)', (name,)).fetchone()[0]
        segment = conn.execute('SELECT pg_walfile_name(%s)', (lsn,)).fetchone()[0]
        failed_before = conn.execute('SELECT failed_count FROM pg_stat_archiver').fetchone()[0]
        conn.execute('SELECT pg_switch_wal()')
    wait_archived(manager, segment, failed_before)
    return {'restore_point': name, 'lsn': str(lsn), 'timeline': int(segment[:8], 16),
            'end_wal': segment}


def wait_archived(manager, segment, failed_before):
    path = os.path.join(manager.wal_archive_dir, segment)

    def archived():
        if os.path.exists(path):
            return True
        with manager._connection('Checking the WAL archiver') as conn:
            failed, last = conn.execute(
                'SELECT failed_count, last_failed_wal FROM pg_stat_archiver').fetchone()
        if failed > failed_before and last == segment:
            raise errors.EngineError('Archiving the WAL for the backup failed.',
                                     details='archive_command failed for %s\n%s'
                                     % (segment, manager._log_tail()))
        return False

    base.wait_for(archived, ARCHIVE_TIMEOUT, 'WAL segment %s to be archived' % segment,
                  interval=0.05, max_interval=0.5)


def segments_since(manager, parent, own, segment_size):
    """Names of the archived files an incremental from `parent` to segment `own` holds."""
    start = parent.get('end_wal') or ''
    if not _is_segment(start) or start[:8] != own[:8]:
        raise errors.BadRequest('The parent backup is not on this instance\'s current timeline; '
                                'take a full backup.')
    first, last = segment_number(start, segment_size), segment_number(own, segment_size)
    if last < first:
        raise errors.BadRequest('The parent backup is newer than this instance\'s data.')
    timeline = int(own[:8], 16)
    names = [segment_name(timeline, number, segment_size) for number in range(first, last + 1)]
    directory = manager.wal_archive_dir
    missing = [name for name in names if not os.path.isfile(os.path.join(directory, name))]
    if missing:
        raise errors.BadRequest('The WAL written since the parent backup is no longer on this '
                                'instance; take a full backup.',
                                details='missing archived segments: %s' % ', '.join(missing[:5]))
    history = sorted(name for name in os.listdir(directory) if name.endswith('.history'))
    return history + names


def recovery_settings(manager, wal_dir, chain):
    """Server settings that replay the archived WAL up to the chain's last restore point."""
    with open(os.path.join(manager.engine_data_dir, 'recovery.signal'), 'w'):
        pass
    manager._chown(os.path.join(manager.engine_data_dir, 'recovery.signal'))
    target = chain[-1][1]['restore_point']
    return ['-c', 'restore_command=cp "%s/%%f" "%%p"' % wal_dir,
            '-c', 'recovery_target_name=%s' % target,
            '-c', 'recovery_target_action=promote']


def merge_wal(parts, wal_dir):
    """Move the segments of every incremental (in chain order) into one directory."""
    os.makedirs(wal_dir, exist_ok=True)
    for part in parts:
        for name in os.listdir(part):
            os.replace(os.path.join(part, name), os.path.join(wal_dir, name))
        os.rmdir(part)
