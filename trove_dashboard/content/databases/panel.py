"""The Instances panel of the Databases group (registered by the enabled files)."""
from django.utils.translation import gettext_lazy as _
import horizon


class Databases(horizon.Panel):
    name = _('Instances')
    slug = 'databases'
    permissions = ('openstack.services.database',)
    policy_rules = (('database', 'instance:index'),)
