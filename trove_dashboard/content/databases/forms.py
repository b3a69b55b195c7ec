"""Modal forms that change one instance: rename, resize volume or flavor, enable root.

A 4xx from the API lands on the field it is about, in the API's words; anything
else goes to Horizon's error handling.
"""
from django import shortcuts
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import messages

from trove_dashboard.api import trove
from trove_dashboard.content.databases import catalogue as cat
from trove_dashboard.refusal_forms import RefusalForm

INDEX_URL = 'horizon:project:databases:index'


class InstanceForm(RefusalForm):
    """A form about one instance, named in a hidden field."""
    instance_id = forms.CharField(widget=forms.HiddenInput())
    index_url = INDEX_URL


class RenameForm(InstanceForm):
    name = forms.CharField(max_length=255, label=_('New Name'))
    error_field = 'name'
    failure_message = _('The instance could not be renamed.')

    def apply(self, request, data):
        trove.instance_rename(request, data['instance_id'], data['name'])
        messages.success(request, _('Renamed the instance to "%s".') % data['name'])
        return True


class ResizeVolumeForm(InstanceForm):
    current_size = forms.IntegerField(label=_('Current Size (GB)'), required=False,
                                      widget=forms.TextInput(attrs={'readonly': 'readonly'}))
    new_size = forms.IntegerField(min_value=1, label=_('New Size (GB)'),
                                  help_text=_('Volumes only grow.'))
    error_field = 'new_size'
    failure_message = _('The volume could not be resized.')

    def clean(self):
        cleaned = super().clean()
        current, new = self.initial.get('current_size'), cleaned.get('new_size')
        if current and new and new <= current:
            self.add_error('new_size', _('The new size must be larger than the current %s GB.')
                           % current)
        return cleaned

    def apply(self, request, data):
        trove.instance_resize_volume(request, data['instance_id'], data['new_size'])
        messages.success(request, _('Resizing the volume to %s GB.') % data['new_size'])
        return True


class ResizeFlavorForm(InstanceForm):
    current_flavor = forms.CharField(label=_('Current Flavor'), required=False,
                                     widget=forms.TextInput(attrs={'readonly': 'readonly'}))
    new_flavor = forms.ChoiceField(label=_('New Flavor'),
                                   help_text=_('Only the flavors the datastore version allows.'))
    error_field = 'new_flavor'
    failure_message = _('The instance could not be resized.')

    def __init__(self, request, *args, **kwargs):
        flavors = kwargs.pop('flavors', [])
        super().__init__(request, *args, **kwargs)
        current = str(self.initial.get('current_flavor_id', ''))
        # Labelled as Launch labels them (catalogue.flavor_label).
        choices = [(cat.flavor_value(f), cat.flavor_label(f))
                   for f in flavors if cat.flavor_value(f) != current]
        self.fields['new_flavor'].choices = (
            [('', _('Select a new flavor'))] + choices if choices
            else [('', _('No other flavor is allowed'))])

    def apply(self, request, data):
        trove.instance_resize_flavor(request, data['instance_id'], data['new_flavor'])
        messages.success(request, _('Resizing the instance.'))
        return True


class EnableRootForm(InstanceForm):
    """Enables root and shows its password once, in the same modal."""
    failure_message = _('Root could not be enabled.')

    def apply(self, request, data):
        user, password = trove.root_enable(request, data['instance_id'])
        return shortcuts.render(request, 'project/databases/_root_password.html',
                                {'user': user, 'password': password,
                                 'instance_id': data['instance_id'],
                                 'instance_name': self.initial.get('instance_name', ''),
                                 'done_url': reverse(INDEX_URL)})


class AttachConfigurationForm(InstanceForm):
    """Attach one of the groups made for the instance's datastore version."""
    configuration = forms.ChoiceField(
        label=_('Configuration Group'),
        help_text=_("Only groups of the instance's datastore version. Their values are "
                    "applied at once; some take effect after a restart."))
    error_field = 'configuration'
    failure_message = _('The configuration group could not be attached.')

    def __init__(self, request, *args, **kwargs):
        groups = kwargs.pop('configurations', [])
        super().__init__(request, *args, **kwargs)
        self.names = {g.id: g.name for g in groups}
        self.fields['configuration'].choices = (
            [('', _('Select a configuration group'))] + sorted(
                self.names.items(), key=lambda item: item[1].lower())
            if groups else [('', _('No configuration group of this version'))])

    def apply(self, request, data):
        trove.instance_attach_configuration(request, data['instance_id'],
                                            data['configuration'])
        messages.success(request, _('Attached configuration group "%s".')
                         % self.names.get(data['configuration'], data['configuration']))
        return True
