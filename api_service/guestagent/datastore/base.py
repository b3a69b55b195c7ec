"""The engine manager base: everything about driving an engine process that is not engine-specific.

Following the datastore-manager-refactor spec, this class owns the lifecycle
plumbing (prepare, start, stop, pid files, waiting, the data-directory template,
running as another system user, paging, input validation, reserved names) and
each engine module supplies only what differs: how to initialise a data
directory, the config file and command line, how to ping, and the SQL (or
commands) for databases, users and root.

Layout of one instance:

    data_dir/            the instance's volume; only engine data lives here
        data/            the engine's data directory (renamed into place whole,
                         so a crash during prepare never leaves half a copy)
    run_dir/             private: config files, unix socket, pid files, logs,
                         agent-state.json (no secrets), admin.secret (only when
                         no admin_password was given)

The engine is a child of the agent in its own session; `engine.pid` records
its pid and kernel start time so a later process (or a restarted agent) can
find, signal and tell apart the same process even after pid reuse.

Passwords never reach an engine in plaintext: MariaDB gets the
mysql_native_password hash, PostgreSQL a SCRAM verifier computed client-side,
Redis a SHA-256 ACL hash. So neither engine logs nor error texts can leak them.
"""
import abc
import errno
import hashlib
import ipaddress
import json
import logging
import os
import pwd
import re
import secrets
import shutil
import signal
import string
import subprocess
import tempfile
import threading
import time

from api_service.guestagent import errors

LOG = logging.getLogger(__name__)

MIB = 1024 * 1024

# Bump when the way a template is initialised changes, so old templates are not reused.
TEMPLATE_FORMAT = 1

# Unix socket paths are limited to 107 bytes (sun_path).
MAX_SOCKET_PATH = 107

_PASSWORD_ALPHABET = string.ascii_letters + string.digits


def generate_password(length=32):
    """A strong random password of letters and digits (safe in any client and URL)."""
    return ''.join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def wait_for(condition, timeout, what, interval=0.01, max_interval=0.1):
    """Poll `condition` until it returns something truthy; raise EngineTimeout at the deadline.

    The interval starts small and grows, so fast engines are seen at once and
    slow ones are not hammered.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise errors.EngineTimeout('Timed out after %.0f s waiting for %s.' % (timeout, what))
        time.sleep(interval)
        interval = min(interval * 1.5, max_interval)


def _proc_stat(pid):
    """(state, start_time) of a process from /proc, or None when it does not exist."""
    try:
        with open('/proc/%d/stat' % pid) as handle:
            fields = handle.read().rsplit(')', 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[19])


def process_alive(pid):
    """True when the process exists and is not a zombie; reaps it if it is our dead child."""
    stat = _proc_stat(pid)
    if stat is None:
        return False
    if stat[0] in ('Z', 'X'):
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        return False
    return True


def _readlink(path):
    try:
        return os.readlink(path)
    except OSError:
        return None


def _within(path, directory):
    return path == directory or path.startswith(directory + os.sep)


def _tail(path, lines=15):
    """The last lines of a log file, for operator details."""
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 8192))
            text = handle.read().decode('utf-8', 'replace')
    except OSError:
        return ''
    return '\n'.join(text.splitlines()[-lines:])


def check_paging(limit, marker):
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise errors.BadRequest('The limit must be a positive integer.')
    if marker is not None and not isinstance(marker, str):
        raise errors.BadRequest('The marker must be a string.')


def paginate(items, key, limit=None, marker=None):
    """Trove paging: items sorted by `key`, starting after `marker`, at most `limit`.

    Returns (page, next_marker); next_marker is the key of the page's last item
    when more items follow, else None.
    """
    check_paging(limit, marker)
    items = sorted(items, key=key)
    if marker is not None:
        items = [item for item in items if key(item) > marker]
    if limit is None or len(items) <= limit:
        return items, None
    page = items[:limit]
    return page, key(page[-1])


class EngineManager(abc.ABC):
    """Drives one database engine process for one instance.

    Subclasses declare `manager`, `default_port`, `capabilities`, naming rules
    and reserved names, and implement the hooks marked abstract (lifecycle) plus
    the `_…` hooks of the capabilities they declare.

    `memory_mb` is the flavor's RAM when the instance is prepared; from then on
    the value is kept in run_dir and changed only by set_memory(), so a manager
    built later (a restarted agent) runs the engine exactly as configured.
    """

    manager = None
    display_name = 'The database engine'
    default_port = None
    capabilities = frozenset()

    # The agent's own account inside the engine; never listed, never tenant-managed.
    admin_user = 'os_admin'
    # What enable_root returns as the root user's name.
    root_user_name = 'root'
    # Whether users are name@host (MariaDB) or plain names (the host is ignored).
    supports_host = False

    reserved_databases = frozenset()
    reserved_users = frozenset()
    database_name_max = 64
    user_name_max = 63
    database_name_pattern = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_-]*\Z')
    user_name_pattern = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.-]*\Z')
    name_rule_text = "letters, digits, '_' and '-'"
    user_name_rule_text = "letters, digits, '_', '.' and '-'"
    password_max = 256

    # How the engine is asked to shut down cleanly.
    stop_signal = signal.SIGTERM
    # Whether a pristine data directory is worth caching (Redis has nothing to initialise).
    uses_template = True
    # The engine binary, relative to engine_path.
    binary_name = None

    def __init__(self, *, data_dir, run_dir, address, engine_path, memory_mb, run_as=None,
                 template_dir=None, admin_password=None, port=None):
        self.data_dir = os.path.abspath(data_dir)
        self.run_dir = os.path.abspath(run_dir)
        try:
            self.address = str(ipaddress.ip_address(address))
        except ValueError:
            raise errors.BadRequest('The instance address %r is not an IP address.' % address)
        self.engine_path = os.path.abspath(engine_path)
        self.memory_mb = self._check_memory(memory_mb)
        self.run_as = run_as
        self.template_dir = os.path.abspath(template_dir) if template_dir else None
        self.port = int(port or self.default_port)
        self._admin_password = admin_password
        self._lock = threading.RLock()
        self._child = None
        # What the last prepare did, for the caller's logs and the tests:
        # data_source is 'template' (copied from a cached template), 'new-template'
        # (built the template, then copied it), 'init' (initialised in place),
        # 'existing' (data already there: a retried prepare) or 'empty' (Redis).
        self.last_prepare = {}
        self._uid, self._gid = self._owner_ids(run_as)
        # After prepare, the memory size lives in run_dir (set_memory changes it).
        self.memory_mb = self._load_state().get('memory_mb', self.memory_mb)
        if len(self.socket_path) > MAX_SOCKET_PATH:
            raise errors.EngineError('The run directory path is too long for a unix socket: %s'
                                     % self.run_dir)

    # ------------------------------------------------------------------ paths

    @property
    def engine_data_dir(self):
        """The engine's own data directory inside the volume."""
        return os.path.join(self.data_dir, 'data')

    @property
    def socket_path(self):
        """The unix socket the agent uses to reach the engine."""
        return os.path.join(self.run_dir, '%s.sock' % self.manager)

    @property
    def binary(self):
        return os.path.join(self.engine_path, self.binary_name)

    @property
    def log_path(self):
        """The engine's one log: its stdout and stderr, where each engine is told to log."""
        return os.path.join(self.run_dir, '%s.log' % self.manager)

    def _run_file(self, name):
        return os.path.join(self.run_dir, name)

    # -------------------------------------------------------- users and files

    @staticmethod
    def _owner_ids(run_as):
        if run_as is None:
            return os.geteuid(), os.getegid()
        try:
            entry = pwd.getpwnam(run_as)
        except KeyError:
            raise errors.EngineError('The system user %r does not exist.' % run_as)
        if entry.pw_uid != os.geteuid() and os.geteuid() != 0:
            raise errors.EngineError('Running the engine as %r needs the agent to run as root.'
                                     % run_as)
        return entry.pw_uid, entry.pw_gid

    def _switches_user(self):
        return self._uid != os.geteuid()

    def _process_kwargs(self):
        """subprocess arguments that run a command as the engine's user, privately."""
        kwargs = {'env': self._env(), 'umask': 0o077, 'stdin': subprocess.DEVNULL}
        if self._switches_user():
            kwargs.update(user=self._uid, group=self._gid, extra_groups=[])
        return kwargs

    def _env(self):
        # A clean environment: HOME in run_dir so no ~/.my.cnf or ~/.pgpass is read.
        return {'PATH': '%s:/usr/sbin:/usr/bin:/sbin:/bin' % self.engine_path,
                'HOME': self.run_dir, 'LANG': 'C.UTF-8', 'LC_ALL': 'C.UTF-8'}

    def _chown(self, path):
        if os.geteuid() == 0:
            os.lchown(path, self._uid, self._gid)

    def _chown_tree(self, top):
        if os.geteuid() != 0:
            return
        os.lchown(top, self._uid, self._gid)
        for root, dirs, files in os.walk(top):
            for name in dirs + files:
                os.lchown(os.path.join(root, name), self._uid, self._gid)

    def _make_dir(self, path, mode=0o700):
        os.makedirs(path, exist_ok=True)
        os.chmod(path, mode)
        self._chown(path)

    def _write_file(self, path, text, mode=0o600):
        """Atomically replace a file the engine reads, owned by the engine's user."""
        tmp = '%s.tmp-%d' % (path, os.getpid())
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, 'w') as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        self._chown(tmp)
        os.rename(tmp, path)

    def _run(self, argv, what, timeout=120, cwd=None):
        """Run a helper command as the engine's user; EngineError with its output on failure."""
        try:
            result = subprocess.run(argv, cwd=cwd or self.run_dir, capture_output=True,
                                    text=True, timeout=timeout, **self._process_kwargs())
        except (OSError, subprocess.SubprocessError) as exc:
            raise errors.EngineError('%s failed.' % what, details=str(exc))
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip().splitlines()
            raise errors.EngineError('%s failed (exit status %d).' % (what, result.returncode),
                                     details='\n'.join(output[-15:]))
        return result

    # ------------------------------------------------------------------ state

    @property
    def _state_path(self):
        return self._run_file('agent-state.json')

    def _load_state(self):
        try:
            with open(self._state_path) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def _save_state(self, **changes):
        state = self._load_state()
        state.update(changes)
        self._write_file(self._state_path, json.dumps(state, sort_keys=True) + '\n')
        return state

    @property
    def admin_password(self):
        """The agent's admin credential: the one given, else one generated once and kept."""
        if self._admin_password:
            return self._admin_password
        path = self._run_file('admin.secret')
        try:
            with open(path) as handle:
                self._admin_password = handle.read().strip()
        except FileNotFoundError:
            os.makedirs(self.run_dir, exist_ok=True)
            self._admin_password = generate_password()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, 'w') as handle:
                handle.write(self._admin_password + '\n')
        return self._admin_password

    # -------------------------------------------------------------- process

    @property
    def _pid_path(self):
        return self._run_file('engine.pid')

    def pid(self):
        """The engine's pid if the process we started is alive, else None."""
        try:
            with open(self._pid_path) as handle:
                pid, started = (int(part) for part in handle.read().split())
        except (OSError, ValueError):
            return None
        stat = _proc_stat(pid)
        if stat is None or stat[1] != started or not process_alive(pid):
            return None
        return pid

    def is_running(self):
        """True when the process is alive and the engine answers."""
        return self.pid() is not None and self._ping()

    def _engine_processes(self):
        """Pids of processes of this instance's engine: its binary, working in its data dir.

        This finds what a crash left behind too (PostgreSQL backends of a killed
        postmaster each run in their own session, so a process group does not).
        """
        binary = os.path.realpath(self.binary)
        data = os.path.realpath(self.engine_data_dir)
        found = []
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            exe = _readlink('/proc/%s/exe' % entry)
            if exe is None or exe.replace(' (deleted)', '') != binary:
                continue
            cwd = _readlink('/proc/%s/cwd' % entry)
            if cwd is not None and _within(cwd, data) and process_alive(int(entry)):
                found.append(int(entry))
        return found

    def _kill_leftovers(self, timeout=10):
        for pid in self._engine_processes():
            LOG.warning('%s: killing leftover engine process %d', self.manager, pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_for(lambda: not self._engine_processes(), timeout, 'leftover engine processes to exit')

    def _spawn(self):
        os.makedirs(self.run_dir, exist_ok=True)
        log = open(self.log_path, 'ab')
        try:
            self._chown(self.log_path)
            child = subprocess.Popen(self._command(), stdout=log, stderr=subprocess.STDOUT,
                                     cwd=self.run_dir, start_new_session=True, close_fds=True,
                                     **self._process_kwargs())
        except OSError as exc:
            raise errors.EngineError('%s could not be started.' % self.display_name,
                                     details=str(exc))
        finally:
            log.close()
        self._child = child
        stat = _proc_stat(child.pid)
        started = stat[1] if stat else 0
        self._write_file(self._pid_path, '%d %d\n' % (child.pid, started), mode=0o644)
        return child.pid

    def _log_tail(self):
        return _tail(self.log_path)

    def start(self, timeout=30):
        """Start the engine and wait until it answers; a no-op when it already does."""
        with self._lock:
            pid = self.pid()
            if pid is not None:
                # Running, or still exiting after a crash or kill: wait for either.
                wait_for(lambda: not process_alive(pid) or self._ping(), timeout,
                         '%s to answer' % self.display_name)
                if process_alive(pid):
                    return
            self._check_can_run()
            self._kill_leftovers()
            if not os.path.isdir(self.engine_data_dir):
                raise errors.EngineError('%s has no data directory; prepare the instance first.'
                                         % self.display_name)
            # Regenerated from the settings and the persisted state at every start,
            # so a config never outlives a change of format or of the agent.
            self._write_config(bootstrap=not self._load_state().get('prepared'))
            started = time.monotonic()
            pid = self._spawn()

            def answers():
                if not process_alive(pid):
                    raise errors.EngineError('%s exited while starting.' % self.display_name,
                                             details=self._log_tail())
                return self._ping()

            try:
                wait_for(answers, timeout, '%s to start' % self.display_name)
            except errors.EngineTimeout as exc:
                exc.details = self._log_tail()
                raise
            LOG.info('%s: started pid %d in %.2f s', self.manager, pid, time.monotonic() - started)

    def stop(self, timeout=30):
        """Stop the engine cleanly; kill it if it does not stop within `timeout` seconds."""
        with self._lock:
            pid = self.pid()
            if pid is not None:
                try:
                    os.kill(pid, self.stop_signal)
                except ProcessLookupError:
                    pass
                try:
                    wait_for(lambda: not process_alive(pid), timeout,
                             '%s to stop' % self.display_name)
                except errors.EngineTimeout:
                    LOG.warning('%s: pid %d did not stop in %s s; killing it',
                                self.manager, pid, timeout)
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    wait_for(lambda: not process_alive(pid), 10, '%s to die' % self.display_name)
                LOG.info('%s: stopped pid %d', self.manager, pid)
            self._kill_leftovers()
            try:
                os.unlink(self._pid_path)
            except FileNotFoundError:
                pass
            self._child = None

    def restart(self, timeout=30):
        with self._lock:
            self.stop(timeout)
            self.start(timeout)

    def destroy(self):
        """Stop the engine and remove everything in data_dir and run_dir."""
        with self._lock:
            try:
                self.stop(timeout=10)
            except errors.GuestError:
                LOG.exception('%s: stop failed during destroy; killing', self.manager)
                self._kill_leftovers()
            for top in (self.data_dir, self.run_dir):
                if not os.path.isdir(top):
                    continue
                for name in os.listdir(top):
                    path = os.path.join(top, name)
                    if os.path.isdir(path) and not os.path.islink(path):
                        shutil.rmtree(path)
                    else:
                        os.unlink(path)

    def _check_can_run(self):
        """Hook: refuse early when the engine cannot run as the chosen user."""

    # ----------------------------------------------------------- templates

    def _template_key(self):
        """One name per engine build and initialisation format."""
        binary = os.path.realpath(self.binary)
        info = os.stat(binary)
        fingerprint = '%s|%d|%d|%d' % (binary, info.st_size, info.st_mtime_ns, TEMPLATE_FORMAT)
        return '%s-%s' % (self.manager, hashlib.sha256(fingerprint.encode()).hexdigest()[:16])

    def ensure_template(self):
        """The path of a pristine data directory for this engine build, built if missing.

        Safe when several agents race: each builds in its own temporary
        directory and renames it into place; the losers discard theirs.
        Returns (path, built) or (None, False) without a template_dir.
        """
        if not (self.uses_template and self.template_dir):
            return None, False
        os.makedirs(self.template_dir, mode=0o755, exist_ok=True)
        final = os.path.join(self.template_dir, self._template_key())
        if os.path.isdir(final):
            return final, False
        self._remove_stale_builds()
        self._check_can_run()
        self._make_dir(self.run_dir)
        build = tempfile.mkdtemp(prefix='.build-', dir=self.template_dir)
        try:
            os.chmod(build, 0o700)
            self._chown(build)
            target = os.path.join(build, 'data')
            started = time.monotonic()
            self._init_data(target)
            try:
                os.rename(target, final)
            except OSError as exc:
                if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY) or not os.path.isdir(final):
                    raise
                return final, False
            LOG.info('%s: built template %s in %.2f s', self.manager, final,
                     time.monotonic() - started)
            return final, True
        finally:
            shutil.rmtree(build, ignore_errors=True)

    def _remove_stale_builds(self, age=3600):
        now = time.time()
        for name in os.listdir(self.template_dir):
            path = os.path.join(self.template_dir, name)
            try:
                if name.startswith('.build-') and now - os.stat(path).st_mtime > age:
                    shutil.rmtree(path, ignore_errors=True)
            except OSError:
                pass

    def _populate_data_dir(self):
        """Put a pristine engine data directory in place; returns where it came from."""
        if os.path.isdir(self.engine_data_dir):
            return 'existing'
        staging = os.path.join(self.data_dir, '.data-staging')
        shutil.rmtree(staging, ignore_errors=True)
        if not self.uses_template:
            os.makedirs(staging)
            source = 'empty'
        else:
            template, built = self.ensure_template()
            if template:
                subprocess.run(['cp', '-a', '--reflink=auto', template, staging], check=True,
                               capture_output=True)
                source = 'new-template' if built else 'template'
            else:
                self._init_data(staging)
                source = 'init'
        self._chown_tree(staging)
        os.chmod(staging, 0o700)
        os.rename(staging, self.engine_data_dir)
        return source

    # -------------------------------------------------------------- prepare

    def prepare(self, *, databases=(), users=(), root_password=None):
        """Initialise the data directory, configure, start, create the admin, then databases and users.

        Safe to retry after a crash: every step checks what is already done.
        """
        if databases:
            self._require('databases')
        if users:
            self._require('users')
        database_specs = [self._database_spec(db) for db in databases or ()]
        user_specs = [self._user_spec(user) for user in users or ()]
        if root_password is not None:
            self._require('root')
            self._check_password(root_password)
        self._check_can_run()
        with self._lock:
            started = time.monotonic()
            self._make_dir(self.data_dir)
            self._make_dir(self.run_dir)
            self.admin_password  # create the secret before anything needs it
            state = self._load_state()
            if 'memory_mb' not in state:
                state = self._save_state(memory_mb=self.memory_mb, prepared=False)
            self.memory_mb = state['memory_mb']
            source = self._populate_data_dir()
            self.start()
            if not state.get('prepared'):
                self._bootstrap()
                self._save_state(prepared=True)
            self._prepare_contents(database_specs, user_specs)
            if root_password is not None:
                self._enable_root(root_password)
            self.last_prepare = {'data_source': source,
                                 'seconds': round(time.monotonic() - started, 3)}
            LOG.info('%s: prepared (%s) in %.2f s', self.manager, source,
                     self.last_prepare['seconds'])

    def _prepare_contents(self, database_specs, user_specs):
        """Create what prepare asked for, tolerating what a crashed earlier attempt made."""
        if database_specs:
            existing = self._database_names()
            for spec in database_specs:
                if spec['name'] not in existing:
                    self._create_database(spec)
        for spec in user_specs:
            if self._find_user(spec['name'], spec['host']) is None:
                self._check_databases_exist(spec['databases'])
                self._create_user(spec)
            else:
                self._set_password(spec['name'], spec['host'], spec['password'])
                if spec['databases']:
                    self._grant(spec['name'], spec['host'], spec['databases'])

    # --------------------------------------------------------------- memory

    @classmethod
    def _check_memory(cls, memory_mb):
        if isinstance(memory_mb, bool) or not isinstance(memory_mb, int) or memory_mb < 1:
            raise errors.BadRequest('memory_mb must be a positive integer.')
        return memory_mb

    def set_memory(self, memory_mb):
        """Size the engine's memory for a flavor with `memory_mb` of RAM; applies on restart."""
        with self._lock:
            self.memory_mb = self._check_memory(memory_mb)
            self._make_dir(self.run_dir)
            self._save_state(memory_mb=self.memory_mb)
            self._write_config(bootstrap=not self._load_state().get('prepared'))

    @classmethod
    @abc.abstractmethod
    def memory_setting_bytes(cls, memory_mb):
        """The engine's main memory setting for a flavor with this RAM (the documented formula)."""

    @abc.abstractmethod
    def current_memory_setting(self):
        """The main memory setting in bytes, read from the running engine."""

    def data_size_bytes(self):
        """Disk space used under data_dir (allocated blocks, hard links counted once)."""
        seen = set()
        total = 0
        for root, dirs, files in os.walk(self.data_dir):
            for name in dirs + files:
                try:
                    info = os.lstat(os.path.join(root, name))
                except FileNotFoundError:
                    continue
                if (info.st_dev, info.st_ino) in seen:
                    continue
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
        return total

    # ------------------------------------------------------ engine hooks

    @abc.abstractmethod
    def _init_data(self, target):
        """Create a pristine engine data directory at `target` (which does not exist yet)."""

    @abc.abstractmethod
    def _config_path(self):
        """The main config file the engine is started with."""

    @abc.abstractmethod
    def _write_config(self, bootstrap=False):
        """Write the engine's config into run_dir from the current settings.

        `bootstrap` is True until the admin account is secured (PostgreSQL lets
        the agent in over its private socket without a password until then).
        """

    @abc.abstractmethod
    def _command(self):
        """The argv that starts the engine in the foreground."""

    @abc.abstractmethod
    def _ping(self):
        """True when the engine answers on its socket (an authentication refusal counts)."""

    @abc.abstractmethod
    def _bootstrap(self):
        """Create and secure the agent's admin account on a freshly initialised engine."""

    # ----------------------------------------------------------- validation

    def _require(self, capability):
        if capability not in self.capabilities:
            raise errors.NotSupported(capability, self.manager)

    def _check_name(self, name, kind, pattern, maximum, rule):
        label = kind.capitalize()
        if not isinstance(name, str) or not name:
            raise errors.InvalidName('%s name is missing.' % label)
        if len(name) > maximum:
            raise errors.InvalidName('%s name %r is longer than %d characters.'
                                     % (label, name[:maximum] + '…', maximum))
        if not pattern.match(name):
            raise errors.InvalidName('%s name %r may contain only %s, and must not start with '
                                     "'-' or '.'." % (label, name, rule))
        return name

    def _check_database_name(self, name, allow_reserved=False):
        self._check_name(name, 'database', self.database_name_pattern, self.database_name_max,
                         self.name_rule_text)
        if not allow_reserved and self._is_reserved_database(name):
            raise errors.ReservedName("'%s' is a system database and cannot be used." % name)
        return name

    def _check_user_name(self, name):
        self._check_name(name, 'user', self.user_name_pattern, self.user_name_max,
                         self.user_name_rule_text)
        if self._is_reserved_user(name):
            raise errors.ReservedName("'%s' is a system account and cannot be managed here%s."
                                      % (name, '; use root enable' if name == self.root_user_name
                                         else ''))
        return name

    def _check_host(self, host):
        """The user's host: validated for engines with name@host users, else always '%'."""
        if not self.supports_host:
            return '%'
        if host is None or host == '':
            return '%'
        if not isinstance(host, str) or len(host) > 255 or not re.match(
                r'[A-Za-z0-9.%_:/-]+\Z', host):
            raise errors.InvalidName('Host %r may contain only letters, digits and . %% _ : / -.'
                                     % (host if isinstance(host, str) else type(host).__name__))
        return host

    def _check_password(self, password):
        if not isinstance(password, str) or not password:
            raise errors.BadRequest('A password is required.')
        if len(password) > self.password_max or '\x00' in password:
            raise errors.BadRequest('The password must be at most %d characters and contain no '
                                    'NUL character.' % self.password_max)
        return password

    def _is_reserved_database(self, name):
        return name in self.reserved_databases

    def _is_reserved_user(self, name):
        return name in self.reserved_users or name == self.admin_user

    @staticmethod
    def _name_of(item, kind):
        if isinstance(item, dict):
            return item.get('name')
        if isinstance(item, str):
            return item
        raise errors.BadRequest('Each %s must be an object with a name.' % kind)

    def _database_spec(self, database):
        name = self._check_database_name(self._name_of(database, 'database'))
        spec = {'name': name, 'character_set': None, 'collate': None}
        if isinstance(database, dict):
            for key in ('character_set', 'collate'):
                value = database.get(key)
                if value in (None, ''):
                    continue
                if not isinstance(value, str) or not re.match(r'[A-Za-z0-9_.@-]{1,64}\Z', value):
                    raise errors.BadRequest('The %s %r is not valid.' % (
                        key.replace('_', ' '), value))
                spec[key] = value
        return spec

    def _user_spec(self, user, require_password=True):
        if not isinstance(user, dict):
            raise errors.BadRequest('Each user must be an object with a name and a password.')
        spec = {'name': self._check_user_name(user.get('name')),
                'host': self._check_host(user.get('host')),
                'password': None, 'databases': []}
        if require_password or user.get('password') is not None:
            spec['password'] = self._check_password(user.get('password'))
        databases = user.get('databases') or []
        if not isinstance(databases, (list, tuple)):
            raise errors.BadRequest('A user\'s databases must be a list.')
        spec['databases'] = sorted({self._check_database_name(self._name_of(db, 'database'))
                                    for db in databases})
        return spec

    # --------------------------------------------------------- databases

    def _database_names(self):
        return {db['name'] for db in self._list_databases()}

    def _check_databases_exist(self, names):
        missing = sorted(set(names) - self._database_names())
        if missing:
            raise errors.NotFound('Database %s does not exist.' % ', '.join(
                "'%s'" % name for name in missing))

    def create_databases(self, databases):
        """Create databases given as Trove dicts {"name", "character_set"?, "collate"?}."""
        self._require('databases')
        specs = [self._database_spec(db) for db in databases]
        names = [spec['name'] for spec in specs]
        if len(set(names)) != len(names):
            raise errors.BadRequest('The same database is named twice.')
        existing = sorted(set(names) & self._database_names())
        if existing:
            raise errors.Conflict('Database %s already exists.' % ', '.join(
                "'%s'" % name for name in existing))
        for spec in specs:
            self._create_database(spec)

    def list_databases(self, limit=None, marker=None):
        """Tenant databases as [{"name", "character_set", "collate"}], and the next marker."""
        self._require('databases')
        check_paging(limit, marker)
        items = [db for db in self._list_databases() if not self._is_reserved_database(db['name'])]
        return paginate(items, key=lambda db: db['name'], limit=limit, marker=marker)

    def delete_database(self, name):
        self._require('databases')
        self._check_database_name(name)
        self._check_databases_exist([name])
        self._delete_database(name)

    # ------------------------------------------------------------- users

    def _user_marker(self, user):
        if self.supports_host:
            return '%s@%s' % (user['name'], user['host'])
        return user['name']

    def _existing_user(self, name, host):
        name = self._check_user_name(name)
        host = self._check_host(host)
        user = self._find_user(name, host)
        if user is None:
            raise errors.NotFound("User '%s' does not exist." % (
                '%s@%s' % (name, host) if self.supports_host else name))
        return user

    def create_users(self, users):
        """Create users given as Trove dicts {"name", "password", "host"?, "databases"?}."""
        self._require('users')
        specs = [self._user_spec(user) for user in users]
        keys = [(spec['name'], spec['host']) for spec in specs]
        if len(set(keys)) != len(keys):
            raise errors.BadRequest('The same user is named twice.')
        for spec in specs:
            if self._find_user(spec['name'], spec['host']) is not None:
                raise errors.Conflict("User '%s' already exists." % self._user_marker(spec))
        self._check_databases_exist({db for spec in specs for db in spec['databases']})
        for spec in specs:
            self._create_user(spec)

    def list_users(self, limit=None, marker=None):
        """Tenant users as [{"name", "host", "databases": [{"name"}]}], and the next marker."""
        self._require('users')
        check_paging(limit, marker)
        items = [self._user_view(user) for user in self._list_users()
                 if user['name'] and not self._is_reserved_user(user['name'])]
        return paginate(items, key=self._user_marker, limit=limit, marker=marker)

    def _user_view(self, user):
        databases = sorted(db for db in user['databases'] if not self._is_reserved_database(db))
        return {'name': user['name'], 'host': user['host'],
                'databases': [{'name': db} for db in databases]}

    def get_user(self, name, host=None):
        self._require('users')
        return self._user_view(self._existing_user(name, host))

    def delete_user(self, name, host=None):
        self._require('users')
        user = self._existing_user(name, host)
        self._delete_user(user['name'], user['host'])

    def change_passwords(self, users):
        """Set new passwords for users given as [{"name", "host"?, "password"}]."""
        self._require('users')
        specs = [self._user_spec(user) for user in users]
        for spec in specs:
            self._existing_user(spec['name'], spec['host'])
        for spec in specs:
            self._set_password(spec['name'], spec['host'], spec['password'])

    def update_attributes(self, name, host, new_name=None, new_password=None, new_host=None):
        """Rename a user, move it to another host, and/or set its password."""
        self._require('users')
        user = self._existing_user(name, host)
        target_name = self._check_user_name(new_name) if new_name else user['name']
        target_host = self._check_host(new_host) if new_host else user['host']
        if new_password is not None:
            self._check_password(new_password)
        if (target_name, target_host) != (user['name'], user['host']):
            if self._find_user(target_name, target_host) is not None:
                raise errors.Conflict("User '%s' already exists." % self._user_marker(
                    {'name': target_name, 'host': target_host}))
            self._rename_user(user['name'], user['host'], target_name, target_host)
        if new_password is not None:
            self._set_password(target_name, target_host, new_password)

    def grant_access(self, name, host, databases):
        """Give the user full access to each database named in `databases` ([{"name"}])."""
        self._require('users')
        user = self._existing_user(name, host)
        names = sorted({self._check_database_name(self._name_of(db, 'database'))
                        for db in databases})
        self._check_databases_exist(names)
        if names:
            self._grant(user['name'], user['host'], names)

    def revoke_access(self, name, host, database):
        self._require('users')
        user = self._existing_user(name, host)
        self._check_database_name(database)
        self._check_databases_exist([database])
        self._revoke(user['name'], user['host'], database)

    def list_access(self, name, host):
        """The databases the user can use, as [{"name"}]."""
        self._require('users')
        return self._user_view(self._existing_user(name, host))['databases']

    # -------------------------------------------------------------- root

    def enable_root(self, password=None):
        """Enable (or reset) the root account; returns {"name", "password"}."""
        self._require('root')
        password = self._check_password(password) if password is not None else generate_password()
        self._enable_root(password)
        return {'name': self.root_user_name, 'password': password}

    def disable_root(self):
        self._require('root')
        self._disable_root()

    def is_root_enabled(self):
        self._require('root')
        return self._is_root_enabled()

    # Hooks of the 'databases', 'users' and 'root' capabilities. Engines that
    # declare a capability implement its hooks; the public methods above check
    # the capability first, so these defaults are never reached otherwise.

    def _unsupported(self, capability):
        raise errors.NotSupported(capability, self.manager)

    def _list_databases(self):
        """All databases as [{"name", "character_set", "collate"}], system ones included."""
        self._unsupported('databases')

    def _create_database(self, spec):
        self._unsupported('databases')

    def _delete_database(self, name):
        self._unsupported('databases')

    def _list_users(self):
        """All users as [{"name", "host", "databases": [names]}], system ones included."""
        self._unsupported('users')

    def _find_user(self, name, host):
        """The user as in _list_users, or None."""
        self._unsupported('users')

    def _create_user(self, spec):
        self._unsupported('users')

    def _delete_user(self, name, host):
        self._unsupported('users')

    def _set_password(self, name, host, password):
        self._unsupported('users')

    def _rename_user(self, name, host, new_name, new_host):
        self._unsupported('users')

    def _grant(self, name, host, databases):
        self._unsupported('users')

    def _revoke(self, name, host, database):
        self._unsupported('users')

    def _enable_root(self, password):
        self._unsupported('root')

    def _disable_root(self):
        self._unsupported('root')

    def _is_root_enabled(self):
        self._unsupported('root')
