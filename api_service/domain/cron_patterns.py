"""What is wrong with a schedule's cron pattern, in the user's words.

croniter is the judge of what runs; it only answers yes or no. This module names the field
and what it takes for the mistakes people make (a field missing, a value out of range, an
unknown name, a bad step), so a refusal reads "Minute must be 0–59; it is 61." Forms
croniter knows and these rules do not spell out (L, W, #) are left to croniter alone.

The dashboard's schedule form keeps a copy of these rules in its own words
(trove_dashboard/content/database_backups/cron_pattern.py); tests/dashboard/test_cron_pattern.py
holds the two to the same answers.
"""
import datetime
import re

from croniter import croniter
from croniter import CroniterBadDateError

MONTHS = ('jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec')
WEEKDAYS = ('sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat')


class Field:
    """One field of a pattern: its name, its range and the names it also takes."""

    def __init__(self, title, low, high, names=(), first_name_value=0, extra=''):
        self.title, self.low, self.high = title, low, high
        self.names = {name: first_name_value + i for i, name in enumerate(names)}
        self.takes = '%d–%d' % (low, high) + extra
        if names:
            self.takes += ' or %s–%s' % (names[0], names[-1])


FIELDS = (
    Field('Minute', 0, 59),
    Field('Hour', 0, 23),
    Field('Day', 1, 31),
    Field('Month', 1, 12, MONTHS, first_name_value=1),
    Field('Weekday', 0, 7, WEEKDAYS, extra=' (0 and 7 are Sunday)'),
    Field('Second', 0, 59),     # the sixth field, croniter's way: seconds last
)
# Items croniter reads that these rules do not spell out: the last day (L), the nearest
# weekday (15W), the n-th weekday of the month (sat#2).
_CRONITER_ONLY = re.compile(r'[LW#]', re.IGNORECASE)
_NUMBER = re.compile(r'^[0-9]+$')
_WHEN = datetime.datetime(2026, 1, 1)


def problem(pattern):
    """The first thing wrong with `pattern` as a sentence, or None when it is a pattern."""
    fields = pattern.split()
    if len(fields) not in (5, 6):
        return ('The schedule needs 5 fields (minute hour day month weekday); it has %d.'
                % len(fields))
    for field, text in zip(FIELDS, fields):
        found = _field_problem(field, text)
        if found:
            return found
    if not croniter.is_valid(pattern):
        # Only an item of the special forms gets here: the rules above passed the rest.
        return ("'%s' is not a cron pattern the scheduler can run. Its special forms are L "
                "(the last day) and 15W (the weekday nearest the 15th) in the day field, and "
                "sat#2 (the second Saturday) in the weekday field." % pattern[:64])
    try:
        croniter(pattern, _WHEN).get_next(datetime.datetime)
    except CroniterBadDateError:
        return ("'%s' never comes round: no month it allows has that day."
                % pattern[:64])
    return None


def _field_problem(field, text):
    for item in text.split(','):
        if not item:
            return "%s has an empty item in its list: '%s'." % (field.title, text[:64])
        if _CRONITER_ONLY.search(item):
            continue
        found = _item_problem(field, item)
        if found:
            return found
    return None


def _item_problem(field, item):
    base, slash, step = item.partition('/')
    if slash and not (_NUMBER.match(step) and int(step) >= 1):
        return "%s's step (after /) must be a whole number, 1 or more; it is '%s'." % (
            field.title, step[:32])
    if base in ('*', '?'):
        return None
    ends = base.split('-')
    if len(ends) > 2 or not all(ends):
        return ("%s must be *, a number, a range (1-5), a list (1,15,30) or a step (*/15); "
                "it is '%s'." % (field.title, item[:32]))
    for end in ends:
        found = _value_problem(field, end)
        if found:
            return found
    return None


def _value_problem(field, value):
    if _NUMBER.match(value):
        if field.low <= int(value) <= field.high:
            return None
        return '%s must be %s; it is %d.' % (field.title, field.takes, int(value))
    if value.lower() in field.names:
        return None
    return "%s must be %s; it is '%s'." % (field.title, field.takes, value[:32])
