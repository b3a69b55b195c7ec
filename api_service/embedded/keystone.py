"""Real Keystone on SQLite with fernet tokens, behind gunicorn, bootstrapped once.

First start: fernet and credential keys, then keystone_setup (schema, admin, demo
project and user, service user, the catalog entry of type `database`).
"""

import hashlib
import json
import os
import signal
import subprocess
import sys

import requests
from cryptography.fernet import Fernet

from api_service.embedded import process

SERVICE_USER = 'dbaas'

CONF_TEMPLATE = """[DEFAULT]
log_file = {log}
[database]
connection = sqlite:///{db}
[token]
provider = fernet
expiration = 43200
[fernet_tokens]
key_repository = {fernet}
[fernet_receipts]
# Keystone defaults both to /etc/keystone/fernet-keys/: use ours, never the system's.
key_repository = {fernet}
[credential]
key_repository = {credential}
[cache]
enabled = false
[identity]
# bcrypt's minimum: the embedded stack is loopback-only, and every login and token
# request pays for the rounds.
password_hash_rounds = 4
"""


def _conf_path(layout):
    return layout.path('keystone', 'keystone.conf')


def _write_keys(directory):
    """Fernet repositories need keys 0 (staged) and 1 (primary)."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    for index in ('0', '1'):
        path = os.path.join(directory, index)
        if not os.path.exists(path):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(fd, 'wb') as handle:
                handle.write(Fernet.generate_key())


def initialise(layout, secrets):
    """Write Keystone's config and keys; set up its content when secrets or ports changed.

    Returns the ids of the demo and admin projects.
    """
    base = layout.ensure('keystone')
    with open(_conf_path(layout), 'w') as handle:
        handle.write(CONF_TEMPLATE.format(log=layout.log_file('keystone-app'),
                                          db=os.path.join(base, 'keystone.db'),
                                          fernet=os.path.join(base, 'fernet-keys'),
                                          credential=os.path.join(base, 'credential-keys')))
    _write_keys(os.path.join(base, 'fernet-keys'))
    _write_keys(os.path.join(base, 'credential-keys'))
    spec = {'config_file': _conf_path(layout), 'identity_url': layout.keystone_url + '/v3',
            'region': 'RegionOne', 'admin_password': secrets['admin_password'],
            'demo_password': secrets['demo_password'], 'service_user': SERVICE_USER,
            'service_password': secrets['service_password'],
            'database_url': layout.api_url + '/v1.0/$(project_id)s'}
    fingerprint = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
    marker = os.path.join(base, '.provisioned')
    try:
        with open(marker) as handle:
            saved = json.load(handle)
        if saved['fingerprint'] == fingerprint:
            return saved['projects']
    except (OSError, ValueError, KeyError):
        pass
    spec['result_file'] = os.path.join(base, 'setup-result.json')
    spec_path = os.path.join(base, 'setup-spec.json')
    fd = os.open(spec_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        json.dump(spec, handle)
    try:
        with open(layout.log_file('keystone-setup'), 'ab') as log:
            done = subprocess.run([sys.executable, '-m', 'api_service.embedded.keystone_setup',
                                   spec_path], stdout=log, stderr=log)
    finally:
        os.unlink(spec_path)
    if done.returncode:
        raise process.StartupError('keystone', 'set-up failed',
                                   process.tail(layout.log_file('keystone-setup')))
    with open(spec['result_file']) as handle:
        projects = json.load(handle)
    with open(marker, 'w') as handle:
        json.dump({'fingerprint': fingerprint, 'projects': projects}, handle)
    return projects


def start(layout):
    env = dict(os.environ, OS_KEYSTONE_CONFIG_FILES=_conf_path(layout))
    argv = [layout.binary('gunicorn'), '--bind', '127.0.0.1:%d' % layout.ports.keystone,
            '--workers', '1', '--threads', '8', '--worker-class', 'gthread',
            '--graceful-timeout', '1', '--name', 'dbaas-keystone',
            'api_service.embedded.keystone_wsgi:application']
    return process.Child('keystone', argv, layout.log_file('keystone'), env=env,
                         stop_signal=signal.SIGQUIT).start()  # gunicorn: quick stop


def ready(layout):
    return requests.get(layout.keystone_url + '/v3', timeout=1).status_code == 200
