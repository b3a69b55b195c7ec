"""Backup statuses as the API reports them, and what each allows.

The API stays the judge: a refusal is shown in its words.
"""
from django.utils.translation import pgettext_lazy

NEW, BUILDING, COMPLETED = 'NEW', 'BUILDING', 'COMPLETED'
FAILED, DELETE_FAILED = 'FAILED', 'DELETE_FAILED'

# Rows in these states refresh themselves until they leave them.
TRANSITIONAL = frozenset({NEW, BUILDING})

STATUS_CHOICES = ((NEW, None), (BUILDING, None), (COMPLETED, True), (FAILED, False),
                  (DELETE_FAILED, False))

STATUS_DISPLAY = (
    (NEW, pgettext_lazy('Status of a backup', 'New')),
    (BUILDING, pgettext_lazy('Status of a backup', 'Building')),
    (COMPLETED, pgettext_lazy('Status of a backup', 'Completed')),
    (FAILED, pgettext_lazy('Status of a backup', 'Failed')),
    (DELETE_FAILED, pgettext_lazy('Status of a backup', 'Delete failed')),
)


def is_transitional(backup):
    return getattr(backup, 'status', None) in TRANSITIONAL


def restorable(backup):
    return getattr(backup, 'status', None) == COMPLETED


def deletable(backup):
    """A backup being made cannot be deleted (the API says 409); any other can."""
    return not is_transitional(backup)
