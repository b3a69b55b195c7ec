"""The instance state machine: the only place an instance's status changes.

Status is stored and changed only through the named transitions below; nothing is
recomputed from the guest on read. Each transition looks the current status up in its
row of `TRANSITIONS`: the status it leads to, or `KEEP` when the event no longer
concerns the instance (a guest's report that arrives after a delete began, an engine
that stops while an operation runs). A status missing from the row is a programming
error and raises `IllegalTransition`, so a new status (clusters', an upgrade's) must be
given its place in every row before anything can move into or out of it (replication's
PROMOTE, EJECT and DETACH have theirs).

A user's request in the wrong status is not a programming error: `begin` and `check`
answer it with a 409 naming the status (`ALLOWED`).

The transitions take the instance's row in the caller's session and change its status,
`task` and `task_deadline` together; the caller records faults and events. Each returns
whether it changed the instance (False for KEEP).
"""
import datetime

from api_service.common import exceptions
from api_service.db import models

BUILD, ACTIVE, ERROR, REBOOT, RESIZE, SHUTDOWN = 'BUILD', 'ACTIVE', 'ERROR', 'REBOOT', 'RESIZE', 'SHUTDOWN'
BACKUP, DELETING = 'BACKUP', 'DELETING'
# The engine runs, but values of its configuration group wait for a restart to apply.
RESTART_REQUIRED = 'RESTART_REQUIRED'
# Replication (domain/replication.py): a replica being promoted to source, a dead source
# being ejected from its set, a replica being made a standalone instance.
PROMOTE, EJECT, DETACH = 'PROMOTE', 'EJECT', 'DETACH'
STATES = frozenset({BUILD, ACTIVE, ERROR, REBOOT, RESIZE, SHUTDOWN, BACKUP, DELETING,
                    RESTART_REQUIRED, PROMOTE, EJECT, DETACH})
TRANSITIONAL = frozenset({BUILD, REBOOT, RESIZE, BACKUP, DELETING, PROMOTE, EJECT, DETACH})
KEEP = 'KEEP'
NOT_BUILT = None    # the status of a new row, before `build`

# operation -> statuses it may start from (anything else is the user's 409). Operations
# that end in ACTIVE (backup, resizes) wait while a restart is required: ending them would
# lose the flag.
ALLOWED = {
    'restart': {ACTIVE, SHUTDOWN, RESTART_REQUIRED},
    'resize_volume': {ACTIVE},
    'resize_flavor': {ACTIVE},
    'guest': {ACTIVE, RESTART_REQUIRED},            # users, databases, root: a running engine
    'change_access': {ACTIVE, RESTART_REQUIRED},    # the engine applies it live
    'configure': {ACTIVE, RESTART_REQUIRED},        # attach, detach, a group's new values
    'backup': {ACTIVE},
    'rename': {BUILD, ACTIVE, ERROR, SHUTDOWN, REBOOT, RESIZE, BACKUP, RESTART_REQUIRED,
               PROMOTE, EJECT, DETACH},
    # The replica acted on; the other members' statuses are checked by replication.py.
    'promote_to_replica_source': {ACTIVE},
    'detach_replica': {ACTIVE},
    # The source acted on: it is ejected because it is gone, so it may be anything settled.
    'eject_replica_source': {ACTIVE, SHUTDOWN, ERROR},
}

# operation -> the status it runs in (operations in ALLOWED but not here change no status)
RUNS_IN = {'create': BUILD, 'restart': REBOOT, 'resize_volume': RESIZE,
           'resize_flavor': RESIZE, 'backup': BACKUP, 'delete': DELETING,
           'promote_to_replica_source': PROMOTE, 'eject_replica_source': EJECT,
           'detach_replica': DETACH}
REPLICATION_OPERATIONS = ('promote_to_replica_source', 'eject_replica_source', 'detach_replica')


def _every(new):
    return {state: new for state in STATES}


# transition -> {current status: new status, or KEEP}
TRANSITIONS = {
    # A new instance's row.
    'build': {NOT_BUILT: BUILD},
    # The operation ended well. From ERROR: it ended after its deadline or an
    # administrator's reset had given up on it, and the database did change.
    'finish': {BUILD: ACTIVE, REBOOT: ACTIVE, RESIZE: ACTIVE, BACKUP: ACTIVE, ERROR: ACTIVE,
               PROMOTE: ACTIVE, EJECT: ACTIVE, DETACH: ACTIVE, DELETING: KEEP},
    # The operation failed before it changed anything (a resize refused by its host, a
    # backup that failed, a promote refused because a member does not answer): the
    # database runs as before.
    'abort': {RESIZE: ACTIVE, BACKUP: ACTIVE, PROMOTE: ACTIVE, EJECT: ACTIVE, DETACH: ACTIVE,
              ERROR: KEEP, DELETING: KEEP},
    # The operation failed and the database's state is not known (an ejected source ends
    # here too, with a fault naming the new source).
    'fail': {BUILD: ERROR, REBOOT: ERROR, RESIZE: ERROR, BACKUP: ERROR, PROMOTE: ERROR,
             EJECT: ERROR, DETACH: ERROR, ERROR: ERROR, DELETING: KEEP},
    # An administrator ends whatever is stuck.
    'reset': _every(ERROR),
    # Delete works in every status (again, too: a delete that timed out is asked again).
    'mark_deleting': _every(DELETING),
    # The guest's heartbeat: the engine stopped, or runs again. During an operation the
    # operation decides; a stopped engine of a failed instance stays ERROR.
    'engine_stopped': dict(_every(KEEP), **{ACTIVE: SHUTDOWN, RESTART_REQUIRED: SHUTDOWN}),
    'engine_running': dict(_every(KEEP), **{SHUTDOWN: ACTIVE}),
    # The guest applied a configuration: some values wait for a restart, or none does now
    # (a detach took the waiting ones away). Any start of the engine reads them all, so an
    # engine that stops and starts again is simply ACTIVE (engine_stopped, then running).
    'needs_restart': dict(_every(KEEP), **{ACTIVE: RESTART_REQUIRED}),
    'no_restart_needed': dict(_every(KEEP), **{RESTART_REQUIRED: ACTIVE}),
}
# The user's operations: 'begin restart' etc., from the statuses ALLOWED lets them start in
# (any other known status is the user's 409, not a bug).
TRANSITIONS.update({'begin ' + operation: {state: RUNS_IN[operation]
                                           for state in sorted(ALLOWED[operation])}
                    for operation in ('restart', 'resize_volume', 'resize_flavor', 'backup')
                    + REPLICATION_OPERATIONS})


class IllegalTransition(RuntimeError):
    """A transition asked of a status it has no entry for: a bug, never a user's doing."""


# What only a transition writes; other fields may change beside one.
STATE_FIELDS = frozenset({'status', 'task', 'task_deadline'})


def refuse_state_fields(changes):
    """IllegalTransition if `changes` (fields set beside a transition) names the state."""
    named = sorted(STATE_FIELDS.intersection(changes))
    if named:
        raise IllegalTransition('%s change only through a transition, not beside one.'
                                % ', '.join(named))


def check(instance, operation):
    """Raise a 409 naming the status when `operation` is not allowed now."""
    if instance.status not in ALLOWED[operation]:
        raise exceptions.Conflict(
            "Instance %s is %s; %s needs it to be %s." % (
                instance.id, instance.status, operation.replace('_', ' '),
                ' or '.join(sorted(ALLOWED[operation]))))


def target(transition, current):
    """The status `transition` leads to from `current` (or KEEP); raises if it has none."""
    row = TRANSITIONS[transition]
    if current not in row:
        raise IllegalTransition('%s is not a transition from %s' % (transition, current))
    return row[current]


def _move(instance, transition, task=None, deadline_seconds=None):
    """Apply `transition`; a change of status also sets the task it runs (or none)."""
    new = target(transition, instance.status)
    if new == KEEP:
        return False
    instance.status = new
    instance.task = task
    instance.task_deadline = (None if deadline_seconds is None else
                              models.utcnow() + datetime.timedelta(seconds=deadline_seconds))
    # No task manager runs the new operation yet: the one that takes it claims it
    # (taskmanager/owners.py), so a dead one's earlier claim never settles it. A deadline's
    # or an admin's end (fail, reset) keeps the owner: its flow may still run and settle.
    # task_quota (a resize's reservation) is cleared only by owners.settle_quota.
    if transition not in ('fail', 'reset'):
        instance.task_owner = None
    return True


def build(instance, deadline_seconds):
    """A new instance's row: BUILD, with the build's deadline."""
    return _move(instance, 'build', 'create', deadline_seconds)


def begin(instance, operation, deadline_seconds):
    """The user's `operation` starts: a 409 unless its status allows it, then the status
    it runs in. Read the row under its lock, or two requests may both get in."""
    transition = 'begin ' + operation
    if transition not in TRANSITIONS:
        raise IllegalTransition('%s is not an operation a request begins' % operation)
    if instance.status in STATES:
        check(instance, operation)
    return _move(instance, transition, operation, deadline_seconds)


def finish(instance):
    """The running operation ended well: ACTIVE."""
    return _move(instance, 'finish')


def abort(instance):
    """The running operation failed but left the database as it was: ACTIVE."""
    return _move(instance, 'abort')


def fail(instance):
    """The running operation failed: ERROR (the caller records the fault)."""
    return _move(instance, 'fail')


def reset(instance):
    """An administrator ends whatever is stuck: ERROR."""
    return _move(instance, 'reset')


def mark_deleting(instance, deadline_seconds):
    """Delete starts (or starts again): DELETING, with the delete's deadline."""
    return _move(instance, 'mark_deleting', 'delete', deadline_seconds)


def engine_stopped(instance):
    """The guest reports its engine stopped: an ACTIVE instance is SHUTDOWN."""
    return _move(instance, 'engine_stopped')


def engine_running(instance):
    """The guest reports its engine healthy: a SHUTDOWN instance is ACTIVE again."""
    return _move(instance, 'engine_running')


def needs_restart(instance):
    """The guest applied a configuration whose values wait for a restart: RESTART_REQUIRED."""
    return _move(instance, 'needs_restart')


def no_restart_needed(instance):
    """The configuration applied now waits for nothing: a RESTART_REQUIRED instance is ACTIVE."""
    return _move(instance, 'no_restart_needed')
