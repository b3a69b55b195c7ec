"""Edit User: a new name, password and/or host for an existing database user (a host only
on engines whose users have one).

Only what the user changed is sent; the API's refusal lands on the field it is about.
"""
from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import messages

from trove_dashboard.api import users as users_api
from trove_dashboard.content.databases import forms as instance_forms

NO_SPACES = r'^\S+$'


def changes_of(current_name, current_host, data):
    """The attributes to send: those entered and different from what the user has."""
    changes = {}
    if data.get('new_name') and data['new_name'] != current_name:
        changes['name'] = data['new_name']
    if data.get('new_host') and data['new_host'] != current_host:
        changes['host'] = data['new_host']
    if data.get('new_password'):
        changes['password'] = data['new_password']
    return changes


class EditUserForm(instance_forms.InstanceForm):
    # What the user is now: shown, never sent (the view's URL names the user).
    name = forms.CharField(label=_('User Name'), required=False,
                           widget=forms.TextInput(attrs={'readonly': 'readonly'}))
    host = forms.CharField(label=_('Allowed Host'), required=False,
                           widget=forms.TextInput(attrs={'readonly': 'readonly'}))
    new_name = forms.CharField(max_length=80, required=False, label=_('New Name'),
                               help_text=_('Leave empty to keep the name.'))
    new_password = forms.RegexField(
        label=_('New Password'), regex=NO_SPACES, max_length=255, required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_('Leave empty to keep the password.'),
        error_messages={'invalid': _('The password cannot contain spaces.')})
    confirm_password = forms.CharField(
        label=_('Confirm New Password'), max_length=255, required=False,
        widget=forms.PasswordInput(render_value=False))
    new_host = forms.CharField(max_length=255, required=False, label=_('New Host'),
                               help_text=_('Where the user may connect from (% is any '
                                           'host). Leave empty to keep the host.'))
    error_field = None      # a refusal about nothing in particular goes above the fields
    failure_message = _('The user could not be changed.')

    def __init__(self, *args, user_hosts=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_hosts = user_hosts
        if not user_hosts:      # the engine's users connect from wherever access allows
            del self.fields['host']
            del self.fields['new_host']

    def current(self):
        return self.initial.get('name'), self.initial.get('host')

    def clean(self):
        cleaned = super().clean()
        password, confirm = cleaned.get('new_password'), cleaned.get('confirm_password')
        if 'new_password' not in self.errors and (password or confirm) and password != confirm:
            self.add_error('confirm_password', _('The two passwords do not match.'))
        if not self.errors and not changes_of(*self.current(), cleaned):
            raise forms.ValidationError(
                _('Nothing to change: enter a new name, a new password or a new host.')
                if self.user_hosts else
                _('Nothing to change: enter a new name or a new password.'))
        return cleaned

    def error_field_for(self, message):
        lowered = message.lower()
        if 'password' in lowered:
            return 'new_password'
        if 'host' in lowered:
            return 'new_host'
        if 'user name' in lowered or 'already exists' in lowered:
            return 'new_name'
        return self.error_field

    def apply(self, request, data):
        name, host = self.current()
        changes = changes_of(name, host, data)
        users_api.user_update(request, data['instance_id'], name, host, changes)
        messages.success(request, _('Updated user "%s".') % changes.get('name', name))
        return True
