"""The Admin dashboard's Instances panel (registered by its enabled file)."""
from django.utils.translation import gettext_lazy as _
import horizon


class AdminInstances(horizon.Panel):
    name = _('Instances')
    slug = 'database_instances'
    permissions = ('openstack.roles.admin', 'openstack.services.database')
    policy_rules = (('database', 'mgmt:instance:index'),)
