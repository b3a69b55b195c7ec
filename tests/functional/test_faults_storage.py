"""The backup store full (#15): a real full filesystem under the local store.

A small tmpfs is mounted over the fault stack's backup store (the guest agents open the
store for each backup, so they write into it at once), filled with a file until only a
little room is left, and a MariaDB or PostgreSQL backup runs into ENOSPC midway. The backup must end
FAILED with the reason in words, leave no partial and no object, the instance ACTIVE; once
the file is gone, the next backup completes. The mount hides what the store held before
and is removed at the end, so the test deletes what it made on it first.

Mounting needs root: as root directly, as a user through `sudo -n` (README: the tests run
as root or as a user with sudo).
"""
import os
import subprocess
import time

import pytest

from tests import stack_invariants
from tests.functional.instance_helpers import wait_gone, wait_status

ROOM_LEFT = 256 * 1024        # far less than a MariaDB backup, so it fails midway
STORE_SIZE = '96m'            # room for one backup of a fresh instance once freed
STORE_FULL = 'The backup store is full'


def _as_root(*argv):
    prefix = [] if os.geteuid() == 0 else ['sudo', '-n']
    done = subprocess.run(prefix + list(argv), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, '%s failed: %s%s' % (' '.join(argv), done.stdout, done.stderr)


class SmallStore:
    """A tmpfs of STORE_SIZE over `path`, owned and moded like the directory it covers."""

    def __init__(self, path):
        self.path = path
        info = os.stat(path)
        self.options = 'size=%s,mode=%o,uid=%d,gid=%d' % (STORE_SIZE, info.st_mode & 0o7777,
                                                           info.st_uid, info.st_gid)
        self.filler = os.path.join(path, 'filler')

    def __enter__(self):
        _as_root('mount', '-t', 'tmpfs', '-o', self.options, 'dbaas-full-store', self.path)
        return self

    def __exit__(self, *exc_info):
        try:
            _as_root('umount', self.path)
        except AssertionError:
            _as_root('umount', '--lazy', self.path)    # something still held a file open
        return False

    def fill(self, leave):
        """Write a file until only `leave` bytes are free (it is no backup object)."""
        stats = os.statvfs(self.path)
        size = stats.f_bavail * stats.f_frsize - leave
        chunk = b'\0' * (1024 * 1024)
        with open(self.filler, 'wb') as handle:
            while size > 0:
                size -= handle.write(chunk[:min(len(chunk), size)])
        free = os.statvfs(self.path).f_bavail * os.statvfs(self.path).f_frsize
        assert free <= leave + 64 * 1024, 'the store still has %d bytes free' % free

    def free_up(self):
        os.unlink(self.filler)

    def partials(self):
        partial_dir = os.path.join(self.path, '.partial')
        return os.listdir(partial_dir) if os.path.isdir(partial_dir) else []


def wait_backup(client, backup_id, wanted, timeout=120):
    deadline = time.monotonic() + timeout
    backup = None
    while time.monotonic() < deadline:
        backup = client.backups.get(backup_id)
        if backup.status in wanted:
            return backup
        time.sleep(0.2)
    raise AssertionError('backup %s stayed %s, wanted %s' % (
        backup_id, backup.status if backup else '?', wanted))


# MariaDB's stream goes straight from mariadb-backup to zstd; PostgreSQL's through a tap
# (tarstream) and a feeder thread: both must stop cleanly when the writer raises.
@pytest.mark.parametrize('datastore, version', [('mariadb', '10.11'), ('postgresql', '15')])
def test_a_full_backup_store_fails_the_backup_in_words_and_keeps_nothing(fault_stack, fault_demo,
                                                                         datastore, version):
    store_root = stack_invariants.Places(fault_stack).backup_root
    # Nothing else in flight: the mount hides the store's objects from any other operation.
    stack_invariants.wait_settled(fault_stack, timeout=120)
    instance = fault_demo.instances.create('store-full', flavor_id='1', volume={'size': 1},
                                     datastore=datastore, datastore_version=version)
    try:
        wait_status(fault_demo, instance.id, 'ACTIVE', timeout=120)
        with SmallStore(store_root) as store:
            store.fill(leave=ROOM_LEFT)
            doomed = fault_demo.backups.create('no-room', instance.id)
            failed = wait_backup(fault_demo, doomed.id, {'FAILED', 'COMPLETED'})
            assert failed.status == 'FAILED', 'the backup completed in %d bytes of room' \
                % ROOM_LEFT
            reason = failed._info.get('fail_reason', '')
            assert reason.startswith(STORE_FULL), reason
            assert store.partials() == [], 'a partial object was left: %s' % store.partials()
            assert not os.path.exists(os.path.join(store_root, 'backups', doomed.id))
            shown = wait_status(fault_demo, instance.id, 'ACTIVE', timeout=30)
            assert shown._info['fault']['message'].startswith(STORE_FULL)

            store.free_up()
            kept = fault_demo.backups.create('room-again', instance.id)
            kept = wait_backup(fault_demo, kept.id, {'COMPLETED', 'FAILED'})
            assert kept.status == 'COMPLETED', kept._info
            path = os.path.join(store_root, kept.locationRef)
            # It needed more than the room left before: the first one really met ENOSPC.
            assert os.path.getsize(path) > ROOM_LEFT
            assert store.partials() == []
            # The mount goes at the end of the block, and this object with it.
            fault_demo.backups.delete(kept.id)
            wait_gone(fault_demo, kept.id, manager='backups')
            assert not os.path.exists(path)
        fault_demo.backups.delete(doomed.id)
        wait_gone(fault_demo, doomed.id, manager='backups')
    finally:
        fault_demo.instances.delete(instance.id)
        wait_gone(fault_demo, instance.id, timeout=90)
    stack_invariants.wait_settled(fault_stack, timeout=60)
    assert stack_invariants.check(fault_stack) == []
