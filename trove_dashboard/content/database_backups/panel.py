"""The Backups panel of the Databases group (registered by its enabled file)."""
from django.utils.translation import gettext_lazy as _
import horizon


class Backups(horizon.Panel):
    name = _('Backups')
    slug = 'database_backups'
    permissions = ('openstack.services.database',)
    policy_rules = (('database', 'backup:index'),)
