"""What an operator can do to datastore versions, their members and their associations.

Each action names its policy rule (api_service/common/policies.py); a refusal of the API
(4xx, e.g. 409 while instances use a version) is shown in the API's words by say_why.
"""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from trove_dashboard.api import admin_catalogue as api
from trove_dashboard.exceptions import say_why

SCOPE = 'database'
PANEL = 'horizon:admin:datastores:'


def _version_args(version):
    return [version.datastore_id, version.id]


class RegisterVersion(tables.LinkAction):
    name = 'register'
    verbose_name = _('Register Version')
    url = PANEL + 'register'
    classes = ('ajax-modal', 'btn-create')
    icon = 'plus'
    policy_rules = ((SCOPE, 'datastore_version:create'),)


class VersionLink(tables.LinkAction):
    """A modal about one version, addressed by its datastore and id."""
    classes = ('ajax-modal',)

    def get_link_url(self, datum=None):
        return reverse(self.url, args=_version_args(datum))


class EditVersion(VersionLink):
    name = 'edit'
    verbose_name = _('Edit Version')
    url = PANEL + 'edit'
    icon = 'pencil'
    policy_rules = ((SCOPE, 'datastore_version:update'),)


class SetVisibility(VersionLink):
    name = 'visibility'
    verbose_name = _('Set Visibility')
    url = PANEL + 'visibility'
    icon = 'eye'
    policy_rules = ((SCOPE, 'datastore_version:update_visibility'),)


class ManageMembers(tables.LinkAction):
    """The version's page, on its Members tab."""
    name = 'members'
    verbose_name = _('Manage Members')
    policy_rules = ((SCOPE, 'datastore_version_member:index'),)

    def get_link_url(self, datum=None):
        return '%s?tab=datastore_version__members' % reverse(PANEL + 'detail',
                                                             args=_version_args(datum))


class DeleteVersion(tables.DeleteAction):
    help_text = _('A version that instances, backups or configuration groups use cannot be '
                  'deleted: set it inactive or deprecated instead.')
    policy_rules = ((SCOPE, 'datastore_version:delete'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Version', 'Delete Versions', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Deleted Version', 'Deleted Versions', count)

    def delete(self, request, obj_id):
        say_why(request, api.version_delete, obj_id)


class DeleteDatastore(tables.DeleteAction):
    """A datastore with no versions left (the table lists only those)."""
    help_text = _('The datastore has no versions; deleting it removes its name from the '
                  'catalogue.')
    policy_rules = ((SCOPE, 'datastore:delete'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Datastore', 'Delete Datastores', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Deleted Datastore', 'Deleted Datastores', count)

    def delete(self, request, obj_id):
        say_why(request, api.datastore_delete, obj_id)


# -- on a version's page: members, flavors, volume types -----------------------------------

def _page_version(table):
    return table.kwargs['datastore_id'], table.kwargs['version_id']


class AddMember(tables.LinkAction):
    name = 'add_member'
    verbose_name = _('Add Member')
    classes = ('ajax-modal', 'btn-create')
    icon = 'plus'
    policy_rules = ((SCOPE, 'datastore_version_member:create'),)

    def get_link_url(self, datum=None):
        return reverse(PANEL + 'add_member', args=_page_version(self.table))


class RemoveMember(tables.DeleteAction):
    help_text = _('If the version is private, the project can no longer see it or launch '
                  'instances of it; its existing instances keep running.')
    policy_rules = ((SCOPE, 'datastore_version_member:delete'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Remove Member', 'Remove Members', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Removed Member', 'Removed Members', count)

    def delete(self, request, obj_id):
        say_why(request, api.member_remove, *_page_version(self.table), obj_id)


class Associate(tables.BatchAction):
    """Add the row to the version's associations: once any exists, only those are allowed.
    A row offers this or Dissociate, as the version's view says it is associated."""
    name = 'associate'
    call = None         # the admin_catalogue function's name

    def allowed(self, request, datum=None):
        return datum is None or not datum.associated

    def action(self, request, obj_id):
        say_why(request, getattr(api, self.call), *_page_version(self.table), obj_id)


class Dissociate(tables.BatchAction):
    name = 'dissociate'
    call = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.action_type = 'danger'

    def allowed(self, request, datum=None):
        return datum is None or datum.associated

    def action(self, request, obj_id):
        say_why(request, getattr(api, self.call), *_page_version(self.table), obj_id)


class AssociateFlavor(Associate):
    help_text = _('Once a flavor is associated, the version can be launched on its '
                  'associated flavors only.')
    policy_rules = ((SCOPE, 'datastore_version:add_flavor'),)
    call = 'flavor_associate'

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Associate Flavor', 'Associate Flavors', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Associated Flavor', 'Associated Flavors', count)


class DissociateFlavor(Dissociate):
    help_text = _('Instances running on the flavor keep running; new ones cannot use it. '
                  'With no flavor associated, every flavor is allowed.')
    policy_rules = ((SCOPE, 'datastore_version:remove_flavor'),)
    call = 'flavor_dissociate'

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Dissociate Flavor', 'Dissociate Flavors', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Dissociated Flavor', 'Dissociated Flavors', count)


class AssociateVolumeType(Associate):
    help_text = _('Once a volume type is associated, the version can use its associated '
                  'volume types only.')
    policy_rules = ((SCOPE, 'datastore_version:add_volume_type'),)
    call = 'volume_type_associate'

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Associate Volume Type', 'Associate Volume Types', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Associated Volume Type', 'Associated Volume Types', count)


class DissociateVolumeType(Dissociate):
    help_text = _('Existing volumes keep their type; new instances cannot choose it. With '
                  'no volume type associated, every volume type is allowed.')
    policy_rules = ((SCOPE, 'datastore_version:remove_volume_type'),)
    call = 'volume_type_dissociate'

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Dissociate Volume Type', 'Dissociate Volume Types', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Dissociated Volume Type', 'Dissociated Volume Types', count)
