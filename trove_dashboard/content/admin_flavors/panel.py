"""The Admin dashboard's Flavors and Volume Types panel (registered by its enabled file)."""
from django.utils.translation import gettext_lazy as _
import horizon


class AdminFlavors(horizon.Panel):
    """Database flavors and volume types, for operators to define."""
    name = _('Flavors and Volume Types')
    slug = 'database_flavors'
    permissions = ('openstack.roles.admin', 'openstack.services.database')
    policy_rules = (('database', 'flavor:create'),)
