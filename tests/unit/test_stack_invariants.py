"""tests/stack_invariants.py: a healthy state passes, and each check names what a doctored
state breaks (rows, directories, processes, sockets and backup objects made here)."""
import datetime
import os
import socket
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa

from api_service.db import models
from api_service.db import models_backups as b
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from tests import stack_invariants

PROJECT = 'p' * 32
# A subnet of this test's own, so a stack running on this machine cannot answer for it.
CIDR = '127.231.7.0/24'
ADDRESS = '127.231.7.10'


class FakeStack:
    """A state directory as the embedded stack lays it out, over the test's database: one
    ACTIVE instance whose 'agent' is a sleeping process in its run directory, its volume,
    its key, its quota usage, and a COMPLETED backup with its object."""

    def __init__(self, root, database_url, catalogue):
        self.root = str(root)
        self.database_url = database_url
        self.env = {}
        self.instances_dir = os.path.join(self.root, 'instances')
        self.backups_dir = os.path.join(self.root, 'backups')
        os.makedirs(os.path.join(self.root, 'etc'))
        with open(os.path.join(self.root, 'etc', 'dbaas.conf'), 'w') as handle:
            handle.write('[local_driver]\ninstances_dir = %s\n[backup]\nstorage_root = %s\n'
                         'deadline = 600\n' % (self.instances_dir, self.backups_dir))
        os.makedirs(os.path.join(self.backups_dir, '.partial'))
        self.volume_root = catalogue.upsert_volume_type('standard', os.path.join(self.root,
                                                                                 'vol')).root_path
        self.processes = []
        with session_scope() as session:
            self.version_id = session.scalars(sa.select(models.DatastoreVersion.id)).first()
            session.execute(sa.update(m.Network).values(cidr=CIDR))
        self.instance_id = self.add_instance(address=ADDRESS)
        self.backup_id = self.add_backup(self.instance_id)
        self.set_usage(instances=1, ram=512, volumes=2, backups=1)

    def add_instance(self, status='ACTIVE', address=None, agent=True, **fields):
        instance_id = str(uuid.uuid4())
        run_dir = os.path.join(self.instances_dir, instance_id)
        os.makedirs(run_dir)
        os.makedirs(os.path.join(self.volume_root, instance_id))
        if agent:
            proc = self.start_process(run_dir)
            with open(os.path.join(run_dir, 'agent.pid'), 'w') as handle:
                handle.write(str(proc.pid))
        with session_scope() as session:
            session.add(m.Instance(id=instance_id, name='i', project_id=PROJECT, status=status,
                                   datastore_version_id=self.version_id, flavor_id='2',
                                   ram_mb=512, vcpus=1, volume_size=2,
                                   volume_type_id=self.volume_type_id(session),
                                   address=address, **fields))
            session.add(m.InstanceKey(instance_id=instance_id, encrypted_key='k'))
        return instance_id

    def volume_type_id(self, session):
        return session.scalars(sa.select(models.VolumeType.id).where(
            models.VolumeType.name == 'standard')).one()

    def add_backup(self, instance_id, status='COMPLETED', write_object=True):
        backup_id = str(uuid.uuid4())
        location = 'backups/%s/data' % backup_id
        if write_object:
            self.write_object(location)
        with session_scope() as session:
            session.add(b.Backup(id=backup_id, name='b', project_id=PROJECT,
                                 instance_id=instance_id, datastore_version_id=self.version_id,
                                 location=location, status=status))
        return backup_id

    def write_object(self, key):
        path = os.path.join(self.backups_dir, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as handle:
            handle.write(b'data')

    def set_usage(self, **usage):
        with session_scope() as session:
            for resource, in_use in usage.items():
                session.merge(models.QuotaUsage(project_id=PROJECT, resource=resource,
                                                in_use=in_use, reserved=0))

    def update_instance(self, instance_id, **values):
        with session_scope() as session:
            session.execute(sa.update(m.Instance).where(m.Instance.id == instance_id)
                            .values(**values))

    def start_process(self, cwd):
        proc = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'], cwd=cwd)
        self.processes.append(proc)
        return proc

    def stop(self):
        for proc in self.processes:
            proc.kill()
            proc.wait()


@pytest.fixture
def stack(conf, catalogue, database_url, tmp_path):
    fake = FakeStack(tmp_path / 'stack', database_url, catalogue)
    yield fake
    fake.stop()


def only(problems, *words):
    """The one problem that says every word; fails naming all of them otherwise."""
    found = [p for p in problems if all(word in p for word in words)]
    assert len(found) == 1, problems
    return found[0]


def test_a_healthy_state_has_no_problem(stack):
    assert stack_invariants.check(stack) == []


def test_the_database_is_found_from_the_config_file_without_an_attribute(stack, database_url):
    with open(os.path.join(stack.root, 'etc', 'dbaas.conf'), 'a') as handle:
        handle.write('[database]\nconnection = %s\n' % database_url.replace('$', '$$'))
    stack.database_url = None
    stack.update_instance(stack.instance_id, ram_mb=1024)
    only(stack_invariants.check(stack), 'ram quota usage is 512 but 1024')


def test_quota_usage_that_differs_from_what_exists(stack):
    stack.set_usage(instances=2, backups=0)
    problems = stack_invariants.check(stack)
    only(problems, PROJECT, 'instances quota usage is 2 but 1 is in use')
    only(problems, PROJECT, 'backups quota usage is 0 but 1 is in use')
    assert len(problems) == 2, problems
    # Another project's usage is not looked at when the caller names its projects.
    assert stack_invariants.check(stack, projects=['someone-else']) == []


def test_a_resizing_instance_s_size_is_not_compared(stack):
    stack.update_instance(stack.instance_id, status='RESIZE', volume_size=3,
                          task_deadline=models.utcnow())
    assert stack_invariants.check(stack) == []


def test_an_instance_past_its_deadline_is_stuck(stack):
    stack.update_instance(stack.instance_id, status='BUILD', task='create',
                          task_deadline=models.utcnow() - datetime.timedelta(seconds=300))
    only(stack_invariants.check(stack), stack.instance_id, 'still BUILD', 'past its deadline')
    stack.update_instance(stack.instance_id, task_deadline=None)
    only(stack_invariants.check(stack), stack.instance_id, 'BUILD with no deadline')
    stack.update_instance(stack.instance_id, task_deadline=models.utcnow())
    assert stack_invariants.check(stack) == []   # within its deadline: not stuck yet


def test_a_backup_made_past_the_deadline_is_stuck(stack):
    backup_id = stack.add_backup(stack.instance_id, status='BUILDING', write_object=False)
    stack.set_usage(backups=2)
    assert stack_invariants.check(stack) == []
    with session_scope() as session:
        session.get(b.Backup, backup_id).created = (models.utcnow()
                                                    - datetime.timedelta(seconds=700))
    only(stack_invariants.check(stack), backup_id, 'still BUILDING')


def test_a_process_of_a_deleted_or_unknown_instance_is_an_orphan(stack):
    unknown = os.path.join(stack.instances_dir, str(uuid.uuid4()))
    os.makedirs(unknown)
    proc = stack.start_process(unknown)
    problems = stack_invariants.check(stack)
    only(problems, 'Process %d' % proc.pid, 'unknown to the service database')
    only(problems, 'Directory %s' % unknown)
    assert len(problems) == 2, problems


def test_an_active_instance_without_its_agent(stack):
    stack.processes[0].kill()
    stack.processes[0].wait()
    only(stack_invariants.check(stack), stack.instance_id, 'guest agent does not run')
    stack.update_instance(stack.instance_id, status='SHUTDOWN')
    assert stack_invariants.check(stack) == []


def test_what_a_deleted_instance_leaves(stack):
    """Its directories, its process, its address, its key: each named."""
    stack.update_instance(stack.instance_id, deleted=True, status='DELETING')
    stack.set_usage(instances=0, ram=0, volumes=0)
    problems = stack_invariants.check(stack)
    only(problems, 'Process %d' % stack.processes[0].pid, 'which is deleted')
    only(problems, 'Directory %s' % os.path.join(stack.instances_dir, stack.instance_id))
    only(problems, 'Directory %s' % os.path.join(stack.volume_root, stack.instance_id))
    only(problems, 'Deleted instance %s still holds address %s' % (stack.instance_id, ADDRESS))
    only(problems, stack.instance_id, 'RPC key is still stored')
    assert len(problems) == 5, problems


def test_a_socket_directory_of_a_deleted_instance(stack):
    instance_id = stack.add_instance(status='ERROR', agent=False)
    for path in (os.path.join(stack.instances_dir, instance_id),
                 os.path.join(stack.volume_root, instance_id)):
        os.rmdir(path)
    with session_scope() as session:
        session.execute(sa.delete(m.InstanceKey).where(m.InstanceKey.instance_id == instance_id))
    stack.update_instance(instance_id, deleted=True)
    sockets = stack_invariants.socket_dir(os.path.join(stack.instances_dir, instance_id))
    os.makedirs(sockets)
    try:
        only(stack_invariants.check(stack), 'Socket directory %s' % sockets)
    finally:
        os.rmdir(sockets)
    assert stack_invariants.check(stack) == []


def _listener_in(cwd, address):
    """A process of its own listening on `address`, started in `cwd`; (process, port)."""
    proc = subprocess.Popen(
        [sys.executable, '-c', 'import socket, sys, time\n'
         's = socket.socket(); s.bind((sys.argv[1], 0)); s.listen()\n'
         'print(s.getsockname()[1], flush=True); time.sleep(120)', address],
        cwd=cwd, stdout=subprocess.PIPE, text=True)
    return proc, int(proc.stdout.readline())


def _stop(proc):
    proc.kill()
    proc.wait()
    proc.stdout.close()


def test_a_listener_on_an_address_no_live_instance_holds(stack):
    # A process run in a live instance's directory: this stack's.
    proc, port = _listener_in(os.path.join(stack.instances_dir, stack.instance_id),
                              '127.231.7.99')
    try:
        only(stack_invariants.check(stack), 'listens on 127.231.7.99:%d' % port,
             'Process %d ' % proc.pid)
    finally:
        _stop(proc)
    # The live instance's own address is its engine's to listen on.
    proc, port = _listener_in(os.path.join(stack.instances_dir, stack.instance_id), ADDRESS)
    try:
        assert stack_invariants.check(stack) == []
    finally:
        _stop(proc)


def test_another_stacks_listener_in_the_pool_is_not_this_stacks_leak(stack, tmp_path):
    # A stack beside this one draws from the same loopback pools; its engine runs elsewhere.
    foreign = tmp_path / 'other-stack'
    foreign.mkdir()
    proc, port = _listener_in(str(foreign), '127.231.7.98')
    try:
        assert stack_invariants.check(stack) == []
    finally:
        _stop(proc)
    # Nor is a listener in this test's own process, outside the stack's directories.
    listener = socket.socket()
    listener.bind(('127.231.7.97', 0))
    listener.listen()
    try:
        assert stack_invariants.check(stack) == []
    finally:
        listener.close()


def test_a_socket_whose_owner_cannot_be_seen_is_not_counted(stack, monkeypatch):
    # Another user's listener: without root, psutil gives no pid.
    monkeypatch.setattr(stack_invariants, '_listening', lambda: {('127.231.7.96', 5000, None)})
    assert stack_invariants.check(stack) == []


def test_half_written_rows(stack):
    with session_scope() as session:
        session.execute(sa.delete(m.InstanceKey))
        session.add(m.ServerGroup(id='g' * 36, project_id=PROJECT, policy='affinity'))
    problems = stack_invariants.check(stack)
    only(problems, stack.instance_id, 'has no RPC key')
    only(problems, 'Server group %s has no instance' % ('g' * 36))


def test_backup_objects_without_a_backup_or_missing(stack):
    stack.write_object('backups/%s/data' % uuid.uuid4())
    os.remove(os.path.join(stack.backups_dir, 'backups', stack.backup_id, 'data'))
    problems = stack_invariants.check(stack)
    only(problems, 'belongs to no backup')
    only(problems, stack.backup_id, 'COMPLETED but its object', 'is missing')
    assert len(problems) == 2, problems


def test_the_object_of_a_deleted_backup(stack):
    with session_scope() as session:
        backup = session.get(b.Backup, stack.backup_id)
        backup.status, backup.deleted = 'DELETED', True
    stack.set_usage(backups=0)
    only(stack_invariants.check(stack), 'belongs to backup %s, which is deleted'
         % stack.backup_id)


def test_a_partial_object_is_left_over_unless_a_backup_is_being_made(stack):
    partial = os.path.join(stack.backups_dir, '.partial', 'abc.part')
    with open(partial, 'wb') as handle:
        handle.write(b'half')
    only(stack_invariants.check(stack), 'abc.part', 'no backup is being made')
    stack.add_backup(stack.instance_id, status='BUILDING', write_object=False)
    stack.set_usage(backups=2)
    assert stack_invariants.check(stack) == []      # a fresh partial of a backup being made
    os.utime(partial, (0, 0))
    only(stack_invariants.check(stack), 'abc.part', 'left over')


def test_wait_settled_waits_for_work_in_flight(stack):
    stack_invariants.wait_settled(stack, timeout=1)
    stack.update_instance(stack.instance_id, status='REBOOT', task_deadline=models.utcnow())
    with pytest.raises(stack_invariants.NotSettled, match='instance %s is REBOOT'
                       % stack.instance_id):
        stack_invariants.wait_settled(stack, timeout=0.3, interval=0.1)
    stack_invariants.wait_settled(stack, timeout=1, projects=['someone-else'])
