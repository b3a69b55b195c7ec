"""The Quotas panel's pages: every project's quotas, and a project's Edit Quotas form."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms as horizon_forms
from horizon import tables as horizon_tables
from horizon.utils import memoized

from trove_dashboard.api import admin_quotas as api
from trove_dashboard.content.admin_quotas import forms
from trove_dashboard.content.admin_quotas import quota_data
from trove_dashboard.content.admin_quotas import tables
from trove_dashboard.modal_views import CancelToSuccess

INDEX_URL = 'horizon:admin:database_quotas:index'


class IndexView(horizon_tables.DataTableView):
    """A page of every project's quotas: one API call and one Keystone call."""
    table_class = tables.QuotasTable
    template_name = 'admin/database_quotas/index.html'
    page_title = _('Quotas')

    def has_more_data(self, table):
        return self._more

    def get_data(self):
        self._more = False
        marker = self.request.GET.get(tables.QuotasTable._meta.pagination_param)
        try:
            rows, next_marker = quota_data.load_page(self.request, marker)
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve the quotas.'))
            return []
        self._more = bool(next_marker)
        self.table.page_marker = next_marker
        return rows


class EditQuotasView(CancelToSuccess, horizon_forms.ModalFormView):
    """The project's quotas and usage: one call (and one more when the form is sent)."""
    form_class = forms.EditQuotasForm
    template_name = 'admin/database_quotas/form_page.html'
    ajax_template_name = 'admin/database_quotas/_form.html'
    modal_header = page_title = _('Edit Quotas')
    submit_label = _('Save')

    def _project_name(self):
        # The name comes from the link (no Keystone call); the id beside it is what is edited.
        name, project_id = self.request.GET.get('name'), self.kwargs['project_id']
        return '%s (%s)' % (name, project_id) if name and name != project_id else project_id

    @memoized.memoized_method
    def get_object(self):
        try:
            return api.quota_show(self.request, self.kwargs['project_id'])
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve the quotas.'),
                              redirect=self.get_success_url())

    def get_form_kwargs(self):
        return dict(super().get_form_kwargs(), project_id=self.kwargs['project_id'],
                    project_name=self._project_name(), current=self.get_object())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['submit_url'] = self.request.get_full_path()
        context['project_name'] = self._project_name()
        return context

    def get_success_url(self):
        return reverse(INDEX_URL)
