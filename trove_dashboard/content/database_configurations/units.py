"""A parameter's value in its unit, and the engine's text of the value it runs, compared.

The API keeps an integer parameter in its rule's `unit` (PostgreSQL's shared_buffers in
8 kB pages, work_mem in kB, timeouts in ms); the engine shows what it runs in its own
words ('32MB', '4MB', '250ms', 'on'). Both are brought to one base (bytes, microseconds,
a boolean) so a page can tell whether the group's value is the one the engine runs.
"""
import decimal
import re

from trove_dashboard.content.database_configurations import parameters as params

# Powers of 1024, as PostgreSQL and the API count sizes.
SIZES = {'B': 1, 'kB': 1024, 'MB': 1024 ** 2, 'GB': 1024 ** 3, 'TB': 1024 ** 4}
TIMES = {'us': 1, 'ms': 1000, 's': 10 ** 6, 'min': 60 * 10 ** 6, 'h': 3600 * 10 ** 6,
         'd': 86400 * 10 ** 6}
_UNIT = re.compile(r'^(\d*)\s*([A-Za-z]+)$')
_NUMBER = re.compile(r'^\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*([A-Za-z]*)\s*$')


def scale(unit):
    """(table of its kind, factor) of a unit such as '8kB', 'kB', 'ms'; None if unknown."""
    found = _UNIT.match(unit or '')
    if not found:
        return None
    count = int(found.group(1) or 1)
    for table in (SIZES, TIMES):
        if found.group(2) in table:
            return table, count * table[found.group(2)]
    return None


def _number(value, parameter):
    """The value in the unit's base (bytes, microseconds), or None if it is no number.

    A bare number is in the parameter's unit; a suffixed one ('32MB') in its suffix's."""
    found = _NUMBER.match(str(value))
    if not found:
        return None
    try:
        number = decimal.Decimal(found.group(1))
    except decimal.InvalidOperation:
        return None
    known = scale(getattr(parameter, 'unit', None))
    suffix = found.group(2)
    if not suffix:
        return number * (known[1] if known else 1)
    if known and suffix in known[0]:
        return number * known[0][suffix]
    return None


def _is_boolean(parameter, value):
    return getattr(parameter, 'type', None) == params.BOOLEAN or isinstance(value, bool)


def same(parameter, group_value, running):
    """Whether the engine's text `running` is the group's value of `parameter`."""
    if _is_boolean(parameter, group_value):
        return params.as_bool(group_value) == params.as_bool(running)
    if getattr(parameter, 'type', None) in params.INTEGER_TYPES | {params.FLOAT} or \
            isinstance(group_value, (int, float)):
        mine, theirs = _number(group_value, parameter), _number(running, parameter)
        if mine is not None and theirs is not None:
            return mine == theirs
    # Words: the engines differ in case ('read committed'), not in meaning.
    return ' '.join(str(group_value).split()).lower() == ' '.join(str(running).split()).lower()


def _compact(total, table):
    """A base amount in the largest unit it is a whole number of: 33554432 -> '32MB'."""
    for name, factor in sorted(table.items(), key=lambda item: -item[1]):
        if total % factor == 0:
            return '%d%s' % (total // factor, name)
    return None


def with_unit(value, unit):
    """A value as a person reads it: '4096 × 8kB (32MB)', '4096 kB (4MB)', '250 ms'."""
    if not unit or isinstance(value, bool):
        return str(value)
    text = ('%s × %s' if unit[0].isdigit() else '%s %s') % (value, unit)
    known = scale(unit)
    try:
        amount = int(str(value))
    except ValueError:
        return text
    if known is None or amount <= 0:
        return text
    compact = _compact(amount * known[1], known[0])
    if compact and compact != '%s%s' % (value, unit):
        text = '%s (%s)' % (text, compact)
    return text
