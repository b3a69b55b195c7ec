"""The Instances panel's pages: every project's instances (live or deleted), and one
instance's detail."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tables as horizon_tables
from horizon import tabs as horizon_tabs
from horizon.utils import memoized

from trove_dashboard.api import admin_instances
from trove_dashboard.api import trove
from trove_dashboard.content.admin_instances import instance_data
from trove_dashboard.content.admin_instances import tables
from trove_dashboard.content.admin_instances import tabs

INDEX_URL = 'horizon:admin:database_instances:index'


class IndexView(horizon_tables.DataTableView):
    """One page of every project's instances: two API calls (instances, flavors) and one
    Keystone call (projects), whatever the page's size."""
    table_class = tables.AdminInstancesTable
    template_name = 'admin/database_instances/index.html'
    page_title = _('Instances')

    def has_more_data(self, table):
        return self._more

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['show_deleted'] = self.kwargs.get('show_deleted', False)
        return context

    def _filters(self, projects):
        """The API's filters from the table's filter, or None when nothing can match (a
        project name no project has)."""
        info = self.get_server_filter_info(self.request) or {}
        value = (info.get('value') or '').strip()
        if not value:
            return {}
        if info.get('field') == 'status':
            return {'status': value.upper().replace(' ', '_')}
        project_id = instance_data.project_named(projects, value)
        return {'project_id': project_id} if project_id else None

    def get_data(self):
        self._more = False
        try:
            projects = instance_data.projects(self.request)
        except Exception:
            projects = {}
            exceptions.handle(self.request, _('Unable to retrieve the projects.'))
        filters = self._filters(projects)
        if filters is None:
            return []
        marker = self.request.GET.get(tables.AdminInstancesTable._meta.pagination_param)
        try:
            instances, next_marker = admin_instances.instance_list(
                self.request, marker=marker, deleted=self.kwargs.get('show_deleted', False),
                **filters)
            self._more = bool(next_marker)
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve instances.'))
            return []
        if not instances:
            return []
        try:
            flavors = trove.flavor_list(self.request)
        except Exception:
            flavors = []
            exceptions.handle(self.request, _('Unable to retrieve flavors.'))
        return instance_data.join(instances, flavors, projects)


class DeletedIndexView(IndexView):
    """The same table of deleted instances (its URL passes show_deleted)."""
    page_title = _('Deleted Instances')


class DetailView(horizon_tabs.TabbedTableView):
    """One instance, deleted ones too: two API calls for the page (the instance; its flavor,
    for the Overview tab) and one Keystone call (its project). Events (one call more) and
    Diagnostics (two more) load when their tab is opened, each such request costing the
    instance's call besides."""
    tab_group_class = tabs.AdminInstanceTabs
    template_name = 'admin/database_instances/detail.html'
    page_title = '{{ instance.name }}'

    @memoized.memoized_method
    def get_data(self):
        try:
            return admin_instances.instance_get(self.request, self.kwargs['instance_id'])
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve the instance.'),
                              redirect=reverse(INDEX_URL))

    def _actions_table(self):
        """The list's table holding this instance alone: its row actions, posted back
        here, act on it wherever it stands in the list's pages."""
        instance = self.get_data()
        instance.shown_status = (instance_data.DELETED if instance.deleted
                                 else instance.status)
        return tables.AdminInstancesTable(self.request, data=[instance])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['instance'] = self.get_data()
        context['url'] = self.request.path
        context['actions'] = self._actions_table().render_row_actions(self.get_data())
        return context

    def post(self, request, *args, **kwargs):
        return self._actions_table().maybe_handle() or self.get(request, *args, **kwargs)

    def get_tabs(self, request, *args, **kwargs):
        return self.tab_group_class(request, instance=self.get_data(), **kwargs)
