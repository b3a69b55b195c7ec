"""The instances table: one row per instance, rows in motion refresh themselves."""
from django.template import defaultfilters as filters
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import tables

from trove_dashboard.content.databases import actions
from trove_dashboard.content.databases import instance_data
from trove_dashboard.content.databases import states


def datastore_label(instance):
    datastore = getattr(instance, 'datastore', None) or {}
    return '%s %s' % (datastore.get('type', ''), datastore.get('version', ''))


def address(instance):
    return ', '.join(getattr(instance, 'ip', None) or []) or '-'


def flavor_label(instance):
    flavor = getattr(instance, 'full_flavor', None)
    if flavor is None:
        return instance_data.flavor_id_of(instance) or '-'
    return _('%(name)s | %(ram)s RAM') % {
        'name': flavor.name, 'ram': filters.filesizeformat(flavor.ram * 1024 * 1024)}


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


class InstanceRow(tables.Row):
    """Refreshes itself while its instance is transitional (status None)."""
    ajax = True

    def get_data(self, request, instance_id):
        return instance_data.load(request, instance_id)


class InstancesTable(tables.DataTable):
    name = tables.WrappingColumn('name', verbose_name=_('Instance Name'), link=detail_url)
    datastore = tables.Column(datastore_label, verbose_name=_('Datastore'))
    address = tables.Column(address, verbose_name=_('Address'))
    size = tables.Column(flavor_label, verbose_name=_('Size'))
    volume = tables.Column(volume_label, verbose_name=_('Volume (used / size)'))
    locality = tables.Column(locality_label, verbose_name=_('Locality'))
    status = tables.Column('status', verbose_name=_('Status'), status=True,
                           status_choices=states.STATUS_CHOICES,
                           display_choices=states.STATUS_DISPLAY)

    class Meta:
        name = 'instances'
        verbose_name = _('Instances')
        status_columns = ['status']
        row_class = InstanceRow
        table_actions = (actions.LaunchInstance, actions.DeleteInstance)
        row_actions = (actions.RestartInstance, actions.ResizeVolume, actions.ResizeFlavor,
                       actions.EnableRoot, actions.DisableRoot, actions.RenameInstance,
                       actions.DeleteInstance)
