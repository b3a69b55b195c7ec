"""Modal views for the instance forms; each fetches only what its form shows."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon.utils import memoized

from trove_dashboard.api import trove
from trove_dashboard.content.databases import catalogue as cat
from trove_dashboard.content.databases import forms
from trove_dashboard.content.databases import guest_forms
from trove_dashboard.content.databases import instance_data
from trove_dashboard.content.databases import user_hosts
from trove_dashboard.modal_views import PageModalFormView

INDEX_URL = 'horizon:project:databases:index'
DETAIL_URL = 'horizon:project:databases:detail'


class InstanceFormView(PageModalFormView):
    """A modal form about the instance named in the URL."""
    template_name = 'project/databases/form_page.html'
    ajax_template_name = 'project/databases/_form.html'
    submit_url_name = None

    def get_success_url(self):
        return reverse(INDEX_URL)

    @memoized.memoized_method
    def get_object(self):
        try:
            return trove.instance_get(self.request, self.kwargs['instance_id'])
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve the instance.'),
                              redirect=reverse(INDEX_URL))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['submit_url'] = reverse(self.submit_url_name, args=[self.kwargs['instance_id']])
        context['instance_id'] = self.kwargs['instance_id']
        context['modal_template'] = self.ajax_template_name
        return context

    def get_initial(self):
        return {'instance_id': self.kwargs['instance_id']}


class RenameView(InstanceFormView):
    form_class = forms.RenameForm
    modal_header = page_title = _('Rename Instance')
    submit_label = _('Rename')
    submit_url_name = 'horizon:project:databases:rename'
    help_text = _('The name is only a label: addresses and data stay as they are.')

    def get_initial(self):
        return dict(super().get_initial(), name=self.get_object().name)


class ResizeVolumeView(InstanceFormView):
    form_class = forms.ResizeVolumeForm
    modal_header = page_title = _('Resize Volume')
    submit_label = _('Resize Volume')
    submit_url_name = 'horizon:project:databases:resize_volume'
    help_text = _('The volume grows while the instance keeps running; it cannot shrink.')

    def get_initial(self):
        size = (getattr(self.get_object(), 'volume', None) or {}).get('size')
        return dict(super().get_initial(), current_size=size)


class ResizeFlavorView(InstanceFormView):
    form_class = forms.ResizeFlavorForm
    modal_header = page_title = _('Resize Instance')
    submit_label = _('Resize')
    submit_url_name = 'horizon:project:databases:resize_flavor'
    help_text = _('The database restarts with the new flavor.')

    @memoized.memoized_method
    def allowed_flavors(self):
        datastore = getattr(self.get_object(), 'datastore', None) or {}
        try:
            return trove.version_flavors(self.request, datastore.get('type'),
                                         datastore.get('version'))
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve flavors.'),
                              redirect=reverse(INDEX_URL))

    def get_initial(self):
        instance = self.get_object()
        current = instance_data.flavor_id_of(instance)
        names = {cat.flavor_value(f): cat.flavor_label(f) for f in self.allowed_flavors()}
        return dict(super().get_initial(), current_flavor_id=current,
                    current_flavor=names.get(current, current))

    def get_form_kwargs(self):
        return dict(super().get_form_kwargs(), flavors=self.allowed_flavors())


class EnableRootView(InstanceFormView):
    form_class = forms.EnableRootForm
    # No visible field: the explanation takes the whole dialog, not a column beside nothing.
    ajax_template_name = 'project/databases/_enable_root.html'
    modal_header = page_title = _('Enable Root')
    submit_label = _('Enable Root')
    submit_url_name = 'horizon:project:databases:enable_root'
    help_text = _('The root user gets a new generated password, shown once. Enabling root '
                  'again replaces the password.')

    def get_initial(self):
        return dict(super().get_initial(), instance_name=self.get_object().name)


class GuestFormView(InstanceFormView):
    """Forms on the detail page's tabs return to that tab."""
    tab = None

    def get_success_url(self):
        return '%s?tab=instance_details__%s' % (
            reverse(DETAIL_URL, args=[self.kwargs['instance_id']]), self.tab)


class CreateDatabaseView(GuestFormView):
    form_class = guest_forms.CreateDatabaseForm
    modal_header = page_title = _('Create Database')
    submit_label = _('Create Database')
    submit_url_name = 'horizon:project:databases:create_database'
    help_text = _('A new, empty database on the instance.')
    tab = 'databases'


class CreateUserView(user_hosts.UserHostsMixin, GuestFormView):
    """Two calls to show (the instance, the datastores: whether users have a host)."""
    form_class = guest_forms.CreateUserForm
    modal_header = page_title = _('Create User')
    submit_label = _('Create User')
    submit_url_name = 'horizon:project:databases:create_user'
    help_text = _('A user of the database engine, with access to the databases you name.')
    tab = 'users'


class AttachConfigurationView(InstanceFormView):
    """The instance, the datastores (its version's id) and the groups: three calls."""
    form_class = forms.AttachConfigurationForm
    modal_header = page_title = _('Attach Configuration Group')
    submit_label = _('Attach')
    submit_url_name = 'horizon:project:databases:attach_configuration'
    help_text = _('The group\'s values replace the engine\'s defaults on this instance. '
                  'If the engine refuses one, nothing changes and the refusal says why.')

    def get_form_kwargs(self):
        datastore = getattr(self.get_object(), 'datastore', None) or {}
        try:
            version = cat.Catalogue.load(self.request).find(datastore.get('type'),
                                                            datastore.get('version'))
            groups = trove.configuration_list(self.request)
        except Exception:
            exceptions.handle(self.request, _('Unable to retrieve configuration groups.'),
                              redirect=reverse(INDEX_URL))
        version_id = version.id if version else None
        return dict(super().get_form_kwargs(), configurations=[
            g for g in groups if getattr(g, 'datastore_version_id', None) == version_id])
