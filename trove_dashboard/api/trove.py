"""Talks to the DBaaS API with python-troveclient, as the logged-in user.

One client per request (memoized on the request object), built from the user's token
and the catalog's `database` endpoint with a static-token plugin: no Keystone round
trip, nothing kept across requests. Every function here is exactly one API call, so a
view's cost in calls is the number of these it makes.
"""
import json
import types

from django.conf import settings
from horizon.utils import functions as horizon_utils
from horizon.utils.memoized import memoized
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from openstack_dashboard.api import base
from troveclient.v1 import client as trove_client

# Datastores are few; one page this size holds them all.
DATASTORE_PAGE = 100


@memoized
def troveclient(request):
    endpoint = base.url_for(request, 'database')
    verify = getattr(settings, 'OPENSTACK_SSL_CACERT', None) or not getattr(
        settings, 'OPENSTACK_SSL_NO_VERIFY', False)
    session = ks_session.Session(auth=token_endpoint.Token(endpoint, request.user.token.id),
                                 verify=verify)
    return trove_client.Client(session=session, endpoint_override=endpoint)


def extension_get(request, path):
    """An extension the client does not know: the decoded JSON body."""
    _resp, body = troveclient(request).client.get(path)
    return body


def _records(items):
    return [types.SimpleNamespace(**item) for item in items]


# -- catalogue ----------------------------------------------------------------------------

def datastore_list(request):
    """Datastores with their versions (and each version's capabilities)."""
    return list(troveclient(request).datastores.list(limit=DATASTORE_PAGE))


def flavor_list(request):
    return troveclient(request).flavors.list()


def flavor_get(request, flavor_id):
    return troveclient(request).flavors.get(flavor_id)


def version_flavors(request, datastore, version):
    """The flavors the datastore version allows."""
    return troveclient(request).flavors.list_datastore_version_associated_flavors(
        datastore, version)


def version_volume_types(request, datastore, version):
    """The volume types the datastore version allows."""
    return troveclient(request).volume_types.list_datastore_version_associated_volume_types(
        datastore, version)


def availability_zone_list(request):
    """Extension: [{name, available, hosts}]."""
    return _records(extension_get(request, '/availability-zones')['availability_zones'])


def network_list(request):
    """Extension: [{id, name, subnet_id, cidr, is_default}], the default first."""
    return _records(extension_get(request, '/networks')['networks'])


# -- instances ----------------------------------------------------------------------------

def instance_list(request, marker=None):
    """One page of the project's instances and whether more follow: one call."""
    page = troveclient(request).instances.list(
        limit=horizon_utils.get_page_size(request), marker=marker)
    return list(page), page.next


def instance_get(request, instance_id):
    return troveclient(request).instances.get(instance_id)


def instance_create(request, name, flavor_id, volume, datastore, datastore_version, **options):
    """Create an instance; options are troveclient's (databases, users, locality, ...)."""
    return troveclient(request).instances.create(
        name, flavor_id=flavor_id, volume=volume, datastore=datastore,
        datastore_version=datastore_version, **options)


def instance_delete(request, instance_id):
    troveclient(request).instances.delete(instance_id)


def instance_restart(request, instance_id):
    troveclient(request).instances.restart(instance_id)


def instance_resize_volume(request, instance_id, size):
    troveclient(request).instances.resize_volume(instance_id, size)


def instance_resize_flavor(request, instance_id, flavor_id):
    troveclient(request).instances.resize_instance(instance_id, flavor_id)


def instance_rename(request, instance_id, name):
    troveclient(request).instances.update(instance_id, name=name)


def instance_attach_configuration(request, instance_id, configuration_id):
    """Attach a configuration group: the API applies its values to the guest before answering."""
    troveclient(request).instances.update(instance_id, configuration=configuration_id)


def instance_detach_configuration(request, instance_id):
    troveclient(request).instances.update(instance_id, remove_configuration=True)


def instance_configuration(request, instance_id):
    """{name: value} the instance's engine runs with now, as its guest reads them: one call."""
    return getattr(troveclient(request).instances.configuration(instance_id),
                   'configuration', None) or {}


def instance_events(request, instance_id):
    """Extension: every step of every operation on the instance, oldest first."""
    return _records(extension_get(request, '/instances/%s/events' % instance_id)['events'])


# -- what the instance's guest holds -----------------------------------------------------------

def database_list(request, instance_id, marker=None):
    """One page of the instance's databases and the marker of the next, if any."""
    page = troveclient(request).databases.list(
        instance_id, limit=horizon_utils.get_page_size(request), marker=marker)
    return list(page), page.next


def database_create(request, instance_id, name, character_set=None, collate=None):
    database = {'name': name}
    if character_set:
        database['character_set'] = character_set
    if collate:
        database['collate'] = collate
    troveclient(request).databases.create(instance_id, [database])


def database_delete(request, instance_id, name):
    troveclient(request).databases.delete(instance_id, name)


def user_list(request, instance_id, marker=None):
    """One page of the instance's users and the marker of the next, if any."""
    page = troveclient(request).users.list(
        instance_id, limit=horizon_utils.get_page_size(request), marker=marker)
    return list(page), page.next


def user_create(request, instance_id, name, password, host=None, databases=()):
    user = {'name': name, 'password': password,
            'databases': [{'name': d} for d in databases]}
    if host:
        user['host'] = host
    troveclient(request).users.create(instance_id, [user])


def user_delete(request, instance_id, name, host=None):
    troveclient(request).users.delete(instance_id, name, hostname=host)


def root_enable(request, instance_id):
    """Enable root: (user name, generated password), shown to the user once."""
    return troveclient(request).root.create(instance_id)


def root_disable(request, instance_id):
    troveclient(request).root.delete(instance_id)


# -- features later issues add to the API ---------------------------------------------------
# The launch form calls these only for a datastore version whose capabilities name the
# feature (catalogue.FEATURES), so a deployment without them never sees a 404.

LAUNCH_CHOICES_LIMIT = 100


def configuration_list(request):
    return list(troveclient(request).configurations.list(limit=LAUNCH_CHOICES_LIMIT))


def backup_list(request, datastore):
    return list(troveclient(request).backups.list(limit=LAUNCH_CHOICES_LIMIT,
                                                  datastore=datastore))


def module_list(request, datastore):
    return list(troveclient(request).modules.list(limit=LAUNCH_CHOICES_LIMIT,
                                                  datastore=datastore))


# -- backups ------------------------------------------------------------------------------

# An instance's backups (a chain, a schedule's window) are read in one page this size.
INSTANCE_BACKUPS_LIMIT = 1000


def backup_list_page(request, marker=None):
    """One page of the project's backups and whether more follow: one call."""
    page = troveclient(request).backups.list(limit=horizon_utils.get_page_size(request),
                                             marker=marker)
    return list(page), page.next


def instance_backups(request, instance_id):
    """The instance's backups (up to INSTANCE_BACKUPS_LIMIT): one call."""
    return list(troveclient(request).instances.backups(instance_id,
                                                       limit=INSTANCE_BACKUPS_LIMIT))


def backup_get(request, backup_id):
    return troveclient(request).backups.get(backup_id)


def backup_create(request, name, instance_id, description=None, parent_id=None,
                  incremental=False):
    """A full backup, or an incremental on parent_id (the newest COMPLETED if None)."""
    return troveclient(request).backups.create(name, instance_id, description=description,
                                               parent_id=parent_id, incremental=incremental)


def backup_delete(request, backup_id, with_chain=False):
    """Refused (409) while incrementals build on it, unless they go with it."""
    path = '/backups/%s' % backup_id
    if with_chain:
        path += '?delete_chain=true'
    troveclient(request).client.delete(path)


# -- backup schedules (extension; troveclient has no methods for them) ----------------------

def _schedules(instance_id):
    return '/instances/%s/schedules' % instance_id


def schedule_list(request, instance_id):
    """The instance's schedules, each with its last good backup: one call."""
    return _records(extension_get(request, _schedules(instance_id))['schedules'])


def schedule_get(request, instance_id, schedule_id):
    body = extension_get(request, '%s/%s' % (_schedules(instance_id), schedule_id))
    return types.SimpleNamespace(**body['schedule'])


def schedule_create(request, instance_id, name, pattern, description=None,
                    incremental=False, retention=0, enabled=True):
    schedule = {'name': name, 'pattern': pattern, 'incremental': incremental,
                'retention': retention, 'enabled': enabled}
    if description:
        schedule['description'] = description
    _resp, body = troveclient(request).client.post(_schedules(instance_id),
                                                   body={'schedule': schedule})
    return types.SimpleNamespace(**body['schedule'])


def schedule_update(request, instance_id, schedule_id, **changes):
    _resp, body = troveclient(request).client.patch(
        '%s/%s' % (_schedules(instance_id), schedule_id), body={'schedule': changes})
    return types.SimpleNamespace(**body['schedule'])


def schedule_delete(request, instance_id, schedule_id):
    troveclient(request).client.delete('%s/%s' % (_schedules(instance_id), schedule_id))


def execution_list(request, instance_id, schedule_id):
    """A schedule's executions, oldest first: one call."""
    return _records(extension_get(request, '%s/%s/executions' % (_schedules(instance_id),
                                                        schedule_id))['executions'])


def execution_delete(request, instance_id, schedule_id, execution_id):
    """Refused (409) while the execution runs."""
    troveclient(request).client.delete('%s/%s/executions/%s' % (
        _schedules(instance_id), schedule_id, execution_id))


# -- configuration groups ---------------------------------------------------------------------

def configuration_list_page(request, marker=None):
    """One page of the project's configuration groups and whether more follow: one call."""
    page = troveclient(request).configurations.list(
        limit=horizon_utils.get_page_size(request), marker=marker)
    return list(page), page.next


def configuration_get(request, configuration_id):
    """The group with its `values` ({name: value})."""
    return troveclient(request).configurations.get(configuration_id)


def configuration_create(request, name, values, datastore, datastore_version,
                         description=None):
    return troveclient(request).configurations.create(
        name, json.dumps(values), description=description, datastore=datastore,
        datastore_version=datastore_version)


def configuration_update(request, configuration_id, values, name=None, description=None):
    """Replace the group's values (PUT): the attached instances get exactly these."""
    troveclient(request).configurations.update(configuration_id, json.dumps(values),
                                               name=name, description=description)


def configuration_rename(request, configuration_id, name, description):
    """Change only the group's name and description (PUT without values): its instances are
    not touched, so it works whatever state they are in. troveclient's update() always
    sends values (which re-applies them to every instance) and cannot clear a description."""
    troveclient(request).client.put(
        '/configurations/%s' % configuration_id,
        body={'configuration': {'name': name, 'description': description or None}})


def configuration_edit(request, configuration_id, values):
    """Merge values into the group's (PATCH): the ones named change, the rest stay."""
    troveclient(request).configurations.edit(configuration_id, json.dumps(values))


def configuration_delete(request, configuration_id):
    """Refused (400/409) while instances use the group."""
    troveclient(request).configurations.delete(configuration_id)


# A group's instances are read in one page this size (the Instances tab has no paging).
CONFIGURATION_INSTANCES_LIMIT = 1000


def configuration_instances(request, configuration_id):
    """The instances using the group ({id, name}): one call."""
    return list(troveclient(request).configurations.instances(
        configuration_id, limit=CONFIGURATION_INSTANCES_LIMIT))


def parameters_by_version(request, version_id):
    """The parameters a datastore version accepts (name, type, min, max, restart_required,
    unit): one call."""
    return list(troveclient(request).configuration_parameters.parameters_by_version(version_id))


# -- limits -------------------------------------------------------------------------------

def limits(request):
    """The project's absolute limits, GET /limits' ABSOLUTE entry as a dict ({} if none)."""
    for entry in troveclient(request).limits.list():
        if getattr(entry, 'verb', None) == 'ABSOLUTE':
            return dict(entry._info)
    return {}
