"""Create Schedule: a cron pattern that makes backups of one instance, with retention.

The API judges the pattern; its 400 lands on the pattern field in its words. The form
names what is wrong with a pattern's fields first (cron_pattern.py), in the user's language.
"""
from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import messages

from trove_dashboard.api import trove
from trove_dashboard.content.database_backups import cron_pattern
from trove_dashboard.content.databases import forms as instance_forms

PATTERN_HELP = _("Cron: 5 fields (minute hour day month weekday), e.g. '0 3 * * *' for 03:00 "
                 "UTC daily or '*/15 * * * *' every quarter hour; or 6 fields with seconds "
                 "last, e.g. '* * * * * */10' every ten seconds.")


class CreateScheduleForm(instance_forms.InstanceForm):
    name = forms.CharField(max_length=255, label=_('Name'))
    pattern = forms.CharField(max_length=128, label=_('Pattern'), help_text=PATTERN_HELP)
    description = forms.CharField(max_length=512, required=False, label=_('Description'))
    incremental = forms.BooleanField(
        required=False, label=_('Incremental'),
        help_text=_('Each run builds on the newest completed backup; a full one is made when '
                    'there is none.'))
    retention = forms.IntegerField(
        min_value=0, max_value=10000, initial=0, label=_('Keep'),
        help_text=_('How many of its newest completed backups the schedule keeps; 0 keeps '
                    'all. A backup a kept incremental builds on is never deleted.'))
    enabled = forms.BooleanField(required=False, initial=True, label=_('Enabled'))
    error_field = 'pattern'
    failure_message = _('The schedule could not be created.')

    def __init__(self, request, *args, **kwargs):
        incremental = kwargs.pop('incremental', True)
        super().__init__(request, *args, **kwargs)
        if not incremental:
            self.fields['incremental'].disabled = True
            self.fields['incremental'].help_text = _(
                "This instance's datastore makes full backups only.")

    def clean_pattern(self):
        pattern = self.cleaned_data['pattern']
        found = cron_pattern.problem(pattern)
        if found:
            raise forms.ValidationError(found)
        return pattern

    def error_field_for(self, message):
        lowered = message.lower()
        for field in ('retention', 'name', 'description', 'incremental'):
            if field in lowered and 'pattern' not in lowered:
                return field
        return self.error_field

    def apply(self, request, data):
        trove.schedule_create(request, data['instance_id'], data['name'], data['pattern'],
                              description=data['description'] or None,
                              incremental=bool(data['incremental']),
                              retention=data['retention'] or 0, enabled=bool(data['enabled']))
        messages.success(request, _('Created schedule "%s".') % data['name'])
        return True
