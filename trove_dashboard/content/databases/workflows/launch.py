"""The Launch Instance workflow: gathers the steps, sends one create, places refusals.

When the API refuses the create (4xx), its message goes on the field it is about,
in the step that holds it, and the form stays open with what the user typed.
"""
import re

from django.utils.translation import gettext_lazy as _
from horizon import forms
from horizon import workflows

from trove_dashboard.api import trove
from trove_dashboard.content.databases.guest_forms import split_names
from trove_dashboard.content.databases.workflows import advanced
from trove_dashboard.content.databases.workflows import details
from trove_dashboard.content.databases.workflows import steps
from trove_dashboard import exceptions as dash_exceptions

# (pattern in the API's message, step slug, field). First match wins; a quota
# message may name several resources and lands on each of their fields.
FIELD_OF_MESSAGE = (
    (r'quota.*\bram\b', 'details', 'flavor'),
    (r'quota.*\bvolumes\b', 'details', 'volume'),
    (r'flavor', 'details', 'flavor'),
    (r'volume[ ._]?type', 'details', 'volume_type'),
    (r'volume', 'details', 'volume'),
    (r'availability[ _]zone', 'details', 'availability_zone'),
    (r'locality', 'details', 'locality'),
    (r'datastore', 'details', 'datastore_version'),
    (r'nics|network|subnet', 'networking', 'network'),
    (r'\bname\b', 'details', 'name'),
    (r'allowed_cidrs|cidr', 'access', 'allowed_cidrs'),
    (r'databases', 'initialize', 'databases'),
    (r'users|password', 'initialize', 'user'),
    (r'configuration', 'advanced', 'configuration'),
    (r'restorepoint|backup', 'advanced', 'backup'),
    (r'replica', 'advanced', 'replica_of'),
    (r'modules?', 'advanced', 'modules'),
)


def fields_for(message):
    """[(step slug, field)] a refusal is about; [] when it names none."""
    lowered = message.lower()
    if 'quota' in lowered:
        found = [(slug, field) for pattern, slug, field in FIELD_OF_MESSAGE[:2]
                 if re.search(pattern, lowered)]
        if found:
            return found
    for pattern, slug, field in FIELD_OF_MESSAGE[2:]:
        if re.search(pattern, lowered):
            return [(slug, field)]
    return []


# The field a quota refusal goes on; the instances quota goes atop Details.
QUOTA_FIELD = {'ram': 'flavor', 'volumes': 'volume'}


def quota_refusals(context):
    """[(resource, why)] for each quota this launch would exceed, from the limits the
    launch request read (none when they could not be read: the API still refuses)."""
    launch = context['launch']
    ram = launch.choices.flavor_ram.get(str(context.get('flavor')))
    count = (context.get('replica_count') or 1) if context.get('replica_of') else 1
    return launch.quota.refusals(launch.quota.needs(ram, context.get('volume'), count))


def create_options(context):
    """troveclient's create() options from the workflow's context: only what was set."""
    options = {'availability_zone': context.get('availability_zone') or None,
               'locality': context.get('locality') or None}
    names = split_names(context.get('databases'))
    if names:
        options['databases'] = [{'name': n} for n in names]
    if context.get('user'):
        user = {'name': context['user'], 'password': context['password'],
                'databases': [{'name': n} for n in names]}
        if context.get('host'):
            user['host'] = context['host']
        options['users'] = [user]
    if context.get('network'):
        options['nics'] = [{'net-id': context['network']}]
    if context.get('is_public') or context.get('allowed_cidrs'):
        options['access'] = {'is_public': bool(context.get('is_public')),
                             'allowed_cidrs': context.get('allowed_cidrs') or []}
    if context.get('configuration'):
        options['configuration'] = context['configuration']
    if context.get('backup'):
        options['restorePoint'] = {'backupRef': context['backup']}
    if context.get('replica_of'):
        options['replica_of'] = context['replica_of']
        options['replica_count'] = context.get('replica_count') or 1
    if context.get('modules'):
        options['modules'] = list(context['modules'])
    return {k: v for k, v in options.items() if v is not None}


class LaunchInstance(workflows.Workflow):
    slug = 'launch_instance'
    name = _('Launch Instance')
    finalize_button_name = _('Launch')
    success_message = _('Launching instance "%s".')
    failure_message = _('The instance "%s" was not launched.')
    success_url = 'horizon:project:databases:index'
    default_steps = (details.SetDetails, steps.SetNetwork, steps.SetAccess,
                     steps.InitializeDatabases, advanced.Advanced)

    def format_status_message(self, message):
        return message % self.context.get('name', '')

    def handle(self, request, context):
        version = context['launch'].catalogue.get(context['datastore_version'])
        refusals = quota_refusals(context)
        if refusals:
            # What launch.js said before Launch was pressed, for a page without it.
            self.place_quota_refusals(refusals)
            raise forms.ValidationError(' '.join(why for _name, why in refusals))
        try:
            volume = {'size': context['volume']}
            if context.get('volume_type'):
                volume['type'] = context['volume_type']
            self.object = trove.instance_create(
                request, context['name'], context['flavor'], volume,
                version.datastore_name, version.name, **create_options(context))
        except dash_exceptions.RECOVERABLE as exc:
            self.place_refusal(dash_exceptions.api_message(exc))
            raise forms.ValidationError(dash_exceptions.api_message(exc))
        return True

    def place_quota_refusals(self, refusals):
        step = self.get_step('details')
        for resource, why in refusals:
            if resource in QUOTA_FIELD:
                step.action.add_error(QUOTA_FIELD[resource], why)
            else:
                step.add_step_error(why)
        step.has_errors = True
        self.entry_point = 'details'

    def place_refusal(self, message):
        """Show the API's message on its field (or atop Details) and reopen that step."""
        placed = False
        for slug, field in fields_for(message):
            step = self.get_step(slug)
            if step is not None and field in step.action.fields:
                step.action.add_error(field, message)
                step.has_errors = True
                placed = True
        if not placed:
            step = self.get_step('details')
            step.add_step_error(message)
            step.has_errors = True
        self.entry_point = next(s.slug for s in self.steps if s.has_errors)
