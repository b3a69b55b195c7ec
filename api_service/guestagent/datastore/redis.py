"""Redis: what differs from the base manager.

- Data directory: nothing to initialise (an empty directory), so no template.
  Persistence (appendonly + RDB snapshots) lives in data_dir/data.
- Config: run_dir/redis.conf, written whole by the agent (CONFIG REWRITE is
  never used): binds the instance address on 6379 and a socket in socket_dir.
- Memory: maxmemory = max(16, memory_mb // 2) MiB with noeviction: a database
  must not drop data silently, and half the RAM leaves room for the
  copy-on-write of a background save or AOF rewrite.
- Accounts are Redis 7 ACL users declared in the config with SHA-256 hashes:
  os_admin (everything; the agent, over the socket) and default (the tenant:
  every command but the @admin category, so a tenant cannot reconfigure the
  server, touch the ACLs or shut it down).
- Root (Trove's queens spec): enable sets a password on the default user
  (requirepass, as an ACL); disable makes it password-less again, so clients
  connect without AUTH. The name returned is '-', as Trove does for Redis.
- Configuration ('configuration' capability): redis.conf ends with `include` of
  run_dir/overrides.conf, so a group's values win ('save' lines add up, so
  redis.conf leaves its own out when the group sets one). Values change live
  with CONFIG SET, one at a time, the ones taken put back if a later one is
  refused; one Redis calls immutable waits for the next start. A removed value
  goes back to redis.conf's, else to the value the engine had before the group
  set it; without either it waits for the start that forgets it.
- Neither 'databases' nor 'users': Redis has no databases or users for tenants.
- Replication ('replication' capability; the steps are guestagent/replication/redis.py):
  the agent's state says the role and, on a replica, the source's address and
  account; each password is in a 0600 file in run_dir (REPLICATION_SECRET: this
  source's account, FOLLOW_SECRET: the source's account a replica logs in with),
  so redis.conf is written at every start with what keeps the role: a source
  declares the replication ACL user os_repl and keeps appendonly on whatever
  its group says (a source that restarts without its data would empty its
  replicas); a replica has replicaof, masteruser, masterauth and
  replica-read-only yes. Every instance announces its own address to its
  source (replica-announce-ip), so INFO and FAILOVER name the real replica.
- Root of a replica set ('root_per_member' capability): ACL users are per node
  and never replicated, yet a replica holds its source's data; so a replica's
  default user always has its source's password: the source's source_info
  carries its hash (root_hash: the SHA-256 hex, or None for no password, never
  the password), attach and follow apply it, and the API sets a source's root
  change on its replicas through set_root_hash. The hash is kept in the
  agent's state (root_hash), so redis.conf keeps it across restarts; a
  detached replica keeps the password it had.
"""
import contextlib
import hashlib
import logging
import os
import re
import signal
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from api_service.guestagent import errors, waits
from api_service.guestagent.datastore import base, overrides

LOG = logging.getLogger(__name__)

TENANT_RULES = '~* &* +@all -@admin'

# What the agent sets (network, files, accounts, replication, modules): never a group's.
# 'tls-*' and 'cluster-*' stand for every name so starting.
CONTROLLED_PARAMETERS = frozenset({
    'bind', 'bind-source-addr', 'port', 'unixsocket', 'unixsocketperm', 'protected-mode',
    'daemonize', 'supervised', 'pidfile', 'logfile', 'syslog-enabled', 'syslog-ident',
    'syslog-facility', 'dir', 'dbfilename', 'appendfilename', 'appenddirname', 'include',
    'user', 'aclfile', 'requirepass', 'masterauth', 'masteruser', 'replicaof', 'slaveof',
    'rename-command', 'loadmodule', 'enable-debug-command', 'enable-module-command',
    'enable-protected-configs', 'always-show-logo', 'set-proc-title', 'proc-title-template',
    'replica-announce-ip', 'replica-announce-port', 'slave-announce-ip',
    'slave-announce-port', 'replica-read-only', 'slave-read-only', 'ignore-warnings',
    'tls-*', 'cluster-*'})

# The ACL user replicas log in with on their source: replication's commands only, no keys.
REPLICATION_USER = 'os_repl'
REPLICATION_RULES = ('-@all', '+psync', '+replconf', '+ping')
# The password files in run_dir (0600): the one this source's replicas log in with, and the
# one this replica logs in to its source with. Never in agent-state.json or a log.
REPLICATION_SECRET = 'replication.secret'
FOLLOW_SECRET = 'replication-source.secret'
# Roles, as guestagent/replication keeps them in the agent's state.
SOURCE, REPLICA = 'source', 'replica'
# The capability of an engine whose accounts are per member of a replica set (not
# replicated): root set on a source is set on its replicas too (set_root_hash).
ROOT_PER_MEMBER = 'root_per_member'
_ROOT_HASH = re.compile(r'[0-9a-f]{64}\Z')


def config_text(value):
    """A value as CONFIG SET takes it (booleans yes/no)."""
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    return str(value)


def render_value(value):
    """A value in redis.conf: text double-quoted ('save "900 1 300 10"' is read as one)."""
    if isinstance(value, (bool, int, float)):
        return config_text(value)
    return '"%s"' % value.replace('\\', '\\\\').replace('"', '\\"')


def acl_hash(password):
    """The SHA-256 form Redis ACLs accept ('#<hex>'), so the plaintext never reaches Redis."""
    return hashlib.sha256(password.encode('utf-8')).hexdigest()


def checked_root_hash(root_hash):
    """A default user's hash as set_root_hash and a source_info carry it: acl_hash's hex,
    or None (no password); BadRequest (naming no value) otherwise."""
    if root_hash is None:
        return None
    if not isinstance(root_hash, str) or not _ROOT_HASH.match(root_hash):
        raise errors.BadRequest("The root password's hash is not a SHA-256 hex digest.")
    return root_hash


class RedisManager(base.EngineManager):
    """Drives one redis-server."""

    manager = 'redis'
    display_name = 'Redis'
    default_port = 6379
    capabilities = frozenset({'root', 'configuration', 'modules', 'replication',
                              ROOT_PER_MEMBER})
    # A subset of the API (no databases, users or access rules): the spec's experimental.
    maturity = 'experimental'
    controlled_parameters = CONTROLLED_PARAMETERS
    parameter_name_pattern = re.compile(r'[a-z][a-z0-9-]*\Z')
    binary_name = 'redis-server'
    root_user_name = '-'
    uses_template = False

    @classmethod
    def memory_setting_bytes(cls, memory_mb):
        """maxmemory: half the flavor's RAM, at least 16 MiB."""
        return max(16, memory_mb // 2) * base.MIB

    def _config_path(self):
        return self._run_file('redis.conf')

    def _write_config(self, bootstrap=False):
        root_hash = self._load_state().get('root_hash')
        default_auth = '#%s' % root_hash if root_hash else 'nopass'
        lines = [
            'bind %s' % self.address,
            'port %d' % self.port,
            'protected-mode no',
            'unixsocket %s' % self.socket_path,
            'unixsocketperm 700',
            'daemonize no',
            'supervised no',
            'pidfile %s' % self._run_file('redis-server.pid'),
            'logfile ""',
            'always-show-logo no',
            'dir %s' % self.engine_data_dir,
            'dbfilename dump.rdb',
            'user default on %s %s' % (default_auth, TENANT_RULES),
            'user %s on #%s ~* &* +@all' % (self.admin_user, acl_hash(self.admin_password)),
            'replica-announce-ip %s' % self.address,
        ]
        lines.extend(self._replication_lines())
        grouped = self._include_values()
        for name, value in self._base_settings().items():
            if not (name == 'save' and name in grouped):   # two 'save' lines would add up
                lines.append('%s %s' % (name, value))
        # Last, so the configuration group's values win.
        lines.append('include %s' % self.overrides_path)
        if self.replication_role() == SOURCE:
            # After the include: a source keeps its data across a restart, whatever the group.
            lines.append('appendonly yes')
        self._write_overrides()
        self._write_file(self._config_path(), '\n'.join(lines) + '\n')

    def _base_settings(self):
        """The tunable settings of redis.conf (as CONFIG SET takes them): what a group's value
        overrides, and what a value the group no longer sets goes back to."""
        return {
            'appendonly': 'yes',
            'appendfsync': 'everysec',
            'save': '3600 1 300 100 60 10000',
            'maxmemory': str(self.memory_setting_bytes(self.memory_mb)),
            'maxmemory-policy': 'noeviction',
            # A replica's full copy starts at once rather than waiting 5 s for others.
            'repl-diskless-sync-delay': '0',
        }

    # ----------------------------------------------------------- replication

    def replication_role(self):
        """SOURCE, REPLICA or None, as the agent's state keeps it."""
        return self._load_state().get('replication_role')

    def replication_source(self):
        """{'host', 'port', 'user'} of the source this replica follows, or None."""
        return self._load_state().get('replication_source')

    def _replication_lines(self):
        role = self.replication_role()
        if role == SOURCE:
            password = self.read_secret(REPLICATION_SECRET)
            if password:
                return ['user %s on #%s %s' % (REPLICATION_USER, acl_hash(password),
                                               ' '.join(REPLICATION_RULES))]
        elif role == REPLICA:
            source = self.replication_source() or {}
            password = self.read_secret(FOLLOW_SECRET)
            if source and password:
                return ['replicaof %s %d' % (source['host'], int(source['port'])),
                        'masteruser %s' % source['user'],
                        'masterauth %s' % render_value(password),
                        'replica-read-only yes']
        return []

    def read_secret(self, name):
        """A password file's content in run_dir, or None without the file."""
        try:
            with open(self._run_file(name)) as handle:
                return handle.read().strip() or None
        except FileNotFoundError:
            return None

    def write_secret(self, name, password):
        """Keep a password in run_dir, readable by the agent only (0600)."""
        path = self._run_file(name)
        tmp = '%s.tmp-%d' % (path, os.getpid())
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as handle:
            handle.write(password + '\n')
        os.rename(tmp, path)

    def remove_secret(self, name):
        try:
            os.unlink(self._run_file(name))
        except FileNotFoundError:
            pass

    def _check_overrides(self, values):
        checked = super()._check_overrides(values)
        value = checked.get('appendonly')
        if self.replication_role() == SOURCE and (
                value is False or str(value).strip().lower() == 'no'):
            raise errors.BadRequest(
                "The instance is a replication source: 'appendonly' stays on, since a source "
                'that restarts without its data would empty its replicas.')
        return checked

    def _command(self):
        return [self.binary, self._config_path()]

    def stop(self, timeout=waits.STOP):
        """The base stop, after asking Redis again each second: Redis drops a SIGTERM that
        arrives while it writes the AOF a replica starts after a full copy of its source
        ("Writing initial AOF, can't exit"), and would wait for the kill otherwise."""
        with self._lock:
            pid = self.pid()
            deadline = time.monotonic() + timeout
            while pid is not None and base.process_alive(pid) and time.monotonic() < deadline:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    break
                try:
                    base.wait_for(lambda: not base.process_alive(pid),
                                  min(1, max(0.01, deadline - time.monotonic())),
                                  'Redis to stop')
                    LOG.info('redis: stopped pid %d', pid)
                except errors.EngineTimeout:
                    pass
            # What is left: the kill at the deadline, leftovers, the pid file, the sockets.
            super().stop(timeout=max(1, deadline - time.monotonic()))

    def _init_data(self, target):
        # Redis starts from an empty directory; nothing to initialise.
        self._make_dir(target)

    # ---------------------------------------------------------- connections

    def _client(self, timeout=5):
        # No client-side retries: they turn a refused or absent server into
        # seconds of back-off, and the callers poll or report instead.
        return redis.Redis(unix_socket_path=self.socket_path, username=self.admin_user,
                           password=self.admin_password, socket_timeout=timeout,
                           socket_connect_timeout=timeout, decode_responses=True,
                           retry=Retry(NoBackoff(), 0))

    @contextlib.contextmanager
    def _admin(self, what):
        client = self._client()
        try:
            yield client
        except redis.exceptions.ConnectionError as exc:
            raise errors.EngineError('Redis is not reachable; it may be stopped.',
                                     details='%s: %s' % (what, exc))
        except redis.exceptions.RedisError as exc:
            raise errors.EngineError('%s failed.' % what, details=str(exc))
        finally:
            client.close()

    def _ping(self):
        client = self._client(timeout=2)
        try:
            return bool(client.ping())
        except redis.exceptions.AuthenticationError:
            return True  # refused us, but answering
        except (redis.exceptions.BusyLoadingError, redis.exceptions.ConnectionError,
                redis.exceptions.TimeoutError):
            return False
        except redis.exceptions.ResponseError:
            return True
        finally:
            client.close()

    def _bootstrap(self):
        # The admin account is declared in the config; check that it works.
        with self._admin('Checking the admin account') as client:
            client.ping()

    def current_memory_setting(self):
        with self._admin('Reading maxmemory') as client:
            return int(client.config_get('maxmemory')['maxmemory'])

    def engine_version(self):
        with self._admin('Reading the version') as client:
            return client.info('server')['redis_version']

    def activity(self):
        with self._admin('Reading the statistics') as client:
            info = client.info()      # the default sections hold both, in one command
        return {'connections': int(info['connected_clients']),
                'queries': int(info['total_commands_processed'])}

    # --------------------------------------------------------- configuration

    def _controlled_name(self, name):
        for prefix in ('tls-', 'cluster-'):
            if name.startswith(prefix):
                return prefix + '*'
        return name

    def _render_overrides(self, values):
        return ''.join('%s %s\n' % (name, render_value(value))
                       for name, value in sorted(values.items()))

    def _apply_overrides_live(self, applied, values):
        changed = sorted(overrides.differing(applied, values))
        if not changed:
            return dict(applied)
        defaults = self._base_settings()
        baseline = dict(self._load_state().get('overrides_baseline') or {})
        steps = []
        for name in changed:
            if name in values:
                steps.append((name, config_text(values[name])))
            elif name in defaults or name in baseline:
                steps.append((name, defaults.get(name, baseline.get(name))))
            # else: nothing to go back to but the engine's default, at the next start
        with self._admin('Applying the configuration') as client:
            def current(name):
                return client.config_get(name).get(name)

            def assign(name, value):
                try:
                    client.config_set(name, value)
                except redis.exceptions.ResponseError as exc:
                    if 'immutable' in str(exc):
                        return False        # read at start only
                    raise overrides.bad_value(self.display_name, name, _reason(exc))
                return True

            before = {name: current(name) for name, _ in steps
                      if name not in applied and name not in defaults and name not in baseline}
            taken = self._apply_each(steps, current, assign)
        # What a removed value goes back to: the engine's own, from before the group.
        baseline.update({name: value for name, value in before.items()
                         if name in taken and value is not None})
        self._save_state(overrides_baseline=baseline)
        live = dict(applied)
        for name in taken:
            if name in values:
                live[name] = values[name]
            else:
                live.pop(name, None)
        return live

    def _read_configuration(self, names):
        found = {}
        with self._admin('Reading the configuration') as client:
            for name in names:
                value = client.config_get(name).get(name)
                if value is not None:
                    found[name] = value
        return found

    def _start_failure_reason(self, log_text):
        # "*** FATAL CONFIG FILE ERROR ***", "Reading the configuration file, at line 3",
        # ">>> 'databases 0'", then the reason; else a warning line ("pid:M date # ...").
        lines = log_text.splitlines()
        for index, line in enumerate(lines):
            if 'FATAL CONFIG FILE ERROR' in line:
                rest = [text.strip() for text in lines[index + 1:index + 4]]
                directive = next((text[4:] for text in rest if text.startswith('>>> ')), '')
                reason = rest[-1] if len(rest) == 3 else ''
                return ('%s: %s' % (reason, directive)).strip(': ')
        for line in lines:
            found = re.match(r'\d+:[A-Z] .*? # (.*)$', line)
            if found:
                return found.group(1).strip()
        return ''

    # ------------------------------------------------------------------ root

    def root_hash(self):
        """The default user's password hash (acl_hash's hex), or None when it has none."""
        return self._load_state().get('root_hash')

    def set_root_hash(self, root_hash):
        """Give the default user the password whose hash is `root_hash` (None: no password),
        as its replica set's source has it: root is per member ('root_per_member'), so the
        API sets a source's root on its replicas with this call, by the hash alone."""
        self._require('root')
        root_hash = checked_root_hash(root_hash)
        with self._lock:
            self._set_default_user(root_hash)
        LOG.info('redis: root %s as on the source', 'enabled' if root_hash else 'disabled')
        return {'root_enabled': root_hash is not None}

    def keep_root_hash(self, root_hash):
        """The default user's hash kept for the next start, and set now if the engine runs
        (a replica taking its source's, before or after its engine started)."""
        root_hash = checked_root_hash(root_hash)
        if self.pid() is not None:
            self._set_default_user(root_hash)
        else:
            self._save_state(root_hash=root_hash)
            self._write_config()

    def _set_default_user(self, root_hash):
        auth = ['#%s' % root_hash] if root_hash else ['nopass']
        with self._admin('Changing the default user') as client:
            client.execute_command('ACL', 'SETUSER', 'default', 'on', 'resetpass', *auth)
        self._save_state(root_hash=root_hash)
        self._write_config()

    def _enable_root(self, password):
        self._set_default_user(acl_hash(password))

    def _disable_root(self):
        self._set_default_user(None)

    def _is_root_enabled(self):
        with self._admin('Checking root') as client:
            user = client.acl_getuser('default')
        return 'nopass' not in user['flags']


def _reason(exc):
    """Redis's words for a refused CONFIG SET, without its prefixes."""
    text = re.sub(r'^(ERR )?', '', str(exc))
    return re.sub(r"^CONFIG SET failed \(possibly related to argument '[^']*'\) - ", '', text)
