"""tests/stack_invariants.py on a real stack: after instances of each engine were built, one
backed up and one deleted, every invariant holds (the checker raises no false alarm), and
a leftover the delete would never leave is named. It works in a project of its own: the
demo project's quotas and backups are what the other tests of the shared stack made them;
orphans are still looked for in the whole stack."""
import os
import shutil
import time

from tests import stack_invariants
from tests.functional.instance_helpers import wait_gone, wait_status
from tests.functional.modules_helpers import other_project


def wait_backup(client, backup_id, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        backup = client.backups.get(backup_id)
        if backup.status in ('COMPLETED', 'FAILED'):
            return backup
        time.sleep(0.2)
    raise AssertionError('backup %s did not finish' % backup_id)


def test_a_real_stack_after_creates_a_backup_and_a_delete_keeps_every_invariant(stack):
    with other_project(stack, 'inv') as (client, project_id):
        _build_back_up_and_delete(stack, client, [project_id])


def _build_back_up_and_delete(stack, client, projects):
    created = [client.instances.create('inv-%s' % datastore, flavor_id='1', volume={'size': 1},
                                     datastore=datastore, datastore_version=version)
               for datastore, version in (('mariadb', '10.11'), ('postgresql', '15'),
                                          ('redis', '7.0'))]
    maria, postgres, redis = [wait_status(client, i.id, 'ACTIVE', timeout=120) for i in created]
    backup = wait_backup(client, client.backups.create('inv-backup', maria.id).id)
    assert backup.status == 'COMPLETED', backup._info
    wait_status(client, maria.id, 'ACTIVE')
    client.instances.delete(postgres.id)
    wait_gone(client, postgres.id)
    stack_invariants.wait_settled(stack, timeout=60, projects=projects)

    assert stack_invariants.check(stack, projects=projects) == []

    # A volume copied back under the deleted instance's id is what a lost delete leaves.
    volume = os.path.join(stack.instance_root, 'volumes', 'standard', postgres.id)
    os.makedirs(volume)
    try:
        problems = stack_invariants.check(stack, projects=projects)
        assert problems == ['Directory %s is left of instance %s, which is deleted.'
                            % (volume, postgres.id)], problems
    finally:
        shutil.rmtree(volume)
    for instance in (maria, redis):
        client.instances.delete(instance.id)
    for instance in (maria, redis):
        wait_gone(client, instance.id)
    client.backups.delete(backup.id)
    stack_invariants.wait_settled(stack, timeout=60, projects=projects)
    assert stack_invariants.check(stack, projects=projects) == []
