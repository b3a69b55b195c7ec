"""Record the Keystone-authenticated Swift exchanges tests/unit/test_swift_keystone.py replays.

Runs a real Keystone (the one the embedded stack runs: api_service.embedded.keystone,
on SQLite behind gunicorn, port 5000 + STACK_PORT_OFFSET, 5000 unless set) and a
real Swift whose proxy authenticates with keystonemiddleware's `authtoken` and
Swift's `keystoneauth` (the stack's service user validates the tokens). The
catalog gets an `object-store` service with one real endpoint (RegionTwo,
internal) and two decoys on the same proxy whose paths start with WRONG_REGION_
and WRONG_INTERFACE_, so a store that picks the wrong catalog entry shows it.
SwiftObjectStore, configured for a Keystone password, then runs each scenario;
every exchange it has with Keystone and with Swift is written to
tests/fixtures/swift_keystone/<scenario>.json with the tokens, the passwords
and the addresses scrubbed.

Swift and keystonemiddleware go in a scratch venv, never in the project's:

    python3 -m venv /tmp/swiftvenv && /tmp/swiftvenv/bin/pip install swift keystonemiddleware
    .venv/bin/python scripts/record_swift_keystone_fixtures.py --swift-venv /tmp/swiftvenv

Everything it starts is stopped and its temporary directories removed, whatever happens.
"""
import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]
os.environ.setdefault('STACK_PORT_OFFSET', '5000')

import record_swift_fixtures as recording  # noqa: E402

from api_service.drivers.storage import base  # noqa: E402
from api_service.drivers.storage import swift  # noqa: E402
from api_service.embedded import keystone  # noqa: E402
from api_service.embedded import layout as stack_layout  # noqa: E402
from api_service.embedded import process  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(HERE), 'tests', 'fixtures', 'swift_keystone')
KEYSTONE_PLACEHOLDER = 'http://keystone.invalid'
SWIFT_PLACEHOLDER = 'http://swift.invalid'
DBAAS_PLACEHOLDER = 'http://dbaas.invalid'
TOKEN_PLACEHOLDER = recording.TOKEN_PLACEHOLDER
PASSWORD_PLACEHOLDER = 'SCRUBBED-PASSWORD'
WRONG_PASSWORD_PLACEHOLDER = 'SCRUBBED-WRONG-PASSWORD'
USER, PROJECT, REGION, INTERFACE = 'dbaas-backups', 'backups', 'RegionTwo', 'internal'
CONTAINER, SEGMENT_SIZE = 'database_backups', 8
# (region, interface, account prefix): only the last one is the store's.
ENDPOINTS = (('RegionOne', 'public', 'WRONG_REGION_AUTH_'),
             ('RegionTwo', 'public', 'WRONG_INTERFACE_AUTH_'),
             (REGION, INTERFACE, 'AUTH_'))

KEYSTONE_FILTERS = """[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = {keystone}/v3
auth_url = {keystone}/v3
auth_type = password
username = {service_user}
password = {service_password}
project_name = service
user_domain_name = Default
project_domain_name = Default
delay_auth_decision = True
include_service_catalog = False
[filter:keystoneauth]
use = egg:swift#keystoneauth
operator_roles = admin, member
"""
# The tempauth proxy of record_swift_fixtures.py with Keystone's two filters in tempauth's place.
TEMPAUTH_FILTER = """[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
"""
if ' tempauth ' not in recording.PROXY_CONF or TEMPAUTH_FILTER not in recording.PROXY_CONF:
    raise RuntimeError("record_swift_fixtures.py's proxy changed: adapt PROXY_CONF here")
PROXY_CONF = recording.PROXY_CONF.replace(' tempauth ', ' authtoken keystoneauth ').replace(
    TEMPAUTH_FILTER, KEYSTONE_FILTERS)


class KeystoneSwift(recording.SwiftAllInOne):
    """The all-in-one Swift of record_swift_fixtures.py, its proxy behind Keystone."""

    def __init__(self, venv, keystone_url, service_user, service_password):
        super().__init__(venv)
        self.proxy_settings = dict(keystone=keystone_url, service_user=service_user,
                                   service_password=service_password)

    def _spawn(self, name, conf):
        if name == 'proxy-server':
            conf = PROXY_CONF.format(port=self.port, dir=self.dir, **self.proxy_settings)
        super()._spawn(name, conf)


class Keystone:
    """The embedded stack's Keystone alone, in a temporary state directory."""

    def __init__(self):
        self.layout = stack_layout.Layout(tempfile.mkdtemp(prefix='keystone-'))
        self.secrets = stack_layout.load_secrets(self.layout)
        self.url = self.layout.keystone_url
        self.child = None

    def start(self):
        keystone.initialise(self.layout, self.secrets)
        self.child = keystone.start(self.layout)
        process.wait_for(lambda: keystone.ready(self.layout), 60, 0.3, 'keystone', self.child)
        self.admin_token = self.token('admin', self.secrets['admin_password'], 'admin')
        return self

    def stop(self):
        if self.child is not None:
            self.child.stop()
        shutil.rmtree(self.layout.root, ignore_errors=True)

    def token(self, user, password, project):
        response = requests.post(self.url + '/v3/auth/tokens', json={'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': user, 'password': password, 'domain': {'id': 'default'}}}},
            'scope': {'project': {'name': project, 'domain': {'id': 'default'}}}}})
        response.raise_for_status()
        return response.headers['X-Subject-Token']

    def admin(self, method, path, **body):
        response = requests.request(method, self.url + '/v3' + path, json=body or None,
                                    headers={'X-Auth-Token': self.admin_token})
        response.raise_for_status()
        return response.json() if response.content else None

    def provision(self, swift_address, password):
        """The backups user and project, RegionTwo and the object-store endpoints."""
        project = self.admin('POST', '/projects', project={
            'name': PROJECT, 'domain_id': 'default'})['project']
        user = self.admin('POST', '/users', user={
            'name': USER, 'password': password, 'domain_id': 'default'})['user']
        member = self.admin('GET', '/roles?name=member')['roles'][0]
        self.admin('PUT', '/projects/%s/users/%s/roles/%s' % (
            project['id'], user['id'], member['id']))
        self.admin('POST', '/regions', region={'id': REGION})
        service = self.admin('POST', '/services', service={
            'type': 'object-store', 'name': 'swift'})['service']
        for region, interface, prefix in ENDPOINTS:
            self.admin('POST', '/endpoints', endpoint={
                'service_id': service['id'], 'region_id': region, 'interface': interface,
                'url': '%s/v1/%s$(project_id)s' % (swift_address, prefix)})
        return project['id']


# -- scenarios: each returns facts the tests check against ---------------------------------

def scenario_commit_read_delete(store):
    payload = recording.data(13, 7)
    writer = store.open_writer('backups/k1/data')
    writer.write(payload[:5])
    writer.write(payload[5:])
    record = writer.commit()
    with base.verified_reader(store, 'backups/k1/data', record['checksum'],
                              record['size']) as reader:
        read_back = b''.join(reader)
    return {'payload': payload.hex(), 'record': record, 'read_back': read_back.hex(),
            'size': store.size('backups/k1/data'),
            'deleted': store.delete('backups/k1/data'),
            'exists_after_delete': store.exists('backups/k1/data'),
            'segments_after_delete': store.list_names(swift.SEGMENT_PREFIX)}


def scenario_missing(store):
    facts = {}
    try:
        store.open_reader('backups/missing/data')
        facts['open_reader'] = 'returned'
    except base.ObjectNotFound:
        facts['open_reader'] = 'ObjectNotFound'
    facts['exists'] = store.exists('backups/missing/data')
    facts['delete'] = store.delete('backups/missing/data')
    return facts


def scenario_wrong_password(store):
    try:
        store.exists('backups/k1/data')
        return {'exists': 'returned'}
    except base.StorageError as error:
        return {'error': type(error).__name__, 'details': error.details}


SCENARIOS = {name[len('scenario_'):]: func for name, func in globals().items()
             if name.startswith('scenario_')}


class RawRecorder(recording.Recorder):
    """Records unscrubbed; `scrubbed` scrubs the whole fixture once every token is known."""

    def __init__(self):
        super().__init__('', [])

    def scrub(self, text):
        return text


def scrubbed(fixture, replacements):
    text = json.dumps(fixture, indent=1, sort_keys=True)
    for value, placeholder in replacements:
        if value:
            text = text.replace(value, placeholder)
    # A body whose length changed with the scrubbing keeps a Content-Length of its own.
    result = json.loads(text)
    for exchange in result['exchanges']:
        body, headers = exchange.get('response_body'), exchange.get('response_headers', {})
        if body and 'text' in body and 'Content-Length' in headers and exchange[
                'method'] != 'HEAD':
            headers['Content-Length'] = str(len(body['text'].encode('utf-8')))
    return result


def enforced(aio_address, project_id):
    """Swift refuses a request with a token Keystone never issued (authtoken is in force)."""
    return requests.head('%s/v1/AUTH_%s' % (aio_address, project_id),
                         headers={'X-Auth-Token': 'not-a-token'}).status_code


def record(ks, aio, project_id, password, name, func):
    address = 'http://127.0.0.1:%d' % aio.port
    wrong = 'wrong-' + password if name == 'wrong_password' else None
    store = swift.SwiftObjectStore(
        CONTAINER, segment_size=SEGMENT_SIZE, auth_url=ks.url + '/v3', username=USER,
        password=wrong or password, project_name=PROJECT, user_domain_name='Default',
        project_domain_name='Default', region_name=REGION, interface=INTERFACE)
    recorder = RawRecorder()
    with recorder.patch(), recording.writer_names():
        facts = func(store)
    token = None if wrong else store.proxy.session.get_token()
    if token:
        store.request('DELETE')   # the next scenario starts from no container
    fixture = {'scenario': name,
               'recorded_from': 'OpenStack Swift %s (keystonemiddleware authtoken + '
                                'keystoneauth, slo) and Keystone %s (fernet tokens, SQLite), '
                                'on loopback, driven by '
                                'scripts/record_swift_keystone_fixtures.py' % (
                                    aio.version(), keystone_version()),
               'container': CONTAINER, 'segment_size': SEGMENT_SIZE,
               'auth': {'auth_url': KEYSTONE_PLACEHOLDER + '/v3', 'username': USER,
                        'project_name': PROJECT, 'user_domain_name': 'Default',
                        'project_domain_name': 'Default', 'region_name': REGION,
                        'interface': INTERFACE},
               'storage_path': '/v1/AUTH_%s' % project_id,
               'swift_refuses_unknown_token': enforced(address, project_id),
               'facts': facts, 'exchanges': recorder.exchanges}
    fixture = scrubbed(fixture, [
        (token, TOKEN_PLACEHOLDER), (ks.admin_token, TOKEN_PLACEHOLDER),
        (wrong, WRONG_PASSWORD_PLACEHOLDER), (password, PASSWORD_PLACEHOLDER),
        (ks.url, KEYSTONE_PLACEHOLDER), (address, SWIFT_PLACEHOLDER),
        (ks.layout.api_url, DBAAS_PLACEHOLDER)]
        + [(value, PASSWORD_PLACEHOLDER) for value in ks.secrets.values()])
    print('%s: %d exchanges, %s' % (save(fixture), len(fixture['exchanges']), facts))


def save(fixture):
    os.makedirs(FIXTURES, exist_ok=True)
    path = os.path.join(FIXTURES, fixture['scenario'] + '.json')
    with open(path, 'w') as handle:
        handle.write(json.dumps(fixture, indent=1, sort_keys=True) + '\n')
    return os.path.relpath(path)


def keystone_version():
    from importlib import metadata
    return metadata.version('keystone')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--swift-venv', default='/tmp/swiftvenv',
                        help='a venv with swift and keystonemiddleware installed')
    parser.add_argument('scenarios', nargs='*', metavar='SCENARIO', default=sorted(SCENARIOS),
                        help='of %s; all unless named' % ', '.join(sorted(SCENARIOS)))
    args = parser.parse_args()
    password = secrets.token_hex(12)
    ks, aio = Keystone(), None
    try:
        ks.start()
        aio = KeystoneSwift(args.swift_venv, ks.url, keystone.SERVICE_USER,
                            ks.secrets['service_password'])
        aio.start()
        project_id = ks.provision('http://127.0.0.1:%d' % aio.port, password)
        for name in args.scenarios:
            record(ks, aio, project_id, password, name, SCENARIOS[name])
    finally:
        if aio is not None:
            aio.stop()
        ks.stop()


if __name__ == '__main__':
    main()
