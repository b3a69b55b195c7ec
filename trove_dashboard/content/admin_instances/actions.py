"""The operator's actions on any project's instance, each offered only when its policy rule
and the instance's status allow it; the API stays the judge, and its refusal is shown in
its own words (say_why)."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from trove_dashboard.api import admin_instances
from trove_dashboard.content.databases import actions as project_actions
from trove_dashboard import exceptions as dash_exceptions

SCOPE = 'database'
INDEX_URL = 'horizon:admin:database_instances:index'
DELETED_URL = 'horizon:admin:database_instances:deleted'

# The statuses each action may start from, as the API's mgmt_instances and status.py say:
# stop needs a running (or stopped) engine, reboot is the tenant's restart.
STOPPABLE = frozenset({'ACTIVE', 'RESTART_REQUIRED', 'SHUTDOWN'})
REBOOTABLE = frozenset({'ACTIVE', 'RESTART_REQUIRED', 'SHUTDOWN'})


def _live(instance):
    return instance is not None and not getattr(instance, 'deleted', False)


def _placed(instance):
    """Live and given a host: only then was a guest agent ever started to answer."""
    return _live(instance) and bool(getattr(instance, 'host', None))


def _status_in(instance, statuses):
    return _live(instance) and getattr(instance, 'status', None) in statuses


class PingInstance(tables.BatchAction):
    """Asks the instance's guest agent to answer; the API's 400 says when it did not."""
    name = 'ping'
    help_text = _("Checks that the instance's guest agent answers.")
    policy_rules = ((SCOPE, 'mgmt:instance:rpc_ping'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Ping', 'Ping', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('The guest agent answered on instance',
                             'The guest agents answered on instances', count)

    def allowed(self, request, instance=None):
        return _placed(instance)

    def action(self, request, obj_id):
        dash_exceptions.say_why(request, admin_instances.instance_ping, obj_id)


class ResetStatus(project_actions.ConfirmedBatchAction):
    name = 'reset_status'
    help_text = _('The instance becomes Error with a fault saying an administrator reset '
                  'it; whatever operation was running is given up.')
    policy_rules = ((SCOPE, 'mgmt:instance:action'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Reset Status', 'Reset Status', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Reset the status of instance', 'Reset the status of instances',
                             count)

    def allowed(self, request, instance=None):
        return _live(instance)

    def action(self, request, obj_id):
        dash_exceptions.say_why(request, admin_instances.instance_reset_status, obj_id)


class StopInstance(project_actions.ConfirmedBatchAction):
    name = 'stop'
    help_text = _("The instance's engine stops (its guest agent keeps answering); the "
                  'instance is Shut down until a restart or Reboot starts it again.')
    policy_rules = ((SCOPE, 'mgmt:instance:action'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Stop Instance', 'Stop Instances', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Stopping instance', 'Stopping instances', count)

    def allowed(self, request, instance=None):
        return _status_in(instance, STOPPABLE)

    def action(self, request, obj_id):
        dash_exceptions.say_why(request, admin_instances.instance_stop, obj_id)


class RebootInstance(project_actions.ConfirmedBatchAction):
    name = 'reboot'
    help_text = _("The instance's engine restarts (a stopped one starts); open connections "
                  'are closed.')
    policy_rules = ((SCOPE, 'mgmt:instance:action'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Reboot Instance', 'Reboot Instances', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Rebooting instance', 'Rebooting instances', count)

    def allowed(self, request, instance=None):
        return _status_in(instance, REBOOTABLE)

    def action(self, request, obj_id):
        dash_exceptions.say_why(request, admin_instances.instance_reboot, obj_id)


class ShowDeleted(tables.LinkAction):
    """Switches the table between live and deleted instances (its own URL, so the
    table's "next" links keep it)."""
    name = 'show_deleted'
    verbose_name = _('Show Deleted')
    icon = 'history'
    policy_rules = ((SCOPE, 'mgmt:instance:index'),)

    def get_link_url(self, datum=None):
        return reverse(DELETED_URL)

    def allowed(self, request, datum=None):
        return not self.table.kwargs.get('show_deleted')


class ShowLive(ShowDeleted):
    name = 'show_live'
    verbose_name = _('Show Live')
    icon = 'list'

    def get_link_url(self, datum=None):
        return reverse(INDEX_URL)

    def allowed(self, request, datum=None):
        return bool(self.table.kwargs.get('show_deleted'))
