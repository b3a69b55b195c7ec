"""The Admin dashboard's Quotas panel (registered by its enabled file)."""
from django.utils.translation import gettext_lazy as _
import horizon


class AdminQuotas(horizon.Panel):
    name = _('Quotas')
    slug = 'database_quotas'
    permissions = ('openstack.roles.admin', 'openstack.services.database')
    policy_rules = (('database', 'quota:index'),)
