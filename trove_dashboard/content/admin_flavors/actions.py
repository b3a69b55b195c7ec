"""What an operator can do to flavors and volume types: create, edit, delete.

A delete the API refuses (409 while instances use it or a datastore version is associated
with it) is shown in the API's words, which say what to do first.
"""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from trove_dashboard.api import admin_flavors as api
from trove_dashboard.exceptions import say_why

SCOPE = 'database'
PANEL = 'horizon:admin:database_flavors:'


class CreateFlavor(tables.LinkAction):
    name = 'create'
    verbose_name = _('Create Flavor')
    url = PANEL + 'create_flavor'
    classes = ('ajax-modal', 'btn-create')
    icon = 'plus'
    policy_rules = ((SCOPE, 'flavor:create'),)


class EditFlavor(tables.LinkAction):
    name = 'edit'
    verbose_name = _('Edit Flavor')
    url = PANEL + 'edit_flavor'
    classes = ('ajax-modal',)
    icon = 'pencil'
    policy_rules = ((SCOPE, 'flavor:update'),)


class DeleteFlavor(tables.DeleteAction):
    help_text = _('A flavor that instances run on or that a datastore version is associated '
                  'with cannot be deleted.')
    policy_rules = ((SCOPE, 'flavor:delete'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Flavor', 'Delete Flavors', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Deleted Flavor', 'Deleted Flavors', count)

    def delete(self, request, obj_id):
        say_why(request, api.flavor_delete, obj_id)


class CreateVolumeType(tables.LinkAction):
    name = 'create'
    verbose_name = _('Create Volume Type')
    url = PANEL + 'create_volume_type'
    classes = ('ajax-modal', 'btn-create')
    icon = 'plus'
    policy_rules = ((SCOPE, 'volume_type:create'),)


class EditVolumeType(tables.LinkAction):
    name = 'edit'
    verbose_name = _('Edit Volume Type')
    url = PANEL + 'edit_volume_type'
    classes = ('ajax-modal',)
    icon = 'pencil'
    policy_rules = ((SCOPE, 'volume_type:update'),)


class DeleteVolumeType(tables.DeleteAction):
    help_text = _('A volume type that instances have volumes of or that a datastore version '
                  'is associated with cannot be deleted.')
    policy_rules = ((SCOPE, 'volume_type:delete'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Volume Type', 'Delete Volume Types', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Deleted Volume Type', 'Deleted Volume Types', count)

    def delete(self, request, obj_id):
        say_why(request, api.volume_type_delete, obj_id)
