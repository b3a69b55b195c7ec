"""A schedule's cron pattern checked as the user types it in, field by field, in words.

The API judges every pattern (api_service/domain/cron_patterns.py); the dashboard does not
import it, so this is its rules again in translatable words, for an answer on the spot:
"Minute must be 0–59; it is 61." tests/dashboard/test_cron_pattern.py holds both to the
same sentences. What only the API's croniter knows (L, W and # forms, a day no month has)
is left to the API, whose refusal lands on the same field.
"""
import re

from django.utils.translation import gettext_lazy as _

MONTHS = ('jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec')
WEEKDAYS = ('sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat')


class Field:
    """One field of a pattern: its name, its range and the names it also takes."""

    def __init__(self, title, low, high, takes, names=(), first_name_value=0):
        self.title, self.low, self.high, self.takes = title, low, high, takes
        self.names = {name: first_name_value + i for i, name in enumerate(names)}


FIELDS = (
    Field(_('Minute'), 0, 59, '0–59'),
    Field(_('Hour'), 0, 23, '0–23'),
    Field(_('Day'), 1, 31, '1–31'),
    Field(_('Month'), 1, 12, _('1–12 or jan–dec'), MONTHS, first_name_value=1),
    Field(_('Weekday'), 0, 7, _('0–7 (0 and 7 are Sunday) or sun–sat'), WEEKDAYS),
    Field(_('Second'), 0, 59, '0–59'),    # the sixth field: seconds last
)
_API_ONLY = re.compile(r'[LW#]', re.IGNORECASE)
_NUMBER = re.compile(r'^[0-9]+$')


def problem(pattern):
    """The first thing wrong with `pattern` as a sentence, or None when the rules here pass
    it (the API may still refuse what only it knows)."""
    fields = pattern.split()
    if len(fields) not in (5, 6):
        return _('The schedule needs 5 fields (minute hour day month weekday); it has '
                 '%(count)d.') % {'count': len(fields)}
    for field, text in zip(FIELDS, fields):
        found = _field_problem(field, text)
        if found:
            return found
    return None


def _field_problem(field, text):
    for item in text.split(','):
        if not item:
            return _("%(field)s has an empty item in its list: '%(text)s'.") % {
                'field': field.title, 'text': text[:64]}
        if _API_ONLY.search(item):
            continue
        found = _item_problem(field, item)
        if found:
            return found
    return None


def _item_problem(field, item):
    base, slash, step = item.partition('/')
    if slash and not (_NUMBER.match(step) and int(step) >= 1):
        return _("%(field)s's step (after /) must be a whole number, 1 or more; it is "
                 "'%(step)s'.") % {'field': field.title, 'step': step[:32]}
    if base in ('*', '?'):
        return None
    ends = base.split('-')
    if len(ends) > 2 or not all(ends):
        return _("%(field)s must be *, a number, a range (1-5), a list (1,15,30) or a step "
                 "(*/15); it is '%(item)s'.") % {'field': field.title, 'item': item[:32]}
    for end in ends:
        found = _value_problem(field, end)
        if found:
            return found
    return None


def _value_problem(field, value):
    if _NUMBER.match(value):
        if field.low <= int(value) <= field.high:
            return None
        return _('%(field)s must be %(takes)s; it is %(value)d.') % {
            'field': field.title, 'takes': field.takes, 'value': int(value)}
    if value.lower() in field.names:
        return None
    return _("%(field)s must be %(takes)s; it is '%(value)s'.") % {
        'field': field.title, 'takes': field.takes, 'value': value[:32]}
