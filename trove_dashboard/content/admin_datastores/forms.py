"""Register a datastore version, edit it, set its visibility, add a member project.

A 4xx from the API lands on the field it is about (the image, the name, the manager), in
the API's words; anything else goes to Horizon's error handling.
"""
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import messages

from trove_dashboard.api import admin_catalogue as api
from trove_dashboard.content.admin_datastores import tables
from trove_dashboard.refusal_forms import RefusalForm

INDEX_URL = 'horizon:admin:datastores:index'
# The guest managers to offer when the service cannot list its own (GET
# /mgmt/datastore-managers failed); a deployment with more sets TROVE_DATASTORE_MANAGERS.
MANAGERS = ('mariadb', 'postgresql', 'redis')


def manager_choices(managers, versions):
    """(name, label) of the service's managers, labelled with their maturity; without them
    (None), the configured names and any a registered version already uses."""
    if managers is not None:
        return [(m['name'], '%s (%s)' % (m['name'], tables.MATURITY.get(m['maturity'],
                                                                       m['maturity']))
                 if m.get('maturity') else m['name'])
                for m in sorted(managers, key=lambda m: m['name'])]
    found = set(getattr(settings, 'TROVE_DATASTORE_MANAGERS', MANAGERS))
    found.update(v.datastore_manager for v in versions if getattr(v, 'datastore_manager', None))
    return [(m, m) for m in sorted(found)]


def engine_build(version):
    """The image a version names; for one registered without (by `dbaas-manage datastore
    discover`), its build's name as the API takes it: <manager>-<version number>."""
    return getattr(version, 'image', None) or '%s-%s' % (version.datastore_manager,
                                                         version.version)


def _field_by_words(message, fields):
    """The first field whose words the API's message names."""
    lowered = message.lower()
    for words, field in fields:
        if any(w in lowered for w in words):
            return field
    return None


class CatalogueForm(RefusalForm):
    index_url = INDEX_URL


class RegisterVersionForm(CatalogueForm):
    datastore = forms.CharField(
        max_length=255, label=_('Datastore'),
        help_text=_('An existing datastore, or the name of a new one (it is created).'))
    manager = forms.ChoiceField(label=_('Manager'),
                                help_text=_('The guest manager that runs the engine.'))
    name = forms.CharField(max_length=255, label=_('Version Name'),
                           help_text=_('What users choose, e.g. 10.11 or 10.11-tuned.'))
    image = forms.CharField(
        max_length=255, label=_('Image'),
        help_text=_('An installed engine build, named <datastore>-<version> (e.g. '
                    'mariadb-10.11.19) or by the directory of its binaries.'))
    version = forms.CharField(
        max_length=255, required=False, label=_('Version Number'),
        help_text=_("Leave empty for the engine build's own version."))
    active = forms.BooleanField(required=False, initial=True, label=_('Active'),
                                help_text=_('Only active versions can be launched.'))
    default = forms.BooleanField(required=False, label=_('Default'),
                                 help_text=_("The version launched when only the datastore "
                                             "is named."))
    failure_message = _('The datastore version could not be registered.')

    def __init__(self, request, *args, **kwargs):
        versions = kwargs.pop('versions')
        managers = kwargs.pop('managers', None)
        super().__init__(request, *args, **kwargs)
        self.fields['manager'].choices = manager_choices(managers, versions)
        # Suggestions from what is registered; any other value may still be typed.
        self.datastore_names = sorted({v.datastore_name for v in versions})
        self.images = sorted({engine_build(v) for v in versions})
        self.fields['datastore'].widget.attrs['list'] = 'datastore-names'
        self.fields['image'].widget.attrs['list'] = 'engine-images'

    def error_field_for(self, message):
        return _field_by_words(message, [
            (('image', 'engine build'), 'image'), (('manager',), 'manager'),
            (('already exists',), 'name'), (('datastore_name', 'datastore '), 'datastore'),
            (('version.version',), 'version')])

    def apply(self, request, data):
        api.version_create(request, data['datastore'], data['manager'], data['name'],
                           data['image'], version=data['version'] or None,
                           active=data['active'], default=data['default'])
        messages.success(request, _('Registered version "%(name)s" of datastore '
                                    '"%(datastore)s".') % data)
        return True


class EditVersionForm(CatalogueForm):
    """Only what changed is sent (PATCH)."""
    name = forms.CharField(max_length=255, label=_('Version Name'))
    image = forms.CharField(
        max_length=255, required=False, label=_('Image'),
        help_text=_('A new image re-reads the version number from the engine build. Leave '
                    'empty to keep the engine build the version has.'))
    active = forms.BooleanField(required=False, label=_('Active'),
                                help_text=_('Inactive versions cannot be launched; their '
                                            'instances keep running.'))
    default = forms.BooleanField(required=False, label=_('Default'))
    failure_message = _('The datastore version could not be changed.')

    def __init__(self, request, *args, **kwargs):
        self.version = kwargs.pop('version')
        super().__init__(request, *args, **kwargs)
        for key in ('name', 'image', 'active', 'default'):
            self.fields[key].initial = getattr(self.version, key, None)

    def error_field_for(self, message):
        return _field_by_words(message, [(('image', 'engine build'), 'image'),
                                         (('already exists', 'name'), 'name')])

    def changes(self, data):
        changed = {key: data[key] for key in ('name', 'image', 'active', 'default')
                   if data[key] != getattr(self.version, key, None)}
        if not changed.get('image'):
            changed.pop('image', None)
        return changed

    def apply(self, request, data):
        changed = self.changes(data)
        if not changed:
            messages.info(request, _('Nothing changed.'))
            return True
        api.version_update(request, self.version.id, **changed)
        messages.success(request, _('Saved version "%s".') % data['name'])
        return True


class VisibilityForm(CatalogueForm):
    visibility = forms.ChoiceField(
        label=_('Visibility'), choices=list(tables.VISIBILITY.items()),
        widget=forms.RadioSelect)
    failure_message = _("The version's visibility could not be changed.")

    def __init__(self, request, *args, **kwargs):
        self.version = kwargs.pop('version')
        super().__init__(request, *args, **kwargs)
        self.fields['visibility'].initial = getattr(self.version, 'visibility', 'public')

    def error_field_for(self, message):
        return 'visibility'

    def apply(self, request, data):
        api.version_set_visibility(request, self.version.datastore_id, self.version.id,
                                   data['visibility'])
        messages.success(request, _('Version "%(name)s" is now %(visibility)s.') % {
            'name': self.version.name, 'visibility': tables.VISIBILITY[data['visibility']]})
        return True


class AddMemberForm(CatalogueForm):
    project = forms.ChoiceField(
        label=_('Project'),
        help_text=_('Members see and launch the version while it is private.'))
    failure_message = _('The project could not be added as a member.')

    def __init__(self, request, *args, **kwargs):
        self.version = kwargs.pop('version')
        projects = kwargs.pop('projects')
        super().__init__(request, *args, **kwargs)
        self.project_names = {p.id: p.name for p in projects}
        self.fields['project'].choices = (
            [(p.id, p.name) for p in sorted(projects, key=lambda p: p.name.lower())]
            or [('', _('Every project is a member already'))])

    def error_field_for(self, message):
        return 'project'

    def apply(self, request, data):
        api.member_add(request, self.version.datastore_id, self.version.id, data['project'])
        messages.success(request, _('Project "%(project)s" is now a member of "%(name)s".') % {
            'project': self.project_names.get(data['project'], data['project']),
            'name': self.version.name})
        return True
