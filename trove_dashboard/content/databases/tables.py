"""The instances table: one row per instance, rows in motion refresh themselves."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import tables
from horizon.tables import base as tables_base

from trove_dashboard.content.databases import actions
from trove_dashboard.content.databases import instance_data
from trove_dashboard.content.databases import states


NARROW_HIDDEN = ('hidden-xs', 'hidden-sm')


def datastore_label(instance):
    datastore = getattr(instance, 'datastore', None) or {}
    return '%s %s' % (datastore.get('type', ''), datastore.get('version', ''))


def address(instance):
    return ', '.join(getattr(instance, 'ip', None) or []) or '-'


def flavor_label(instance):
    flavor = getattr(instance, 'full_flavor', None)
    if flavor is None:
        return instance_data.flavor_id_of(instance) or '-'
    return _('%(name)s | %(ram)s MB RAM') % {'name': flavor.name, 'ram': flavor.ram}


def volume_label(instance):
    volume = getattr(instance, 'volume', None) or {}
    size = volume.get('size')
    if size is None:
        return '-'
    used = volume.get('used')
    if used is None:
        return _('%s GB') % size
    return _('%(used).2f / %(size)s GB') % {'used': used, 'size': size}


def locality_label(instance):
    return getattr(instance, 'locality', None) or '-'


def detail_url(instance):
    return reverse('horizon:project:databases:detail', args=[instance.id])


class InstanceCell(tables_base.Cell):
    """RESTART_REQUIRED is settled (the row does not poll) but shows as a warning."""

    def get_status_class(self, status):
        if self.column.status and states.restart_required(self.datum):
            return 'warning restart-required'
        return super().get_status_class(status)


class InstanceRow(tables.Row):
    """Refreshes itself while its instance is transitional (status None)."""
    ajax = True

    def get_data(self, request, instance_id):
        return instance_data.load(request, instance_id)


class InstancesTable(tables.DataTable):
    name = tables.WrappingColumn('name', verbose_name=_('Instance Name'), link=detail_url)
    # Datastore, address and locality give way on narrow screens (the detail page shows
    # them), as the backups table's datastore does: a Restart Required row needs the room.
    datastore = tables.Column(datastore_label, verbose_name=_('Datastore'),
                              classes=NARROW_HIDDEN)
    address = tables.Column(address, verbose_name=_('Address'), classes=NARROW_HIDDEN)
    size = tables.Column(flavor_label, verbose_name=_('Size'))
    volume = tables.Column(volume_label, verbose_name=_('Volume (used / size)'))
    locality = tables.Column(locality_label, verbose_name=_('Locality'), classes=NARROW_HIDDEN)
    status = tables.Column('status', verbose_name=_('Status'), status=True,
                           status_choices=states.STATUS_CHOICES,
                           display_choices=states.STATUS_DISPLAY)

    class Meta:
        name = 'instances'
        verbose_name = _('Instances')
        status_columns = ['status']
        row_class = InstanceRow
        cell_class = InstanceCell
        table_actions = (actions.LaunchInstance, actions.DeleteInstance)
        # The first allowed action is the row's button: a harmless one comes first.
        row_actions = (actions.ResizeVolume, actions.ResizeFlavor, actions.RenameInstance,
                       actions.BackupInstance, actions.BackupSchedules,
                       actions.AttachConfiguration, actions.DetachConfiguration,
                       actions.EnableRoot, actions.DisableRoot, actions.RestartInstance,
                       actions.DeleteInstance)
