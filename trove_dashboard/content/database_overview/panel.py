"""The Overview panel of the Databases group: the project's landing page (enabled file
_1715), ahead of Instances."""
from django.utils.translation import gettext_lazy as _
import horizon


class Overview(horizon.Panel):
    name = _('Overview')
    slug = 'database_overview'
    permissions = ('openstack.services.database',)
    policy_rules = (('database', 'overview:show'),)
