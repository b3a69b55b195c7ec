"""Launch steps after Details: Networking, Database Access, Initialize Databases."""
import ipaddress

from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon.utils.memoized import memoized
from horizon import workflows
from openstack_dashboard.dashboards.project.instances import utils as instance_utils

from trove_dashboard.content.databases import catalogue as cat
from trove_dashboard.content.databases.guest_forms import split_names


@memoized
def network_choices(request):
    """The project's networks that have subnets, asked of Neutron once per request."""
    return instance_utils.network_field_data(request, for_launch=True)


class SetNetworkAction(workflows.Action):
    networks = forms.MultipleChoiceField(
        label=_('Networks'), required=False, widget=forms.CheckboxSelectMultiple(),
        help_text=_('The networks the instance is attached to.'))

    class Meta:
        name = _('Networking')
        slug = 'networking'
        permissions = ('openstack.services.network',)
        help_text = _('Attach the instance to one or more of your networks.')

    def populate_networks_choices(self, request, context):
        return network_choices(request)


class SetNetwork(workflows.Step):
    """Shown only when the cloud has a network service and the project has networks."""
    action_class = SetNetworkAction
    contributes = ('networks',)

    def allowed(self, request):
        return bool(network_choices(request))


class SetAccessAction(workflows.Action):
    is_public = forms.BooleanField(
        label=_('Public'), required=False,
        help_text=_('Whether the database is reachable from outside the cloud.'))
    allowed_cidrs = forms.CharField(
        label=_('Allowed CIDRs'), required=False, max_length=2000,
        help_text=_('Comma-separated networks that may connect, e.g. 10.0.0.0/24, '
                    '2001:db8::/64. Empty: any.'))

    class Meta:
        name = _('Database Access')
        slug = 'access'
        help_text = _('Who may connect to the database.')

    def clean_allowed_cidrs(self):
        cidrs = []
        for text in split_names(self.cleaned_data.get('allowed_cidrs')):
            try:
                cidrs.append(str(ipaddress.ip_network(text, strict=False)))
            except ValueError:
                raise forms.ValidationError(
                    _('"%s" is not a network in CIDR notation, such as 10.0.0.0/24.') % text)
        return cidrs


class SetAccess(workflows.Step):
    action_class = SetAccessAction
    contributes = ('is_public', 'allowed_cidrs')


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
        for field in self.fields.values():
            field.widget.attrs['data-launch-feature'] = '%s %s' % (cat.DATABASES, cat.USERS)
        version = self.launch.version
        if version is not None and not {cat.DATABASES, cat.USERS} & version.capabilities:
            for field in self.fields.values():
                field.disabled = True
            self.fields['databases'].help_text = _(
                '%s instances have no databases or users to create.') % version.datastore_name

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
    depends_on = ('launch',)
    contributes = ('databases', 'user', 'password', 'host')
