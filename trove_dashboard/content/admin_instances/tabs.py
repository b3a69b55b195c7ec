"""An instance's detail page for operators: Overview (with the fault's details), Events
(the timeline), Diagnostics (asked of the guest only when the tab is opened)."""
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tabs
from horizon.utils import http as http_utils

from trove_dashboard.api import admin_instances
from trove_dashboard.api import trove
from trove_dashboard.content.admin_instances import instance_data
from trove_dashboard.content.databases import detail_tables
from trove_dashboard.content.databases import instance_data as project_instance_data
from trove_dashboard.content.databases import states
from trove_dashboard.content.databases import tabs as project_tabs
from trove_dashboard import exceptions as dash_exceptions


def _flavor(request, instance):
    """The instance's flavor, or None when an operator deleted it: one call."""
    try:
        return trove.flavor_get(request, project_instance_data.flavor_id_of(instance))
    except dash_exceptions.NOT_FOUND:
        return None
    except Exception:
        exceptions.handle(request, _("Unable to retrieve the instance's flavor."))
        return None


class OverviewTab(tabs.Tab):
    name = _('Overview')
    slug = 'overview'
    template_name = 'admin/database_instances/_detail_overview.html'

    def get_context_data(self, request):
        instance = self.tab_group.kwargs['instance']
        project = instance_data.project_of(request, instance).get(instance.tenant_id)
        return {'instance': instance, 'flavor': _flavor(request, instance),
                'project_name': getattr(project, 'name', None),
                'usage': project_tabs.volume_usage(instance),
                'fault': getattr(instance, 'fault', None),
                'transitional': states.is_transitional(instance)}


class EventsTab(tabs.TableTab):
    """Every step of every operation, on the timeline the project's page draws: one call
    (the management one, which serves a deleted instance's events too), made when the tab
    is opened."""
    name = _('Events')
    slug = 'events'
    table_classes = (detail_tables.EventsTable,)
    template_name = 'admin/database_instances/_detail_events.html'
    # Loaded when opened: the page's own cost stays two calls (the instance, its flavor).
    preload = False

    def get_events_data(self):
        instance = self.tab_group.kwargs['instance']
        try:
            return detail_tables.place_on_timeline(
                admin_instances.instance_events(self.request, instance.id))
        except Exception:
            exceptions.handle(self.request, _("Unable to retrieve the instance's events."))
            return []


class DiagnosticsTab(tabs.Tab):
    """The instance's memory and CPUs and its current figures: two calls, the second asks
    the guest, so they are made only when the tab is opened."""
    name = _('Diagnostics')
    slug = 'diagnostics'
    preload = False
    template_name = 'admin/database_instances/_detail_diagnostics.html'

    def allowed(self, request):
        # An instance never placed (no host) never had a guest to ask.
        instance = self.tab_group.kwargs['instance']
        return not instance.deleted and bool(getattr(instance, 'host', None))

    def get_context_data(self, request):
        instance = self.tab_group.kwargs['instance']
        context = {'hwinfo': None, 'diagnostics': None, 'refusal': None}
        try:
            context['hwinfo'] = admin_instances.instance_hwinfo(request, instance.id)
            context['diagnostics'] = admin_instances.instance_diagnostics(
                request, instance.id)
        except dash_exceptions.RECOVERABLE as exc:
            if not dash_exceptions.is_client_error(exc):
                exceptions.handle(request, _("Unable to retrieve the instance's "
                                             'diagnostics.'))
            else:
                context['refusal'] = dash_exceptions.api_message(exc)
        return context


class AdminInstanceTabs(tabs.DetailTabsGroup):
    slug = 'admin_instance_details'
    tabs = (OverviewTab, EventsTab, DiagnosticsTab)
    sticky = True

    def load_tab_data(self):
        # An ajax ?tab= request renders the asked tab alone (it loads its own data as it
        # renders): the Overview's flavor and project calls would be spent for nothing.
        if http_utils.is_ajax(self.request) and self.selected is not None:
            return
        super().load_tab_data()
