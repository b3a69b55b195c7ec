"""A datastore version's parameters as the pages show and edit them.

The API's rules (name, type, min, max, restart_required, unit) decide each input: a
checkbox for a boolean, a number input bounded by min and max for an integer or a
float, a text input otherwise. The API stays the judge of a value; the input only
saves the user a round trip.
"""
import binascii
import decimal
import re

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from horizon import forms

BOOLEAN, INTEGER, FLOAT, STRING = 'boolean', 'integer', 'float', 'string'
# Trove also names 'long'; it is an integer.
INTEGER_TYPES = frozenset({INTEGER, 'long'})
TRUE_WORDS = frozenset({'1', 'true', 'on', 'yes'})


def by_name(parameters):
    return {p.name: p for p in parameters}


def key(name):
    """A form-field and HTML-attribute safe key for a parameter name (hex of its bytes)."""
    return binascii.hexlify(name.encode('utf-8')).decode('ascii')


def name_of(field_key):
    return binascii.unhexlify(field_key.encode('ascii')).decode('utf-8')


def _bound(value, kind):
    if value is None or value == '':
        return None
    number = decimal.Decimal(str(value))
    return int(number) if kind in INTEGER_TYPES else float(number)


def bounds(parameter):
    kind = getattr(parameter, 'type', STRING)
    return (_bound(getattr(parameter, 'min', None), kind),
            _bound(getattr(parameter, 'max', None), kind))


def type_label(parameter):
    return getattr(parameter, 'type', None) or STRING


def range_label(parameter):
    low, high = bounds(parameter)
    if low is None and high is None:
        return '-'
    if high is None:
        return _('at least %s') % low
    if low is None:
        return _('at most %s') % high
    return _('%(min)s to %(max)s') % {'min': low, 'max': high}


def describe(parameter):
    """What the input beside a value says: type, range, unit, restart."""
    parts = [type_label(parameter)]
    if range_label(parameter) != '-':
        parts.append(str(range_label(parameter)))
    if getattr(parameter, 'unit', None):
        parts.append(str(_('unit: %s') % parameter.unit))
    if getattr(parameter, 'restart_required', False):
        parts.append(str(_('takes effect after a restart')))
    return '; '.join(parts)


def as_bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_WORDS


class NumberWithUnit(forms.NumberInput):
    """A number input with its unit beside it ('× 8kB', 'ms'): a size typed in the wrong
    unit is off by a factor of a thousand, so the unit must be seen, not hovered for."""

    def __init__(self, unit, attrs=None):
        super().__init__(attrs=attrs)
        self.unit = unit

    def render(self, name, value, attrs=None, renderer=None):
        unit = ('× %s' if self.unit[0].isdigit() else '%s') % self.unit
        return format_html('{}<span class="input-group-addon parameter-unit">{}</span>',
                           super().render(name, value, attrs, renderer), unit)


def _number_input(parameter, attrs):
    unit = getattr(parameter, 'unit', None)
    return NumberWithUnit(unit, attrs=attrs) if unit else forms.NumberInput(attrs=attrs)


def field_for(parameter, required=True, attrs=None):
    """The typed input of one parameter; `parameter` None means the API no longer names it."""
    attrs = dict(attrs or {})
    kind = getattr(parameter, 'type', STRING)
    help_text = describe(parameter) if parameter is not None else _(
        'No longer a parameter of this datastore version.')
    if kind == BOOLEAN:
        return forms.BooleanField(required=False, help_text=help_text,
                                  widget=forms.CheckboxInput(attrs=attrs))
    low, high = bounds(parameter)
    if kind in INTEGER_TYPES:
        return forms.IntegerField(required=required, min_value=low, max_value=high,
                                  help_text=help_text, widget=_number_input(parameter, attrs))
    if kind == FLOAT:
        return forms.FloatField(required=required, min_value=low, max_value=high,
                                help_text=help_text,
                                widget=_number_input(parameter, dict(attrs, step='any')))
    return forms.CharField(required=required, max_length=1024, help_text=help_text,
                           widget=forms.TextInput(attrs=attrs))


def initial_value(parameter, value):
    """A stored value as its input shows it."""
    if getattr(parameter, 'type', None) == BOOLEAN:
        return as_bool(value)
    return value


def same(parameter, old, new):
    """Whether an edited value is the stored one (the API may store '1' for True)."""
    if getattr(parameter, 'type', None) == BOOLEAN:
        return as_bool(old) == bool(new)
    return str(old) == str(new)


_NAME_CHARS = r'[A-Za-z0-9_.\-]'


def named_in(message, names):
    """The parameter a message of the API is about: the longest name it mentions."""
    for name in sorted(names, key=len, reverse=True):
        if re.search(r'(?<!%s)%s(?!%s)' % (_NAME_CHARS, re.escape(name), _NAME_CHARS),
                     message or ''):
            return name
    return None
