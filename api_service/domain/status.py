"""The instance state machine: which operations each stored status allows.

Status is stored and changed only through these transitions; nothing is
recomputed from the guest on read.
"""
from api_service.common import exceptions

BUILD, ACTIVE, ERROR, REBOOT, RESIZE, SHUTDOWN = 'BUILD', 'ACTIVE', 'ERROR', 'REBOOT', 'RESIZE', 'SHUTDOWN'
BACKUP, DELETING = 'BACKUP', 'DELETING'
TRANSITIONAL = frozenset({BUILD, REBOOT, RESIZE, BACKUP, DELETING})

# operation -> statuses it may start from
ALLOWED = {
    'restart': {ACTIVE, SHUTDOWN},
    'resize_volume': {ACTIVE},
    'resize_flavor': {ACTIVE},
    'guest': {ACTIVE},            # users, databases, root: need a running engine
    'change_access': {ACTIVE},    # the engine applies it live
    'backup': {ACTIVE},
    'rename': {BUILD, ACTIVE, ERROR, SHUTDOWN, REBOOT, RESIZE, BACKUP},
}


def check(instance, operation):
    """Raise a 409 naming the status when `operation` is not allowed now."""
    if instance.status not in ALLOWED[operation]:
        raise exceptions.Conflict(
            "Instance %s is %s; %s needs it to be %s." % (
                instance.id, instance.status, operation.replace('_', ' '),
                ' or '.join(sorted(ALLOWED[operation]))))
