"""Manage Access: the instance's databases, which of them one user can use, and Grant /
Revoke per database (or for the selected ones)."""
import types
from urllib import parse

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django.utils.translation import pgettext_lazy
from horizon import tables

from trove_dashboard.api import users as users_api
from trove_dashboard.content.databases import states
from trove_dashboard import exceptions as dash_exceptions

SCOPE = 'database'


def access_label(row):
    if row.access:
        return pgettext_lazy("A user's access to a database", 'Granted')
    return pgettext_lazy("A user's access to a database", 'Not granted')


def access_rows(databases, granted):
    """One row per database of the page, saying whether the user may use it."""
    granted = set(granted)
    return [types.SimpleNamespace(name=d.name, access=d.name in granted) for d in databases]


class _AccessAction(tables.BatchAction):
    """Changes the access of the user the page is about, while the engine runs."""
    granting = None

    def allowed(self, request, datum=None):
        if not states.allows(self.table.kwargs['instance'], 'guest'):
            return False
        return datum is None or datum.access != self.granting

    def user(self):
        return self.table.kwargs['instance'].id, self.table.kwargs['user_name'], \
            self.table.kwargs['user_host']


class GrantAccess(_AccessAction):
    name = 'grant'
    granting = True
    icon = 'check'
    policy_rules = ((SCOPE, 'instance:extension:user_access:update'),)

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Grant Access', 'Grant Access', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Granted access to', 'Granted access to', count)

    def action(self, request, obj_id):
        instance_id, name, host = self.user()
        dash_exceptions.say_why(request, users_api.user_grant, instance_id, name, host,
                                [obj_id])


class RevokeAccess(_AccessAction):
    name = 'revoke'
    granting = False
    icon = 'ban'
    policy_rules = ((SCOPE, 'instance:extension:user_access:delete'),)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.action_type = 'danger'   # Horizon asks to confirm it

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Revoke Access', 'Revoke Access', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Revoked access to', 'Revoked access to', count)

    def action(self, request, obj_id):
        instance_id, name, host = self.user()
        dash_exceptions.say_why(request, users_api.user_revoke, instance_id, name, host,
                                obj_id)


class AccessTable(tables.DataTable):
    name = tables.Column('name', verbose_name=_('Database'))
    access = tables.Column(access_label, verbose_name=_('Access'))

    class Meta:
        name = 'access'
        verbose_name = _('Database Access')
        pagination_param = 'access_marker'
        table_actions = (GrantAccess, RevokeAccess)
        row_actions = (GrantAccess, RevokeAccess)

    def get_object_id(self, datum):
        return datum.name

    def get_object_display(self, datum):
        return datum.name

    def get_pagination_string(self):
        # The next page is of the same user, who is named in the query string.
        user = self.request.GET.get('user', '')
        return '%s&%s' % (parse.urlencode({'user': user}), super().get_pagination_string())
