"""Tables on an instance's detail page: its events, users and databases (its running
configuration is in configuration_tables)."""
import datetime
from urllib import parse

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django.utils.translation import pgettext_lazy
from horizon import tables

from trove_dashboard.api import trove
from trove_dashboard.content.databases import catalogue as cat
from trove_dashboard.content.databases import event_links
from trove_dashboard.content.databases import states

SCOPE = 'database'

OUTCOME_CHOICES = (('RUNNING', None), ('SUCCESS', True), ('FAILED', False))
OUTCOME_DISPLAY = (
    ('RUNNING', pgettext_lazy('Outcome of an operation step', 'Running')),
    ('SUCCESS', pgettext_lazy('Outcome of an operation step', 'Succeeded')),
    ('FAILED', pgettext_lazy('Outcome of an operation step', 'Failed')),
)


def duration_label(event):
    duration = getattr(event, 'duration', None)
    if duration is None:
        return _('running') if event.outcome == 'RUNNING' else '-'
    if duration < 1:
        return _('%d ms') % round(duration * 1000)
    return _('%.1f s') % duration


def time_label(value):
    return (value or '-').replace('T', ' ')


def _seconds(isotime):
    return datetime.datetime.strptime(isotime, '%Y-%m-%dT%H:%M:%S').timestamp()


def place_on_timeline(events):
    """Give each step its place in its operation's run, in percent, for the timeline bar.

    An operation's run is the steps from one start of that operation to the next. The
    API's times have whole seconds, so a step starts where its start time puts it or
    where the step before it ended, whichever is later: steps of a run are sequential.
    A step still running shows as a sliver.
    """
    runs, run, previous = [], [], None
    for event in events:
        if run and (event.operation != previous or event.name == run[0].name):
            runs.append(run)
            run = []
        run.append(event)
        previous = event.operation
    if run:
        runs.append(run)
    for run in runs:
        begin, cursor, placed = _seconds(run[0].started), 0.0, []
        for event in run:
            offset = max(_seconds(event.started) - begin, cursor)
            cursor = offset + (event.duration or 0)
            placed.append((event, offset))
        total = max(cursor, 0.001)
        for event, offset in placed:
            event.timeline_left = min(99.0, 100.0 * offset / total)
            width = 100.0 * (event.duration or 0) / total
            event.timeline_width = max(1.0, min(width, 100.0 - event.timeline_left))
    return events


def timeline_bar(event):
    left, width = getattr(event, 'timeline_left', None), getattr(event, 'timeline_width', None)
    if left is None:
        return '-'
    kind = {'FAILED': 'progress-bar-danger', 'RUNNING': 'progress-bar-striped active'}.get(
        event.outcome, 'progress-bar-success')
    return format_html(
        '<div class="progress event-timeline" style="margin:0;min-width:6em" '
        'aria-hidden="true"><div class="progress-bar {}" style="margin-left:{}%;width:{}%">'
        '</div></div>', kind, '%.1f' % left, '%.1f' % width)


class EventRow(tables.Row):
    """The failed step stands out."""

    def load_cells(self, datum=None):
        super().load_cells(datum)
        if getattr(self.datum, 'outcome', None) == 'FAILED':
            self.classes.append('danger')
            self.classes.append('event-failed')


class EventsTable(tables.DataTable):
    operation = tables.Column('operation', verbose_name=_('Operation'))
    step = tables.Column('name', verbose_name=_('Step'))
    outcome = tables.Column('outcome', verbose_name=_('Outcome'), status=True,
                            status_choices=OUTCOME_CHOICES, display_choices=OUTCOME_DISPLAY)
    started = tables.Column(lambda e: time_label(e.started), verbose_name=_('Started (UTC)'))
    duration = tables.Column(duration_label, verbose_name=_('Duration'))
    timeline = tables.Column(timeline_bar, verbose_name=_('Timeline'),
                             classes=('hidden-xs', 'hidden-sm'))
    # A step that names a backup links to it (the API's event carries its name).
    message = tables.Column(event_links.message_label, verbose_name=_('Message'),
                            link=event_links.message_link)

    class Meta:
        name = 'events'
        verbose_name = _('Events')
        status_columns = ['outcome']
        row_class = EventRow


def _instance_id(table):
    return table.kwargs['instance_id']


class CreateDatabase(tables.LinkAction):
    name = 'create_database'
    verbose_name = _('Create Database')
    classes = ('ajax-modal',)
    icon = 'plus'
    policy_rules = ((SCOPE, 'instance:extension:database:create'),)

    def get_link_url(self, datum=None):
        return reverse('horizon:project:databases:create_database',
                       args=[_instance_id(self.table)])


class DeleteDatabase(tables.DeleteAction):
    policy_rules = ((SCOPE, 'instance:extension:database:delete'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Database', 'Delete Databases', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Deleted Database', 'Deleted Databases', count)

    def delete(self, request, obj_id):
        trove.database_delete(request, _instance_id(self.table), obj_id)


class DatabasesTable(tables.DataTable):
    name = tables.Column('name', verbose_name=_('Database Name'))

    class Meta:
        name = 'databases'
        verbose_name = _('Databases')
        pagination_param = 'databases_marker'
        table_actions = (CreateDatabase, DeleteDatabase)
        row_actions = (DeleteDatabase,)

    def get_object_id(self, datum):
        return datum.name


def user_ref(user):
    """'name@host' as the API names a user (the host never holds '@')."""
    host = getattr(user, 'host', None)
    return '%s@%s' % (user.name, host) if host else user.name


def split_user_ref(ref):
    name, sep, host = ref.rpartition('@')
    return (name, host) if sep else (ref, None)


class CreateUser(tables.LinkAction):
    name = 'create_user'
    verbose_name = _('Create User')
    classes = ('ajax-modal',)
    icon = 'plus'
    policy_rules = ((SCOPE, 'instance:extension:user:create'),)

    def get_link_url(self, datum=None):
        return reverse('horizon:project:databases:create_user',
                       args=[_instance_id(self.table)])


class DeleteUser(tables.DeleteAction):
    policy_rules = ((SCOPE, 'instance:extension:user:delete'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete User', 'Delete Users', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Deleted User', 'Deleted Users', count)

    def delete(self, request, obj_id):
        name, host = split_user_ref(obj_id)
        trove.user_delete(request, _instance_id(self.table), name, host)


class _UserAction(tables.LinkAction):
    """A page about the row's user, offered while the engine runs and its version has
    the capabilities the page needs."""
    url = None
    needs = (cat.USERS,)

    def allowed(self, request, datum=None):
        instance = self.table.kwargs.get('instance')
        return (states.allows(instance, 'guest') and
                set(self.needs) <= set(getattr(instance, 'capabilities', ())))

    def get_link_url(self, datum=None):
        # The user goes in the query string: a host may hold '/'.
        return '%s?%s' % (reverse(self.url, args=[_instance_id(self.table)]),
                          parse.urlencode({'user': user_ref(datum)}))


class EditUser(_UserAction):
    name = 'edit_user'
    verbose_name = _('Edit User')
    url = 'horizon:project:databases:edit_user'
    classes = ('ajax-modal',)
    icon = 'pencil'
    policy_rules = ((SCOPE, 'instance:extension:user:update'),)


class ManageAccess(_UserAction):
    name = 'manage_access'
    verbose_name = _('Manage Access')
    url = 'horizon:project:databases:user_access'
    icon = 'key'
    needs = (cat.USERS, cat.DATABASES)
    policy_rules = ((SCOPE, 'instance:extension:user_access:update'),)


def user_databases(user):
    return ', '.join(d['name'] for d in getattr(user, 'databases', None) or []) or '-'


class UsersTable(tables.DataTable):
    name = tables.Column('name', verbose_name=_('User Name'))
    host = tables.Column('host', verbose_name=_('Allowed Host'))
    databases = tables.Column(user_databases, verbose_name=_('Databases'))

    class Meta:
        name = 'users'
        verbose_name = _('Users')
        pagination_param = 'users_marker'
        table_actions = (CreateUser, DeleteUser)
        row_actions = (EditUser, ManageAccess, DeleteUser)

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        # Users of an engine without hosts (PostgreSQL) connect from wherever the
        # instance's access allows: a host column would show '%' as if it were chosen.
        instance = kwargs.get('instance')
        if instance is not None and cat.USER_HOSTS not in getattr(instance, 'capabilities', ()):
            del self.columns['host']

    def get_object_id(self, datum):
        return user_ref(datum)
