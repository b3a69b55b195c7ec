"""A configuration group's detail page: Values, Instances and Details.

The view fetches the group and its version's parameters once and hands them to the
tabs; the instances are asked for only when their tab is opened.
"""
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tabs

from trove_dashboard.api import trove
from trove_dashboard.content.database_configurations import tables


class ValuesTab(tabs.TableTab):
    name = _('Values')
    slug = 'values'
    table_classes = (tables.ValuesTable,)
    template_name = 'horizon/common/_detail_table.html'

    def get_values_data(self):
        return tables.value_rows(self.tab_group.kwargs['configuration'],
                                 self.tab_group.kwargs['parameters'])


class InstancesTab(tabs.TableTab):
    name = _('Instances')
    slug = 'instances'
    preload = False
    table_classes = (tables.InstancesTable,)
    template_name = 'horizon/common/_detail_table.html'

    def get_configuration_instances_data(self):
        try:
            return trove.configuration_instances(self.request,
                                                 self.tab_group.kwargs['configuration'].id)
        except Exception:
            exceptions.handle(self.request, _("Unable to retrieve the group's instances."))
            return []


class DetailsTab(tabs.Tab):
    name = _('Details')
    slug = 'details'
    template_name = 'project/database_configurations/_detail_overview.html'

    def get_context_data(self, request):
        configuration = self.tab_group.kwargs['configuration']
        return {'configuration': configuration,
                'datastore': tables.datastore_label(configuration),
                'instance_count': getattr(configuration, 'instance_count', None)}


class ConfigurationDetailTabs(tabs.DetailTabsGroup):
    slug = 'configuration_details'
    tabs = (ValuesTab, InstancesTab, DetailsTab)
    sticky = True
