"""An instance's backup schedules, a schedule's executions, and Create Schedule."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tables as horizon_tables
from horizon.utils import memoized

from trove_dashboard.api import trove
from trove_dashboard.content.database_backups import schedule_data
from trove_dashboard.content.database_backups import schedule_forms
from trove_dashboard.content.database_backups import schedule_tables
from trove_dashboard.content.databases import catalogue as cat
from trove_dashboard.modal_views import PageModalFormView

INSTANCES_URL = 'horizon:project:databases:index'
SCHEDULES_URL = 'horizon:project:database_backups:schedules'


def instance_schedules(request, instance_id):
    """The schedules joined with the instance's backups: two calls."""
    backups = trove.instance_backups(request, instance_id)
    return schedule_data.join(trove.schedule_list(request, instance_id), backups)


class InstanceView(horizon_tables.DataTableView):
    """A page about one instance's schedules; it names the instance (one call)."""

    @memoized.memoized_method
    def get_instance(self):
        try:
            return trove.instance_get(self.request, self.kwargs['instance_id'])
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve the instance.'),
                              redirect=reverse(INSTANCES_URL))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        instance = self.get_instance()
        context['instance'] = instance
        context['instance_url'] = reverse('horizon:project:databases:detail',
                                          args=[instance.id])
        # Horizon's breadcrumb: Backups > the instance > (this page).
        context['custom_breadcrumb'] = [(instance.name, context['instance_url'])]
        return context


class SchedulesView(InstanceView):
    """The instance, its schedules and its backups: three calls."""
    table_class = schedule_tables.SchedulesTable
    template_name = 'project/database_backups/schedules.html'
    page_title = _('Backup Schedules: {{ instance.name }}')

    def get_data(self):
        self.get_instance()
        try:
            return instance_schedules(self.request, self.kwargs['instance_id'])
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve the schedules.'))
            return []


class ScheduleDetailView(InstanceView):
    """The instance, the schedule, its executions and the instance's backups: four calls."""
    table_class = schedule_tables.ExecutionsTable
    template_name = 'project/database_backups/schedule.html'
    page_title = _('Schedule: {{ schedule.name }}')

    @memoized.memoized_method
    def get_schedule(self):
        try:
            return trove.schedule_get(self.request, self.kwargs['instance_id'],
                                      self.kwargs['schedule_id'])
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve the schedule.'),
                              redirect=reverse(SCHEDULES_URL, args=[self.kwargs['instance_id']]))

    def get_data(self):
        self.get_instance()
        schedule = self.get_schedule()
        try:
            executions = trove.execution_list(self.request, self.kwargs['instance_id'],
                                              schedule.id)
            backups = trove.instance_backups(self.request, self.kwargs['instance_id'])
        except Exception:
            exceptions.handle(self.request, _("Unable to retrieve the schedule's executions."))
            return []
        self.window = schedule_data.restorable_window(schedule.id, backups)
        # Newest first: what just happened is what the user looks for.
        return list(reversed(schedule_data.join_executions(executions, backups)))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        schedule = self.get_schedule()
        schedule_data.join([schedule], [])
        context['schedule'] = schedule
        context['last_backup_age'] = schedule_tables.age_label(schedule)
        context['next_run'] = schedule_tables.next_run_label(schedule)
        context['window'] = schedule_data.span_label(getattr(self, 'window', None))
        context['schedules_url'] = reverse(SCHEDULES_URL, args=[self.kwargs['instance_id']])
        context['custom_breadcrumb'].append((_('Backup Schedules'), context['schedules_url']))
        # Its actions, as its row in the list has them; they post to the list's URL, which
        # handles them, and come back here (`next`) unless the schedule is deleted.
        context['actions'] = schedule_tables.SchedulesTable(
            self.request, instance_id=self.kwargs['instance_id']).render_row_actions(schedule)
        return context


class CreateScheduleView(PageModalFormView):
    """The instance and the datastores (may it make incrementals?): two calls."""
    form_class = schedule_forms.CreateScheduleForm
    template_name = 'project/database_backups/form_page.html'
    ajax_template_name = 'project/database_backups/_form.html'
    modal_header = page_title = _('Create Backup Schedule')
    submit_label = _('Create Schedule')
    help_text = _('The schedule makes backups of the instance at the times its pattern names '
                  '(UTC). A run is skipped while the instance is busy or not Active.')

    def get_success_url(self):
        return reverse(SCHEDULES_URL, args=[self.kwargs['instance_id']])

    def get_initial(self):
        return {'instance_id': self.kwargs['instance_id']}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        try:
            instance = trove.instance_get(self.request, self.kwargs['instance_id'])
            capabilities = cat.Catalogue.load(self.request).capabilities_of(instance)
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve the instance.'),
                              redirect=reverse(INSTANCES_URL))
        kwargs['incremental'] = 'incremental_backups' in capabilities
        return kwargs
