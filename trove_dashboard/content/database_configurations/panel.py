"""The Configuration Groups panel of the Databases group (registered by its enabled file)."""
from django.utils.translation import gettext_lazy as _
import horizon


class Configurations(horizon.Panel):
    name = _('Configuration Groups')
    slug = 'database_configurations'
    permissions = ('openstack.services.database',)
    policy_rules = (('database', 'configuration:index'),)
