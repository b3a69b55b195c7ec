"""Where the embedded stack keeps its state, which ports it uses, and its secrets."""
import base64
import dataclasses
import json
import os
import secrets
import sys


@dataclasses.dataclass(frozen=True)
class Ports:
    keystone: int
    api: int
    horizon: int
    amqp: int
    amqp_dist: int
    epmd: int

    @classmethod
    def from_env(cls):
        # An offset lets a test stack run beside `make run` without clashing. Every port stays
        # below the kernel's ephemeral range (32768 up on Linux): there an outgoing connection
        # can already hold it as its local port, and the listener fails with EADDRINUSE.
        offset = int(os.environ.get('STACK_PORT_OFFSET', '0'))
        return cls(keystone=5000 + offset, api=8779 + offset, horizon=8000 + offset,
                   amqp=19672 + offset, amqp_dist=19673 + offset, epmd=19369 + offset)


class Layout:
    """Paths under the state directory (STACK_DIR, default .stack in the checkout)."""

    def __init__(self, root=None):
        self.root = os.path.abspath(root or os.environ.get('STACK_DIR') or
                                    os.path.join(os.getcwd(), '.stack'))
        self.ports = Ports.from_env()
        self.venv_bin = os.path.dirname(sys.executable)

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def ensure(self, *parts, mode=0o755):
        directory = self.path(*parts)
        os.makedirs(directory, mode=mode, exist_ok=True)
        return directory

    @property
    def logs(self):
        return self.ensure('logs')

    @property
    def run(self):
        return self.ensure('run')

    def log_file(self, name):
        return os.path.join(self.logs, name + '.log')

    def binary(self, name):
        return os.path.join(self.venv_bin, name)

    @property
    def keystone_url(self):
        return 'http://127.0.0.1:%d' % self.ports.keystone

    @property
    def api_url(self):
        return 'http://127.0.0.1:%d' % self.ports.api

    @property
    def horizon_url(self):
        return 'http://127.0.0.1:%d' % self.ports.horizon

    @property
    def config_file(self):
        return self.path('etc', 'dbaas.conf')


def load_secrets(layout):
    """Passwords made on first start and kept (mode 600) so a restart keeps working."""
    path = layout.path('secrets.json')
    data = {}
    if os.path.exists(path):
        with open(path) as handle:
            data = json.load(handle)
    wanted = ('admin_password', 'demo_password', 'service_password', 'rabbit_password',
              'horizon_secret_key', 'master_key')
    if all(k in data for k in wanted):
        return data
    for key in wanted:
        data.setdefault(key, secrets.token_urlsafe(18))
    if len(data['master_key']) != 44:
        # A Fernet key: it encrypts each instance's RPC key at rest.
        data['master_key'] = base64.urlsafe_b64encode(os.urandom(32)).decode()
    os.makedirs(layout.root, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        json.dump(data, handle, indent=1)
    return data
