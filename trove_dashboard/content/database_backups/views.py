"""The Backups panel's pages: the list, a backup's detail with its chain, Create Backup."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tables as horizon_tables
from horizon import tabs as horizon_tabs
from horizon.utils import memoized

from trove_dashboard.api import trove
from trove_dashboard.content.database_backups import backup_data
from trove_dashboard.content.database_backups import forms
from trove_dashboard.content.database_backups import tables
from trove_dashboard.content.database_backups import tabs
from trove_dashboard.content.databases import catalogue as cat
from trove_dashboard.content.databases import instance_data
from trove_dashboard.content.databases import states as instance_states
from trove_dashboard.modal_views import PageModalFormView

INDEX_URL = 'horizon:project:database_backups:index'


class IndexView(horizon_tables.DataTableView):
    """One page of backups (they name their instances): one call."""
    table_class = tables.BackupsTable
    template_name = 'project/database_backups/index.html'
    page_title = _('Backups')

    def has_more_data(self, table):
        return self._more

    def get_data(self):
        self._more = False
        marker = self.request.GET.get(tables.BackupsTable._meta.pagination_param)
        try:
            backups, next_marker = trove.backup_list_page(self.request, marker=marker)
            self._more = bool(next_marker)
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve backups.'))
            return []
        return backup_data.newest_first(backup_data.join(backups))


class DetailView(horizon_tabs.TabbedTableView):
    """The backup and its instance's backups (for the chain): two calls."""
    tab_group_class = tabs.BackupDetailTabs
    template_name = 'project/database_backups/detail.html'
    page_title = '{{ backup.name }}'

    @memoized.memoized_method
    def get_data(self):
        try:
            backup = trove.backup_get(self.request, self.kwargs['backup_id'])
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve the backup.'),
                              redirect=reverse(INDEX_URL))
        try:
            siblings = trove.instance_backups(self.request, backup.instance_id)
        except Exception:
            siblings = [backup]
            exceptions.handle(self.request, _('Unable to retrieve the backup chain.'))
        backup_data.join(siblings)
        backup_data.join([backup])
        backup.child_ids = [b.id for b in siblings if getattr(b, 'parent_id', None) == backup.id]
        return backup, siblings

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        backup, _siblings = self.get_data()
        context['backup'] = backup
        context['url'] = reverse(INDEX_URL)
        context['actions'] = tables.BackupsTable(self.request).render_row_actions(backup)
        return context

    def get_tabs(self, request, *args, **kwargs):
        backup, siblings = self.get_data()
        return self.tab_group_class(request, backup=backup, siblings=siblings, **kwargs)


def backup_candidates(request):
    """Active instances whose version can be backed up, with their capabilities."""
    instances, _more = trove.instance_list(request)
    instance_data.join(instances, [], cat.Catalogue.load(request))
    return [i for i in instances if instance_states.allows(i, 'backup') and
            forms.BACKUPS in i.capabilities]


class CreateBackupView(PageModalFormView):
    """Instances, datastores and backups (for parents): three calls."""
    form_class = forms.CreateBackupForm
    template_name = 'project/database_backups/form_page.html'
    ajax_template_name = 'project/database_backups/_form.html'
    modal_header = page_title = _('Create Backup')
    submit_label = _('Create Backup')
    help_text = _('A backup is streamed to the object store while the instance keeps running; '
                  'the instance shows Backing up until it is done.')

    def get_success_url(self):
        return reverse(INDEX_URL)

    def get_initial(self):
        return {'instance': self.request.GET.get('instance')}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        try:
            kwargs['instances'] = backup_candidates(self.request)
            kwargs['backups'], _more = trove.backup_list_page(self.request)
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve instances and backups.'),
                              redirect=reverse(INDEX_URL))
        return kwargs
