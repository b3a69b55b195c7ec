"""Real Keystone on SQLite with fernet tokens, behind gunicorn, bootstrapped once.

First start: db_sync, fernet and credential keys, bootstrap (admin), then the demo
project and user, the service user, and the catalog entry of type `database`.
"""
import os
import signal
import subprocess

import requests
from cryptography.fernet import Fernet

from api_service.embedded import process

CONF_TEMPLATE = """[DEFAULT]
log_file = {log}
[database]
connection = sqlite:///{db}
[token]
provider = fernet
expiration = 43200
[fernet_tokens]
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
    """Create Keystone's database and admin on first start; later starts skip it."""
    base = layout.ensure('keystone')
    with open(_conf_path(layout), 'w') as handle:
        handle.write(CONF_TEMPLATE.format(log=layout.log_file('keystone-app'),
                                          db=os.path.join(base, 'keystone.db'),
                                          fernet=os.path.join(base, 'fernet-keys'),
                                          credential=os.path.join(base, 'credential-keys')))
    _write_keys(os.path.join(base, 'fernet-keys'))
    _write_keys(os.path.join(base, 'credential-keys'))
    marker = os.path.join(base, '.bootstrapped')
    if os.path.exists(marker):
        return
    manage = [layout.binary('keystone-manage'), '--config-file', _conf_path(layout)]
    with open(layout.log_file('keystone-manage'), 'ab') as log:
        subprocess.run(manage + ['db_sync'], check=True, stdout=log, stderr=log)
        subprocess.run(manage + ['bootstrap', '--bootstrap-password', secrets['admin_password'],
                                 '--bootstrap-public-url', layout.keystone_url + '/v3',
                                 '--bootstrap-internal-url', layout.keystone_url + '/v3',
                                 '--bootstrap-region-id', 'RegionOne'],
                       check=True, stdout=log, stderr=log)
    open(marker, 'w').close()


def start(layout):
    env = dict(os.environ, OS_KEYSTONE_CONFIG_FILES=_conf_path(layout))
    argv = [layout.binary('gunicorn'), '--bind', '127.0.0.1:%d' % layout.ports.keystone,
            '--workers', '1', '--threads', '8', '--worker-class', 'gthread',
            '--graceful-timeout', '5', '--name', 'dbaas-keystone',
            'api_service.embedded.keystone_wsgi:application']
    return process.Child('keystone', argv, layout.log_file('keystone'), env=env,
                         stop_signal=signal.SIGQUIT).start()  # gunicorn: quick stop


def ready(layout):
    return requests.get(layout.keystone_url + '/v3', timeout=1).status_code == 200
