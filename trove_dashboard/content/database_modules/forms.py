"""Create and edit a module; its contents are uploaded from a file.

Admin-only options (all tenants, all datastores, auto-apply, hidden, priority, full
access) are fields only for those the API lets use them. A 4xx from the API lands on the
field it is about, in the API's words; anything else goes to Horizon's error handling.
"""
from django.conf import settings
from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import messages

from trove_dashboard.api import modules as modules_api
from trove_dashboard.content.database_modules import access
from trove_dashboard.content.database_modules import scope
from trove_dashboard.refusal_forms import RefusalForm

INDEX_URL = 'horizon:project:database_modules:index'
# The API checks the type against its own configured list, which it does not publish: these
# are only suggestions (Trove's shipped drivers unless the deployment names its own).
DEFAULT_MODULE_TYPES = ('ping', 'file')
ADMIN_FIELDS = ('all_tenants', 'auto_apply', 'visible', 'priority_apply', 'full_access')


def module_types():
    return list(getattr(settings, 'DBAAS_MODULE_TYPES', DEFAULT_MODULE_TYPES))


class SuggestingInput(forms.TextInput):
    """A text input with a list of suggestions (an HTML datalist); any text is accepted."""

    def __init__(self, suggestions, attrs=None):
        super().__init__(attrs)
        self.suggestions = suggestions

    def render(self, name, value, attrs=None, renderer=None):
        list_id = 'suggest-%s' % name
        self.attrs['list'] = list_id
        options = format_html_join('', '<option value="{}"></option>',
                                   ((s,) for s in self.suggestions))
        return format_html('{}<datalist id="{}">{}</datalist>',
                           super().render(name, value, attrs, renderer), list_id, options)


class ModuleForm(RefusalForm):
    index_url = INDEX_URL
    name = forms.CharField(max_length=255, label=_('Name'))
    module_type = forms.CharField(
        max_length=255, label=_('Type'),
        help_text=_('Chooses the guest driver that applies the module, e.g. ping or file.'))
    contents = forms.FileField(
        label=_('Contents'),
        help_text=_('A file the driver places on the instance (a licence, a certificate '
                    'bundle...). It is stored encrypted and never executed.'))
    description = forms.CharField(max_length=512, required=False, label=_('Description'),
                                  widget=forms.Textarea(attrs={'rows': 3}))
    datastore = forms.ChoiceField(label=_('Datastore'),
                                  help_text=_('The instances the module may be applied to.'))
    live_update = forms.BooleanField(
        required=False, label=_('Live Update'),
        help_text=_('Allow changing or deleting the module while instances have it; they '
                    'keep the version they applied until it is applied again.'))
    apply_order = forms.IntegerField(
        min_value=0, max_value=9, initial=5, label=_('Apply Order'),
        help_text=_('0 to 9: modules with lower numbers are applied first.'))
    all_tenants = forms.BooleanField(required=False, label=_('All Projects'),
                                     help_text=_('Every project may use the module.'))
    auto_apply = forms.BooleanField(
        required=False, label=_('Apply Automatically'),
        help_text=_('Applied to every new instance of its datastore.'))
    visible = forms.BooleanField(
        required=False, initial=True, label=_('Visible'),
        help_text=_('Others than administrators see it (a hidden one is still applied '
                    'automatically).'))
    priority_apply = forms.BooleanField(required=False, label=_('Apply First'),
                                        help_text=_('Applied before modules without it.'))
    full_access = forms.BooleanField(
        required=False, label=_('Full Access'),
        help_text=_("Members may change it although an administrator made it (not with "
                    'the options above).'))

    def __init__(self, request, *args, **kwargs):
        self.catalogue = kwargs.pop('catalogue')
        super().__init__(request, *args, **kwargs)
        self.admin = access.admin_options(request)
        self.fields['module_type'].widget = SuggestingInput(module_types())
        self.fields['datastore'].choices = scope.choices(self.catalogue, self.admin)
        if not self.admin:
            for name in ADMIN_FIELDS:
                del self.fields[name]

    def error_field_for(self, message):
        lowered = message.lower()
        if 'already exists' in lowered:    # the name is what to change
            return 'name'
        for field, words in (('module_type', ('type',)), ('contents', ('contents',)),
                             ('datastore', ('datastore', 'version')),
                             ('description', ('description',)),
                             ('apply_order', ('apply_order', 'apply order')),
                             ('name', ('name',))):
            if field in self.fields and any(w in lowered for w in words):
                return field
        return None

    def admin_options(self, data):
        """{option: value} of the admin-only fields the form has."""
        return {name: data[name] for name in ADMIN_FIELDS
                if name in self.fields and name != 'full_access'}


class CreateModuleForm(ModuleForm):
    failure_message = _('The module could not be created.')

    def apply(self, request, data):
        options = dict(scope.for_create(self.catalogue, data['datastore']),
                       description=data['description'] or None,
                       live_update=data['live_update'], apply_order=data['apply_order'],
                       **self.admin_options(data))
        if data.get('full_access'):
            options['full_access'] = True
        self.created = modules_api.module_create(request, data['name'], data['module_type'],
                                                 data['contents'].read(), **options)
        messages.success(request, _('Created module "%s".') % data['name'])
        return True


class EditModuleForm(ModuleForm):
    """The module's fields, prefilled; only what changed is sent (a new file replaces the
    contents; none keeps them)."""
    failure_message = _('The module could not be changed.')

    def __init__(self, request, *args, **kwargs):
        self.module = kwargs.pop('module')
        super().__init__(request, *args, **kwargs)
        module = self.module
        self.fields['contents'].required = False
        self.fields['contents'].help_text = _('Choose a file only to replace the contents.')
        self.fields['datastore'].initial = scope.initial(self.catalogue, module)
        for name in ('name', 'description', 'live_update', 'apply_order') + ADMIN_FIELDS:
            if name in self.fields and hasattr(module, name):
                self.fields[name].initial = getattr(module, name)
        self.fields['module_type'].initial = getattr(module, 'type', '')
        if 'all_tenants' in self.fields:
            self.fields['all_tenants'].initial = getattr(module, 'tenant', None) == scope.ALL
        if 'full_access' in self.fields:
            self.fields['full_access'].initial = not getattr(module, 'is_admin', False)

    def changes(self, data):
        found = {}
        for name in self.changed_data:
            if name == 'datastore':
                found.update(scope.for_update(self.catalogue, data['datastore']))
            elif name == 'contents':
                if data['contents']:
                    found['contents'] = data['contents'].read()
            elif name == 'description':
                found['description'] = data['description']
            else:
                found[name] = data[name]
        return found

    def apply(self, request, data):
        changed = self.changes(data)
        if not changed:
            messages.info(request, _('Nothing changed.'))
            return True
        modules_api.module_update(request, self.module.id, **changed)
        messages.success(request, _('Saved module "%s".') % data['name'])
        return True
