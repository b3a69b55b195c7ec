"""Create Backup: full, or incremental on one of the instance's COMPLETED backups.

Only instances whose version declares 'backups' are offered, and incremental only
for versions that declare 'incremental_backups'. A parent option carries its
instance (data-instance), so the page lists only the chosen instance's backups
(static/trove_dashboard/js/backups.js); the form checks it again either way.
"""
from django.forms import widgets as django_widgets
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages

from trove_dashboard.api import trove
from trove_dashboard import exceptions as dash_exceptions

BACKUPS, INCREMENTAL = 'backups', 'incremental_backups'
FULL, INCREMENTAL_KIND = 'full', 'incremental'

KIND_CHOICES = ((FULL, _('Full')), (INCREMENTAL_KIND, _('Incremental')))


class TaggedSelect(django_widgets.Select):
    """A select whose options carry a data attribute per value (for backups.js)."""

    def __init__(self, *args, tag='', tags=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tag, self.tags = tag, tags or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.tags:
            option['attrs'] = dict(option['attrs'], **{
                'data-%s' % self.tag: self.tags[str(value)]})
        return option


def error_field_for(message):
    """The field a refusal is about: the parent, the kind, else the instance."""
    lowered = message.lower()
    if 'parent' in lowered:
        return 'parent'
    if 'incremental' in lowered:
        return 'kind'
    return 'instance'


class CreateBackupForm(forms.SelfHandlingForm):
    name = forms.CharField(max_length=255, label=_('Name'))
    instance = forms.ChoiceField(
        label=_('Database Instance'),
        help_text=_('Active instances whose datastore can be backed up.'),
        widget=TaggedSelect(attrs={'class': 'backup-instance'}, tag='incremental'))
    description = forms.CharField(max_length=512, required=False, label=_('Description'),
                                  widget=forms.Textarea(attrs={'rows': 2}))
    kind = forms.ChoiceField(
        label=_('Type'), choices=KIND_CHOICES, initial=FULL,
        help_text=_('An incremental holds only what changed since its parent; restoring it '
                    'needs the whole chain.'),
        widget=forms.Select(attrs={'class': 'switchable backup-kind', 'data-slug': 'kind'}))
    parent = forms.ChoiceField(
        label=_('Parent Backup'), required=False,
        help_text=_("A COMPLETED backup of the same instance; the newest if none is chosen."),
        widget=TaggedSelect(attrs={'class': 'switched backup-parent', 'data-switch-on': 'kind',
                                   'data-kind-incremental': _('Parent Backup')},
                            tag='instance'))

    def __init__(self, request, *args, **kwargs):
        instances = kwargs.pop('instances', [])
        backups = kwargs.pop('backups', [])
        super().__init__(request, *args, **kwargs)
        self.incremental_ok = {i.id for i in instances
                               if INCREMENTAL in getattr(i, 'capabilities', ())}
        self.fields['instance'].choices = [(i.id, i.name) for i in instances] or [
            ('', _('No active instance can be backed up'))]
        self.fields['instance'].widget.tags = {
            i.id: 'true' if i.id in self.incremental_ok else 'false' for i in instances}
        names = {i.id: i.name for i in instances}
        parents = [b for b in backups if b.status == 'COMPLETED' and b.instance_id in names]
        self.parent_instance = {b.id: b.instance_id for b in parents}
        self.fields['parent'].choices = [('', _('The newest completed backup'))] + [
            (b.id, '%s (%s)' % (b.name, names[b.instance_id])) for b in parents]
        self.fields['parent'].widget.tags = self.parent_instance

    def clean(self):
        cleaned = super().clean()
        instance, parent = cleaned.get('instance'), cleaned.get('parent')
        if cleaned.get('kind') != INCREMENTAL_KIND:
            cleaned['parent'] = None
            return cleaned
        if instance and instance not in self.incremental_ok:
            self.add_error('kind', _("This instance's datastore makes full backups only."))
        if parent and self.parent_instance.get(parent) != instance:
            self.add_error('parent', _('The parent must be a backup of the same instance.'))
        return cleaned

    def handle(self, request, data):
        try:
            backup = trove.backup_create(
                request, data['name'], data['instance'], description=data['description'] or None,
                parent_id=data['parent'] or None,
                incremental=data['kind'] == INCREMENTAL_KIND)
        except dash_exceptions.RECOVERABLE as exc:
            if not dash_exceptions.is_client_error(exc):
                exceptions.handle(request, _('The backup could not be created.'),
                                  redirect=reverse('horizon:project:database_backups:index'))
            message = dash_exceptions.api_message(exc)
            self.add_error(error_field_for(message), message)
            return False
        messages.success(request, _('Backing up to "%s".') % data['name'])
        return backup
