"""Modal forms that add to what an instance's engine holds: a database, a user."""
from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import messages

from trove_dashboard.api import trove
from trove_dashboard.content.databases import forms as instance_forms


def split_names(text):
    """'a, b,,c' -> ['a', 'b', 'c']."""
    return [n.strip() for n in (text or '').split(',') if n.strip()]


class CreateDatabaseForm(instance_forms.InstanceForm):
    name = forms.CharField(max_length=64, label=_('Name'))
    character_set = forms.CharField(max_length=64, required=False, label=_('Character Set'),
                                    help_text=_("Optional: the engine's default otherwise."))
    collation = forms.CharField(max_length=64, required=False, label=_('Collation'))
    error_field = 'name'
    failure_message = _('The database could not be created.')

    def apply(self, request, data):
        trove.database_create(request, data['instance_id'], data['name'],
                              character_set=data['character_set'], collate=data['collation'])
        messages.success(request, _('Created database "%s".') % data['name'])
        return True


class CreateUserForm(instance_forms.InstanceForm):
    name = forms.CharField(max_length=80, label=_('Name'))
    password = forms.RegexField(
        label=_('Password'), regex=r'^\S+$', max_length=255,
        widget=forms.PasswordInput(render_value=False),
        error_messages={'invalid': _('The password cannot contain spaces.')})
    host = forms.CharField(max_length=255, required=False, label=_('Host'),
                           help_text=_('Where the user may connect from; % (any) if empty.'))
    databases = forms.CharField(required=False, label=_('Databases'),
                                help_text=_('Comma-separated names of databases the user may '
                                            'use.'))
    error_field = 'name'
    failure_message = _('The user could not be created.')

    def __init__(self, *args, user_hosts=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not user_hosts:      # the engine's users connect from wherever access allows
            del self.fields['host']

    def error_field_for(self, message):
        lowered = message.lower()
        if 'database' in lowered:
            return 'databases'
        if 'password' in lowered:
            return 'password'
        if 'host' in lowered:
            return 'host'
        return self.error_field

    def apply(self, request, data):
        trove.user_create(request, data['instance_id'], data['name'], data['password'],
                          host=data.get('host') or None, databases=split_names(data['databases']))
        messages.success(request, _('Created user "%s".') % data['name'])
        return True
