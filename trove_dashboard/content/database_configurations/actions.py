"""What can be done to a configuration group, its values and its instances."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from trove_dashboard.api import trove
from trove_dashboard.exceptions import say_why

SCOPE = 'database'


class CreateConfiguration(tables.LinkAction):
    name = 'create'
    verbose_name = _('Create Configuration Group')
    url = 'horizon:project:database_configurations:create'
    classes = ('ajax-modal', 'btn-create')
    icon = 'plus'
    policy_rules = ((SCOPE, 'configuration:create'),)


class EditConfiguration(tables.LinkAction):
    """The group's name and description; its values are edited on its Values tab."""
    name = 'edit'
    verbose_name = _('Edit Group')
    url = 'horizon:project:database_configurations:edit'
    classes = ('ajax-modal',)
    icon = 'pencil'
    policy_rules = ((SCOPE, 'configuration:update'),)


class DeleteConfiguration(tables.DeleteAction):
    help_text = _('A group that instances use cannot be deleted: detach it from them first.')
    policy_rules = ((SCOPE, 'configuration:delete'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Configuration Group', 'Delete Configuration Groups',
                             count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Deleted Configuration Group', 'Deleted Configuration Groups',
                             count)

    def delete(self, request, obj_id):
        say_why(request, trove.configuration_delete, obj_id)


def _configuration_id(table):
    return table.kwargs['configuration_id']


class EditValues(tables.LinkAction):
    name = 'edit_values'
    verbose_name = _('Edit Values')
    classes = ('ajax-modal',)
    icon = 'pencil'
    policy_rules = ((SCOPE, 'configuration:edit'),)

    def get_link_url(self, datum=None):
        return reverse('horizon:project:database_configurations:edit_values',
                       args=[_configuration_id(self.table)])


def _remove_value(request, configuration_id, name):
    """PUT the group's values without `name`; the attached instances drop it too."""
    configuration = trove.configuration_get(request, configuration_id)
    values = dict(getattr(configuration, 'values', None) or {})
    values.pop(name, None)
    trove.configuration_update(request, configuration_id, values)


class RemoveValue(tables.DeleteAction):
    help_text = _("The parameter goes back to the engine's default on the group's instances.")
    policy_rules = ((SCOPE, 'configuration:update'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Remove Value', 'Remove Values', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Removed Value', 'Removed Values', count)

    def delete(self, request, obj_id):
        say_why(request, _remove_value, _configuration_id(self.table), obj_id)


class DetachFromInstance(tables.BatchAction):
    """Detach the page's group from an instance (the instance keeps running)."""
    name = 'detach'
    help_text = _("The instance's parameters go back to the engine's defaults.")
    policy_rules = ((SCOPE, 'instance:update'),)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.action_type = 'danger'

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Detach Configuration Group', 'Detach Configuration Group',
                             count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Detached Configuration Group', 'Detached Configuration Group',
                             count)

    def action(self, request, obj_id):
        say_why(request, trove.instance_detach_configuration, obj_id)
