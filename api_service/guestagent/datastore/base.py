"""The engine manager base: everything about driving an engine process that is not engine-specific.

Following the datastore-manager-refactor spec, this class owns the lifecycle
plumbing (prepare, start, stop, pid files, waiting, the data-directory template,
running as another system user; databases, users, root, paging, input
validation and reserved names come from accounts.GuestAccounts) and each
engine module supplies only what differs: how to initialise a data
directory, the config file and command line, how to ping, and the SQL (or
commands) for databases, users and root.

Layout of one instance:

    data_dir/            the instance's volume; only engine data lives here
        data/            the engine's data directory (renamed into place whole,
                         so a crash during prepare never leaves half a copy)
    run_dir/             private: config files (the base one, then the configuration
                         group's include, overrides.py), pid files, logs,
                         agent-state.json (no secrets), admin.secret (only when
                         no admin_password was given)
    socket_dir/          the engine's unix sockets, in a short directory of its
                         own whatever the depth of run_dir (sockets.py)

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
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from api_service.guestagent import errors, waits
from api_service.guestagent.datastore import sockets
from api_service.guestagent.datastore.accounts import GuestAccounts
from api_service.guestagent.datastore.overrides import GuestOverrides
# The helpers live in util; engine modules, the backups and the tests reach some through base.
from api_service.guestagent.datastore.util import (  # noqa: F401
    generate_password, path_within, proc_stat, process_alive, readlink_or_none, tail_of_file,
    wait_for)

LOG = logging.getLogger(__name__)

MIB = 1024 * 1024

# Bump when the way a template is initialised changes, so old templates are not reused.
TEMPLATE_FORMAT = 1

# The first start of restored data may replay a lot of log.
RESTORED_START_TIMEOUT = 600

# The longest an engine's apply_access waits for the engine (PostgreSQL's reload): well
# under the service's call timeout (rpc/guest_client.py APPLY_ACCESS_TIMEOUT, 60 s), so the
# service never gives up on a change the engine is still applying.
ACCESS_APPLY_WAIT = 10

# Unix socket paths are limited to 107 bytes (sun_path); see sockets.py.
MAX_SOCKET_PATH = sockets.MAX_SOCKET_PATH


def _file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


# The experimental-datastores spec's classes, each including the one before it.
MATURITIES = ('experimental', 'technical-preview', 'stable')


class EngineManager(GuestAccounts, GuestOverrides, abc.ABC):
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
    # Its maturity class (kilo experimental-datastores): one of MATURITIES. A manager
    # starts experimental and says so when it has earned more; registration uses it
    # for a version registered without one.
    maturity = 'experimental'

    # The agent's own account inside the engine; never listed, never tenant-managed.
    admin_user = 'os_admin'
    # What enable_root returns as the root user's name.
    root_user_name = 'root'

    # How the engine is asked to shut down cleanly.
    stop_signal = signal.SIGTERM
    # Whether a pristine data directory is worth caching (Redis has nothing to initialise).
    uses_template = True
    # The engine binary, relative to engine_path.
    binary_name = None

    def __init__(self, *, data_dir, run_dir, address, engine_path, memory_mb, run_as=None,
                 template_dir=None, admin_password=None, port=None, socket_dir=None):
        self.data_dir = os.path.abspath(data_dir)
        self.run_dir = os.path.abspath(run_dir)
        # Short, whatever the depth of run_dir (sockets.py).
        self.socket_dir = os.path.abspath(socket_dir or sockets.socket_dir_for(self.run_dir))
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
        # Where the log stood when start spawned the engine (its errors follow).
        self._spawn_log_offset = None
        # What the last prepare did, for the caller's logs and the tests:
        # data_source is 'template' (copied from a cached template), 'new-template'
        # (built the template, then copied it), 'init' (initialised in place),
        # 'existing' (data already there: a retried prepare) or 'empty' (Redis).
        self.last_prepare = {}
        self._uid, self._gid = self._owner_ids(run_as)
        # After prepare, the memory size lives in run_dir (set_memory changes it).
        self.memory_mb = self._load_state().get('memory_mb', self.memory_mb)
        sockets.check_length(self.socket_path)

    # ------------------------------------------------------------------ paths

    @property
    def engine_data_dir(self):
        """The engine's own data directory inside the volume."""
        return os.path.join(self.data_dir, 'data')

    @property
    def socket_path(self):
        """The unix socket the agent uses to reach the engine."""
        return os.path.join(self.socket_dir, '%s.sock' % self.manager)

    def make_socket_dir(self):
        """The engine's private socket directory, made before each start (/run is emptied
        by a reboot)."""
        self._make_dir(self.socket_dir)

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

    def file_owner(self):
        """(uid, gid) to give the files the agent makes for the engine; None when not root."""
        return (self._uid, self._gid) if os.geteuid() == 0 else None

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
        stat = proc_stat(pid)
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
            exe = readlink_or_none('/proc/%s/exe' % entry)
            if exe is None or exe.replace(' (deleted)', '') != binary:
                continue
            cwd = readlink_or_none('/proc/%s/cwd' % entry)
            if cwd is not None and path_within(cwd, data) and process_alive(int(entry)):
                found.append(int(entry))
        return found

    def _kill_leftovers(self, timeout=waits.LEFTOVERS):
        for pid in self._engine_processes():
            LOG.warning('%s: killing leftover engine process %d', self.manager, pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_for(lambda: not self._engine_processes(), timeout, 'leftover engine processes to exit')

    def _spawn(self, extra_args=()):
        os.makedirs(self.run_dir, exist_ok=True)
        self.make_socket_dir()
        log = open(self.log_path, 'ab')
        try:
            self._chown(self.log_path)
            child = subprocess.Popen(self._command() + list(extra_args), stdout=log, stderr=subprocess.STDOUT,
                                     cwd=self.run_dir, start_new_session=True, close_fds=True,
                                     **self._process_kwargs())
        except OSError as exc:
            raise errors.EngineError('%s could not be started.' % self.display_name,
                                     details=str(exc))
        finally:
            log.close()
        self._child = child
        stat = proc_stat(child.pid)
        started = stat[1] if stat else 0
        self._write_file(self._pid_path, '%d %d\n' % (child.pid, started), mode=0o644)
        return child.pid

    def _log_tail(self):
        return tail_of_file(self.log_path)

    def start(self, timeout=waits.START):
        """Start the engine and wait until it answers; a no-op when it already does.

        Started with configuration overrides it never ran with, an engine whose process
        exits while starting is started again with the ones it last ran with (overrides.py):
        the answer is then {'parameters': [names], 'reason': the engine's error}, else None.
        An engine that only takes longer than `timeout` (crash recovery, WAL replay, a large
        AOF to load) is left to finish: EngineTimeout, and no fallback.
        """
        with self._lock:
            if self.stopped_on_request():
                # Asked to start (a restart, the operator's reboot): no longer kept down.
                self._save_state(stopped_on_request=False)
            pending = self._pending_overrides()
            self._spawn_log_offset = None
            try:
                self._start_once(timeout)
            except errors.EngineExited as exc:
                if not pending or self._spawn_log_offset is None:
                    raise
                return self._roll_back_start(pending, self._spawn_log_offset, timeout, exc)
            self._started_with_overrides()
            return None

    def _start_once(self, timeout):
        """Start with the config as the state says; True when it spawned the engine."""
        with self._lock:
            pid = self.pid()
            if pid is not None:
                # Running, or still exiting after a crash or kill: wait for either.
                wait_for(lambda: not process_alive(pid) or self._ping(), timeout,
                         '%s to answer' % self.display_name)
                if process_alive(pid):
                    if self._load_state().get('admin_reset_pending'):
                        # Started by an agent that stopped before it finished the reset.
                        self._complete_admin_reset()
                        self._save_state(admin_reset_pending=False)
                    return False
            self._check_can_run()
            self._kill_leftovers()
            if not os.path.isdir(self.engine_data_dir):
                raise errors.EngineError('%s has no data directory; prepare the instance first.'
                                         % self.display_name)
            # Regenerated from the settings and the persisted state at every start,
            # so a config never outlives a change of format or of the agent.
            state = self._load_state()
            resetting = bool(state.get('admin_reset_pending'))
            if resetting:
                # The first start of restored data also recovers it: give it time.
                timeout = max(timeout, RESTORED_START_TIMEOUT)
            self._write_config(bootstrap=not state.get('prepared') or resetting)
            started = time.monotonic()
            self._spawn_log_offset = _file_size(self.log_path)
            self._spawning_with_overrides()
            pid = self._spawn(self._admin_reset_args() if resetting else ())

            def answers():
                if not process_alive(pid):
                    raise errors.EngineExited('%s exited while starting.' % self.display_name,
                                              details=self._log_tail())
                return self._ping()

            try:
                wait_for(answers, timeout, '%s to start' % self.display_name)
            except errors.EngineTimeout as exc:
                exc.details = self._log_tail()
                raise
            if resetting:
                self._complete_admin_reset()
                self._save_state(admin_reset_pending=False)
            LOG.info('%s: started pid %d in %.2f s', self.manager, pid, time.monotonic() - started)
            return True

    def stop(self, timeout=waits.STOP):
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
                    wait_for(lambda: not process_alive(pid), waits.KILL,
                             '%s to die' % self.display_name)
                LOG.info('%s: stopped pid %d', self.manager, pid)
            self._kill_leftovers()
            try:
                os.unlink(self._pid_path)
            except FileNotFoundError:
                pass
            try:    # emptied by the engine as it stopped; made again by the next start
                os.rmdir(self.socket_dir)
            except OSError:
                pass
            self._child = None

    def stop_on_request(self):
        """The operator's stop: stop the engine and keep it down. Recorded first, in run_dir,
        so neither the agent's heartbeat (which restarts a crashed engine) nor a restarted
        agent starts it again; only start() does (a restart, the operator's reboot).
        A stop that fails with the engine still alive forgets the mark: left, it would keep
        the heartbeat from restarting that engine after a later crash, and a restarted
        agent from starting it."""
        with self._lock:
            self._save_state(stopped_on_request=True)
            try:
                self.stop()
            except Exception:
                if self.pid() is not None:
                    self._save_state(stopped_on_request=False)
                raise

    def stopped_on_request(self):
        """True while the engine is down because an operator stopped it."""
        return bool(self._load_state().get('stopped_on_request'))

    def engine_version(self):
        """The version the running engine reports (its own words), for diagnostics."""
        raise NotImplementedError

    def activity(self):
        """{'connections': clients connected now, 'queries': statements (or
        transactions, or commands) served since the engine started}, from the running
        engine's own counters, for the heartbeat's metrics (guestagent/metrics.py)."""
        raise NotImplementedError

    def restart(self):
        """Stop and start; answers as start does (what a rollback of overrides undid). At
        most waits.RESTART_WORST seconds, which the service's RPC client waits for."""
        with self._lock:
            self.stop()
            return self.start()

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
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    def _check_can_run(self):
        """Hook: refuse early when the engine cannot run as the chosen user."""

    # ---------------------------------------------------------------- access
    # The sources (CIDRs) tenants may connect from, as the service computed them
    # (domain/access.py). Kept in run_dir's state, so every start, and a restarted
    # agent, enforces the same; None until the service sent any (then the engine's
    # own default applies). Engines declaring the 'access' capability implement
    # _apply_access_live and read access_sources when they write their config.

    # Engines whose restored accounts may carry what exempts them from the sources
    # (MariaDB: SUPER) first run restored data without TCP: see start_restored.
    access_exemptions_in_data = False
    # True while start_restored starts the engine listening on its socket only.
    _socket_only = False

    @property
    def access_sources(self):
        """The CIDRs tenants may connect from, or None when the service never sent any."""
        return self._load_state().get('access_sources')

    @staticmethod
    def _check_sources(sources):
        # [] admits no client (a recorded access that leaves none on this deployment).
        if not isinstance(sources, (list, tuple)):
            raise errors.BadRequest('The access sources must be a list of CIDRs.')
        checked = []
        for source in sources:
            try:
                checked.append(str(ipaddress.ip_network(source, strict=False)))
            except (TypeError, ValueError):
                raise errors.BadRequest("'%s' is not a CIDR." % str(source)[:64])
        return checked

    def apply_access(self, sources):
        """Admit tenants' connections only from `sources`: now if the engine runs, and at
        every later start. If the running engine refuses the change, it keeps (and the
        state records) the sources it had, and EngineError says so."""
        self._require('access')
        sources = self._check_sources(sources)
        with self._lock:
            self._make_dir(self.run_dir)
            previous = self._load_state().get('access_sources')
            self._save_state(access_sources=sources)
            if self.pid() is None:
                return {'sources': sources, 'applied': 'at start'}
            try:
                self._write_config(bootstrap=not self._load_state().get('prepared'))
                self._apply_access_live()
            except Exception as exc:
                LOG.error('%s: applying the access rules failed: %s', self.manager, exc)
                self._save_state(access_sources=previous)
                self._write_config(bootstrap=not self._load_state().get('prepared'))
                try:
                    self._apply_access_live()
                except Exception:
                    LOG.exception('%s: restoring the previous access rules failed', self.manager)
                raise errors.EngineError(
                    '%s could not apply the new access rules; it keeps the previous ones.'
                    % self.display_name, details=getattr(exc, 'details', None) or str(exc))
            LOG.info('%s: access rules applied (%d sources)', self.manager, len(sources))
            return {'sources': sources, 'applied': 'live'}

    def _apply_access_live(self):
        """Hook of the 'access' capability: make the running engine enforce access_sources."""
        raise errors.NotSupported('access', self.manager)

    def start_restored(self):
        """Start restored data so that no client reaches it before the sources are enforced
        on it. An engine whose restored accounts may be exempt from them first runs on its
        socket only, while apply_access enforces them (and revokes the exemptions), then
        restarts listening on its address."""
        sources = self.access_sources
        if sources is None or not self.access_exemptions_in_data:
            return self.start()
        with self._lock:
            self._socket_only = True
            try:
                self.start()
            finally:
                self._socket_only = False
            self.apply_access(sources)
            self.restart()

    # ------------------------------------------------ restored admin account
    # Restored data carries the source instance's admin credential. Rather than
    # run the engine once just to replace it, a restore marks it pending and the
    # next start does it: the engine starts with what the hooks below add, and
    # the credential is this instance's before anything else can use it.

    def defer_admin_reset(self):
        """Called by a restore: the next start replaces the admin credential."""
        self._save_state(admin_reset_pending=True)

    def _admin_reset_args(self):
        """Extra command-line arguments for the start that resets the admin credential."""
        return []

    def _complete_admin_reset(self):
        """The engine answers after a start with the reset arguments: finish the reset."""

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
