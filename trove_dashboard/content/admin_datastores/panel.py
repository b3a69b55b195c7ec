"""The Admin dashboard's Datastores panel (registered by its enabled file)."""
from django.utils.translation import gettext_lazy as _
import horizon


class AdminDatastores(horizon.Panel):
    name = _('Datastores')
    slug = 'datastores'
    permissions = ('openstack.roles.admin', 'openstack.services.database')
    policy_rules = (('database', 'datastore_version:index'),)
