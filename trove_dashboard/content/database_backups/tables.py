"""The backups table (rows being made refresh themselves) and a backup's chain."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import tables

from trove_dashboard.api import trove
from trove_dashboard.content.database_backups import actions
from trove_dashboard.content.database_backups import backup_data
from trove_dashboard.content.database_backups import states

NARROW_HIDDEN = ('hidden-xs', 'hidden-sm')


def detail_url(backup):
    return reverse('horizon:project:database_backups:detail', args=[backup.id])


def instance_url(backup):
    """The instance's page; none once it is deleted (that page would only fail)."""
    instance_id = getattr(backup, 'instance_id', None)
    if not instance_id or backup_data.instance_gone(backup):
        return None
    return reverse('horizon:project:databases:detail', args=[instance_id])


def instance_label(backup):
    """Its instance by name (by id once purged), marked when deleted."""
    label = (backup_data.field(backup, 'instance_name') or
             getattr(backup, 'instance_id', None) or '-')
    if backup_data.instance_gone(backup):
        return _('%s (deleted)') % label
    return label


def datastore_label(backup):
    datastore = getattr(backup, 'datastore', None) or {}
    return '%s %s' % (datastore.get('type', ''), datastore.get('version', ''))


def kind_label(backup):
    return _('Incremental') if getattr(backup, 'parent_id', None) else _('Full')


def size_label(backup):
    size = getattr(backup, 'size', None)
    if size is None:
        return '-'
    if size < 0.01:
        return _('%d MB') % max(1, round(size * 1024))
    return _('%.2f GB') % size


def time_label(value):
    return (value or '-').replace('T', ' ')[:19]


class BackupRow(tables.Row):
    """Refreshes itself while its backup is being made (status None): one call."""
    ajax = True

    def get_data(self, request, backup_id):
        return backup_data.join([trove.backup_get(request, backup_id)])[0]


def status_column():
    return tables.Column('status', verbose_name=_('Status'), status=True,
                         status_choices=states.STATUS_CHOICES,
                         display_choices=states.STATUS_DISPLAY)


class BackupsTable(tables.DataTable):
    name = tables.WrappingColumn('name', verbose_name=_('Name'), link=detail_url)
    instance = tables.Column(instance_label, verbose_name=_('Instance'), link=instance_url)
    datastore = tables.Column(datastore_label, verbose_name=_('Datastore'),
                              classes=NARROW_HIDDEN)
    kind = tables.Column(kind_label, verbose_name=_('Type'))
    size = tables.Column(size_label, verbose_name=_('Size'))
    created = tables.Column(lambda b: time_label(b.created), verbose_name=_('Created (UTC)'),
                            classes=NARROW_HIDDEN)
    status = status_column()

    class Meta:
        name = 'backups'
        verbose_name = _('Backups')
        status_columns = ['status']
        row_class = BackupRow
        table_actions = (actions.CreateBackup, actions.DeleteBackup)
        row_actions = (actions.RestoreBackup, actions.DeleteBackup, actions.DeleteBackupChain)


class InstanceBackupsTable(BackupsTable):
    """An instance's backups, on its detail page."""

    class Meta:
        name = 'instance_backups'
        verbose_name = _('Backups')
        status_columns = ['status']
        row_class = BackupRow
        columns = ('name', 'kind', 'size', 'created', 'status')
        table_actions = (actions.CreateInstanceBackup,)
        row_actions = (actions.RestoreBackup,)


class ChainTable(tables.DataTable):
    """A backup's ancestors and children: what a restore needs and what builds on it."""
    relation = tables.Column('relation', verbose_name=_('Relation'))
    name = tables.Column('name', verbose_name=_('Name'), link=detail_url)
    kind = tables.Column(kind_label, verbose_name=_('Type'))
    size = tables.Column(size_label, verbose_name=_('Size'))
    created = tables.Column(lambda b: time_label(b.created), verbose_name=_('Created (UTC)'))
    status = status_column()

    class Meta:
        name = 'chain'
        verbose_name = _('Chain')
        status_columns = ['status']


def chain_rows(backup, siblings):
    """Ancestors (full first), the backup itself, then its descendants, each labelled."""
    rows = []
    for ancestor in reversed(backup_data.ancestors(backup, siblings)):
        ancestor.relation = _('Builds on')
        rows.append(ancestor)
    backup.relation = _('This backup')
    rows.append(backup)
    for child in backup_data.descendants(backup, siblings):
        child.relation = _('Built on it')
        rows.append(child)
    return rows
