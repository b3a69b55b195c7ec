"""The Modules panel of the Databases group (registered by its enabled file)."""
from django.utils.translation import gettext_lazy as _
import horizon


class Modules(horizon.Panel):
    name = _('Modules')
    slug = 'database_modules'
    permissions = ('openstack.services.database',)
    policy_rules = (('database', 'module:index'),)
