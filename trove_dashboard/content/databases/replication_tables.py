"""The Replication tab's tables: the set's members with their lag, and the set's
switchover reports. Rows come from one call each (api/replication.py); nothing is asked
per row."""
import datetime

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from horizon import tables

from trove_dashboard.content.databases import replication_actions as ra
from trove_dashboard.content.databases import states

OPERATION_DISPLAY = {'promote': pgettext_lazy('A switchover operation', 'Promote'),
                     'eject': pgettext_lazy('A switchover operation', 'Eject')}
REPORT_STATUS_CHOICES = (('running', None), ('completed', True), ('failed', False))
REPORT_STATUS_DISPLAY = (
    ('running', pgettext_lazy('Status of a switchover', 'Running')),
    ('completed', pgettext_lazy('Status of a switchover', 'Completed')),
    ('failed', pgettext_lazy('Status of a switchover', 'Failed')),
)


def parse_time(value):
    """An API timestamp (ISO 8601, UTC, 'Z') as an aware datetime, or None."""
    if not value:
        return None
    try:
        found = datetime.datetime.fromisoformat(value.replace('Z', '+00:00'))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=datetime.timezone.utc)


def seconds_label(value, digits=2):
    if value is None:
        return '-'
    return _('%(seconds)s s') % {'seconds': '%.*f' % (digits, value)}


def instance_link(ref):
    """A link to the instance a report or member names ({id, name}), or '-'."""
    if not ref or not ref.get('id'):
        return '-'
    return format_html('<a href="{}">{}</a>',
                       reverse('horizon:project:databases:detail', args=[ref['id']]),
                       ref.get('name') or ref['id'])


# -- members -----------------------------------------------------------------------------------

def role_label(member):
    return ra.ROLE_DISPLAY.get(member.role, member.role)


def lag_label(member):
    """A replica's lag; the source has none. Unknown when its guest did not answer."""
    if member.role == ra.SOURCE:
        return '-'
    if member.lag_seconds is None:
        return _('Unknown')
    return seconds_label(member.lag_seconds)


# Reasons the API names by code, in the dashboard's words (translated); another code shows
# the API's own sentence.
PROBLEMS = {
    'slot_lost': _("The source no longer keeps this replica's data (its replication slot is "
                   'gone): delete this replica and create a new one.'),
}


def health_label(member):
    if member.problem:      # what is wrong and what to do
        return PROBLEMS.get(member.reason, member.problem)
    if member.healthy is None:
        return _('No answer')
    if member.role == ra.SOURCE:
        return _('Healthy') if member.healthy else _('Unhealthy')
    return _('Replicating') if member.healthy else _('Not replicating')


class MembersTable(tables.DataTable):
    name = tables.Column(lambda m: instance_link({'id': m.id, 'name': m.name}),
                         verbose_name=_('Instance'))
    role = tables.Column(role_label, verbose_name=_('Role'))
    status = tables.Column('status', verbose_name=_('Status'),
                           display_choices=states.STATUS_DISPLAY)
    lag = tables.Column(lag_label, verbose_name=_('Lag'), classes=('replication-lag',))
    health = tables.Column(health_label, verbose_name=_('Replication'))

    class Meta:
        name = 'replication_members'
        verbose_name = _('Members')
        multi_select = False


# -- switchover reports --------------------------------------------------------------------------

def started_label(report):
    started = parse_time(report.started)
    return started.strftime('%Y-%m-%d %H:%M:%S') if started else '-'


def writes_label(report):
    if not report.canary_writes and not report.canary_failures:
        return '-'
    return _('%(writes)s written, %(failures)s not acknowledged') % {
        'writes': report.canary_writes or 0, 'failures': report.canary_failures or 0}


def lost_label(report):
    return '-' if report.transactions_lost is None else report.transactions_lost


class SwitchoversTable(tables.DataTable):
    started = tables.Column(started_label, verbose_name=_('Started (UTC)'))
    operation = tables.Column(lambda r: OPERATION_DISPLAY.get(r.operation, r.operation),
                              verbose_name=_('Operation'))
    status = tables.Column('status', verbose_name=_('Status'), status=True,
                           status_choices=REPORT_STATUS_CHOICES,
                           display_choices=REPORT_STATUS_DISPLAY)
    old_source = tables.Column(lambda r: instance_link(r.old_source),
                               verbose_name=_('Old Source'))
    new_source = tables.Column(lambda r: instance_link(r.new_source),
                               verbose_name=_('New Source'))
    detection = tables.Column(lambda r: seconds_label(r.detection_seconds, 1),
                              verbose_name=_('Detection'))
    downtime = tables.Column(lambda r: seconds_label(r.write_downtime_seconds, 3),
                             verbose_name=_('Write Downtime'),
                             classes=('switchover-downtime',))
    lost = tables.Column(lost_label, verbose_name=_('Transactions Lost'))
    writes = tables.Column(writes_label, verbose_name=_('Canary Writes'))
    message = tables.Column(lambda r: r.message or '-', verbose_name=_('Message'))

    class Meta:
        name = 'switchovers'
        verbose_name = _('Switchover Reports')
        status_columns = ['status']
        multi_select = False
