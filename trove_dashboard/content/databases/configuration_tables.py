"""An instance's Configuration tab: what its engine runs, beside the attached group's values.

A group's value the engine does not run is marked: after a restart that was rolled back,
or one the engine adjusted, it is "Not in effect"; while the instance is Restart Required
and the parameter is read only at start, it "Waits for a restart". The comparison counts
units (PostgreSQL shows '32MB' for shared_buffers 4096, in 8 kB pages).

On a phone the values go under the parameter's name and the value columns hide, so no
column is squeezed to a character a line.
"""
import re

from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from horizon import tables

from trove_dashboard.content.database_configurations import parameters as params
from trove_dashboard.content.database_configurations import units

DEFAULT, IN_EFFECT, NOT_IN_EFFECT, WAITS = 'default', 'in_effect', 'not_in_effect', 'waits'
PHONE_HIDDEN = ('hidden-xs',)


class EffectiveValue:
    """A parameter the instance's engine runs with, and the attached group's value of it."""

    def __init__(self, name, value, group_values, parameter=None, restart_pending=False):
        self.id = self.name = name
        self.value = value
        self.parameter = parameter
        self.from_group = name in group_values
        self.group_value = group_values.get(name)
        self.state = self._state(restart_pending)

    def _state(self, restart_pending):
        if not self.from_group:
            return DEFAULT
        # '-': the engine did not name it, so there is nothing to compare with.
        if self.value == '-' or units.same(self.parameter, self.group_value, self.value):
            return IN_EFFECT
        if restart_pending and getattr(self.parameter, 'restart_required', False):
            return WAITS
        return NOT_IN_EFFECT

    @property
    def differs(self):
        return self.state in (NOT_IN_EFFECT, WAITS)


def effective_values(running, group_values, parameters=(), restart_pending=False):
    """Rows for every parameter the engine reports or the group sets, by name."""
    rules = params.by_name(parameters)
    names = sorted(set(running) | set(group_values))
    return [EffectiveValue(n, running.get(n, '-'), group_values, rules.get(n),
                           restart_pending) for n in names]


def group_value_label(row):
    if not row.from_group:
        return '-'
    if getattr(row.parameter, 'type', None) == params.BOOLEAN or \
            isinstance(row.group_value, bool):
        return _('On') if params.as_bool(row.group_value) else _('Off')
    return units.with_unit(row.group_value, getattr(row.parameter, 'unit', None))


def breakable(name):
    """A parameter name that may wrap after its underscores, and nowhere else."""
    return mark_safe('<wbr>'.join(
        format_html('{}', part) for part in re.split(r'(?<=[_.])', name) if part))


def name_cell(row):
    """The name; on a phone, with the values under it (their columns are hidden there)."""
    lines = [(_('Running value'), row.value)]
    if row.from_group:
        lines.append((_('Group value'), group_value_label(row)))
    stacked = format_html_join('', '<div>{}: <span class="configuration-value">{}</span></div>',
                               lines)
    return format_html('<span class="configuration-name">{}</span>'
                       '<div class="visible-xs-block configuration-stacked">{}</div>',
                       breakable(row.name), stacked)


STATE_LABELS = {
    NOT_IN_EFFECT: ('label-danger not-in-effect', _('Not in effect')),
    WAITS: ('label-warning waits-for-restart', _('Waits for a restart')),
}


def source_label(row):
    if not row.from_group:
        return _('Default')
    badges = [('label-info from-group', _('Configuration group'))]
    if row.state in STATE_LABELS:
        badges.append(STATE_LABELS[row.state])
    return format_html_join('', '<span class="label {}">{}</span>', badges)


class ConfigurationRow(tables.Row):
    """A group's value the engine does not run stands out."""

    def load_cells(self, datum=None):
        super().load_cells(datum)
        if getattr(self.datum, 'differs', False):
            self.classes.append('warning')


class InstanceConfigurationTable(tables.DataTable):
    name = tables.Column(name_cell, verbose_name=_('Parameter'))
    value = tables.Column('value', verbose_name=_('Running Value'),
                          classes=('configuration-value',) + PHONE_HIDDEN)
    group_value = tables.Column(group_value_label, verbose_name=_('Group Value'),
                                classes=('configuration-value',) + PHONE_HIDDEN)
    source = tables.Column(source_label, verbose_name=_('Source'),
                           classes=('configuration-source',))

    class Meta:
        name = 'instance_configuration'
        verbose_name = _('Configuration')
        row_class = ConfigurationRow

    def get_object_display(self, datum):
        return datum.name
