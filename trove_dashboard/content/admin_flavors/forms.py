"""Create and edit flavors and volume types.

The inputs take the ranges the API's schema takes (api_service/api/schemas.py), so the
browser refuses a wrong value before it is sent; a refusal of the API itself (a taken name
or id, a value it checks further) lands on the field it names, in the API's words.
"""
import re

from django.core import validators
from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import messages

from trove_dashboard.api import admin_flavors as api
from trove_dashboard.content.admin_flavors import tables
from trove_dashboard.refusal_forms import RefusalForm

INDEX_URL = 'horizon:admin:database_flavors:index'
LARGEST = 2 ** 31 - 1
MAX_VCPUS = 4096
FLAVOR_FIELDS = ('name', 'ram', 'vcpus', 'disk', 'ephemeral')
VOLUME_TYPE_FIELDS = ('name', 'description', 'is_public')
# The API names a field it refuses by its path in the body: 'flavor.ram' ('flavor/ram'
# before issue #15).
_FIELD_PATH = re.compile(r"'(?:flavor|volume_type)[./](\w+)'")
_FORM_FIELD = {'id': 'flavor_id', 'flavor_id': 'flavor_id', 'vcpu': 'vcpus'}


def refused_field(message, fields):
    """The form field an API refusal is about, or None (the form itself)."""
    named = _FIELD_PATH.search(message)
    if named:
        field = _FORM_FIELD.get(named.group(1), named.group(1))
        return field if field in fields else None
    if message.startswith('The name '):
        return 'name'
    if 'flavor_id' in fields and message.startswith('Flavor ') and 'already exists' in message:
        return 'flavor_id'
    return None


def changed(data, current):
    """{field: new value} for what differs from the object as the API showed it."""
    return {name: value for name, value in data.items() if value != current[name]}


class PanelForm(RefusalForm):
    index_url = INDEX_URL

    def error_field_for(self, message):
        return refused_field(message, self.fields)


class FlavorForm(PanelForm):
    name = forms.CharField(max_length=255, label=_('Name'))
    ram = forms.IntegerField(min_value=1, max_value=LARGEST, label=_('RAM (MB)'),
                             help_text=_('The memory an instance of this flavor may use.'))
    vcpus = forms.IntegerField(min_value=1, max_value=MAX_VCPUS, initial=1,
                               label=_('vCPUs'))
    disk = forms.IntegerField(min_value=0, max_value=LARGEST, initial=0,
                              label=_('Root Disk (GB)'))
    ephemeral = forms.IntegerField(min_value=0, max_value=LARGEST, initial=0,
                                   label=_('Ephemeral Disk (GB)'))


class CreateFlavorForm(FlavorForm):
    flavor_id = forms.CharField(
        max_length=36, required=False, label=_('ID'),
        help_text=_('Leave empty to take the next free number.'))
    failure_message = _('The flavor could not be created.')
    field_order = ('name', 'flavor_id', 'ram', 'vcpus', 'disk', 'ephemeral')

    def apply(self, request, data):
        api.flavor_create(request, data['name'], data['ram'], data['vcpus'],
                          disk=data['disk'], ephemeral=data['ephemeral'],
                          flavor_id=data['flavor_id'].strip() or None)
        messages.success(request, _('Created flavor "%s".') % data['name'])
        return True


class EditFlavorForm(FlavorForm):
    """Rename a flavor, or resize one no instance runs on (the API refuses otherwise)."""
    failure_message = _('The flavor could not be changed.')

    def __init__(self, request, *args, **kwargs):
        self.flavor = kwargs.pop('flavor')
        super().__init__(request, *args, **kwargs)
        self.current = {name: getattr(self.flavor, name, None) or 0 for name in FLAVOR_FIELDS}
        self.current['name'] = self.flavor.name
        for name, value in self.current.items():
            self.fields[name].initial = value

    def apply(self, request, data):
        changes = changed({name: data[name] for name in FLAVOR_FIELDS}, self.current)
        if not changes:
            messages.info(request, _('Nothing changed.'))
            return True
        api.flavor_update(request, tables.flavor_id(self.flavor), **changes)
        messages.success(request, _('Saved flavor "%s".') % data['name'])
        return True


class VolumeTypeForm(PanelForm):
    name = forms.CharField(max_length=255, label=_('Name'))
    description = forms.CharField(max_length=255, required=False, label=_('Description'),
                                  widget=forms.Textarea(attrs={'rows': 3}))
    is_public = forms.BooleanField(
        required=False, initial=True, label=_('Public'),
        help_text=_('Users see and choose public types only; a private one is listed here.'))


class CreateVolumeTypeForm(VolumeTypeForm):
    root_path = forms.CharField(
        max_length=1024, required=False, label=_('Volume Root'),
        validators=[validators.RegexValidator(
            r'^/', _('Give an absolute directory, starting with "/".'))],
        help_text=_('The directory volumes of this type are kept under. Leave empty for '
                    "the instances' volumes directory."))
    failure_message = _('The volume type could not be created.')

    def apply(self, request, data):
        api.volume_type_create(request, data['name'], description=data['description'],
                               is_public=data['is_public'],
                               root_path=data['root_path'] or None)
        messages.success(request, _('Created volume type "%s".') % data['name'])
        return True


class EditVolumeTypeForm(VolumeTypeForm):
    failure_message = _('The volume type could not be changed.')

    def __init__(self, request, *args, **kwargs):
        self.volume_type = kwargs.pop('volume_type')
        super().__init__(request, *args, **kwargs)
        self.current = {
            'name': self.volume_type.name,
            'description': getattr(self.volume_type, 'description', None) or '',
            'is_public': bool(getattr(self.volume_type, 'is_public', True))}
        for name, value in self.current.items():
            self.fields[name].initial = value

    def apply(self, request, data):
        changes = changed({name: data[name] for name in VOLUME_TYPE_FIELDS}, self.current)
        if not changes:
            messages.info(request, _('Nothing changed.'))
            return True
        api.volume_type_update(request, self.volume_type.id, **changes)
        messages.success(request, _('Saved volume type "%s".') % data['name'])
        return True
