"""Every project's instances: one row each, rows in motion refresh themselves."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from horizon import tables
from horizon.utils import filters

from trove_dashboard.content.admin_instances import actions
from trove_dashboard.content.admin_instances import instance_data
from trove_dashboard.content.databases import states
from trove_dashboard.content.databases import tables as project_tables
from trove_dashboard import exceptions as dash_exceptions

DETAIL_URL = 'horizon:admin:database_instances:detail'

STATUS_CHOICES = states.STATUS_CHOICES + ((instance_data.DELETED, False),)
STATUS_DISPLAY = states.STATUS_DISPLAY + (
    (instance_data.DELETED, pgettext_lazy('Status of a database instance', 'Deleted')),)


def detail_url(instance):
    return reverse(DETAIL_URL, args=[instance.id])


def project_name(instance):
    return instance.project.name


def datastore_label(instance):
    return project_tables.datastore_label(instance)


def flavor_name(instance):
    flavor = getattr(instance, 'full_flavor', None)
    return flavor.name if flavor is not None else (
        project_tables.instance_data.flavor_id_of(instance) or '-')


def volume_size(instance):
    size = (getattr(instance, 'volume', None) or {}).get('size')
    return '-' if size is None else _('%s GB') % size


class InstanceFilter(tables.FilterAction):
    """By project (its name) or status, asked of the API: the filter spans every page."""
    filter_type = 'server'
    filter_choices = (('project', _('Project ='), True),
                      ('status', _('Status ='), True))


class AdminInstanceRow(tables.Row):
    """Refreshes itself while its instance is transitional; a live row whose instance
    was deleted meanwhile leaves the live table (the 404 Horizon removes rows on)."""
    ajax = True

    def get_data(self, request, instance_id):
        instance = instance_data.load(request, instance_id)[0]
        if instance.deleted and not self.table.kwargs.get('show_deleted'):
            raise dash_exceptions.NOT_FOUND[0](http_status=404, message='deleted')
        return instance


class AdminInstancesTable(tables.DataTable):
    name = tables.WrappingColumn('name', verbose_name=_('Name'), link=detail_url)
    project = tables.Column(project_name, verbose_name=_('Project'))
    host = tables.Column('host', verbose_name=_('Host'), empty_value='-',
                         classes=project_tables.NARROW_HIDDEN)
    datastore = tables.Column(datastore_label, verbose_name=_('Datastore'),
                              classes=project_tables.NARROW_HIDDEN)
    flavor = tables.Column(flavor_name, verbose_name=_('Flavor'))
    size = tables.Column(volume_size, verbose_name=_('Size'),
                         classes=project_tables.NARROW_HIDDEN)
    status = tables.Column('shown_status', verbose_name=_('Status'), status=True,
                           status_choices=STATUS_CHOICES, display_choices=STATUS_DISPLAY)
    created = tables.Column('created', verbose_name=_('Created'),
                            filters=(filters.parse_isotime,
                                     filters.timesince_sortable),
                            attrs={'data-type': 'timesince'},
                            classes=project_tables.NARROW_HIDDEN)

    class Meta:
        name = 'admin_instances'
        verbose_name = _('Instances')
        status_columns = ['status']
        row_class = AdminInstanceRow
        table_actions = (InstanceFilter, actions.ShowDeleted, actions.ShowLive)
        # The first allowed action is the row's button: the harmless Ping comes first.
        row_actions = (actions.PingInstance, actions.RebootInstance, actions.StopInstance,
                       actions.ResetStatus)
