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
- Only the 'root' capability: Redis has no databases or users for tenants.
"""
import contextlib
import hashlib

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from api_service.guestagent import errors
from api_service.guestagent.datastore import base

TENANT_RULES = '~* &* +@all -@admin'


def acl_hash(password):
    """The SHA-256 form Redis ACLs accept ('#<hex>'), so the plaintext never reaches Redis."""
    return hashlib.sha256(password.encode('utf-8')).hexdigest()


class RedisManager(base.EngineManager):
    """Drives one redis-server."""

    manager = 'redis'
    display_name = 'Redis'
    default_port = 6379
    capabilities = frozenset({'root'})
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
            'appendonly yes',
            'appendfsync everysec',
            'save 3600 1 300 100 60 10000',
            'maxmemory %d' % self.memory_setting_bytes(self.memory_mb),
            'maxmemory-policy noeviction',
            'user default on %s %s' % (default_auth, TENANT_RULES),
            'user %s on #%s ~* &* +@all' % (self.admin_user, acl_hash(self.admin_password)),
        ]
        self._write_file(self._config_path(), '\n'.join(lines) + '\n')

    def _command(self):
        return [self.binary, self._config_path()]

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

    # ------------------------------------------------------------------ root

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
