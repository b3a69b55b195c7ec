"""The instance state machine: every transition of the table, the illegal ones, and no status
written anywhere but through it (domain/status.py)."""
import ast
import datetime
import os
import types

import pytest

from api_service.common import exceptions
from api_service.domain import status

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNKNOWN = 'UPGRADE'     # a status some future feature adds without a place in the table

CALLS = {
    'build': lambda instance: status.build(instance, 60),
    'begin restart': lambda instance: status.begin(instance, 'restart', 60),
    'begin resize_volume': lambda instance: status.begin(instance, 'resize_volume', 60),
    'begin resize_flavor': lambda instance: status.begin(instance, 'resize_flavor', 60),
    'begin backup': lambda instance: status.begin(instance, 'backup', 60),
    'begin promote_to_replica_source':
        lambda instance: status.begin(instance, 'promote_to_replica_source', 60),
    'begin eject_replica_source':
        lambda instance: status.begin(instance, 'eject_replica_source', 60),
    'begin detach_replica': lambda instance: status.begin(instance, 'detach_replica', 60),
    'finish': status.finish,
    'abort': status.abort,
    'fail': status.fail,
    'reset': status.reset,
    'mark_deleting': lambda instance: status.mark_deleting(instance, 60),
    'engine_stopped': status.engine_stopped,
    'engine_running': status.engine_running,
    'needs_restart': status.needs_restart,
    'no_restart_needed': status.no_restart_needed,
}
OLD_DEADLINE = datetime.datetime(2000, 1, 1)


def row(current):
    return types.SimpleNamespace(id='i-1', status=current, task='earlier',
                                 task_deadline=OLD_DEADLINE)


def test_every_transition_is_tested():
    assert set(CALLS) == set(status.TRANSITIONS)


LEGAL = [(name, current, new) for name, table in sorted(status.TRANSITIONS.items())
         for current, new in sorted(table.items(), key=lambda item: str(item[0]))]


@pytest.mark.parametrize('name, current, new', LEGAL)
def test_each_legal_transition(name, current, new):
    instance = row(current)
    changed = CALLS[name](instance)
    if new == status.KEEP:
        assert changed is False
        assert (instance.status, instance.task, instance.task_deadline) == (
            current, 'earlier', OLD_DEADLINE)
        return
    assert changed is True and instance.status == new
    runs = new in status.TRANSITIONAL
    # A status an operation runs in carries its task and a fresh deadline; others none.
    assert (instance.task is not None) == runs
    assert (instance.task_deadline is not None) == runs
    if runs:
        assert instance.task_deadline > datetime.datetime(2020, 1, 1)
        assert status.RUNS_IN[instance.task] == new


ILLEGAL = [(name, current) for name, table in sorted(status.TRANSITIONS.items())
           for current in sorted(status.STATES | {UNKNOWN}) if current not in table
           and not (name.startswith('begin ') and current in status.STATES)]


@pytest.mark.parametrize('name, current', ILLEGAL)
def test_illegal_transitions_raise_and_change_nothing(name, current):
    instance = row(current)
    with pytest.raises(status.IllegalTransition):
        CALLS[name](instance)
    assert (instance.status, instance.task) == (current, 'earlier')


def test_a_known_status_is_never_illegal_by_omission_of_the_heartbeats_and_deletes():
    for name in ('reset', 'mark_deleting', 'engine_stopped', 'engine_running', 'needs_restart',
                 'no_restart_needed'):
        assert set(status.TRANSITIONS[name]) == status.STATES, name


@pytest.mark.parametrize('operation', ['restart', 'resize_volume', 'resize_flavor', 'backup',
                                       'promote_to_replica_source', 'eject_replica_source',
                                       'detach_replica'])
def test_a_request_in_the_wrong_status_is_the_users_409(operation):
    for current in sorted(status.STATES - status.ALLOWED[operation]):
        instance = row(current)
        with pytest.raises(exceptions.Conflict, match=current):
            status.begin(instance, operation, 60)
        assert instance.status == current


def test_operations_without_a_status_of_their_own_do_not_begin():
    for operation in ('guest', 'change_access', 'configure', 'rename', 'create', 'delete',
                      'dance'):
        with pytest.raises(status.IllegalTransition):
            status.begin(row(status.ACTIVE), operation, 60)


# -- nobody else writes an instance's status ------------------------------------------------

# Rows with a status of their own (backups: NEW ... DELETE_FAILED) and objects that are not
# rows; anything else assigned a `.status` is taken for an instance.
NOT_INSTANCES = ('self', 'backup', 'item')


def _receiver(node):
    return ast.unparse(node.value).lower()


def status_writes(path, source):
    """(line, text) of each write of a `status` outside the transitions: assignments to
    `<instance>.status`, `Instance(status=…)`, `setattr(…, 'status', …)` and
    `update(…Instance…).values(status=…)`."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            for item in (target.elts if isinstance(target, ast.Tuple) else [target]):
                if isinstance(item, ast.Attribute) and item.attr == 'status' and \
                        not any(word in _receiver(item) for word in NOT_INSTANCES):
                    found.append((node.lineno, ast.unparse(node)))
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            keywords = {k.arg for k in node.keywords}
            if (func.endswith('Instance') and 'status' in keywords) or (
                    func == 'setattr' and len(node.args) > 1
                    and isinstance(node.args[1], ast.Constant) and node.args[1].value == 'status') \
                    or (func.endswith('.values') and 'status' in keywords
                        and 'Instance' in func):
                found.append((node.lineno, ast.unparse(node)))
    return found


def test_only_status_py_writes_an_instances_status():
    root = os.path.join(REPO, 'api_service')
    writes = []
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            if not name.endswith('.py') or path == os.path.join(root, 'domain', 'status.py'):
                continue
            with open(path, encoding='utf-8') as handle:
                writes += ['%s:%d: %s' % (os.path.relpath(path, REPO), line, text)
                           for line, text in status_writes(path, handle.read())]
    assert writes == [], 'status changes only through api_service/domain/status.py:\n' + \
        '\n'.join(writes)


@pytest.mark.parametrize('source', [
    'instance.status = status.ERROR',
    'view.instance.status = "ACTIVE"',
    'instance.status, instance.task = ACTIVE, None',
    'm.Instance(name="x", status=status.BUILD)',
    'setattr(instance, "status", value)',
    'session.execute(update(m.Instance).values(status="ERROR"))',
])
def test_the_scan_sees_each_kind_of_write(source):
    assert status_writes('x.py', source), source


@pytest.mark.parametrize('source', [
    'backup.status = COMPLETED', 'item.status = DELETING', 'self.status = status',
    'if instance.status == status.ACTIVE: pass', 'm.Backup(status=NEW)',
])
def test_the_scan_lets_other_statuses_and_reads_be(source):
    assert status_writes('x.py', source) == [], source


def test_fields_set_beside_a_transition_may_not_name_the_state():
    status.refuse_state_fields({'volume_size': 2, 'flavor_id': '3'})
    for field in ('status', 'task', 'task_deadline'):
        with pytest.raises(status.IllegalTransition, match=field):
            status.refuse_state_fields({field: 'ACTIVE', 'ram_mb': 1})


def test_a_restart_clears_restart_required_and_a_stopped_engine_reads_everything():
    instance = row(status.RESTART_REQUIRED)
    assert status.begin(instance, 'restart', 60) and instance.status == status.REBOOT
    assert status.finish(instance) and instance.status == status.ACTIVE
    instance = row(status.RESTART_REQUIRED)
    assert status.engine_stopped(instance) and instance.status == status.SHUTDOWN
    assert status.engine_running(instance) and instance.status == status.ACTIVE


@pytest.mark.parametrize('operation', ['backup', 'resize_volume', 'resize_flavor'])
def test_operations_ending_in_active_wait_for_the_restart(operation):
    # Ending in ACTIVE would drop the flag while values still wait for the restart.
    with pytest.raises(exceptions.Conflict, match='RESTART_REQUIRED'):
        status.begin(row(status.RESTART_REQUIRED), operation, 60)


@pytest.mark.parametrize('operation, runs_in', [('promote_to_replica_source', status.PROMOTE),
                                                ('eject_replica_source', status.EJECT),
                                                ('detach_replica', status.DETACH)])
def test_replication_operations_end_active_aborted_or_done_and_error_when_failed(
        operation, runs_in):
    for end, expected in ((status.finish, status.ACTIVE), (status.abort, status.ACTIVE),
                          (status.fail, status.ERROR)):
        instance = row(status.ACTIVE)
        assert status.begin(instance, operation, 60) and instance.status == runs_in
        assert instance.task == operation and runs_in in status.TRANSITIONAL
        assert end(instance) and instance.status == expected


def test_an_ejected_source_may_be_gone_already():
    # The source of an eject is dead: its engine stopped, or its operations failed.
    for current in (status.ACTIVE, status.SHUTDOWN, status.ERROR):
        instance = row(current)
        assert status.begin(instance, 'eject_replica_source', 60)
        assert instance.status == status.EJECT
