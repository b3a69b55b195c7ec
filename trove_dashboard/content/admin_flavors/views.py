"""The Flavors and Volume Types panel's pages: the two tabs, and the create and edit forms."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tabs as horizon_tabs
from horizon.utils import memoized

from trove_dashboard.api import admin_flavors as api
from trove_dashboard.content.admin_flavors import forms
from trove_dashboard.content.admin_flavors import tabs
from trove_dashboard.modal_views import PageModalFormView

INDEX_URL = 'horizon:admin:database_flavors:index'
FLAVORS_TAB = '?tab=database_flavors__flavors_tab'
VOLUME_TYPES_TAB = '?tab=database_flavors__volume_types_tab'


class IndexView(horizon_tabs.TabbedTableView):
    """Flavors and volume types: two calls, one per tab."""
    tab_group_class = tabs.FlavorTabs
    template_name = 'admin/database_flavors/index.html'
    page_title = _('Flavors and Volume Types')


class FormView(PageModalFormView):
    """Back to its tab when done."""
    template_name = 'admin/database_flavors/form_page.html'
    ajax_template_name = 'admin/database_flavors/_form.html'
    tab = FLAVORS_TAB

    def get_success_url(self):
        return reverse(INDEX_URL) + self.tab


class CreateFlavorView(FormView):
    """No call until the form is sent."""
    form_class = forms.CreateFlavorForm
    modal_header = page_title = _('Create Flavor')
    submit_label = _('Create')
    help_text = _('A flavor is the size of an instance: its memory, CPUs and disks. Users '
                  'choose one when they launch an instance.')


class EditFlavorView(FormView):
    """The flavor: one call."""
    form_class = forms.EditFlavorForm
    modal_header = page_title = _('Edit Flavor')
    submit_label = _('Save')
    help_text = _('A flavor instances run on can be renamed but not resized: create a new '
                  'flavor and resize the instances to it.')

    @memoized.memoized_method
    def get_object(self):
        try:
            return api.flavor_get(self.request, self.kwargs['flavor_id'])
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve the flavor.'),
                              redirect=self.get_success_url())

    def get_form_kwargs(self):
        return dict(super().get_form_kwargs(), flavor=self.get_object())


class CreateVolumeTypeView(FormView):
    """No call until the form is sent."""
    form_class = forms.CreateVolumeTypeForm
    modal_header = page_title = _('Create Volume Type')
    submit_label = _('Create')
    tab = VOLUME_TYPES_TAB
    help_text = _('A volume type is a class of storage for instances\' volumes. Users may '
                  'choose one when they launch an instance.')


class EditVolumeTypeView(FormView):
    """The volume type: one call."""
    form_class = forms.EditVolumeTypeForm
    modal_header = page_title = _('Edit Volume Type')
    submit_label = _('Save')
    tab = VOLUME_TYPES_TAB
    help_text = _('Volumes that exist already keep their place.')

    @memoized.memoized_method
    def get_object(self):
        try:
            return api.volume_type_get(self.request, self.kwargs['volume_type_id'])
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve the volume type.'),
                              redirect=self.get_success_url())

    def get_form_kwargs(self):
        return dict(super().get_form_kwargs(), volume_type=self.get_object())
