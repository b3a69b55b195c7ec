"""The Instances panel's pages: the list, an instance's detail, the launch workflow."""
import logging

from django import http
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import generic
from horizon import exceptions
from horizon import tables as horizon_tables
from horizon import tabs as horizon_tabs
from horizon.utils import memoized
from horizon import workflows as horizon_workflows

from trove_dashboard.api import trove
from trove_dashboard.content.databases import catalogue as cat
from trove_dashboard.content.databases import flavor_cache
from trove_dashboard.content.databases import instance_data
from trove_dashboard.content.databases import root_state
from trove_dashboard.content.databases import tables
from trove_dashboard.content.databases import tabs
from trove_dashboard.content.databases.workflows import choices as launch_choices
from trove_dashboard.content.databases.workflows import launch
from trove_dashboard import exceptions as dash_exceptions

INDEX_URL = 'horizon:project:databases:index'
LOG = logging.getLogger(__name__)


class IndexView(horizon_tables.DataTableView):
    """One page of instances: three calls (instances, limits, datastores) whatever its size,
    and the flavors once a minute or when a row names one not yet seen (flavor_cache)."""
    table_class = tables.InstancesTable
    template_name = 'project/databases/index.html'
    page_title = _('Instances')

    def has_more_data(self, table):
        return self._more

    def _launch_refusal(self):
        """Why Launch Instance is disabled, or None; None too when the limits cannot be
        read: the API still refuses a launch over quota, in its own words."""
        try:
            limits = trove.limits(self.request)
        except Exception:
            LOG.warning('The limits could not be read; Launch Instance stays enabled.',
                        exc_info=True)
            return None
        return tables.launch_refusal(limits)

    def get_data(self):
        self._more = False
        marker = self.request.GET.get(tables.InstancesTable._meta.pagination_param)
        try:
            instances, next_marker = trove.instance_list(self.request, marker=marker)
            self._more = bool(next_marker)
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve instances.'))
            self.table.launch_refusal = self._launch_refusal()
            return []
        self.table.launch_refusal = self._launch_refusal()
        if not instances:
            return []
        try:
            flavors = flavor_cache.flavors_for(self.request, instances)
        except Exception:
            flavors = []
            exceptions.handle(self.request, _('Unable to retrieve flavors.'))
        try:
            catalogue = cat.Catalogue.load(self.request)
        except Exception:
            catalogue = cat.Catalogue([])
            exceptions.handle(self.request, _('Unable to retrieve datastores.'))
        return instance_data.join(instances, flavors, catalogue)


class DetailView(horizon_tabs.TabbedTableView):
    """The instance (three calls: instance_data.load), whether root is enabled (one call,
    for a running engine with root, not for a tab loaded alone), and the tabs' own."""
    tab_group_class = tabs.InstanceDetailTabs
    template_name = 'project/databases/detail.html'
    page_title = '{{ instance.name }}'

    @memoized.memoized_method
    def get_data(self):
        try:
            instance = instance_data.load(self.request, self.kwargs['instance_id'])
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve the instance.'),
                              redirect=reverse(INDEX_URL))
        if self.request.headers.get('X-Requested-With') != 'XMLHttpRequest':
            root_state.mark(self.request, instance)   # Disable Root, the page only: one call
        return instance

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        instance = self.get_data()
        table = tables.InstancesTable(self.request)
        context['instance'] = instance
        context['url'] = reverse(INDEX_URL)
        context['actions'] = table.render_row_actions(instance)
        return context

    def get_tabs(self, request, *args, **kwargs):
        return self.tab_group_class(request, instance=self.get_data(), **kwargs)


class LaunchInstanceView(horizon_workflows.WorkflowView):
    """Launch Instance; ?backup=<id> (Restore Backup) opens it on that backup's version.

    Six API calls (datastores, the version's flavors and volume types, zones, networks,
    limits), one more per feature the version declares (configuration groups, backups,
    instances to replicate, modules), and the backup's for a restore.
    """
    workflow_class = launch.LaunchInstance

    def get_initial(self):
        initial = super().get_initial()
        backup_id = self.request.GET.get('backup')
        try:
            backup = trove.backup_get(self.request, backup_id) if backup_id else None
            initial['launch'] = launch_choices.LaunchContext(self.request, backup=backup)
        except Exception:
            exceptions.handle(self.request, _('Unable to load what can be launched.'),
                              redirect=reverse(INDEX_URL))
        if backup is not None:
            initial.update(launch_choices.restore_initial(initial['launch'], backup))
        return initial


class LaunchChoicesView(generic.View):
    """JSON: what the launch form offers for one datastore version (see launch.js)."""

    def get(self, request):
        try:
            version = cat.Catalogue.load(request).get(request.GET.get('datastore_version'))
            if version is None:
                return http.JsonResponse({'error': str(_('Unknown datastore version.'))},
                                         status=404)
            found = launch_choices.VersionChoices.load(request, version)
        except dash_exceptions.RECOVERABLE as exc:
            return http.JsonResponse({'error': dash_exceptions.api_message(exc)}, status=502)
        return http.JsonResponse(found.as_json())
