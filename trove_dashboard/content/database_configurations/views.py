"""The Configuration Groups panel's pages: the list, a group's detail, create, edit the
group, edit its values."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tabs as horizon_tabs
from horizon.utils import memoized

from trove_dashboard.api import trove
from trove_dashboard.content.database_configurations import forms
from trove_dashboard.content.database_configurations import tables
from trove_dashboard.content.database_configurations import tabs
from trove_dashboard.content.databases import catalogue as cat
from trove_dashboard.modal_views import PageModalFormView
from trove_dashboard.paged_views import OnePageTableView

INDEX_URL = 'horizon:project:database_configurations:index'
DETAIL_URL = 'horizon:project:database_configurations:detail'


class IndexView(OnePageTableView):
    """One page of groups: one call (the API names each group's datastore and version)."""
    table_class = tables.ConfigurationsTable
    template_name = 'project/database_configurations/index.html'
    page_title = _('Configuration Groups')
    failure_message = _('Unable to retrieve configuration groups.')

    def fetch_page(self, marker):
        return trove.configuration_list_page(self.request, marker=marker)


def load(request, configuration_id):
    """The group and its version's parameters: two calls."""
    configuration = trove.configuration_get(request, configuration_id)
    parameters = trove.parameters_by_version(request, configuration.datastore_version_id)
    return configuration, parameters


class DetailView(horizon_tabs.TabbedTableView):
    tab_group_class = tabs.ConfigurationDetailTabs
    template_name = 'project/database_configurations/detail.html'
    page_title = '{{ configuration.name }}'

    @memoized.memoized_method
    def get_data(self):
        try:
            return load(self.request, self.kwargs['configuration_id'])
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve the configuration group.'),
                              redirect=reverse(INDEX_URL))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        configuration, _parameters = self.get_data()
        context['configuration'] = configuration
        context['url'] = reverse(INDEX_URL)
        context['actions'] = tables.ConfigurationsTable(self.request).render_row_actions(
            configuration)
        return context

    def get_tabs(self, request, *args, **kwargs):
        configuration, parameters = self.get_data()
        return self.tab_group_class(request, configuration=configuration,
                                    parameters=parameters, **kwargs)


class FormView(PageModalFormView):
    """The page header names the form once."""
    template_name = 'project/database_configurations/form_page.html'
    ajax_template_name = 'project/database_configurations/_form.html'


class CreateView(FormView):
    """The datastores (which versions take groups): one call."""
    form_class = forms.CreateConfigurationForm
    modal_header = page_title = _('Create Configuration Group')
    submit_label = _('Create')
    help_text = _('A configuration group is a named set of parameter values for one datastore '
                  'version. After creating it, set its values; then attach it to instances '
                  'or choose it when launching one.')

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        try:
            catalogue = cat.Catalogue.load(self.request)
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve datastores.'),
                              redirect=reverse(INDEX_URL))
        kwargs['catalogue'] = catalogue.having(cat.CONFIGURATION)
        return kwargs

    def get_cancel_url(self):
        return reverse(INDEX_URL)

    def get_success_url(self):
        """Its values next: the group is empty until they are set."""
        return reverse('horizon:project:database_configurations:edit_values',
                       args=[self.form.created.id])

    def form_valid(self, form):
        self.form = form
        return super().form_valid(form)


class GroupFormView(FormView):
    """A form about one group: the group and its version's parameters (two calls); the page
    names the group and links back to it."""
    title = None

    def fetch(self):
        return load(self.request, self.kwargs['configuration_id'])

    @memoized.memoized_method
    def get_object(self):
        try:
            return self.fetch()
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve the configuration group.'),
                              redirect=reverse(INDEX_URL))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        configuration = self.get_object()[0]
        context['configuration'] = configuration
        context['modal_header'] = context['page_title'] = self.title % configuration.name
        context['custom_breadcrumb'] = [(configuration.name, self.get_success_url())]
        return context

    def get_success_url(self):
        return reverse(DETAIL_URL, args=[self.kwargs['configuration_id']])


class EditView(GroupFormView):
    """The group: one call."""
    form_class = forms.EditConfigurationForm
    title = _('Edit Configuration Group "%s"')
    submit_label = _('Save')
    help_text = _("Change the group's name and description. Its values and the instances "
                  'using it stay as they are.')

    def fetch(self):
        return trove.configuration_get(self.request, self.kwargs['configuration_id']), []

    def get_form_kwargs(self):
        return dict(super().get_form_kwargs(), configuration=self.get_object()[0])


class EditValuesView(GroupFormView):
    form_class = forms.EditValuesForm
    title = _('Edit Values of "%s"')
    submit_label = _('Save')
    help_text = _('Values are applied to every instance using the group at once; if one '
                  'instance refuses a value, none changes. A value marked to take effect '
                  'after a restart leaves its instances Restart Required until they are '
                  'restarted.')

    def get_form_kwargs(self):
        configuration, parameters = self.get_object()
        return dict(super().get_form_kwargs(), configuration=configuration,
                    parameters=parameters)
