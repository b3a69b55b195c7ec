"""An instance's modules as its guest reports them, with Remove and Download."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django.utils.translation import pgettext_lazy
from horizon import tables

from trove_dashboard.api import modules as modules_api
from trove_dashboard.content.database_modules import tables as panel_tables
from trove_dashboard import exceptions as dash_exceptions

SCOPE = 'database'
NARROW_HIDDEN = ('hidden-xs', 'hidden-sm')
STATUS_CHOICES = (('OK', True), ('FAILED', False))
STATUS_DISPLAY = (('OK', pgettext_lazy('Status of a module on an instance', 'OK')),
                  ('FAILED', pgettext_lazy('Status of a module on an instance', 'Failed')))


def _instance_id(table):
    return table.kwargs['instance_id']


class RemoveModule(tables.DeleteAction):
    help_text = _('The guest driver removes what the module placed on the instance.')
    policy_rules = ((SCOPE, 'instance:module_remove'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Remove Module', 'Remove Modules', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Removed Module', 'Removed Modules', count)

    def delete(self, request, obj_id):
        dash_exceptions.say_why(request, modules_api.instance_module_remove,
                                _instance_id(self.table), obj_id)


class DownloadModule(tables.LinkAction):
    """The contents the guest holds, as troveclient's module-retrieve saves them."""
    name = 'download'
    verbose_name = _('Download')
    icon = 'download'
    policy_rules = ((SCOPE, 'instance:module_list'),)

    def get_link_url(self, datum):
        return reverse('horizon:project:databases:download_module',
                       args=[_instance_id(self.table), datum.id])


def message_label(module):
    return getattr(module, 'message', None) or '-'


class ApplyModules(tables.LinkAction):
    name = 'apply_module'
    verbose_name = _('Apply Module')
    classes = ('ajax-modal',)
    icon = 'plus'
    policy_rules = ((SCOPE, 'instance:module_apply'),)

    def get_link_url(self, datum=None):
        return reverse('horizon:project:databases:apply_module', args=[_instance_id(self.table)])


class InstanceModulesTable(tables.DataTable):
    # No link to the module: a hidden module applied automatically is not the member's to see.
    name = tables.WrappingColumn('name', verbose_name=_('Name'))
    type = tables.Column('type', verbose_name=_('Type'))
    status = tables.Column('status', verbose_name=_('Status'), status=True,
                           status_choices=STATUS_CHOICES, display_choices=STATUS_DISPLAY)
    message = tables.WrappingColumn(message_label, verbose_name=_('Message'))
    md5 = tables.Column(lambda m: getattr(m, 'md5', None) or '-', verbose_name=_('MD5'),
                        classes=NARROW_HIDDEN)
    updated = tables.Column(lambda m: panel_tables.when(getattr(m, 'updated', None)),
                            verbose_name=_('Updated'), classes=NARROW_HIDDEN)

    class Meta:
        name = 'instance_modules'
        verbose_name = _('Modules')
        status_columns = ['status']
        row_actions = (DownloadModule, RemoveModule)
        table_actions = (ApplyModules, RemoveModule)
