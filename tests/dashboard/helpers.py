"""Horizon's TestCase with a `database` service in the catalog and DBaaS fixtures.

Fixtures are real troveclient resource objects built from the API's JSON shapes, so
the dashboard reads them exactly as it reads the API's answers.
"""
import copy
import types
import uuid
from unittest import mock

from openstack_dashboard.test import helpers
from troveclient.apiclient import exceptions as trove_exceptions
from troveclient.v1 import datastores
from troveclient.v1 import flavors
from troveclient.v1 import instances
from troveclient.v1 import users
from troveclient.v1 import databases
from troveclient.v1 import volume_types

from trove_dashboard.api import trove

create_mocks = helpers.create_mocks
IsHttpRequest = helpers.IsHttpRequest

DATABASE_SERVICE = {
    'type': 'database', 'name': 'dbaas', 'endpoints_links': [],
    'endpoints': [{'region': 'RegionOne', 'interface': i,
                   'url': 'http://dbaas.example.com:8779/v1.0/p'}
                  for i in ('admin', 'internal', 'public')]}

MARIADB_ID, MARIADB_1011 = '11111111-0000-0000-0000-000000000001', 'aaaaaaaa-0000-0000-0000-000000000001'
REDIS_ID, REDIS_70 = '11111111-0000-0000-0000-000000000002', 'aaaaaaaa-0000-0000-0000-000000000002'
MARIADB_REF = '%s/%s' % (MARIADB_ID, MARIADB_1011)
REDIS_REF = '%s/%s' % (REDIS_ID, REDIS_70)


def _version(vid, name, number, caps):
    return {'id': vid, 'name': name, 'version': number, 'active': True, 'links': [],
            'capabilities': list(caps)}


def datastore_list():
    return [
        datastores.Datastore(datastores.Datastores(None), {
            'id': MARIADB_ID, 'name': 'mariadb', 'default_version': MARIADB_1011, 'links': [],
            'versions': [_version(MARIADB_1011, '10.11', '10.11.19',
                                  ['access', 'databases', 'root', 'user_hosts', 'users'])]},
            loaded=True),
        datastores.Datastore(datastores.Datastores(None), {
            'id': REDIS_ID, 'name': 'redis', 'default_version': REDIS_70, 'links': [],
            'versions': [_version(REDIS_70, '7.0', '7.0.15', ['root'])]}, loaded=True),
    ]


def flavor_list():
    return [flavors.Flavor(flavors.Flavors(None), {'id': int(i), 'str_id': i, 'name': n, 'ram': r, 'vcpus': 1,
                                  'disk': 0, 'ephemeral': 0, 'links': []}, loaded=True)
            for i, n, r in (('1', 'db.tiny', 256), ('2', 'db.small', 512),
                            ('3', 'db.medium', 1024))]


def volume_type_list():
    return [volume_types.VolumeType(volume_types.VolumeTypes(None), {'id': 'vt-%s' % n, 'name': n, 'description': d,
                                           'is_public': True}, loaded=True)
            for n, d in (('standard', 'Default root'), ('fast', 'Fast root'))]


INSTANCE_ID = 'c3adc73c-33b3-4da8-8190-569a9996e4fc'


def uuid_for(label):
    """A stable UUID for a readable test label."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, label))


def instance(status='ACTIVE', name='db1', instance_id=INSTANCE_ID,
             datastore='mariadb', version='10.11', **extra):
    body = {
        'id': instance_id, 'name': name, 'status': status, 'operating_status': 'HEALTHY',
        'links': [], 'flavor': {'id': '2', 'links': []},
        'datastore': {'type': datastore, 'version': version, 'version_number': '10.11.19'},
        'region': 'RegionOne', 'volume': {'size': 2, 'used': 0.5}, 'ip': ['127.10.0.1'],
        'addresses': [{'address': '127.10.0.1', 'type': 'private', 'network': 'loopback'}],
        'locality': None, 'access': {'is_public': False, 'allowed_cidrs': []},
        'created': '2026-11-22T01:01:35', 'updated': '2026-11-22T01:03:06'}
    body.update(extra)
    return instances.Instance(instances.Instances(None), copy.deepcopy(body), loaded=True)


def named(label, status='ACTIVE', **extra):
    """An instance called `label`, with a UUID derived from it."""
    return instance(status, name=label, instance_id=uuid_for(label), **extra)


def event(name, outcome='SUCCESS', message='', duration=0.5, operation='create'):
    return types.SimpleNamespace(
        id='ev-%s-%s' % (operation, name), operation=operation, name=name, outcome=outcome,
        message=message, started='2026-11-22T01:01:35',
        finished=None if outcome == 'RUNNING' else '2026-11-22T01:01:36',
        duration=None if outcome == 'RUNNING' else duration)


def zone(name, available=True, hosts=1):
    return types.SimpleNamespace(name=name, available=available, hosts=hosts)


DEFAULT_NETWORK_ID = 'ae757d82-f754-406a-a949-f5471ff50dad'
BACKEND_NETWORK_ID = '5b0d4c8e-2f1a-4e5b-9c3d-7a6b8e9f0a1b'


def network(id, name, cidr, is_default=False):
    return types.SimpleNamespace(id=id, name=name, cidr=cidr, is_default=is_default,
                                 subnet_id='subnet-' + name)


def network_list():
    return [network(DEFAULT_NETWORK_ID, 'main', '127.10.0.0/16', True),
            network(BACKEND_NETWORK_ID, 'backend', '127.40.0.0/24')]


def user(name, host='%', dbs=()):
    return users.User(users.Users(None), {'name': name, 'host': host,
                             'databases': [{'name': d} for d in dbs]}, loaded=True)


def database(name):
    return databases.Database(databases.Databases(None), {'name': name}, loaded=True)


def api_error(status, message):
    cls = {400: trove_exceptions.BadRequest, 404: trove_exceptions.NotFound,
           409: trove_exceptions.Conflict, 413: trove_exceptions.RequestEntityTooLarge,
           500: trove_exceptions.InternalServerError}[status]
    return cls(message=message, http_status=status)


class TestCase(helpers.TestCase):
    """Logged in as a member of a project whose catalog has `database` and no `network`."""

    def setUp(self):
        super().setUp()
        # The Instances page keeps the flavors it listed for a minute; each test lists anew.
        from trove_dashboard.content.databases import flavor_cache
        flavor_cache.forget()
        # Every Instances page reads GET /limits for its Launch button; tests that do
        # not care about quotas get none (the button stays enabled).
        mock.patch.object(trove, 'limits', return_value={}).start()
        # An instance's detail page asks whether root is enabled (for Disable Root); tests
        # that do not care read "not enabled".
        from trove_dashboard.api import instance_extras
        mock.patch.object(instance_extras, 'root_enabled', return_value=False).start()

    def _setup_test_data(self):
        super()._setup_test_data()
        catalog = [s for s in self.service_catalog if s['type'] != 'network']
        self.service_catalog = catalog + [copy.deepcopy(DATABASE_SERVICE)]

    def with_network_service(self):
        from openstack_dashboard.test.test_data import keystone_data
        network = [s for s in keystone_data.SERVICE_CATALOG if s['type'] == 'network']
        self._setup_user(service_catalog=self.service_catalog + copy.deepcopy(network))


# -- backups and schedules -------------------------------------------------------------------

BACKUP_CAPS = ['backups', 'databases', 'incremental_backups', 'root', 'users']


def datastore_list_with_backups():
    """MariaDB with full and incremental backups, Redis with full backups only."""
    found = datastore_list()
    found[0]._info['versions'][0]['capabilities'] = list(BACKUP_CAPS)
    found[0].versions[0]['capabilities'] = list(BACKUP_CAPS)
    found[1]._info['versions'][0]['capabilities'] = ['backups', 'root']
    found[1].versions[0]['capabilities'] = ['backups', 'root']
    return found


def backup(label, status='COMPLETED', parent=None, instance_id=INSTANCE_ID,
           created='2026-11-22T01:10:00', datastore='mariadb', version='10.11', **extra):
    from troveclient.v1 import backups as trove_backups
    body = {'id': uuid_for('backup-' + label), 'name': label, 'description': None,
            'status': status, 'instance_id': instance_id,
            'parent_id': uuid_for('backup-' + parent) if parent else None,
            'size': 0.0012, 'checksum': 'sha256:ab12', 'locationRef': 'backups/x/data',
            'created': created, 'updated': created[:-2] + '09', 'project_id': 'p',
            'datastore': {'type': datastore, 'version': version,
                          'version_id': MARIADB_1011 if datastore == 'mariadb' else REDIS_70}}
    body.update(extra)
    return trove_backups.Backup(trove_backups.Backups(None), copy.deepcopy(body), loaded=True)


def schedule(label, instance_id=INSTANCE_ID, last_age=None, **extra):
    body = {'id': uuid_for('schedule-' + label), 'instance_id': instance_id, 'name': label,
            'description': None, 'pattern': '* * * * * */10', 'incremental': False,
            'retention': 0, 'enabled': True, 'next_execution_time': '2026-11-22T01:20:10',
            'created': '2026-11-22T01:00:00', 'updated': '2026-11-22T01:00:00'}
    if last_age is not None:
        body['last_backup'] = {'id': 'b', 'created': '2026-11-22T01:19:00',
                               'age_seconds': last_age}
    body.update(extra)
    return types.SimpleNamespace(**body)


def execution(label, state='SUCCESS', backup_id=None, output=None):
    return types.SimpleNamespace(
        id=uuid_for('execution-' + label), schedule_id='s',
        scheduled_time='2026-11-22T01:20:00', started='2026-11-22T01:20:00',
        finished=None if state == 'RUNNING' else '2026-11-22T01:20:01', state=state,
        output=backup_id if state == 'SUCCESS' else output, backup_id=backup_id)
