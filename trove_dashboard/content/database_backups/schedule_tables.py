"""An instance's backup schedules, and a schedule's executions."""
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django.utils.translation import pgettext_lazy
from horizon import tables

from trove_dashboard.api import instance_extras
from trove_dashboard.api import trove
from trove_dashboard.content.database_backups import schedule_data
from trove_dashboard.content.database_backups import states as backup_states
from trove_dashboard.content.database_backups import tables as backup_tables
from trove_dashboard import exceptions as dash_exceptions

SCOPE = 'database'


def _instance_id(table):
    return table.kwargs['instance_id']


def schedule_url(schedule):
    return reverse('horizon:project:database_backups:schedule',
                   args=[schedule.instance_id, schedule.id])


def age_label(schedule):
    age = schedule.last_backup_age
    return _('%s ago') % schedule_data.span_label(age) if age is not None else _('None yet')


def next_run_label(schedule):
    if not schedule.enabled:
        return _('Paused')
    return backup_tables.time_label(schedule.next_execution_time)


class CreateSchedule(tables.LinkAction):
    name = 'create_schedule'
    verbose_name = _('Create Schedule')
    classes = ('ajax-modal',)
    icon = 'plus'
    policy_rules = ((SCOPE, 'schedule:create'),)

    def get_link_url(self, datum=None):
        return reverse('horizon:project:database_backups:create_schedule',
                       args=[_instance_id(self.table)])


class DeleteSchedule(tables.DeleteAction):
    help_text = _('Its backups are kept; no more are made.')
    policy_rules = ((SCOPE, 'schedule:delete'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Schedule', 'Delete Schedules', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Deleted Schedule', 'Deleted Schedules', count)

    def delete(self, request, obj_id):
        trove.schedule_delete(request, _instance_id(self.table), obj_id)


def page_asked_from(request):
    """The page an action was asked from, when it says so (`next`) and it is this site's:
    the schedule's own page posts its actions to the list's URL, which handles the table's
    actions, and the user should land back where they were."""
    target = request.POST.get('next', '')
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return None


class ReturnsToItsPage:
    """A schedule action that leaves the user on the page they asked it from."""

    def get_success_url(self, request=None):
        return page_asked_from(request) or super().get_success_url(request)


class RunSchedule(ReturnsToItsPage, tables.BatchAction):
    """Runs the schedule now, as a due run: the scheduler starts it within seconds (or
    records it skipped, saying why, while the instance is busy)."""
    name = 'run'
    help_text = _('A backup is made now, as at a scheduled time; the pattern stays as it is.')
    policy_rules = ((SCOPE, 'schedule:run'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Run Now', 'Run Now', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Running Schedule Now', 'Running Schedules Now', count)

    def allowed(self, request, schedule=None):
        return schedule is None or bool(schedule.enabled)

    def action(self, request, obj_id):
        dash_exceptions.say_why(request, instance_extras.schedule_run,
                                _instance_id(self.table), obj_id)


class ToggleSchedule(ReturnsToItsPage, tables.BatchAction):
    """Pauses or resumes a schedule; a resumed one runs next at its pattern's next time."""
    policy_rules = ((SCOPE, 'schedule:update'),)
    enable = None

    def allowed(self, request, schedule=None):
        return schedule is None or bool(schedule.enabled) != self.enable

    def action(self, request, obj_id):
        trove.schedule_update(request, _instance_id(self.table), obj_id, enabled=self.enable)


class EnableSchedule(ToggleSchedule):
    name = 'enable'
    enable = True

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Enable Schedule', 'Enable Schedules', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Enabled Schedule', 'Enabled Schedules', count)


class DisableSchedule(ToggleSchedule):
    name = 'disable'
    enable = False

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Disable Schedule', 'Disable Schedules', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Disabled Schedule', 'Disabled Schedules', count)


class SchedulesTable(tables.DataTable):
    name = tables.WrappingColumn('name', verbose_name=_('Name'), link=schedule_url)
    pattern = tables.Column('pattern', verbose_name=_('Pattern'))
    # Incremental, Keeps, Enabled and Next Run give way on narrow screens (the
    # schedule's page shows them).
    incremental = tables.Column('incremental', verbose_name=_('Incremental'),
                                filters=(lambda v: _('Yes') if v else _('No'),),
                                classes=backup_tables.NARROW_HIDDEN)
    retention = tables.Column(lambda s: s.retention or _('All'), verbose_name=_('Keeps'),
                              classes=backup_tables.NARROW_HIDDEN)
    enabled = tables.Column('enabled', verbose_name=_('Enabled'),
                            filters=(lambda v: _('Yes') if v else _('No'),),
                            classes=backup_tables.NARROW_HIDDEN)
    next_run = tables.Column(next_run_label, verbose_name=_('Next Run (UTC)'),
                             classes=backup_tables.NARROW_HIDDEN)
    last_backup = tables.Column(age_label, verbose_name=_('Last Good Backup'))
    window = tables.Column(lambda s: schedule_data.span_label(s.window),
                           verbose_name=_('Restorable Window'),
                           help_text=_('From the oldest kept completed backup to the newest.'))

    class Meta:
        name = 'schedules'
        verbose_name = _('Backup Schedules')
        table_actions = (CreateSchedule, DeleteSchedule)
        row_actions = (RunSchedule, DisableSchedule, EnableSchedule, DeleteSchedule)


STATE_CHOICES = (('RUNNING', None), ('SUCCESS', True), ('FAILED', False),
                 ('MISSED', False), ('SKIPPED', True))
STATE_DISPLAY = (
    ('RUNNING', pgettext_lazy('State of a scheduled backup run', 'Running')),
    ('SUCCESS', pgettext_lazy('State of a scheduled backup run', 'Succeeded')),
    ('FAILED', pgettext_lazy('State of a scheduled backup run', 'Failed')),
    ('MISSED', pgettext_lazy('State of a scheduled backup run', 'Missed')),
    ('SKIPPED', pgettext_lazy('State of a scheduled backup run', 'Skipped')),
)


class DeleteExecution(tables.DeleteAction):
    policy_rules = ((SCOPE, 'schedule:delete_execution'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Record', 'Delete Records', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Deleted Record', 'Deleted Records', count)

    def allowed(self, request, execution=None):
        return execution is None or execution.state != 'RUNNING'

    def delete(self, request, obj_id):
        trove.execution_delete(request, self.table.kwargs['instance_id'],
                               self.table.kwargs['schedule_id'], obj_id)


def backup_link(execution):
    backup = getattr(execution, 'backup', None)
    if backup is None:
        return None
    return backup_tables.detail_url(backup)


def backup_label(execution):
    backup = getattr(execution, 'backup', None)
    if backup is None:
        return execution.backup_id or '-'
    return '%s (%s)' % (backup.name, dict(backup_states.STATUS_DISPLAY).get(
        backup.status, backup.status))


class ExecutionRow(tables.Row):
    def load_cells(self, datum=None):
        super().load_cells(datum)
        if getattr(self.datum, 'state', None) in ('FAILED', 'MISSED'):
            self.classes.append('warning')


class ExecutionsTable(tables.DataTable):
    scheduled = tables.Column(lambda e: backup_tables.time_label(e.scheduled_time),
                              verbose_name=_('Scheduled (UTC)'))
    state = tables.Column('state', verbose_name=_('State'), status=True,
                          status_choices=STATE_CHOICES, display_choices=STATE_DISPLAY)
    finished = tables.Column(lambda e: backup_tables.time_label(e.finished),
                             verbose_name=_('Finished (UTC)'), classes=backup_tables.NARROW_HIDDEN)
    backup = tables.Column(backup_label, verbose_name=_('Backup'), link=backup_link)
    output = tables.WrappingColumn(lambda e: '' if e.state == 'SUCCESS' else (e.output or ''),
                                   verbose_name=_('Output'))

    class Meta:
        name = 'executions'
        verbose_name = _('Executions')
        row_class = ExecutionRow
        table_actions = (DeleteExecution,)
        row_actions = (DeleteExecution,)
