"""What can be done to a module: create, edit, delete."""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from trove_dashboard.api import modules as modules_api
from trove_dashboard.content.database_modules import access
from trove_dashboard.exceptions import say_why

SCOPE = 'database'


class CreateModule(tables.LinkAction):
    name = 'create'
    verbose_name = _('Create Module')
    url = 'horizon:project:database_modules:create'
    classes = ('ajax-modal', 'btn-create')
    icon = 'plus'
    policy_rules = ((SCOPE, 'module:create'),)


class EditModule(tables.LinkAction):
    name = 'edit'
    verbose_name = _('Edit Module')
    url = 'horizon:project:database_modules:edit'
    classes = ('ajax-modal',)
    icon = 'pencil'
    policy_rules = ((SCOPE, 'module:update'),)

    def allowed(self, request, module=None):
        return module is None or access.may_change(request, module)


class DeleteModule(tables.DeleteAction):
    help_text = _('A module that cannot be updated live cannot be deleted while instances '
                  'have it: remove it from them first.')
    policy_rules = ((SCOPE, 'module:delete'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Module', 'Delete Modules', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Deleted Module', 'Deleted Modules', count)

    def allowed(self, request, module=None):
        return module is None or access.may_change(request, module)

    def delete(self, request, obj_id):
        say_why(request, modules_api.module_delete, obj_id)
