"""The Modules panel's pages: the list, a module's detail, create, edit."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import views as horizon_views
from horizon.utils import memoized

from trove_dashboard.api import modules as modules_api
from trove_dashboard.content.database_modules import forms
from trove_dashboard.content.database_modules import scope
from trove_dashboard.content.database_modules import tables
from trove_dashboard.content.databases import catalogue as cat
from trove_dashboard.modal_views import PageModalFormView
from trove_dashboard.paged_views import OnePageTableView

INDEX_URL = 'horizon:project:database_modules:index'
DETAIL_URL = 'horizon:project:database_modules:detail'


class IndexView(OnePageTableView):
    """One page of modules: one call (each module names its datastore and version)."""
    table_class = tables.ModulesTable
    template_name = 'project/database_modules/index.html'
    page_title = _('Modules')
    failure_message = _('Unable to retrieve modules.')

    def fetch_page(self, marker):
        return modules_api.module_list_page(self.request, marker=marker)


def fetch_module(request, module_id):
    try:
        return modules_api.module_get(request, module_id)
    except Exception:
        exceptions.handle(request, _('Unable to retrieve the module.'),
                          redirect=reverse(INDEX_URL))


class DetailView(horizon_views.HorizonTemplateView):
    """The module, every field of it: one call."""
    template_name = 'project/database_modules/detail.html'
    page_title = '{{ module.name }}'

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        module = fetch_module(self.request, self.kwargs['module_id'])
        context.update(module=module, url=reverse(INDEX_URL),
                       datastore=scope.label(module),
                       all_tenants=getattr(module, 'tenant', None) == scope.ALL,
                       show_visible=hasattr(module, 'visible'),
                       actions=tables.ModulesTable(self.request).render_row_actions(module))
        return context


class FormView(PageModalFormView):
    """The page header names the form once; the form takes the datastores (one call)."""
    template_name = 'project/database_modules/form_page.html'
    ajax_template_name = 'project/database_modules/_form.html'

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        try:
            catalogue = cat.Catalogue.load(self.request)
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve datastores.'),
                              redirect=reverse(INDEX_URL))
        kwargs['catalogue'] = catalogue.having(cat.MODULES)
        return kwargs


class CreateView(FormView):
    form_class = forms.CreateModuleForm
    modal_header = page_title = _('Create Module')
    submit_label = _('Create')
    help_text = _('A module is a file that a guest driver places on instances: a licence, '
                  'a certificate bundle, an agent\'s settings. Apply it when launching an '
                  'instance or later from the instance\'s actions.')

    def get_success_url(self):
        return reverse(INDEX_URL)


class EditView(FormView):
    """The module and the datastores: two calls."""
    form_class = forms.EditModuleForm
    submit_label = _('Save')
    help_text = _('Instances that have the module keep the contents they applied until it '
                  'is applied to them again. A module without Live Update cannot be '
                  'changed while instances have it.')

    @memoized.memoized_method
    def get_object(self):
        return fetch_module(self.request, self.kwargs['module_id'])

    def get_form_kwargs(self):
        return dict(super().get_form_kwargs(), module=self.get_object())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        module = self.get_object()
        context['modal_header'] = context['page_title'] = (
            _('Edit Module "%s"') % module.name)
        context['custom_breadcrumb'] = [(module.name, self.get_success_url())]
        return context

    def get_success_url(self):
        return reverse(DETAIL_URL, args=[self.kwargs['module_id']])
