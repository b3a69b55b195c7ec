"""Events that name a backup (the API's `backup_id`: a backup step, a restore) link to it.

The API's events carry the backup's name and whether it is deleted (`backup_name`,
`backup_deleted`, joined in its one query), so linking costs no call. A backup that is not
the project's (an admin restored another project's backup) comes without a name: the
message shows as written, unlinked.
"""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def _named_backup(event):
    """(id, name, deleted) of the project's backup the event names, or None."""
    backup_id = getattr(event, 'backup_id', None)
    name = getattr(event, 'backup_name', None)
    if not backup_id or name is None:
        return None
    return backup_id, name, bool(getattr(event, 'backup_deleted', False))


def message_label(event):
    """The message, with the backup named by its name (or marked deleted) instead of its id."""
    message, backup = event.message or '', _named_backup(event)
    if backup is None:
        return message
    backup_id, name, deleted = backup
    if deleted:
        return _('%(message)s (deleted)') % {'message': message}
    return message.replace(backup_id, '"%s"' % name)


def message_link(event):
    backup = _named_backup(event)
    if backup is None or backup[2]:
        return None
    return reverse('horizon:project:database_backups:detail', args=[backup[0]])
