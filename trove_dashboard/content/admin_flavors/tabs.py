"""The panel's two tabs; both are loaded with the page, one API call each."""
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tabs

from trove_dashboard.api import admin_flavors as api
from trove_dashboard.content.admin_flavors import tables


class FlavorsTab(tabs.TableTab):
    name = _('Flavors')
    slug = 'flavors_tab'
    table_classes = (tables.FlavorsTable,)
    template_name = 'horizon/common/_detail_table.html'

    def get_flavors_data(self):
        try:
            found = api.flavor_list(self.request)
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve flavors.'))
            return []
        return sorted(found, key=lambda f: (f.ram, f.vcpus, f.name))


class VolumeTypesTab(tabs.TableTab):
    name = _('Volume Types')
    slug = 'volume_types_tab'
    table_classes = (tables.VolumeTypesTable,)
    template_name = 'horizon/common/_detail_table.html'

    def get_volume_types_data(self):
        try:
            found = api.volume_type_list(self.request)
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve volume types.'))
            return []
        return sorted(found, key=lambda vt: vt.name)


class FlavorTabs(tabs.TabGroup):
    slug = 'database_flavors'
    tabs = (FlavorsTab, VolumeTypesTab)
    sticky = True
