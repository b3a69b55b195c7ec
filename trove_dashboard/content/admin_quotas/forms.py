"""Edit a project's quota limits.

The inputs take the range the API's schema takes (-1, unlimited, up to 2^31-1), so the
browser refuses a wrong value before it is sent; a refusal of the API itself lands on the
field it names, in the API's words. Only the limits that changed are sent: a limit left
alone keeps following the operator's default.
"""
import re

from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import messages

from trove_dashboard.api import admin_quotas as api
from trove_dashboard.refusal_forms import RefusalForm

INDEX_URL = 'horizon:admin:database_quotas:index'
LARGEST = 2 ** 31 - 1
FIELDS = (('instances', _('Instances')), ('ram', _('RAM (MB)')),
          ('volumes', _('Volumes (GB)')), ('backups', _('Backups')))
# The API names a field it refuses by its path in the body: 'quotas.ram' ('quotas/ram'
# before issue #15).
_FIELD_PATH = re.compile(r"'quotas[./](\w+)'")


def _limit_field(label):
    return forms.IntegerField(min_value=-1, max_value=LARGEST, label=label,
                              help_text=_('-1 for unlimited.'))


class EditQuotasForm(RefusalForm):
    index_url = INDEX_URL
    failure_message = _('Unable to update the quotas.')

    instances = _limit_field(_('Instances'))
    ram = _limit_field(_('RAM (MB)'))
    volumes = _limit_field(_('Volumes (GB)'))
    backups = _limit_field(_('Backups'))

    def __init__(self, request, *args, **kwargs):
        self.project_id = kwargs.pop('project_id')
        self.project_name = kwargs.pop('project_name')
        # {resource: the API's figures} as shown when the form was built.
        self.current = {q.resource: q for q in kwargs.pop('current')}
        super().__init__(request, *args, **kwargs)
        for name, _label in FIELDS:
            if name in self.current:
                self.fields[name].initial = self.current[name].limit
                self.fields[name].help_text = _('%(used)s in use. -1 for unlimited.') % {
                    'used': self.current[name].in_use}
            else:
                del self.fields[name]

    def error_field_for(self, message):
        named = _FIELD_PATH.search(message)
        return named.group(1) if named and named.group(1) in self.fields else None

    def apply(self, request, data):
        changes = {name: value for name, value in data.items()
                   if name in self.current and value != self.current[name].limit}
        if changes:
            api.quota_update(request, self.project_id, changes)
        messages.success(request, _('Quotas of %s updated.') % self.project_name
                         if changes else _('No quota of %s changed.') % self.project_name)
        for name, value in changes.items():
            if 0 <= value < self.current[name].in_use:
                messages.warning(request, _(
                    '%(resource)s: the new limit, %(limit)s, is below the %(used)s in use. '
                    'Nothing is deleted; new ones are refused until the project uses less.')
                    % {'resource': dict(FIELDS)[name], 'limit': value,
                       'used': self.current[name].in_use})
        return True
