"""A backup's detail page: Overview and Chain, from what the view fetched once."""
from django.utils.translation import gettext_lazy as _
from horizon import tabs

from trove_dashboard.content.database_backups import backup_data
from trove_dashboard.content.database_backups import states
from trove_dashboard.content.database_backups import tables


class OverviewTab(tabs.Tab):
    name = _('Overview')
    slug = 'overview'
    template_name = 'project/database_backups/_detail_overview.html'

    def get_context_data(self, request):
        backup = self.tab_group.kwargs['backup']
        siblings = self.tab_group.kwargs['siblings']
        by_id = {b.id: b for b in siblings}
        return {'backup': backup, 'parent': by_id.get(getattr(backup, 'parent_id', None)),
                'kind': tables.kind_label(backup), 'size': tables.size_label(backup),
                'duration': None if states.is_transitional(backup)
                else backup_data.duration(backup),
                'transitional': states.is_transitional(backup),
                'fail_reason': backup_data.field(backup, 'fail_reason'),
                'instance_label': tables.instance_label(backup),
                'instance_url': tables.instance_url(backup)}


class ChainTab(tabs.TableTab):
    name = _('Chain')
    slug = 'chain'
    table_classes = (tables.ChainTable,)
    template_name = 'horizon/common/_detail_table.html'

    def get_chain_data(self):
        return tables.chain_rows(self.tab_group.kwargs['backup'],
                                 self.tab_group.kwargs['siblings'])


class BackupDetailTabs(tabs.DetailTabsGroup):
    slug = 'backup_details'
    tabs = (OverviewTab, ChainTab)
    sticky = True
