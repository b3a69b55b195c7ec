"""Create a configuration group, and edit its values with typed inputs.

A 4xx from the API lands on the field it is about (a value's parameter, the name, the
version), in the API's words; anything else goes to Horizon's error handling.
"""
from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import messages

from trove_dashboard.api import trove
from trove_dashboard.content.database_configurations import parameters as params
from trove_dashboard.refusal_forms import RefusalForm

INDEX_URL = 'horizon:project:database_configurations:index'
VALUE_PREFIX, ADD_PREFIX = 'value_', 'add_'
ADD_PARAMETER = 'add_parameter'


class GroupForm(RefusalForm):
    index_url = INDEX_URL


class CreateConfigurationForm(GroupForm):
    name = forms.CharField(max_length=255, label=_('Name'))
    description = forms.CharField(max_length=512, required=False, label=_('Description'),
                                  widget=forms.Textarea(attrs={'rows': 3}))
    datastore_version = forms.ChoiceField(
        label=_('Datastore Version'),
        help_text=_('The group sets values for this version only; its instances must run it.'))
    failure_message = _('The configuration group could not be created.')

    def __init__(self, request, *args, **kwargs):
        self.catalogue = kwargs.pop('catalogue')
        super().__init__(request, *args, **kwargs)
        self.fields['datastore_version'].choices = (
            self.catalogue.choices() or [('', _('No datastore version offers configuration '
                                                'groups'))])

    def error_field_for(self, message):
        lowered = message.lower()
        if 'datastore' in lowered or 'version' in lowered:
            return 'datastore_version'
        if 'description' in lowered:
            return 'description'
        if 'name' in lowered:
            return 'name'
        return None

    def apply(self, request, data):
        version = self.catalogue.get(data['datastore_version'])
        self.created = trove.configuration_create(
            request, data['name'], {}, version.datastore_name, version.name,
            description=data['description'] or None)
        messages.success(request, _('Created configuration group "%s"; now set its values.')
                         % data['name'])
        return True


class EditConfigurationForm(GroupForm):
    """The group's name and description; its values and instances stay as they are."""
    name = forms.CharField(max_length=255, label=_('Name'))
    description = forms.CharField(max_length=512, required=False, label=_('Description'),
                                  widget=forms.Textarea(attrs={'rows': 3}))
    failure_message = _('The configuration group could not be changed.')

    def __init__(self, request, *args, **kwargs):
        self.configuration = kwargs.pop('configuration')
        super().__init__(request, *args, **kwargs)
        self.fields['name'].initial = self.configuration.name
        self.fields['description'].initial = getattr(self.configuration, 'description',
                                                     None) or ''

    def error_field_for(self, message):
        lowered = message.lower()
        if 'description' in lowered:
            return 'description'
        return 'name' if 'name' in lowered else None

    def apply(self, request, data):
        trove.configuration_rename(request, self.configuration.id, data['name'],
                                   data['description'])
        messages.success(request, _('Saved configuration group "%s".') % data['name'])
        return True


def _value_key(name):
    return VALUE_PREFIX + params.key(name)


def _add_key(name):
    return ADD_PREFIX + params.key(name)


class EditValuesForm(GroupForm):
    """One typed input per value the group sets, and one more parameter to add.

    The inputs for adding are all present, each shown only while its parameter is the
    one chosen (Horizon's switchable fields), so every input keeps its own type.
    Only what changed is sent (PATCH): values edited meanwhile by someone else stay.
    """
    failure_message = _('The values could not be saved.')

    def __init__(self, request, *args, **kwargs):
        self.configuration = kwargs.pop('configuration')
        self.parameters = params.by_name(kwargs.pop('parameters'))
        super().__init__(request, *args, **kwargs)
        self.values = dict(getattr(self.configuration, 'values', None) or {})
        for name in sorted(self.values):
            parameter = self.parameters.get(name)
            field = params.field_for(parameter)
            field.label = name
            field.initial = params.initial_value(parameter, self.values[name])
            self.fields[_value_key(name)] = field
        addable = [p for name, p in sorted(self.parameters.items()) if name not in self.values]
        self.fields[ADD_PARAMETER] = forms.ChoiceField(
            label=_('Add Parameter'), required=False,
            choices=[('', _('None'))] + [(params.key(p.name), p.name) for p in addable],
            widget=forms.Select(attrs={'class': 'switchable', 'data-slug': ADD_PARAMETER}))
        for parameter in addable:
            switched = {'class': 'switched', 'data-switch-on': ADD_PARAMETER,
                        'data-%s-%s' % (ADD_PARAMETER, params.key(parameter.name)):
                            _('Value of %s') % parameter.name}
            field = params.field_for(parameter, required=False, attrs=switched)
            field.label = _('Value of %s') % parameter.name
            self.fields[_add_key(parameter.name)] = field

    def clean(self):
        cleaned = super().clean()
        chosen = cleaned.get(ADD_PARAMETER)
        if chosen:
            name = params.name_of(chosen)
            parameter = self.parameters.get(name)
            value = cleaned.get(_add_key(name))
            if value in (None, '') and getattr(parameter, 'type', None) != params.BOOLEAN:
                self.add_error(_add_key(name), _('Give %s a value.') % name)
        return cleaned

    def changes(self, data):
        """{name: value} that differ from what the group holds, plus the added one."""
        found = {}
        for name, old in self.values.items():
            new = data.get(_value_key(name))
            if not params.same(self.parameters.get(name), old, new):
                found[name] = new
        if data.get(ADD_PARAMETER):
            name = params.name_of(data[ADD_PARAMETER])
            found[name] = data.get(_add_key(name))
            if found[name] is None:       # an unchecked boolean
                found[name] = False
        return found

    def error_field_for(self, message):
        names = list(self.values)
        if self.cleaned_data.get(ADD_PARAMETER):
            names.append(params.name_of(self.cleaned_data[ADD_PARAMETER]))
        name = params.named_in(message, names)
        if name is None:
            return None
        return _value_key(name) if name in self.values else _add_key(name)

    def apply(self, request, data):
        changed = self.changes(data)
        if not changed:
            messages.info(request, _('Nothing changed.'))
            return True
        trove.configuration_edit(request, self.configuration.id, changed)
        messages.success(request, _('Saved %(count)d value(s) of "%(name)s".') % {
            'count': len(changed), 'name': self.configuration.name})
        return True
