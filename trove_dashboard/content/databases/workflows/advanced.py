"""Launch step Advanced: configuration group, initial state (backup or replica), modules.

Each field is offered only when the chosen version declares the feature's
capability; otherwise it is hidden, the step's help saying why, and the form never
asks the API for a list it does not serve. A replica is not even a choice while no
version declares replication.
"""
from django.forms import widgets as django_widgets
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import workflows

from trove_dashboard.content.databases import catalogue as cat
from trove_dashboard.content.databases.workflows import widgets

INITIAL_STATES = (
    ('', _('Empty')),
    ('backup', _('Restore from a backup')),
    ('replica', _('Replica of an instance')),
)

UNAVAILABLE = _('Not available for this datastore version.')


class ModuleSelect(django_widgets.CheckboxSelectMultiple):
    """Checkboxes where auto-apply modules show checked and cannot be unchecked."""

    def __init__(self, *args, locked=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.locked = set(locked)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.locked:
            option['attrs'] = dict(option['attrs'], disabled=True, checked=True,
                                   **{'data-locked': 'true'})
            option['label'] = _('%s (applied automatically)') % label
        return option


def no_configuration_note():
    return format_html(
        '{} <a href="{}">{}</a>',
        _('No configuration group is made for this datastore version yet.'),
        reverse('horizon:project:database_configurations:index'),
        _('Create one on the Configuration Groups page.'))


def _switched(state, label):
    return {'class': 'switched', 'data-switch-on': 'initial_state',
            'data-initial_state-%s' % state: label}


class AdvancedAction(workflows.Action):
    configuration = forms.ChoiceField(label=_('Configuration Group'), required=False)
    initial_state = forms.ChoiceField(
        label=_('Initial State'), required=False, choices=INITIAL_STATES,
        widget=widgets.AttributedSelect(
            attrs={'class': 'switchable', 'data-slug': 'initial_state'},
            option_attrs={'backup': {'data-launch-feature': cat.BACKUP},
                          'replica': {'data-launch-feature': cat.REPLICATION}}))
    backup = forms.ChoiceField(label=_('Backup'), required=False,
                               widget=forms.Select(attrs=_switched('backup', _('Backup'))))
    replica_of = forms.ChoiceField(
        label=_('Replica Of'), required=False,
        widget=forms.Select(attrs=_switched('replica', _('Replica Of'))))
    replica_count = forms.IntegerField(
        label=_('Replica Count'), required=False, min_value=1, max_value=10, initial=1,
        widget=forms.NumberInput(attrs=_switched('replica', _('Replica Count'))))
    modules = forms.MultipleChoiceField(label=_('Modules'), required=False,
                                        widget=ModuleSelect())

    class Meta:
        name = _('Advanced')
        slug = 'advanced'
        help_text_template = 'project/databases/_launch_advanced_help.html'

    def __init__(self, request, context, *args, **kwargs):
        self.launch = context['launch']
        super().__init__(request, context, *args, **kwargs)
        choices = self.launch.choices
        self._offer('configuration', cat.CONFIGURATION,
                    [('', _('None'))] + choices.configurations)
        self.fields['configuration'].launch_note = widgets.FieldNote(
            'configuration-none', no_configuration_note(),
            hidden=bool(choices.configurations) or not choices.offers(cat.CONFIGURATION))
        self._offer('backup', cat.BACKUP, [('', _('Select a backup'))] + choices.backups)
        self._offer('replica_of', cat.REPLICATION,
                    [('', _('Select an instance'))] + choices.replica_sources)
        self._offer_initial_states(choices)
        modules = self.fields['modules']
        modules.choices = [(m['id'], m['name']) for m in choices.modules]
        modules.widget.locked = {m['id'] for m in choices.modules if m['auto_apply']}
        if not choices.offers(cat.MODULES):
            modules.disabled = True
            modules.help_text = UNAVAILABLE
        for name in ('configuration', 'initial_state', 'backup', 'replica_of', 'replica_count',
                     'modules'):
            self.fields[name].widget.attrs['data-launch-feature'] = FEATURE_OF[name]
        # launch.js hides these, not just disables them, while the version lacks them.
        for name in ('configuration', 'initial_state'):
            self.fields[name].widget.attrs['data-launch-hide'] = 'true'

    def _offer_initial_states(self, choices):
        """Restore and Replica, each a choice while the version offers it; Replica none
        at all while no version declares replication."""
        field = self.fields['initial_state']
        if not self._replication_anywhere():
            field.choices = [c for c in INITIAL_STATES if c[0] != 'replica']
        # The widget is shared with other requests' forms (a copy keeps its dict): a new one.
        field.widget.option_attrs = {
            state: dict(attrs, **({} if choices.offers(attrs['data-launch-feature'])
                                 else {'disabled': True}))
            for state, attrs in field.widget.option_attrs.items()}
        if not choices.offers(cat.REPLICATION):
            self.fields['replica_count'].disabled = True
        if not (choices.offers(cat.BACKUP) or choices.offers(cat.REPLICATION)):
            field.disabled = True
            field.help_text = UNAVAILABLE

    def get_help_text(self, extra_context=None):
        extra = dict(extra_context or {})
        extra['offered'] = self.launch.choices.capabilities
        extra['replication_anywhere'] = self._replication_anywhere()
        return super().get_help_text(extra)

    def _replication_anywhere(self):
        return any(cat.REPLICATION in v.capabilities for v in self.launch.catalogue.versions)

    def _offer(self, name, capability, choices):
        field = self.fields[name]
        field.choices = choices
        if capability not in self.launch.choices.capabilities:
            field.disabled = True
            field.help_text = UNAVAILABLE

    def clean(self):
        cleaned = super().clean()
        state = cleaned.get('initial_state')
        if state and not self.launch.choices.offers(STATE_NEEDS[state]):
            self.add_error('initial_state', UNAVAILABLE)
        elif state == 'backup' and not cleaned.get('backup'):
            self.add_error('backup', _('Choose the backup to restore.'))
        if state == 'replica' and not cleaned.get('replica_of'):
            self.add_error('replica_of', _('Choose the instance to replicate.'))
        if state != 'backup':
            cleaned['backup'] = None
        if state != 'replica':
            cleaned['replica_of'] = cleaned['replica_count'] = None
        return cleaned


STATE_NEEDS = {'backup': cat.BACKUP, 'replica': cat.REPLICATION}
# Which capability each field needs; launch.js enables fields by it on version change.
FEATURE_OF = {'configuration': cat.CONFIGURATION, 'initial_state': 'backups replication',
              'backup': cat.BACKUP, 'replica_of': cat.REPLICATION,
              'replica_count': cat.REPLICATION, 'modules': cat.MODULES}


class Advanced(workflows.Step):
    action_class = AdvancedAction
    # Horizon's step, but Modules in one container launch.js refills (id_modules).
    template_name = 'project/databases/_launch_step.html'
    depends_on = ('launch',)
    contributes = ('configuration', 'initial_state', 'backup', 'replica_of', 'replica_count',
                   'modules')
