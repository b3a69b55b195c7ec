"""What a schedule's row shows beyond the API's fields: ages and the restorable window.

Computed in memory from the instance's backups (one call for all the schedules).
"""
from django.utils.translation import gettext_lazy as _

from trove_dashboard.content.database_backups import backup_data
from trove_dashboard.content.database_backups import states

# The API names its schedule's backups in their description until backups carry
# schedule_id in their JSON (requested of the API); schedule_id wins when present.
MADE_BY = 'Made by schedule %s'


def made_by(backup, schedule_id):
    own = backup_data.field(backup, 'schedule_id')
    if own is not None:
        return own == schedule_id
    return backup_data.field(backup, 'description') == MADE_BY % schedule_id


def span_label(seconds):
    """12 s, 5 min, 3 h 20 min, 2 d 4 h: the two largest units."""
    if seconds is None:
        return '-'
    seconds = int(seconds)
    units = ((86400, _('d')), (3600, _('h')), (60, _('min')), (1, _('s')))
    parts = []
    for size, name in units:
        if seconds >= size or (size == 1 and not parts):
            parts.append('%d %s' % (seconds // size, name))
            seconds %= size
        if len(parts) == 2:
            break
    return ' '.join(parts)


def restorable_window(schedule_id, backups):
    """Seconds from the oldest kept COMPLETED backup of the schedule to the newest."""
    times = sorted(backup_data.parse_time(b.created) for b in backups
                   if states.restorable(b) and made_by(b, schedule_id))
    if not times:
        return None
    return int((times[-1] - times[0]).total_seconds())


def join(schedules, backups):
    """Attach `last_backup_age` and `window` (seconds, or None) to each schedule."""
    for schedule in schedules:
        last = getattr(schedule, 'last_backup', None) or {}
        schedule.last_backup_age = last.get('age_seconds')
        schedule.window = restorable_window(schedule.id, backups)
    return schedules


def join_executions(executions, backups):
    """Attach each execution's backup (or None) from the instance's backups."""
    by_id = {b.id: b for b in backups}
    for execution in executions:
        execution.backup = by_id.get(getattr(execution, 'backup_id', None))
    return executions
