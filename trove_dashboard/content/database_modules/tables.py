"""The modules table: one row per module, from one list call."""
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import tables
from horizon.utils import filters

from trove_dashboard.content.database_modules import actions
from trove_dashboard.content.database_modules import scope

NARROW_HIDDEN = ('hidden-xs', 'hidden-sm')


def detail_url(module):
    return reverse('horizon:project:database_modules:detail', args=[module.id])


def yes_no(value):
    return _('Yes') if value else _('No')


def when(value):
    """'2026-11-22 01:00:00 UTC' from the API's timestamp; '-' when there is none."""
    return date_filter(filters.parse_isotime(value), 'Y-m-d H:i:s T') if value else '-'


class ModulesTable(tables.DataTable):
    name = tables.WrappingColumn('name', verbose_name=_('Name'), link=detail_url)
    type = tables.Column('type', verbose_name=_('Type'))
    datastore = tables.Column(scope.label, verbose_name=_('Datastore'))
    auto_apply = tables.Column(lambda m: yes_no(getattr(m, 'auto_apply', False)),
                               verbose_name=_('Auto Apply'), classes=NARROW_HIDDEN)
    md5 = tables.Column(lambda m: getattr(m, 'md5', None) or '-', verbose_name=_('MD5'),
                        classes=NARROW_HIDDEN)
    updated = tables.Column(lambda m: when(getattr(m, 'updated', None)),
                            verbose_name=_('Updated'), classes=NARROW_HIDDEN)

    class Meta:
        name = 'modules'
        verbose_name = _('Modules')
        table_actions = (actions.CreateModule, actions.DeleteModule)
        row_actions = (actions.EditModule, actions.DeleteModule)
