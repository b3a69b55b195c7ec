"""What can be done to a backup, each offered only when its status and policy allow it."""
from urllib import parse

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from trove_dashboard.api import trove
from trove_dashboard.content.database_backups import states
from trove_dashboard import exceptions as dash_exceptions

SCOPE = 'database'
LAUNCH_URL = 'horizon:project:databases:launch'


class CreateBackup(tables.LinkAction):
    name = 'create'
    verbose_name = _('Create Backup')
    url = 'horizon:project:database_backups:create'
    classes = ('ajax-modal', 'btn-create')
    icon = 'camera'
    policy_rules = ((SCOPE, 'backup:create'),)


class CreateInstanceBackup(CreateBackup):
    """Create Backup with the page's instance chosen (its detail page's Backups tab)."""

    def get_link_url(self, datum=None):
        return '%s?%s' % (reverse(self.url), parse.urlencode(
            {'instance': self.table.kwargs['instance_id']}))


class RestoreBackup(tables.LinkAction):
    """Opens Launch Instance on its Advanced step, with the backup chosen there."""
    name = 'restore'
    verbose_name = _('Restore Backup')
    classes = ('ajax-modal', 'btn-launch')
    policy_rules = ((SCOPE, 'instance:create'),)

    def get_link_url(self, datum):
        return '%s?%s' % (reverse(LAUNCH_URL), parse.urlencode({'backup': datum.id,
                                                               'step': 'advanced'}))

    def allowed(self, request, backup=None):
        return backup is None or states.restorable(backup)


def _delete_or_say_why(request, backup_id, with_chain):
    """Delete; a refusal (409 while incrementals build on it) is shown in the API's words,
    and only once."""
    dash_exceptions.say_why(
        request, lambda req, bid: trove.backup_delete(req, bid, with_chain=with_chain),
        backup_id)


class DeleteBackup(tables.DeleteAction):
    policy_rules = ((SCOPE, 'backup:delete'),)
    help_text = _('A backup that incrementals build on is kept: delete it with its '
                  'incrementals instead.')

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Backup', 'Delete Backups', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Deleted Backup', 'Deleted Backups', count)

    def allowed(self, request, backup=None):
        return backup is None or states.deletable(backup)

    def delete(self, request, obj_id):
        _delete_or_say_why(request, obj_id, with_chain=False)


class DeleteBackupChain(tables.BatchAction):
    """Deletes a backup with every incremental that builds on it (offered when it has some)."""
    name = 'delete_chain'
    help_text = _('The backup and every incremental built on it are deleted; none of them '
                  'can be restored afterwards.')
    policy_rules = ((SCOPE, 'backup:delete'),)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.action_type = 'danger'

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete with Incrementals', 'Delete with Incrementals', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Deleted Backup with its Incrementals',
                             'Deleted Backups with their Incrementals', count)

    def allowed(self, request, backup=None):
        return (backup is not None and states.deletable(backup) and
                bool(getattr(backup, 'child_ids', None)))

    def action(self, request, obj_id):
        _delete_or_say_why(request, obj_id, with_chain=True)
