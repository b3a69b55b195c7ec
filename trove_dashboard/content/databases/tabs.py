"""An instance's detail page: Overview, Events, Metrics, Users, Databases, Backups,
Schedules, Configuration, Modules, Replication (replication_tab).

The view fetches the instance once and hands it to every tab; Users and
Databases load only when opened (they ask the instance's guest), and only for
versions that declare those capabilities.
"""
import logging

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tabs

from trove_dashboard.api import modules as modules_api
from trove_dashboard.api import trove
from trove_dashboard.content.database_backups import backup_data
from trove_dashboard.content.database_backups import schedule_tables
from trove_dashboard.content.database_backups import schedule_views
from trove_dashboard.content.database_backups import tables as backup_tables
from trove_dashboard.content.databases import catalogue as cat
from trove_dashboard.content.databases import configuration_tables
from trove_dashboard.content.databases import connection
from trove_dashboard.content.databases import detail_tables
from trove_dashboard.content.databases import module_tables
from trove_dashboard.content.databases import replication_tab
from trove_dashboard.content.databases import states
from trove_dashboard import exceptions as dash_exceptions

LOG = logging.getLogger(__name__)


def volume_usage(instance):
    """(used GB, size GB, percent) or None when the guest has not reported usage."""
    volume = getattr(instance, 'volume', None) or {}
    used, size = volume.get('used'), volume.get('size')
    if used is None or not size:
        return None
    return {'used': used, 'size': size, 'percent': min(100, round(100.0 * used / size))}


def volume_type_name(request, instance):
    """The instance's volume type by name (the API shows its id): one call, or none."""
    volume = getattr(instance, 'volume', None) or {}
    datastore = getattr(instance, 'datastore', None) or {}
    type_id = volume.get('type')
    if not type_id:
        return None
    try:
        types = trove.version_volume_types(request, datastore.get('type'),
                                           datastore.get('version'))
    except Exception:
        return type_id   # the id is still an answer; no need for an error here
    return next((t.name for t in types if t.id == type_id or t.name == type_id), type_id)


class OverviewTab(tabs.Tab):
    name = _('Overview')
    slug = 'overview'
    template_name = 'project/databases/_detail_overview.html'

    def get_context_data(self, request):
        instance = self.tab_group.kwargs['instance']
        return {'instance': instance, 'usage': volume_usage(instance),
                'volume_type': volume_type_name(request, instance),
                'fault': getattr(instance, 'fault', None),
                # The API sends fault details to admins only; the page agrees.
                'show_fault_details': request.user.is_superuser,
                'transitional': states.is_transitional(instance),
                'configuration': getattr(instance, 'configuration', None) or {},
                'restart_required': states.restart_required(instance),
                'connection': connection.details(instance),
                'root_enabled': getattr(instance, 'root_enabled', None),
                'replication': replication_tab.overview_links(request, instance)}


class EventsTab(tabs.TableTab):
    """The instance's events: one call (each names its backup, if any: event_links)."""
    name = _('Events')
    slug = 'events'
    table_classes = (detail_tables.EventsTable,)
    template_name = 'horizon/common/_detail_table.html'

    def get_events_data(self):
        instance = self.tab_group.kwargs['instance']
        try:
            return detail_tables.place_on_timeline(
                trove.instance_events(self.request, instance.id))
        except Exception:
            exceptions.handle(self.request, _("Unable to retrieve the instance's events."))
            return []


class MetricsTab(tabs.Tab):
    """Charts of the instance's recent load, drawn and refreshed in the browser from the
    metrics view (metrics_views.py): no API call while the page renders."""
    name = _('Metrics')
    slug = 'metrics'
    preload = False
    template_name = 'project/databases/_detail_metrics.html'

    # (figure of a sample, its title, how metrics.js writes its values)
    CHARTS = (('cpu_percent', _('CPU (percent of one CPU)'), 'percent'),
              ('memory_bytes', _('Memory'), 'bytes'),
              ('connections', _('Connections'), 'count'),
              ('queries_per_second', _('Queries per second'), 'rate'),
              ('volume_used_bytes', _('Volume used'), 'bytes'))

    def get_context_data(self, request):
        instance = self.tab_group.kwargs['instance']
        return {'instance': instance,
                'charts': [{'figure': figure, 'title': title, 'unit': unit}
                           for figure, title, unit in self.CHARTS],
                'metrics_url': reverse('horizon:project:databases:metrics',
                                       args=[instance.id])}


class GuestTableTab(tabs.TableTab):
    """A table of what the instance's engine holds, listed only while it runs."""
    capability = None
    preload = False
    template_name = 'project/databases/_detail_guest_table.html'

    def allowed(self, request):
        instance = self.tab_group.kwargs['instance']
        return self.capability in getattr(instance, 'capabilities', ())

    @property
    def marker_param(self):
        return self.table_classes[0]._meta.pagination_param

    def fetch(self, list_function, failure):
        instance = self.tab_group.kwargs['instance']
        self._more = None
        if not states.allows(instance, 'guest'):
            return []
        try:
            items, self._more = list_function(
                self.request, instance.id, marker=self.request.GET.get(self.marker_param))
            return items
        except Exception:
            exceptions.handle(self.request, failure)
            return []

    def has_more_data(self, table):
        return bool(getattr(self, '_more', None))

    def get_context_data(self, request, **kwargs):
        context = super().get_context_data(request, **kwargs)
        context['guest_running'] = states.allows(self.tab_group.kwargs['instance'], 'guest')
        return context


class UsersTab(GuestTableTab):
    name = _('Users')
    slug = 'users'
    capability = 'users'
    table_classes = (detail_tables.UsersTable,)

    def get_users_data(self):
        return self.fetch(trove.user_list, _('Unable to retrieve users.'))


class DatabasesTab(GuestTableTab):
    name = _('Databases')
    slug = 'databases'
    capability = 'databases'
    table_classes = (detail_tables.DatabasesTable,)

    def get_databases_data(self):
        return self.fetch(trove.database_list, _('Unable to retrieve databases.'))


class BackupsTab(tabs.TableTab):
    """The instance's backups: one call, made only when the tab is opened."""
    name = _('Backups')
    slug = 'backups'
    preload = False
    table_classes = (backup_tables.InstanceBackupsTable,)
    template_name = 'horizon/common/_detail_table.html'

    def allowed(self, request):
        return cat.BACKUP in getattr(self.tab_group.kwargs['instance'], 'capabilities', ())

    def get_instance_backups_data(self):
        instance = self.tab_group.kwargs['instance']
        try:
            return backup_data.newest_first(backup_data.join(
                trove.instance_backups(self.request, instance.id)))
        except Exception:
            exceptions.handle(self.request, _("Unable to retrieve the instance's backups."))
            return []


class SchedulesTab(tabs.TableTab):
    """The instance's backup schedules: two calls, made only when the tab is opened."""
    name = _('Schedules')
    slug = 'schedules'
    preload = False
    table_classes = (schedule_tables.SchedulesTable,)
    template_name = 'horizon/common/_detail_table.html'

    def allowed(self, request):
        return cat.BACKUP in getattr(self.tab_group.kwargs['instance'], 'capabilities', ())

    def get_schedules_data(self):
        try:
            return schedule_views.instance_schedules(
                self.request, self.tab_group.kwargs['instance'].id)
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve the schedules.'))
            return []


class ConfigurationTab(tabs.TableTab):
    """The values the engine runs with, marking those the attached group sets and those of
    the group the engine does not run: one call, three with a group (its values and its
    version's parameters, for their units), made only when the tab is opened and the
    engine runs."""
    name = _('Configuration')
    slug = 'configuration'
    preload = False
    table_classes = (configuration_tables.InstanceConfigurationTable,)
    template_name = 'project/databases/_detail_configuration.html'

    def allowed(self, request):
        return cat.CONFIGURATION in getattr(self.tab_group.kwargs['instance'], 'capabilities',
                                            ())

    def group(self):
        return getattr(self.tab_group.kwargs['instance'], 'configuration', None) or {}

    def get_instance_configuration_data(self):
        instance = self.tab_group.kwargs['instance']
        self._rows = []
        if not states.allows(instance, 'guest'):
            return []
        try:
            running = trove.instance_configuration(self.request, instance.id)
            group_values, parameters = {}, []
            if self.group().get('id'):
                configuration = trove.configuration_get(self.request, self.group()['id'])
                group_values = getattr(configuration, 'values', None) or {}
                if group_values:
                    parameters = trove.parameters_by_version(
                        self.request, configuration.datastore_version_id)
        except Exception:
            exceptions.handle(self.request, _("Unable to retrieve the instance's "
                                              "configuration."))
            return []
        self._rows = configuration_tables.effective_values(
            running, group_values, parameters,
            restart_pending=states.restart_required(instance))
        return self._rows

    def get_context_data(self, request, **kwargs):
        context = super().get_context_data(request, **kwargs)
        instance = self.tab_group.kwargs['instance']
        found = {row.state for row in getattr(self, '_rows', [])}
        context.update(guest_running=states.allows(instance, 'guest'), group=self.group(),
                       restart_required=states.restart_required(instance),
                       not_in_effect=configuration_tables.NOT_IN_EFFECT in found,
                       waits=configuration_tables.WAITS in found)
        return context


class ModulesTab(tabs.TableTab):
    """The modules as the instance's guest reports them: one call, made only when the tab
    is opened and the instance runs. A guest that does not answer is said in words."""
    name = _('Modules')
    slug = 'modules'
    preload = False
    table_classes = (module_tables.InstanceModulesTable,)
    template_name = 'project/databases/_detail_modules.html'

    def allowed(self, request):
        return cat.MODULES in getattr(self.tab_group.kwargs['instance'], 'capabilities', ())

    def get_instance_modules_data(self):
        instance = self.tab_group.kwargs['instance']
        self._unanswered = None
        if not states.allows(instance, 'guest'):
            return []
        try:
            return modules_api.instance_module_query(self.request, instance.id)
        except dash_exceptions.RECOVERABLE as exc:
            LOG.warning('The guest of instance %s did not list its modules.', instance.id,
                        exc_info=True)
            self._unanswered = (dash_exceptions.api_message(exc)
                                if dash_exceptions.is_client_error(exc) else '')
            return []

    def get_context_data(self, request, **kwargs):
        context = super().get_context_data(request, **kwargs)
        context.update(guest_running=states.allows(self.tab_group.kwargs['instance'], 'guest'),
                       unanswered=getattr(self, '_unanswered', None))
        return context


class InstanceDetailTabs(tabs.DetailTabsGroup):
    slug = 'instance_details'
    tabs = (OverviewTab, EventsTab, MetricsTab, UsersTab, DatabasesTab, BackupsTab,
            SchedulesTab, ConfigurationTab, ModulesTab, replication_tab.ReplicationTab)
    sticky = True

    def get_selected_tab(self):
        # A "more" link of a guest table keeps its tab open.
        for tab in (UsersTab, DatabasesTab):
            if self.request.GET.get(tab.table_classes[0]._meta.pagination_param):
                selected = self.get_tab(tab.slug)
                if selected:
                    return selected
        return super().get_selected_tab()
