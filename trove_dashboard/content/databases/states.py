"""The instance states the API reports, and which operations each allows.

This mirrors the API's state machine (api_service/domain/status.py) so the
dashboard offers an action only when the API would accept it; the API stays the
judge and its refusal is shown as it words it.
"""
from django.utils.translation import pgettext_lazy

BUILD, ACTIVE, ERROR, REBOOT = 'BUILD', 'ACTIVE', 'ERROR', 'REBOOT'
RESIZE, SHUTDOWN, BACKUP, DELETING = 'RESIZE', 'SHUTDOWN', 'BACKUP', 'DELETING'
# Settled, engine running: values of the attached configuration group wait for a restart.
RESTART_REQUIRED = 'RESTART_REQUIRED'
# Replication: a replica promoted to source, a source ejected, a replica detached.
PROMOTE, EJECT, DETACH = 'PROMOTE', 'EJECT', 'DETACH'

# Rows in these states refresh themselves until they leave them.
TRANSITIONAL = frozenset({BUILD, REBOOT, RESIZE, BACKUP, DELETING, PROMOTE, EJECT, DETACH})

_ANY_BUT_DELETING = frozenset({BUILD, ACTIVE, ERROR, REBOOT, RESIZE, SHUTDOWN, BACKUP,
                               RESTART_REQUIRED, PROMOTE, EJECT, DETACH})
ALLOWED = {
    'restart': frozenset({ACTIVE, SHUTDOWN, RESTART_REQUIRED}),
    'resize_volume': frozenset({ACTIVE}),
    'resize_flavor': frozenset({ACTIVE}),
    'guest': frozenset({ACTIVE, RESTART_REQUIRED}),     # users, databases, root
    'configure': frozenset({ACTIVE, RESTART_REQUIRED}),  # attach, detach, a group's values
    'backup': frozenset({ACTIVE}),   # it ends ACTIVE, so it waits for a required restart
    'rename': _ANY_BUT_DELETING,
    # The member acted on; the API checks the other members (replication_actions).
    'promote': frozenset({ACTIVE}),
    'detach': frozenset({ACTIVE}),
    'eject': frozenset({ACTIVE, SHUTDOWN, ERROR}),   # a source that is gone
    'delete': _ANY_BUT_DELETING,
}

# Horizon's status semantics: True settled and well, False settled and failed,
# None still moving (the row keeps polling). RESTART_REQUIRED is settled (no polling);
# the table shows it as a warning (tables.InstanceCell).
STATUS_CHOICES = tuple([(s, None) for s in sorted(TRANSITIONAL)] +
                       [(ACTIVE, True), (RESTART_REQUIRED, True), (SHUTDOWN, False),
                        (ERROR, False)])

STATUS_DISPLAY = (
    (BUILD, pgettext_lazy('Status of a database instance', 'Building')),
    (ACTIVE, pgettext_lazy('Status of a database instance', 'Active')),
    (ERROR, pgettext_lazy('Status of a database instance', 'Error')),
    (REBOOT, pgettext_lazy('Status of a database instance', 'Restarting')),
    (RESIZE, pgettext_lazy('Status of a database instance', 'Resizing')),
    (SHUTDOWN, pgettext_lazy('Status of a database instance', 'Shut down')),
    (BACKUP, pgettext_lazy('Status of a database instance', 'Backing up')),
    (DELETING, pgettext_lazy('Status of a database instance', 'Deleting')),
    (RESTART_REQUIRED, pgettext_lazy('Status of a database instance', 'Restart Required')),
    (PROMOTE, pgettext_lazy('Status of a database instance', 'Promoting')),
    (EJECT, pgettext_lazy('Status of a database instance', 'Ejecting')),
    (DETACH, pgettext_lazy('Status of a database instance', 'Detaching')),
)


def allows(instance, operation):
    """Whether the instance's current status allows the operation."""
    return getattr(instance, 'status', None) in ALLOWED[operation]


def restart_required(instance):
    return getattr(instance, 'status', None) == RESTART_REQUIRED


def is_transitional(instance):
    return getattr(instance, 'status', None) in TRANSITIONAL
