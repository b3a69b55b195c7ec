"""What the Overview shows, built from two API answers: GET /limits and GET /overview.

Plain data for the template: Horizon's limit summary (its pies), the distribution pies'
`data-used` strings with the counts beside them, and the rows of the backups due next and
the latest faults with their links. No API call here.
"""
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from horizon.templatetags import sizeformat
from horizon.utils import filters

from trove_dashboard.content.databases import states
from trove_dashboard.quota_usage import limit_and_use

GIB = 1024 ** 3
# The quotas a project's databases use: the /limits resource, its label, how it reads.
QUOTAS = (
    ('instances', _('Instances'), intcomma),
    ('volumes', _('Volume Storage'), sizeformat.diskgbformat),
    ('ram', _('RAM'), sizeformat.mb_float_format),
    ('backups', _('Backups'), intcomma),
)
STATUS_WORDS = dict(states.STATUS_DISPLAY)


def quota_charts(limits):
    """Horizon's limit summary sections: a pie per quota /limits reports (-1: no limit)."""
    charts = []
    for resource, label, shown in QUOTAS:
        quota_usage = limit_and_use(limits, resource)
        if quota_usage is None:
            continue
        limit, used = quota_usage
        quota = float('inf') if limit < 0 else limit
        charts.append({'type': resource, 'name': label, 'used': used, 'quota': quota,
                       'used_display': shown(used),
                       'quota_display': quota if limit < 0 else shown(limit),
                       'text': pgettext_lazy('Label in the limit summary', 'Used')})
    return [{'title': _('Quota Usage'), 'charts': charts}] if charts else []


def distribution(counted, key, label_of=str):
    """(rows of {label, count}, Horizon's distribution pie string 'Active=2|Error=1')."""
    rows = [{'label': label_of(item[key]), 'count': item['count'], 'key': item[key]}
            for item in counted]
    # The pie's string splits on | and =: a label keeps neither.
    pie = '|'.join('%s=%d' % (str(row['label']).replace('|', ' ').replace('=', ' '),
                              row['count']) for row in rows)
    return rows, pie


def status_label(status):
    return STATUS_WORDS.get(status, status)


def storage(summary):
    """Volume space used of what the instances' volumes hold, with a percentage."""
    allocated, used = summary['allocated_gb'], summary['used_bytes']
    percent = min(100, round(100.0 * used / (allocated * GIB))) if allocated else 0
    return {'allocated': sizeformat.diskgbformat(allocated), 'used': filesizeformat(used),
            'percent': percent}


def instance_url(instance_id):
    return reverse('horizon:project:databases:detail', args=[instance_id])


def next_backups(rows):
    return [dict(row, when=filters.parse_isotime(row['next_run']),
                 instance_url=instance_url(row['instance_id']),
                 schedule_url=reverse('horizon:project:database_backups:schedule',
                                      args=[row['instance_id'], row['schedule_id']]))
            for row in rows]


def recent_faults(rows):
    return [dict(row, when=filters.parse_isotime(row['created']),
                 instance_url=instance_url(row['instance_id']),
                 status_label=status_label(row['instance_status']))
            for row in rows]


def page(limits, summary):
    """The template's context from the two answers (either may be None: not read)."""
    context = {'charts': quota_charts(limits) if limits is not None else []}
    if summary is None:
        return context
    instances = summary['instances']
    context['instance_total'] = instances['total']
    context['by_status'], context['status_pie'] = distribution(
        instances['by_status'], 'status', status_label)
    context['by_datastore'], context['datastore_pie'] = distribution(
        instances['by_datastore'], 'datastore')
    context['storage'] = storage(summary['storage'])
    context['backups'] = {'count': summary['backups']['count'],
                          'size': filesizeformat(summary['backups']['size_bytes'])}
    context['next_backups'] = next_backups(summary['next_backups'])
    context['recent_faults'] = recent_faults(summary['recent_faults'])
    context['overview'] = summary
    return context
