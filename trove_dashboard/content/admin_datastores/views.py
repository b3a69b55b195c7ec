"""The Datastores panel's pages: the versions (and empty datastores), a version's page,
register, edit, visibility and add member."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tables as horizon_tables
from horizon import tabs as horizon_tabs
from horizon.utils import memoized
from openstack_dashboard.api import keystone

from trove_dashboard.api import admin_catalogue as api
from trove_dashboard.api import trove
from trove_dashboard.content.admin_datastores import forms
from trove_dashboard.content.admin_datastores import tables
from trove_dashboard.content.admin_datastores import tabs
from trove_dashboard.modal_views import PageModalFormView

INDEX_URL = 'horizon:admin:datastores:index'
DETAIL_URL = 'horizon:admin:datastores:detail'


class IndexView(horizon_tables.MultiTableView):
    """Two calls: every registered version, and the datastores (to find empty ones)."""
    table_classes = (tables.VersionsTable, tables.EmptyDatastoresTable)
    template_name = 'admin/datastores/index.html'
    page_title = _('Datastores')

    @memoized.memoized_method
    def versions(self):
        try:
            return api.version_list(self.request)
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve datastore versions.'))
            return []

    def get_datastore_versions_data(self):
        return self.versions()

    def get_empty_datastores_data(self):
        try:
            found = trove.datastore_list(self.request)
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve datastores.'))
            return []
        used = {v.datastore_id for v in self.versions()}
        return [ds for ds in found if ds.id not in used]


def load_version(request, version_id):
    """The version, or back to the list with Horizon's message."""
    try:
        return api.version_get(request, version_id)
    except Exception:
        exceptions.handle(request, _('Unable to retrieve the datastore version.'),
                          redirect=reverse(INDEX_URL))


class DetailView(horizon_tabs.TabbedTableView):
    """The version (one call); each tab asks for its own lists when opened."""
    tab_group_class = tabs.VersionTabs
    template_name = 'admin/datastores/detail.html'
    page_title = '{{ version.datastore_name }} {{ version.name }}'

    @memoized.memoized_method
    def get_data(self):
        return load_version(self.request, self.kwargs['version_id'])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        version = self.get_data()
        context['version'] = version
        context['url'] = reverse(INDEX_URL)
        context['actions'] = tables.VersionsTable(self.request).render_row_actions(version)
        return context

    def get_tabs(self, request, *args, **kwargs):
        return self.tab_group_class(request, version=self.get_data(), **kwargs)


class FormView(PageModalFormView):
    template_name = 'admin/datastores/form_page.html'
    ajax_template_name = 'admin/datastores/_form.html'

    def get_success_url(self):
        return reverse(INDEX_URL)


class RegisterView(FormView):
    """The registered versions (for the suggestions) and the service's guest managers:
    one call each."""
    form_class = forms.RegisterVersionForm
    modal_header = page_title = _('Register Datastore Version')
    submit_label = _('Register')
    help_text = _('A version names an installed engine build and the guest manager that '
                  'runs it. Registering a version of a new datastore creates the datastore. '
                  "The version's capabilities come from its manager.")

    def get_form_kwargs(self):
        try:
            versions = api.version_list(self.request)
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve datastore versions.'),
                              redirect=reverse(INDEX_URL))
        try:
            managers = api.manager_list(self.request)
        except Exception:
            # An older service without the call: the form offers the built-in names.
            managers = None
        return dict(super().get_form_kwargs(), versions=versions, managers=managers)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context['form']
        context['suggestions'] = {'datastore-names': form.datastore_names,
                                  'engine-images': form.images}
        return context


class VersionFormView(FormView):
    """A form about one version: the version (one call), named in the header."""
    title = None

    @memoized.memoized_method
    def get_object(self):
        return load_version(self.request, self.kwargs['version_id'])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        version = self.get_object()
        context['modal_header'] = context['page_title'] = self.title % {
            'datastore': version.datastore_name, 'name': version.name}
        return context

    def get_form_kwargs(self):
        return dict(super().get_form_kwargs(), version=self.get_object())


class EditView(VersionFormView):
    form_class = forms.EditVersionForm
    title = _('Edit Version "%(datastore)s %(name)s"')
    submit_label = _('Save')
    help_text = _('Instances of the version keep running as they are. Making it the default '
                  'takes the default away from the datastore\'s other version.')


class VisibilityView(VersionFormView):
    form_class = forms.VisibilityForm
    title = _('Set Visibility of "%(datastore)s %(name)s"')
    submit_label = _('Save')
    help_text = _('Public: every project sees and launches it. Private: member projects '
                  'only. Unlisted: not listed, but launched by name. Deprecated: nobody '
                  'launches it any more; existing instances keep running.')


class AddMemberView(VersionFormView):
    """The version, Keystone's projects and the members (to leave them out): three calls."""
    form_class = forms.AddMemberForm
    title = _('Add Member to "%(datastore)s %(name)s"')
    submit_label = _('Add Member')
    help_text = _('A member project sees and launches the version while it is private.')

    def get_success_url(self):
        return '%s?tab=datastore_version__members' % reverse(
            DETAIL_URL, args=[self.kwargs['datastore_id'], self.kwargs['version_id']])

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        version = kwargs['version']
        try:
            projects, _more = keystone.tenant_list(self.request)
            members = api.member_list(self.request, version.datastore_id, version.id)
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve projects.'),
                              redirect=self.get_success_url())
        joined = {m.member for m in members}
        return dict(kwargs, projects=[p for p in projects if p.id not in joined])
