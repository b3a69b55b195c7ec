"""An instance's Replication tab: its set's members with their lag, its switchover reports,
and a timeline of each switchover's write downtime drawn on the server as inline SVG
(no script); and the Overview's links to the instance's source or replicas.

Two calls when the tab is opened (the set, the reports); the Overview makes one (the set,
for the members' names) only for an instance that is in a set.
"""
import logging
import types

from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tabs

from trove_dashboard.api import replication as replication_api
from trove_dashboard.content.databases import catalogue as cat
from trove_dashboard.content.databases import replication_actions as ra
from trove_dashboard.content.databases import replication_tables as rt
from trove_dashboard import exceptions as dash_exceptions

LOG = logging.getLogger(__name__)

REPORT_FIELDS = ('id', 'operation', 'status', 'started', 'finished', 'old_source',
                 'new_source', 'detection_seconds', 'write_stopped_at', 'write_resumed_at',
                 'write_downtime_seconds', 'transactions_lost', 'canary_writes',
                 'canary_failures', 'message')
MEMBER_FIELDS = ('id', 'name', 'role', 'status', 'lag_seconds', 'healthy', 'reason',
                 'problem')


def _record(item, fields):
    """The API's object with every field the page reads (absent ones None)."""
    return types.SimpleNamespace(**dict({f: None for f in fields}, **vars(item)
                                        if isinstance(item, types.SimpleNamespace)
                                        else item))


# -- the timeline chart ------------------------------------------------------------------------

CHART = {'width': 720, 'label_width': 200, 'bar_left': 210, 'bar_right': 600,
         'row_height': 44, 'top': 6}
CHART_REPORTS = 8
MIN_SEGMENT = 2     # px: a 50 ms downtime still shows


def _offset(report, value):
    """Seconds from the report's start to `value` (an API timestamp), or None."""
    start, found = rt.parse_time(report.started), rt.parse_time(value)
    if start is None or found is None:
        return None
    return max(0.0, (found - start).total_seconds())


def _downtime_span(report):
    """(start, length) of the write downtime in seconds from the operation's start, or
    None: from the canary's last acknowledged write on the old source, or (eject, where the
    old source is gone) ending at its first on the new one."""
    length = report.write_downtime_seconds
    if length is None:
        return None
    stopped = _offset(report, report.write_stopped_at)
    if stopped is None:
        resumed = _offset(report, report.write_resumed_at)
        stopped = max(0.0, resumed - length) if resumed is not None else 0.0
    return stopped, length


def _span(report):
    """The operation's length in seconds so far (a running one: up to what is known)."""
    ends = [_offset(report, report.finished), _offset(report, report.write_resumed_at)]
    downtime = _downtime_span(report)
    if downtime:
        ends.append(sum(downtime))
    return max([e for e in ends if e is not None] or [0.0])


def timeline(reports):
    """Geometry of the chart of the newest CHART_REPORTS reports (newest on top), on one
    time scale: each row a bar for the operation and, in another colour, the write
    downtime, with their seconds. None without reports."""
    shown = [r for r in reports if rt.parse_time(r.started)][:CHART_REPORTS]
    if not shown:
        return None
    scale = max(max(_span(r) for r in shown), 0.001)
    width = CHART['bar_right'] - CHART['bar_left']
    rows = []
    for index, report in enumerate(shown):
        y = CHART['top'] + index * CHART['row_height']
        span = _span(report)
        row = {'y': y, 'text_y': y + 18, 'bar_y': y + 8, 'note_y': y + 36,
               'operation': rt.OPERATION_DISPLAY.get(report.operation, report.operation),
               'started': rt.started_label(report), 'status': report.status,
               'failed': report.status == 'failed', 'running': report.status == 'running',
               'span_w': max(MIN_SEGMENT, round(width * span / scale, 1)),
               'span_label': rt.seconds_label(span, 1), 'downtime': None}
        downtime = _downtime_span(report)
        if downtime:
            start, length = downtime
            x = CHART['bar_left'] + round(width * start / scale, 1)
            w = max(MIN_SEGMENT, round(width * length / scale, 1))
            row['downtime'] = {'x': x, 'w': w, 'label': rt.seconds_label(length, 3),
                               # A label near the right edge ends at the segment instead.
                               'anchor': 'end' if x > CHART['bar_right'] - 150 else 'start',
                               'label_x': x + w if x > CHART['bar_right'] - 150 else x}
        rows.append(row)
    return dict(CHART, rows=rows, height=CHART['top'] * 2 + len(rows) * CHART['row_height'],
                span_x=CHART['bar_right'] + 8)


# -- the Overview's links --------------------------------------------------------------------

def overview_links(request, instance):
    """{'source': {id, name} | None, 'replicas': [{id, name}]} for an instance in a set
    (None for a standalone one, with no call). Named from the set as the API describes it;
    by id when it cannot be read now."""
    if not ra.in_a_set(instance):
        return None
    try:
        found = replication_api.replica_set(request, instance.id)
    except dash_exceptions.RECOVERABLE:
        LOG.warning('The replica set of instance %s could not be read.', instance.id,
                    exc_info=True)
        found = None
    source, replicas = ra.members_of(instance, found)
    if ra.source_id(instance):
        return {'source': source, 'replicas': []}
    return {'source': None, 'replicas': replicas}


# -- the tab ------------------------------------------------------------------------------

class ReplicationTab(tabs.TableTab):
    """The set's members and lag, the switchover reports and their timeline: two calls,
    made only when the tab is opened. Offered where the version declares replication, or
    where the instance is in a set anyway."""
    name = _('Replication')
    slug = 'replication'
    preload = False
    table_classes = (rt.MembersTable, rt.SwitchoversTable)
    template_name = 'project/databases/_detail_replication.html'
    policy_rules = (('database', 'instance:replication'), ('database', 'instance:switchovers'))

    def allowed(self, request):
        instance = self.tab_group.kwargs['instance']
        return (cat.REPLICATION in getattr(instance, 'capabilities', ()) or
                ra.in_a_set(instance))

    def get_replication_members_data(self):
        instance = self.tab_group.kwargs['instance']
        self._set, self._set_unknown = None, False
        try:
            self._set = replication_api.replica_set(self.request, instance.id)
        except Exception:
            self._set_unknown = True      # not "not in a set": the set was not read
            exceptions.handle(self.request, _("Unable to retrieve the instance's replica "
                                              "set."))
            return []
        members = (self._set or {}).get('members') or []
        # The source first, then the replicas by name.
        return sorted((_record(m, MEMBER_FIELDS) for m in members),
                      key=lambda m: (m.role != ra.SOURCE, (m.name or '').lower()))

    def get_switchovers_data(self):
        instance = self.tab_group.kwargs['instance']
        self._reports = []
        try:
            self._reports = [_record(r, REPORT_FIELDS) for r in
                             replication_api.switchovers(self.request, instance.id)]
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve the switchover reports.'))
        return self._reports

    def get_context_data(self, request, **kwargs):
        context = super().get_context_data(request, **kwargs)
        context.update(instance=self.tab_group.kwargs['instance'],
                       in_set=bool(getattr(self, '_set', None)),
                       set_unknown=getattr(self, '_set_unknown', False),
                       chart=timeline(getattr(self, '_reports', [])))
        return context
