"""Backup statuses as the API reports them, and what each allows.

The API stays the judge: a refusal is shown in its words.
"""
from django.utils.translation import pgettext_lazy

NEW, BUILDING, COMPLETED = 'NEW', 'BUILDING', 'COMPLETED'
FAILED, DELETING, DELETE_FAILED = 'FAILED', 'DELETING', 'DELETE_FAILED'

# Rows in these states refresh themselves until they leave them (a deleted one: the list).
TRANSITIONAL = frozenset({NEW, BUILDING, DELETING})
BEING_MADE = frozenset({NEW, BUILDING})

STATUS_CHOICES = ((NEW, None), (BUILDING, None), (COMPLETED, True), (FAILED, False),
                  (DELETING, None), (DELETE_FAILED, False))

STATUS_DISPLAY = (
    (NEW, pgettext_lazy('Status of a backup', 'New')),
    (BUILDING, pgettext_lazy('Status of a backup', 'Building')),
    (COMPLETED, pgettext_lazy('Status of a backup', 'Completed')),
    (FAILED, pgettext_lazy('Status of a backup', 'Failed')),
    (DELETING, pgettext_lazy('Status of a backup', 'Deleting')),
    (DELETE_FAILED, pgettext_lazy('Status of a backup', 'Delete failed')),
)


def is_transitional(backup):
    return getattr(backup, 'status', None) in TRANSITIONAL


def restorable(backup):
    return getattr(backup, 'status', None) == COMPLETED


def deletable(backup):
    """A backup being made cannot be deleted (the API says 409); any other can, one whose
    delete failed or is under way too (that retries it at once)."""
    return getattr(backup, 'status', None) not in BEING_MADE
