"""tests/stack_invariants.py on a real stack: after instances of each engine were built, one
backed up and one deleted, every invariant holds (the checker raises no false alarm), and
a leftover the delete would never leave is named."""
import os
import shutil
import time

from tests import stack_invariants
from tests.functional.instance_helpers import trove, wait_gone, wait_status


def wait_backup(client, backup_id, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        backup = client.backups.get(backup_id)
        if backup.status in ('COMPLETED', 'FAILED'):
            return backup
        time.sleep(0.2)
    raise AssertionError('backup %s did not finish' % backup_id)


def test_a_real_stack_after_creates_a_backup_and_a_delete_keeps_every_invariant(stack):
    demo = trove(stack, 'demo')
    created = [demo.instances.create('inv-%s' % datastore, flavor_id='1', volume={'size': 1},
                                     datastore=datastore, datastore_version=version)
               for datastore, version in (('mariadb', '10.11'), ('postgresql', '15'),
                                          ('redis', '7.0'))]
    maria, postgres, redis = [wait_status(demo, i.id, 'ACTIVE', timeout=120) for i in created]
    backup = wait_backup(demo, demo.backups.create('inv-backup', maria.id).id)
    assert backup.status == 'COMPLETED', backup._info
    wait_status(demo, maria.id, 'ACTIVE')
    demo.instances.delete(postgres.id)
    wait_gone(demo, postgres.id)
    stack_invariants.wait_settled(stack, timeout=60)

    assert stack_invariants.check(stack) == []

    # A volume copied back under the deleted instance's id is what a lost delete leaves.
    volume = os.path.join(stack.instance_root, 'volumes', 'standard', postgres.id)
    os.makedirs(volume)
    try:
        problems = stack_invariants.check(stack)
        assert problems == ['Directory %s is left of instance %s, which is deleted.'
                            % (volume, postgres.id)], problems
    finally:
        shutil.rmtree(volume)
    for instance in (maria, redis):
        demo.instances.delete(instance.id)
    for instance in (maria, redis):
        wait_gone(demo, instance.id)
    demo.backups.delete(backup.id)
    stack_invariants.wait_settled(stack, timeout=60)
    assert stack_invariants.check(stack) == []
