"""Launch steps after Details: Networking, Database Access, Initialize Databases."""
import ipaddress

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from horizon import forms
from horizon import workflows

from trove_dashboard.content.databases import catalogue as cat
from trove_dashboard.content.databases.guest_forms import split_names
from trove_dashboard.content.databases.workflows import widgets

STEP_TEMPLATE = 'project/databases/_launch_step.html'


def network_label(network):
    label = '%s (%s)' % (network.name, network.cidr)
    if network.is_default and network.name != 'default':
        return _('%s, the default') % label
    return label


class SetNetworkAction(workflows.Action):
    network = forms.ChoiceField(
        label=_('Network'), help_text=_("The instance's address is taken from this "
                                        "network's subnet."))

    class Meta:
        name = _('Networking')
        slug = 'networking'
        help_text = _("The network the instance is attached to: its address comes from the "
                      "network's subnet. The default network is chosen unless you pick another.")

    def __init__(self, request, context, *args, **kwargs):
        networks = context['launch'].networks
        super().__init__(request, context, *args, **kwargs)
        field = self.fields['network']
        field.choices = [(n.id, network_label(n)) for n in networks] or [
            ('', _('The default network'))]
        field.required = bool(networks)
        field.initial = next((n.id for n in networks if n.is_default), None)


class SetNetwork(workflows.Step):
    """The networks come from the API (GET /networks, once per request), the default one
    chosen; the choice is sent as nics [{"net-id": id}], as trove-dashboard sends it."""
    action_class = SetNetworkAction
    depends_on = ('launch',)
    contributes = ('network',)


NO_ACCESS = _('%(datastore)s instances admit every address that reaches them: their engine '
              'cannot restrict where connections come from.')


class SetAccessAction(workflows.Action):
    is_public = forms.BooleanField(
        label=_('Public'), required=False,
        help_text=_("Any address may connect. Otherwise only the cloud's own hosts may."))
    allowed_cidrs = forms.CharField(
        label=_('Allowed CIDRs'), required=False, max_length=2000,
        help_text=_('Comma-separated networks that may connect, e.g. 10.0.0.0/24, '
                    '2001:db8::/64. With Public, exactly these; without, only the '
                    "cloud's own hosts among them. Empty: no further limit."))

    class Meta:
        name = _('Database Access')
        slug = 'access'
        help_text = _('Who may connect to the database. The database engine itself refuses '
                      'every other address.')

    def __init__(self, request, context, *args, **kwargs):
        self.launch = context['launch']
        super().__init__(request, context, *args, **kwargs)
        version = self.launch.version
        offered = cat.ACCESS in self.launch.choices.capabilities
        for field in self.fields.values():
            # launch.js enables the fields, and shows them, only for versions that offer it.
            field.widget.attrs.update({'data-launch-feature': cat.ACCESS,
                                       'data-launch-hide': 'true'})
            field.disabled = not offered
        # Why the step is empty, where its fields would be; launch.js names the datastore.
        self.fields['is_public'].launch_note = widgets.FieldNote(
            'no-access', NO_ACCESS % {'datastore': version.datastore_name} if version else '',
            hidden=offered, **{'data-launch-unavailable': cat.ACCESS,
                               'data-launch-template': NO_ACCESS})

    def clean_allowed_cidrs(self):
        cidrs, bad = [], []
        for text in split_names(self.cleaned_data.get('allowed_cidrs')):
            try:
                cidrs.append(str(ipaddress.ip_network(text, strict=False)))
            except ValueError:
                bad.append(text)
        if bad:
            # Every bad one at once: fixing them one refusal at a time is a chore.
            raise forms.ValidationError(ngettext(
                'Not a valid CIDR: %(cidrs)s. Write each network in CIDR notation, such '
                'as 10.0.0.0/24.',
                'Not valid CIDRs: %(cidrs)s. Write each network in CIDR notation, such '
                'as 10.0.0.0/24.', len(bad)) % {'cidrs': ', '.join(bad)})
        return cidrs


class SetAccess(workflows.Step):
    """Offered for versions declaring the 'access' capability (their engine enforces it)."""
    action_class = SetAccessAction
    template_name = STEP_TEMPLATE
    depends_on = ('launch',)
    contributes = ('is_public', 'allowed_cidrs')


NO_DATABASES = _('%(datastore)s instances have no databases or users to create, so this '
                 'step has nothing to fill in.')


class InitializeDatabasesAction(workflows.Action):
    databases = forms.CharField(
        label=_('Initial Databases'), required=False, max_length=2000,
        help_text=_('Comma-separated names of databases to create.'))
    user = forms.CharField(label=_('Initial Admin User'), required=False, max_length=80,
                           help_text=_('A user with access to the initial databases.'))
    password = forms.CharField(label=_('Password'), required=False, max_length=255,
                               widget=forms.PasswordInput(render_value=False))
    host = forms.CharField(label=_('Allowed Host'), required=False, max_length=255,
                           help_text=_('Where the user may connect from; % (any) if empty.'))

    class Meta:
        name = _('Initialize Databases')
        slug = 'initialize'
        help_text = _('Databases and a user to create when the instance is built.')

    def __init__(self, request, context, *args, **kwargs):
        self.launch = context['launch']
        super().__init__(request, context, *args, **kwargs)
        needs = '%s %s' % (cat.DATABASES, cat.USERS)
        for name, field in self.fields.items():
            # launch.js enables and shows them only for versions that have either; the
            # user's host only for versions whose users have one (not PostgreSQL's).
            field.widget.attrs.update({'data-launch-feature': cat.USER_HOSTS if name == 'host'
                                       else needs, 'data-launch-hide': 'true'})
        version = self.launch.version
        offered = version is None or bool({cat.DATABASES, cat.USERS} & version.capabilities)
        if not offered:
            for field in self.fields.values():
                field.disabled = True
        if version is not None and cat.USER_HOSTS not in version.capabilities:
            self.fields['host'].disabled = True
        # Why the step is empty, where its fields would be; launch.js names the datastore.
        self.fields['databases'].launch_note = widgets.FieldNote(
            'no-databases', NO_DATABASES % {'datastore': version.datastore_name}
            if version else '', hidden=offered, **{
                'data-launch-unavailable': needs, 'data-launch-template': NO_DATABASES})

    def clean(self):
        cleaned = super().clean()
        caps = self.launch.choices.capabilities
        ds_name = self.launch.version.datastore_name if self.launch.version else ''
        if cleaned.get('databases') and cat.DATABASES not in caps:
            self.add_error('databases', _('%s instances have no databases.') % ds_name)
        if cleaned.get('user') and cat.USERS not in caps:
            self.add_error('user', _('%s instances have no users.') % ds_name)
        if cleaned.get('user') and not cleaned.get('password'):
            self.add_error('password', _('The admin user needs a password.'))
        if cleaned.get('password') and not cleaned.get('user'):
            self.add_error('user', _('Name the user this password is for.'))
        if cleaned.get('host') and not cleaned.get('user'):
            self.add_error('user', _('Name the user this host is for.'))
        return cleaned


class InitializeDatabases(workflows.Step):
    action_class = InitializeDatabasesAction
    template_name = STEP_TEMPLATE
    depends_on = ('launch',)
    contributes = ('databases', 'user', 'password', 'host')
