"""What can be done to an instance, each shown only when its status and policy allow it."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from trove_dashboard.api import trove
from trove_dashboard.content.databases import catalogue as cat
from trove_dashboard.content.databases import states
from trove_dashboard import exceptions as dash_exceptions

SCOPE = 'database'


def _can(instance, operation):
    """Table-level actions (no row) are offered; row actions follow the row's status."""
    return instance is None or states.allows(instance, operation)


class InstanceModalLink(tables.LinkAction):
    """A row action that opens a modal form for its instance."""
    classes = ('ajax-modal',)
    url_name = None

    def get_link_url(self, datum):
        return reverse(self.url_name, args=[datum.id])


class ConfirmedBatchAction(tables.BatchAction):
    """A batch action Horizon asks the user to confirm (shown in red)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.action_type = 'danger'


class LaunchInstance(tables.LinkAction):
    name = 'launch'
    verbose_name = _('Launch Instance')
    url = 'horizon:project:databases:launch'
    classes = ('ajax-modal', 'btn-launch')
    icon = 'cloud-upload'
    policy_rules = ((SCOPE, 'instance:create'),)


class DeleteInstance(tables.DeleteAction):
    policy_rules = ((SCOPE, 'instance:delete'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Instance', 'Delete Instances', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Scheduled deletion of Instance',
                             'Scheduled deletion of Instances', count)

    def allowed(self, request, instance=None):
        return _can(instance, 'delete')

    def delete(self, request, obj_id):
        trove.instance_delete(request, obj_id)


class RestartInstance(ConfirmedBatchAction):
    name = 'restart'
    help_text = _('The database engine restarts; open connections are closed.')
    policy_rules = ((SCOPE, 'instance:restart'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Restart Instance', 'Restart Instances', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Restarted Instance', 'Restarted Instances', count)

    def allowed(self, request, instance=None):
        return _can(instance, 'restart')

    def action(self, request, obj_id):
        trove.instance_restart(request, obj_id)


class ResizeVolume(InstanceModalLink):
    name = 'resize_volume'
    verbose_name = _('Resize Volume')
    url_name = 'horizon:project:databases:resize_volume'
    policy_rules = ((SCOPE, 'instance:resize_volume'),)

    def allowed(self, request, instance=None):
        return _can(instance, 'resize_volume')


class ResizeFlavor(InstanceModalLink):
    name = 'resize_flavor'
    verbose_name = _('Resize Instance')
    url_name = 'horizon:project:databases:resize_flavor'
    policy_rules = ((SCOPE, 'instance:resize_flavor'),)

    def allowed(self, request, instance=None):
        return _can(instance, 'resize_flavor')


def _root_allowed(instance):
    return (instance is not None and states.allows(instance, 'guest') and
            'root' in getattr(instance, 'capabilities', ()))


class EnableRoot(InstanceModalLink):
    name = 'enable_root'
    verbose_name = _('Enable Root')
    url_name = 'horizon:project:databases:enable_root'
    policy_rules = ((SCOPE, 'instance:extension:root:create'),)

    def allowed(self, request, instance=None):
        return _root_allowed(instance)


def root_enabled(instance):
    """Whether root is known to be enabled: only the detail page asks (one GET /root, see
    root_state); a list row does not know, so it never offers Disable Root."""
    return getattr(instance, 'root_enabled', None) is True


class DisableRoot(ConfirmedBatchAction):
    """Offered only where root is known enabled; the API's 404 for a root that is not
    enabled (someone disabled it meanwhile) is shown in its words, never as a success."""
    name = 'disable_root'
    help_text = _('The root user can no longer log in.')
    policy_rules = ((SCOPE, 'instance:extension:root:delete'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Disable Root', 'Disable Root', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Disabled Root', 'Disabled Root', count)

    def allowed(self, request, instance=None):
        if not _root_allowed(instance):
            return False
        # Shown only where root is known enabled (the detail page asked). Its POST is handled
        # by the list page, which cannot know: there the API judges, and says why in words.
        return root_enabled(instance) or self._being_handled(request)

    def _being_handled(self, request):
        return request.method == 'POST' and request.POST.get('action', '').startswith(
            '%s__%s__' % (self.table.name, self.name))

    def action(self, request, obj_id):
        dash_exceptions.say_why(request, trove.root_disable, obj_id)


class RenameInstance(InstanceModalLink):
    name = 'rename'
    verbose_name = _('Rename Instance')
    url_name = 'horizon:project:databases:rename'
    policy_rules = ((SCOPE, 'instance:update'),)

    def allowed(self, request, instance=None):
        return _can(instance, 'rename')


def _backups_allowed(instance):
    return instance is not None and 'backups' in getattr(instance, 'capabilities', ())


class BackupInstance(tables.LinkAction):
    """Create Backup with this instance chosen."""
    name = 'backup'
    verbose_name = _('Create Backup')
    classes = ('ajax-modal',)
    policy_rules = ((SCOPE, 'backup:create'),)

    def get_link_url(self, datum):
        return '%s?instance=%s' % (reverse('horizon:project:database_backups:create'), datum.id)

    def allowed(self, request, instance=None):
        return _backups_allowed(instance) and states.allows(instance, 'backup')


class BackupSchedules(tables.LinkAction):
    name = 'schedules'
    verbose_name = _('Backup Schedules')
    policy_rules = ((SCOPE, 'schedule:index'),)

    def get_link_url(self, datum):
        return reverse('horizon:project:database_backups:schedules', args=[datum.id])

    def allowed(self, request, instance=None):
        # Not while DELETING: the row would offer a page about schedules going away.
        return (_backups_allowed(instance) and
                getattr(instance, 'status', None) != states.DELETING)


def _configuration_of(instance):
    return (getattr(instance, 'configuration', None) or {}).get('id')


def _configurable(instance):
    return (instance is not None and states.allows(instance, 'configure') and
            cat.CONFIGURATION in getattr(instance, 'capabilities', ()))


class AttachConfiguration(InstanceModalLink):
    name = 'attach_configuration'
    verbose_name = _('Attach Configuration Group')
    url_name = 'horizon:project:databases:attach_configuration'
    policy_rules = ((SCOPE, 'instance:update'),)

    def allowed(self, request, instance=None):
        return _configurable(instance) and not _configuration_of(instance)


class DetachConfiguration(ConfirmedBatchAction):
    name = 'detach_configuration'
    help_text = _("The instance's parameters go back to the engine's defaults.")
    policy_rules = ((SCOPE, 'instance:update'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Detach Configuration Group', 'Detach Configuration Groups',
                             count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Detached Configuration Group', 'Detached Configuration Groups',
                             count)

    def allowed(self, request, instance=None):
        return _configurable(instance) and bool(_configuration_of(instance))

    def action(self, request, obj_id):
        dash_exceptions.say_why(request, trove.instance_detach_configuration, obj_id)


class ApplyModule(InstanceModalLink):
    """Apply modules now; the guest answers for each, so the instance must be running."""
    name = 'apply_module'
    verbose_name = _('Apply Module')
    url_name = 'horizon:project:databases:apply_module'
    policy_rules = ((SCOPE, 'instance:module_apply'),)

    def allowed(self, request, instance=None):
        return (instance is not None and states.allows(instance, 'guest') and
                cat.MODULES in getattr(instance, 'capabilities', ()))
