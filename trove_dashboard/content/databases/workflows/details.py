"""Launch step 1, Details: name, zone, datastore version, flavor, volume, locality, and
beside them what the launch takes of the project's quotas.

Flavor and volume type list only what the selected version allows; the page
refreshes both when the version changes (static/trove_dashboard/js/launch.js).
"""
from django.core import validators
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import workflows

from trove_dashboard.content.databases.workflows import widgets

LOCALITY_CHOICES = (
    ('', _('None')),
    ('affinity', _('Affinity: on the same host as its group')),
    ('anti-affinity', _('Anti-affinity: on different hosts from its group')),
)


def zone_choices(zones):
    choices = [('', _('Any Availability Zone'))]
    for zone in zones:
        label = zone.name if zone.available else _('%s (unavailable)') % zone.name
        choices.append((zone.name, label))
    return choices


def _none_choice(label):
    return [('', label)]


class SetDetailsAction(workflows.Action):
    name = forms.CharField(max_length=255, label=_('Instance Name'))
    availability_zone = forms.ChoiceField(label=_('Availability Zone'), required=False)
    datastore_version = forms.ChoiceField(
        label=_('Datastore and Version'),
        help_text=_('The flavors and volume types below follow the version.'))
    flavor = forms.ChoiceField(label=_('Flavor'),
                               help_text=_('Only the flavors the version allows.'),
                               widget=widgets.AttributedSelect())
    volume = forms.IntegerField(label=_('Volume Size (GB)'), min_value=1, initial=1)
    volume_type = forms.ChoiceField(label=_('Volume Type'),
                                    help_text=_('Only the volume types the version allows.'),
                                    widget=widgets.AttributedSelect())
    locality = forms.ChoiceField(label=_('Locality'), required=False, choices=LOCALITY_CHOICES,
                                 help_text=_('Where the instance goes relative to the other '
                                             'members of its group.'))

    class Meta:
        name = _('Details')
        slug = 'details'
        help_text_template = 'project/databases/_launch_details_help.html'

    def __init__(self, request, context, *args, **kwargs):
        self.launch = context['launch']
        super().__init__(request, context, *args, **kwargs)
        choices = self.launch.choices
        version_field = self.fields['datastore_version']
        version_field.choices = self.launch.catalogue.choices() or _none_choice(
            _('No datastore version is available'))
        if self.launch.version is not None:
            version_field.initial = self.launch.version.ref
        version_field.widget.attrs.update({
            'data-launch-choices-url': reverse('horizon:project:databases:launch_choices'),
            'class': 'launch-version'})
        self.fields['availability_zone'].choices = zone_choices(self.launch.zones)
        self.fields['flavor'].choices = choices.flavors or _none_choice(
            _('No flavor is allowed for this version'))
        self.fields['volume_type'].choices = choices.volume_types or _none_choice(
            _('No volume type is allowed for this version'))
        self.fields['flavor'].widget.attrs['class'] = 'launch-flavor'
        self.fields['flavor'].widget.option_attrs = {
            value: {'data-ram': ram} for value, ram in choices.flavor_ram.items()}
        self._describe_volume_types(choices)
        self._bound_volume(self.launch.quota.max_volume_size)

    def _describe_volume_types(self, choices):
        """Each option's title and, under the select, the chosen type's whole description."""
        field = self.fields['volume_type']
        field.widget.attrs['class'] = 'launch-volume-type'
        descriptions = choices.volume_type_descriptions
        field.widget.option_attrs = {name: {'title': text}
                                     for name, text in descriptions.items() if text}
        chosen = self.data.get('volume_type') if self.is_bound else None
        if chosen not in descriptions:
            chosen = choices.volume_types[0][0] if choices.volume_types else None
        field.launch_note = widgets.FieldNote('volume-type-description',
                                              descriptions.get(chosen, ''))

    def _bound_volume(self, largest):
        """The size range shown beforehand (label, max) and refused in the same words."""
        field = self.fields['volume']
        if largest:
            field.validators.append(validators.MaxValueValidator(largest))
            field.widget.attrs['max'] = largest
            field.label = _('Volume Size (1–%s GB)') % largest
            out_of_range = _('Volume size must be between 1 and %s GB.') % largest
        else:
            out_of_range = _('Volume size must be at least 1 GB.')
        field.error_messages = dict(field.error_messages, min_value=out_of_range,
                                    max_value=out_of_range)

    def get_help_text(self, extra_context=None):
        extra = dict(extra_context or {})
        extra['zones'] = self.launch.zones
        extra['quota'] = self.launch.quota
        return super().get_help_text(extra)


class SetDetails(workflows.Step):
    action_class = SetDetailsAction
    # Horizon's step, with the volume type's description under its select.
    template_name = 'project/databases/_launch_step.html'
    depends_on = ('launch',)
    contributes = ('name', 'availability_zone', 'datastore_version', 'flavor', 'volume',
                   'volume_type', 'locality')
