"""The configuration groups table, a group's values and the instances using it."""
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from horizon import tables

from trove_dashboard.content.database_configurations import actions
from trove_dashboard.content.database_configurations import parameters as params
from trove_dashboard.content.database_configurations import units
from trove_dashboard.content.databases import configuration_tables

NARROW_HIDDEN = ('hidden-xs', 'hidden-sm')
# On a phone these go under the parameter's name (name_cell) instead of in their columns.
PHONE_HIDDEN = ('hidden-xs',)


def detail_url(configuration):
    return reverse('horizon:project:database_configurations:detail', args=[configuration.id])


def datastore_label(configuration):
    """'mariadb 10.11' from the names the API sends, its version id when it sends none."""
    names = [getattr(configuration, 'datastore_name', None),
             getattr(configuration, 'datastore_version_name', None)]
    return ' '.join(n for n in names if n) or getattr(configuration, 'datastore_version_id', '-')


class ConfigurationsTable(tables.DataTable):
    name = tables.WrappingColumn('name', verbose_name=_('Name'), link=detail_url)
    description = tables.WrappingColumn(lambda c: getattr(c, 'description', None) or '-',
                                        verbose_name=_('Description'), classes=NARROW_HIDDEN)
    datastore = tables.Column(datastore_label, verbose_name=_('Datastore'))

    class Meta:
        name = 'configurations'
        verbose_name = _('Configuration Groups')
        table_actions = (actions.CreateConfiguration, actions.DeleteConfiguration)
        row_actions = (actions.EditConfiguration, actions.DeleteConfiguration)


class Value:
    """A row of the Values table: a value the group sets, with its parameter's rule."""

    def __init__(self, name, value, parameter):
        self.id = self.name = name
        self.value = value
        self.parameter = parameter
        self.type = params.type_label(parameter) if parameter else '-'
        self.range = params.range_label(parameter) if parameter else '-'
        self.unit = getattr(parameter, 'unit', None) or '-'
        self.restart_required = bool(getattr(parameter, 'restart_required', False))


def value_rows(configuration, parameters):
    rules = params.by_name(parameters)
    values = getattr(configuration, 'values', None) or {}
    return [Value(name, values[name], rules.get(name)) for name in sorted(values)]


def value_label(row):
    if getattr(row.parameter, 'type', None) == params.BOOLEAN:
        return _('On') if params.as_bool(row.value) else _('Off')
    return units.with_unit(row.value, getattr(row.parameter, 'unit', None))


def restart_label(row):
    if row.restart_required:
        return format_html('<span class="label label-warning restart-flag">{}</span>',
                           _('Restart required'))
    return _('Applies live')


def name_cell(row):
    """The name; on a phone, with the value and when it takes effect under it."""
    return format_html(
        '<span class="configuration-name">{}</span><div class="visible-xs-block '
        'configuration-stacked"><div class="configuration-value">{}</div><div>{}</div></div>',
        configuration_tables.breakable(row.name), value_label(row), restart_label(row))


class ValuesTable(tables.DataTable):
    name = tables.Column(name_cell, verbose_name=_('Parameter'))
    value = tables.Column(value_label, verbose_name=_('Value'),
                          classes=('configuration-value',) + PHONE_HIDDEN)
    type = tables.Column('type', verbose_name=_('Type'), classes=PHONE_HIDDEN)
    range = tables.Column('range', verbose_name=_('Range'), classes=NARROW_HIDDEN)
    unit = tables.Column('unit', verbose_name=_('Unit'), classes=NARROW_HIDDEN)
    restart = tables.Column(restart_label, verbose_name=_('Takes Effect'),
                            classes=PHONE_HIDDEN)

    class Meta:
        name = 'values'
        verbose_name = _('Values')
        table_actions = (actions.EditValues, actions.RemoveValue)
        row_actions = (actions.RemoveValue,)

    def get_object_display(self, datum):
        return datum.name


def instance_url(instance):
    return reverse('horizon:project:databases:detail', args=[instance.id])


class InstancesTable(tables.DataTable):
    name = tables.Column('name', verbose_name=_('Instance Name'), link=instance_url)
    id = tables.Column('id', verbose_name=_('ID'), classes=NARROW_HIDDEN)

    class Meta:
        name = 'configuration_instances'
        verbose_name = _('Instances')
        row_actions = (actions.DetachFromInstance,)
