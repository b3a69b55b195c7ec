from django.utils.translation import gettext_lazy as _
import horizon


class Databases(horizon.Panel):
    name = _("Instances")
    slug = 'databases'
    permissions = ('openstack.services.database',)
