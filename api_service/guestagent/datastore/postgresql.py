"""PostgreSQL: what differs from the base manager.

- Data directory: initdb with os_admin as the bootstrap superuser (no role
  'postgres' exists), UTF8, C.UTF-8. Its own config files are removed: the
  server is started with config_file in run_dir.
- Config (run_dir/postgresql.conf, pg_hba.conf, pg_ident.conf): listens on
  the instance address and a socket in socket_dir. pg_hba: os_admin only over the
  socket (trust until prepare has set its password, scram-sha-256 after),
  never over TCP; everyone else scram-sha-256 from the instance's access
  sources (127.0.0.0/8 for an instance the service never sent any).
- Access ('access' capability): apply_access rewrites pg_hba and reloads it
  (pg_reload_conf), then waits until a new session sees the reload, so the
  new rules are in force when the call returns. Sessions already open stay.
- Memory: shared_buffers = max(16, memory_mb // 4) MiB (the usual quarter of
  RAM), effective_cache_size = three quarters.
- Configuration ('configuration' capability): postgresql.conf ends with
  include_if_exists of run_dir/overrides.conf, so a group's values win. A change
  is first checked by the server binary itself (`postgres -C`, which reads the
  files as a start would and names a value it refuses), then reloaded
  (pg_reload_conf); pg_settings.pending_restart names what waits for a restart
  (the 'postmaster' parameters). A removed value falls back by the reload itself.
- Databases are created without PUBLIC's CONNECT, so a user reaches exactly
  the databases it was granted. Access means what it means in MariaDB: ALL on
  the database, USAGE and CREATE on its public schema, ALL on the tables and
  sequences in it, and default privileges between the users sharing the
  database so tables one creates are usable by the others. (Objects in other
  schemas a user creates stay the creator's.)
- Users have no host (it is accepted and ignored; views show '%').
- Root: the role 'root' with SUPERUSER LOGIN, the name upstream Trove's guest
  gives it (Trove's tooling logs in as 'root'); disable sets NOLOGIN and clears
  the password (its objects stay). Data from before that name (restored from an
  old backup) may carry root as the role 'postgres': while it can log in, root
  counts as enabled; enable and disable take its login away, so only 'root'
  remains. A tenant's own ordinary role named 'root' from that time is not root
  (not a superuser) until root is enabled, which makes it root.
- Passwords are sent as SCRAM verifiers computed by libpq on the agent's side.
- PostgreSQL refuses to run as root: an agent running as root must pass run_as.
- Backups (guestagent/backup/postgresql*.py): os_admin may open replication
  connections over the socket (pg_basebackup). PostgreSQL 17 and later keep
  WAL summaries (summarize_wal) for native incremental backups; older ones
  archive WAL into run_dir/wal-archive for WAL-based incrementals, but only
  while that directory exists: the first full backup creates it, so an
  instance that is never backed up archives nothing.
- Replication ('replication' capability, guestagent/replication/postgresql.py):
  every instance runs with what streaming replication and pg_rewind need
  (wal_log_hints, wal_keep_size, WAL senders and slots, hot standby). The
  agent's state says the instance's part, and each start writes it again: a
  replica gets standby.signal, primary_conninfo (the password in a 0600
  passfile in run_dir, never in a config file) and primary_slot_name; a
  source admits the replication role os_repl from its replication sources
  (the replication database, and 'postgres' for a pg_rewind), lines that
  apply_access keeps since it rewrites the same files; a fenced source
  admits no tenant and defaults to read-only transactions.
  A replica's data is its source's, os_admin's verifier included, and a hot
  standby cannot change it: while in that state the agent logs in by peer
  authentication on the private socket (the agent's and the engine's system
  users mapped to os_admin; the socket directory is theirs alone), and a
  promotion or detach sets this instance's own password again.
"""
import contextlib
import logging
import os
import pwd
import re
import signal
import subprocess

import psycopg
from psycopg import sql

from api_service.guestagent import errors
from api_service.guestagent.datastore import base, overrides

LOG = logging.getLogger(__name__)

SYSTEM_DATABASES = frozenset({'postgres', 'template0', 'template1'})

# The first major version with WAL summaries (native incremental backups).
NATIVE_INCREMENTAL_MAJOR = 17

# The agent's own sessions (DDL, users, backups, its WAL slot held for a whole backup) run
# without the time limits a configuration group may set for tenants' sessions.
ADMIN_SESSION_OPTIONS = ('-c statement_timeout=0 -c lock_timeout=0 -c idle_session_timeout=0 '
                         '-c idle_in_transaction_session_timeout=0')

# Settings the agent makes (files, network, logging, archiving, libraries, replication):
# never a configuration group's.
CONTROLLED_PARAMETERS = frozenset({
    'data_directory', 'config_file', 'hba_file', 'ident_file', 'external_pid_file',
    'listen_addresses', 'port', 'unix_socket_directories', 'unix_socket_group',
    'unix_socket_permissions', 'include', 'include_if_exists', 'include_dir',
    'archive_mode', 'archive_command', 'archive_library', 'restore_command',
    'archive_cleanup_command', 'recovery_end_command', 'summarize_wal', 'wal_level',
    'logging_collector', 'log_destination', 'log_directory', 'log_filename',
    'log_line_prefix', 'lc_messages', 'shared_preload_libraries', 'local_preload_libraries',
    'session_preload_libraries', 'dynamic_library_path', 'password_encryption',
    'primary_conninfo', 'primary_slot_name', 'hot_standby', 'ssl', 'ssl_cert_file',
    'ssl_key_file', 'ssl_ca_file', 'ssl_crl_file', 'ssl_crl_dir', 'ssl_dh_params_file',
    'ssl_passphrase_command', 'ssl_passphrase_command_supports_reload', 'krb_server_keyfile',
    'jit_provider', 'wal_log_hints', 'max_wal_senders', 'max_replication_slots',
    'max_slot_wal_keep_size'})

# The role replicas (and a rewinding old source) log in as; never a tenant's.
REPLICATION_USER = 'os_repl'
# The canary account's role (its schema is in 'postgres'; guestagent/replication/canary.py).
CANARY_USER = 'os_canary'

# What streaming replication and pg_rewind need, on every instance: wal_log_hints because
# PostgreSQL 15's initdb has no data checksums, WAL kept for a rewind after a switchover.
# Senders and slots: up to 10 replicas (the API's replica_count) plus a backup's own.
REPLICATION_SETTINGS = {
    'wal_level': 'replica',
    'max_wal_senders': '20',
    'max_replication_slots': '20',
    'hot_standby': 'on',
    'wal_log_hints': 'on',
    'wal_keep_size': '64MB',
}

# max_slot_wal_keep_size: a replica's slot keeps WAL on its source while the replica is away,
# and without a bound a replica that stays down fills the source's volume and stops it. The
# bound: a quarter of the volume when the data directory is the volume's mount point (a real
# host), else 1GB (the local driver's volumes are directories on the host's filesystem, whose
# size says nothing of the instance's); never less than 128MB (twice wal_keep_size). A replica
# further behind loses its slot ('lost'): its status says so, and it must be recreated.
SLOT_WAL_KEEP_DEFAULT_MB = 1024
SLOT_WAL_KEEP_MIN_MB = 128

# The pg_ident map of the agent's peer login on a replica (see the module's docstring).
AGENT_MAP = 'os_agent'


def conninfo(**params):
    """A libpq connection string, each value quoted (' and \\ escaped)."""
    return ' '.join("%s='%s'" % (key, str(value).replace('\\', '\\\\').replace("'", "\\'"))
                    for key, value in params.items())


def render_value(value):
    """A value in postgresql.conf: booleans on/off; text single-quoted ('' and \\ escaped)."""
    if isinstance(value, bool):
        return 'on' if value else 'off'
    if isinstance(value, (int, float)):
        return repr(value)
    return "'%s'" % value.replace('\\', '\\\\').replace("'", "''")


def _quoted_path(path):
    return "'%s'" % path.replace("'", "''")


# run_dir/archive-wal: the archive_command's logic, in a file because PostgreSQL
# cuts an expanded archive_command at 1 KiB and the paths are long. It copies
# a finished WAL file into wal-archive/ beside it if that directory exists
# (else drops it); copy then rename, so the archive never holds a partial
# file, and a file archived before (a retry after a crash) counts as done
# when identical.
ARCHIVE_SCRIPT = """#!/bin/sh
set -e
dir="$(dirname "$0")/wal-archive"
[ -d "$dir" ] || exit 0
if [ -f "$dir/$2" ] && cmp -s "$1" "$dir/$2"; then exit 0; fi
cp "$1" "$dir/$2.part"
sync "$dir/$2.part"
mv -f "$dir/$2.part" "$dir/$2"
"""


class PostgreSQLManager(base.EngineManager):
    """Drives one postmaster."""

    manager = 'postgresql'
    display_name = 'PostgreSQL'
    default_port = 5432
    capabilities = frozenset({'databases', 'users', 'root', 'access', 'configuration',
                              'modules', 'replication'})
    # Every capability API of the matrix, each with its functional suite.
    maturity = 'stable'
    controlled_parameters = CONTROLLED_PARAMETERS
    parameter_name_pattern = re.compile(r'[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?\Z')
    binary_name = 'postgres'
    root_user_name = 'root'
    # Root's name before it was upstream's; restored data may still carry it.
    legacy_root_user_name = 'postgres'
    reserved_databases = SYSTEM_DATABASES
    # PostgreSQL itself reserves public, none and the current_* names.
    reserved_users = frozenset({'os_admin', REPLICATION_USER, CANARY_USER, 'root', 'postgres',
                                'public', 'none', 'current_user', 'current_role',
                                'session_user'})
    database_name_max = 63
    user_name_max = 63
    # Fast shutdown: roll back open transactions and disconnect clients.
    stop_signal = signal.SIGINT
    # Where tenants may log in from (with a password) until the service sends sources.
    default_client_networks = ('127.0.0.0/8',)

    # ------------------------------------------------------------ settings

    @property
    def socket_path(self):
        return os.path.join(self.socket_dir, '.s.PGSQL.%d' % self.port)

    @classmethod
    def memory_setting_bytes(cls, memory_mb):
        """shared_buffers: a quarter of the flavor's RAM, at least 16 MiB.

        PostgreSQL relies on the OS page cache for the rest, as its docs advise.
        """
        return max(16, memory_mb // 4) * base.MIB

    def _is_reserved_user(self, name):
        return super()._is_reserved_user(name) or name.startswith('pg_')

    @property
    def client_networks(self):
        """Where tenants may log in from: the instance's access sources ([] admits none)."""
        sources = self.access_sources
        return self.default_client_networks if sources is None else sources

    @property
    def wal_archive_dir(self):
        """Where finished WAL segments are archived (PostgreSQL before 17), once it exists."""
        return self._run_file('wal-archive')

    @property
    def server_major(self):
        """The engine's major version: from the data directory, else from the binary."""
        major = getattr(self, '_server_major', None)
        if major is None:
            try:
                with open(os.path.join(self.engine_data_dir, 'PG_VERSION')) as handle:
                    major = int(handle.read().strip())
            except (OSError, ValueError):
                out = subprocess.run([self.binary, '--version'], capture_output=True, text=True,
                                     check=False).stdout
                found = re.search(r'(\d+)(?:\.\d+)?', out)
                if not found:
                    raise errors.EngineError('The PostgreSQL version could not be read.',
                                             details=out)
                major = int(found.group(1))
            self._server_major = major
        return major

    def _check_can_run(self):
        if self._uid == 0:
            raise errors.EngineError('PostgreSQL cannot run as root; give the manager run_as '
                                     "(for example 'postgres').")

    def _config_path(self):
        return self._run_file('postgresql.conf')

    def _write_config(self, bootstrap=False):
        shared_buffers = self.memory_setting_bytes(self.memory_mb) // base.MIB
        settings = {
            'data_directory': "'%s'" % self.engine_data_dir,
            'hba_file': "'%s'" % self._run_file('pg_hba.conf'),
            'ident_file': "'%s'" % self._run_file('pg_ident.conf'),
            'listen_addresses': "'%s'" % self.address,
            'port': str(self.port),
            'unix_socket_directories': "'%s'" % self.socket_dir,
            'unix_socket_permissions': '0700',
            'max_connections': '100',
            'shared_buffers': '%dMB' % shared_buffers,
            'effective_cache_size': '%dMB' % max(shared_buffers, self.memory_mb * 3 // 4),
            'huge_pages': 'off',
            'password_encryption': 'scram-sha-256',
            'logging_collector': 'off',
            'log_destination': "'stderr'",
            'log_line_prefix': "'%m [%p] '",
            'lc_messages': "'C'",
            'dynamic_shared_memory_type': 'posix',
        }
        settings.update(REPLICATION_SETTINGS)
        settings['max_slot_wal_keep_size'] = '%dMB' % self.slot_wal_keep_mb()
        if self.server_major >= NATIVE_INCREMENTAL_MAJOR:
            settings['summarize_wal'] = 'on'
        else:
            settings['archive_mode'] = 'on'
            script = self._run_file('archive-wal')
            self._write_file(script, ARCHIVE_SCRIPT, mode=0o700)
            settings['archive_command'] = '\'/bin/sh "%s" "%%p" "%%f"\'' % script
        text = ''.join('%s = %s\n' % item for item in settings.items())
        # Last, so the configuration group's values win.
        text += 'include_if_exists %s\n' % _quoted_path(self.overrides_path)
        self._write_overrides()
        state = self._load_state()
        # After the group's values: what replication needs wins over them.
        text += ''.join('%s = %s\n' % item for item in self._replication_settings(state))
        self._mark_standby(state.get('replication_role') == 'replica')
        if bootstrap:
            admin_method = 'trust'
        elif state.get('replication_peer_admin'):
            admin_method = 'peer map=%s' % AGENT_MAP
        else:
            admin_method = 'scram-sha-256'
        hba = ['# TYPE  DATABASE  USER  ADDRESS  METHOD',
               'local all %s %s' % (self.admin_user, admin_method),
               'local replication %s %s' % (self.admin_user, admin_method),
               'local all all reject',
               'host all %s 0.0.0.0/0 reject' % self.admin_user,
               'host all %s ::/0 reject' % self.admin_user]
        for network in state.get('replication_sources') or ():
            hba += ['host replication %s %s scram-sha-256' % (REPLICATION_USER, network),
                    'host postgres %s %s scram-sha-256' % (REPLICATION_USER, network)]
        hba += ['host all %s 0.0.0.0/0 reject' % REPLICATION_USER,
                'host all %s ::/0 reject' % REPLICATION_USER]
        if not state.get('replication_fenced'):
            # The canary account (guestagent/replication/canary.py): from its sources to
            # 'postgres' only, refused by a fence as tenants are.
            hba += ['host postgres %s %s scram-sha-256' % (CANARY_USER, network)
                    for network in state.get('canary_sources') or ()]
        hba += ['host all %s 0.0.0.0/0 reject' % CANARY_USER,
                'host all %s ::/0 reject' % CANARY_USER]
        if not state.get('replication_fenced'):
            hba += ['host all all %s scram-sha-256' % network
                    for network in self.client_networks]
        self._write_file(self._run_file('pg_hba.conf'), '\n'.join(hba) + '\n')
        ident = ''
        if state.get('replication_peer_admin') and not bootstrap:
            ident = ''.join('%s %s %s\n' % (AGENT_MAP, user, self.admin_user)
                            for user in self._agent_system_users())
        self._write_file(self._run_file('pg_ident.conf'), ident)
        self._write_file(self._config_path(), text)

    # ------------------------------------------------------------ replication
    # The state replication/postgresql.py keeps: replication_role, replication_source
    # ({host, port, user, slot}: whom a replica follows), replication_sources (the CIDRs
    # a source admits os_repl from), replication_fenced, replication_peer_admin.

    @property
    def replication_passfile(self):
        """The replica's libpq passfile (0600, the engine's user's): the source's replication
        password, read by the WAL receiver and pg_rewind, never written in a config file."""
        return self._run_file('replication.pgpass')

    def _replication_settings(self, state):
        settings = []
        source = state.get('replication_source')
        if state.get('replication_role') == 'replica' and source:
            settings.append(('primary_conninfo', render_value(conninfo(
                host=source['host'], port=source['port'], user=source['user'],
                passfile=self.replication_passfile, application_name=source['slot'],
                connect_timeout=5))))
            settings.append(('primary_slot_name', render_value(source['slot'])))
        if state.get('replication_fenced'):
            settings.append(('default_transaction_read_only', 'on'))
        return settings

    def slot_wal_keep_mb(self):
        """max_slot_wal_keep_size in MB (see SLOT_WAL_KEEP_DEFAULT_MB)."""
        try:
            if not os.path.ismount(self.data_dir):
                return SLOT_WAL_KEEP_DEFAULT_MB
            fs = os.statvfs(self.data_dir)
        except OSError:
            return SLOT_WAL_KEEP_DEFAULT_MB
        return max(SLOT_WAL_KEEP_MIN_MB, fs.f_blocks * fs.f_frsize // 4 // base.MIB)

    def _mark_standby(self, standby):
        """standby.signal in the data directory exactly while the instance is a replica. Read
        at start only; a running standby removes it itself when promoted (and fails if it is
        gone), so it is removed only while the server is down."""
        if not os.path.isdir(self.engine_data_dir):
            return
        path = os.path.join(self.engine_data_dir, 'standby.signal')
        if standby and not os.path.exists(path):
            self._write_file(path, '')
        elif not standby and os.path.exists(path) and self.pid() is None:
            os.unlink(path)

    def _agent_system_users(self):
        """The system users that may log in as os_admin by peer: the agent's, and the engine's
        (whose user the backup tools run as)."""
        names = []
        for uid in (os.geteuid(), self._uid):
            try:
                name = pwd.getpwuid(uid).pw_name
            except KeyError:
                continue
            if name not in names:
                names.append(name)
        return names

    def reload_config(self):
        """Write the config files from the state and make the running server read them (its
        access rules in force when this returns); settings that need a start wait for one."""
        with self._lock:
            self._write_config(bootstrap=not self._load_state().get('prepared'))
            self._apply_access_live()

    def _command(self):
        return [self.binary, '-c', 'config_file=%s' % self._config_path()]

    def _init_data(self, target):
        self._run([os.path.join(self.engine_path, 'initdb'), '-D', target, '-U', self.admin_user,
                   '-E', 'UTF8', '--locale=C.UTF-8', '--auth=trust', '--no-instructions'],
                  'Initialising the PostgreSQL data directory')
        for name in ('postgresql.conf', 'pg_hba.conf', 'pg_ident.conf'):
            os.unlink(os.path.join(target, name))

    # ---------------------------------------------------------- connections

    @staticmethod
    def _translate(exc, what):
        """A typed error for a psycopg one, chosen by SQLSTATE."""
        state = getattr(exc, 'sqlstate', None) or ''
        message = getattr(getattr(exc, 'diag', None), 'message_primary', None) or ''
        if not state and isinstance(exc, psycopg.OperationalError):
            return errors.EngineError('PostgreSQL is not reachable; it may be stopped.',
                                      details=str(exc))
        if state in ('42710', '42P04'):        # duplicate_object, duplicate_database
            return errors.Conflict('%s: %s' % (what, message))
        if state in ('42704', '3D000'):        # undefined_object, invalid_catalog_name
            return errors.NotFound('%s: %s' % (what, message))
        if state[:2] in ('22', '0A', '55') or (state[:2] == '42' and state != '42501'):
            # data exceptions, unsupported features, objects in use, bad names/locales
            return errors.BadRequest('%s: %s' % (what, message))
        return errors.EngineError('%s failed (PostgreSQL error %s).' % (what, state or '?'),
                                  details=str(exc))

    def _connect_args(self, dbname):
        return dict(host=self.socket_dir, port=self.port, user=self.admin_user,
                    password=self.admin_password, dbname=dbname, autocommit=True,
                    connect_timeout=5, sslmode='disable', application_name='guest-agent',
                    options=ADMIN_SESSION_OPTIONS)

    @contextlib.contextmanager
    def _connection(self, what, dbname='postgres'):
        """An autocommit admin connection over the private socket."""
        try:
            conn = psycopg.connect(**self._connect_args(dbname))
        except psycopg.Error as exc:
            raise self._translate(exc, what)
        try:
            # Keep failing statements out of the server log.
            conn.execute("SET log_min_error_statement = 'panic'")
            yield conn
        except psycopg.Error as exc:
            raise self._translate(exc, what)
        finally:
            conn.close()

    @staticmethod
    def _verifier(conn, name, password):
        """The SCRAM-SHA-256 verifier libpq computes, so the plaintext never leaves the agent."""
        return conn.pgconn.encrypt_password(
            password.encode('utf-8'), name.encode('utf-8'), b'scram-sha-256').decode('ascii')

    def _ping(self):
        try:
            conn = psycopg.connect(**dict(self._connect_args('postgres'), connect_timeout=2))
        except psycopg.OperationalError as exc:
            # A refused password still means the server is up and answering.
            return 'password authentication failed' in str(exc)
        conn.close()
        return True

    # ----------------------------------------------- restored admin account
    # The start after a restore runs the bootstrap config (trust for os_admin on
    # the private socket only; it is refused over TCP either way), so the agent
    # can set this instance's password, then the normal config is reloaded.

    def _complete_admin_reset(self):
        with self._connection('Resetting the admin account') as conn:
            conn.execute(sql.SQL('ALTER ROLE {} WITH LOGIN SUPERUSER PASSWORD {}').format(
                sql.Identifier(self.admin_user),
                sql.Literal(self._verifier(conn, self.admin_user, self.admin_password))))
            self._write_config(bootstrap=False)
            conn.execute('SELECT pg_reload_conf()')

    # ------------------------------------------------------------- lifecycle

    def _bootstrap(self):
        with self._connection('Securing the admin account') as conn:
            conn.execute(sql.SQL('ALTER ROLE {} WITH PASSWORD {}').format(
                sql.Identifier(self.admin_user),
                sql.Literal(self._verifier(conn, self.admin_user, self.admin_password))))
            conn.execute('REVOKE CONNECT, TEMPORARY ON DATABASE postgres, template1 FROM PUBLIC')
        self._write_config(bootstrap=False)
        with self._connection('Reloading the configuration') as conn:
            conn.execute('SELECT pg_reload_conf()')

    def _apply_access_live(self):
        # _write_config has rewritten pg_hba.conf. A file the server cannot parse
        # would be ignored by the reload (the old rules stay), so refuse it first.
        with self._connection('Applying the access rules') as conn:
            bad = conn.execute('SELECT line_number, error FROM pg_hba_file_rules '
                               'WHERE error IS NOT NULL').fetchall()
            if bad:
                raise errors.EngineError('PostgreSQL refused the access rules.',
                                         details='; '.join('line %s: %s' % row for row in bad))
            loaded = conn.execute('SELECT pg_conf_load_time()').fetchone()[0]
            conn.execute('SELECT pg_reload_conf()')
        # The postmaster reloads asynchronously; a session it starts afterwards
        # carries its new load time, and the rules new connections are checked by.
        base.wait_for(lambda: self._conf_load_time() > loaded, base.ACCESS_APPLY_WAIT,
                      'PostgreSQL to reload its access rules')

    def _conf_load_time(self):
        with self._connection('Checking the configuration reload') as conn:
            return conn.execute('SELECT pg_conf_load_time()').fetchone()[0]

    # --------------------------------------------------------- configuration

    def _render_overrides(self, values):
        return ''.join('%s = %s\n' % (name, render_value(value))
                       for name, value in sorted(values.items()))

    def _apply_overrides_live(self, applied, values):
        # The include is written. The server refuses a bad file only in its log, and a
        # reload would apply the file's other values: let the binary read it first.
        self._check_config_files()
        with self._connection('Applying the configuration') as conn:
            loaded = conn.execute('SELECT pg_conf_load_time()').fetchone()[0]
            conn.execute('SELECT pg_reload_conf()')
        base.wait_for(lambda: self._conf_load_time() > loaded, base.ACCESS_APPLY_WAIT,
                      'PostgreSQL to reload its configuration')
        names = sorted(set(applied) | set(values))
        with self._connection('Reading the configuration') as conn:
            waiting = {row[0] for row in conn.execute(
                'SELECT name FROM pg_settings WHERE pending_restart AND name = ANY(%s)',
                (names,)).fetchall()}
        live = {name: value for name, value in values.items() if name not in waiting}
        live.update({name: applied[name] for name in waiting if name in applied})
        return live

    def _restore_live(self):
        # Needed only when a reload happened (a check refuses before one): best effort,
        # the caller is already answering with the first error.
        try:
            with self._connection('Reloading the previous configuration') as conn:
                conn.execute('SELECT pg_reload_conf()')
        except errors.GuestError:
            LOG.exception('reloading the previous configuration failed')

    def _check_config_files(self):
        """BadRequest naming the parameter when the server would not accept the files."""
        try:
            self._run([self.binary, '-C', 'data_directory',
                       '-c', 'config_file=%s' % self._config_path()],
                      'Checking the configuration', timeout=30)
        except errors.EngineError as exc:
            reason = self._start_failure_reason(exc.details or '')
            if not reason:
                raise
            named = re.search(r'parameter "([^"]+)"', reason)
            if not named:
                raise errors.BadRequest('PostgreSQL refused the configuration: %s.'
                                        % reason.rstrip('.'))
            raise overrides.bad_value(self.display_name, named.group(1), reason)

    def _read_configuration(self, names):
        with self._connection('Reading the configuration') as conn:
            return dict(conn.execute('SELECT name, current_setting(name) FROM pg_settings '
                                     'WHERE name = ANY(%s)', (names,)).fetchall())

    def _start_failure_reason(self, log_text):
        # "<time> [pid] LOG:  invalid value for parameter "x": "y"" (then a FATAL that the
        # file "contains errors"), or a FATAL of its own ("could not map anonymous shared
        # memory: ..."). A HINT listing the accepted values is worth keeping.
        messages = re.findall(r'\b(LOG|WARNING|ERROR|FATAL|PANIC|HINT):\s+(.*)', log_text)
        chosen = None
        for index, (level, message) in enumerate(messages):
            if level != 'HINT' and re.search(r'parameter "|configuration parameter', message):
                chosen = index
                break
        if chosen is None:
            chosen = next((index for index, (level, message) in enumerate(messages)
                           if level in ('FATAL', 'PANIC')), None)
        if chosen is None:
            return ''
        # The file's path and line are the agent's business.
        reason = re.sub(r' in file "[^"]*" line \d+', '', messages[chosen][1]).strip()
        following = messages[chosen + 1] if chosen + 1 < len(messages) else None
        if following and following[0] == 'HINT' and following[1].startswith('Available values'):
            reason = '%s (%s)' % (reason.rstrip('.'), following[1].strip().rstrip('.'))
        return reason

    def current_memory_setting(self):
        with self._connection('Reading shared_buffers') as conn:
            return int(conn.execute(
                "SELECT pg_size_bytes(current_setting('shared_buffers'))").fetchone()[0])

    def engine_version(self):
        with self._connection('Reading the version') as conn:
            return conn.execute('SHOW server_version').fetchone()[0]

    def activity(self):
        # Transactions (committed or rolled back) stand for queries: PostgreSQL counts no
        # statements. Backends count per database; the sum is every client's.
        with self._connection('Reading the statistics') as conn:
            connections, queries = conn.execute(
                'SELECT COALESCE(SUM(numbackends), 0), '
                'COALESCE(SUM(xact_commit + xact_rollback), 0) FROM pg_stat_database'
            ).fetchone()
        return {'connections': int(connections), 'queries': int(queries)}

    # ------------------------------------------------------------- databases

    def _list_databases(self):
        with self._connection('Listing databases') as conn:
            rows = conn.execute('SELECT datname, pg_encoding_to_char(encoding), datcollate '
                                'FROM pg_database WHERE NOT datistemplate').fetchall()
        return [{'name': name, 'character_set': charset, 'collate': collate}
                for name, charset, collate in rows]

    def _create_database(self, spec):
        query = sql.SQL('CREATE DATABASE {}').format(sql.Identifier(spec['name']))
        options = []
        if spec['character_set']:
            options.append(sql.SQL('ENCODING {}').format(sql.Literal(spec['character_set'])))
        if spec['collate']:
            options.append(sql.SQL('LC_COLLATE {0} LC_CTYPE {0}').format(
                sql.Literal(spec['collate'])))
        if options:
            query = sql.SQL(' ').join([query, sql.SQL('TEMPLATE template0')] + options)
        with self._connection("Creating database '%s'" % spec['name']) as conn:
            conn.execute(query)
            conn.execute(sql.SQL('REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC').format(
                sql.Identifier(spec['name'])))

    def _delete_database(self, name):
        with self._connection("Deleting database '%s'" % name) as conn:
            conn.execute(sql.SQL('DROP DATABASE {} WITH (FORCE)').format(sql.Identifier(name)))

    # ----------------------------------------------------------------- users

    def _list_users(self, name=None):
        query = ("SELECT r.rolname, ARRAY(SELECT d.datname FROM pg_database d "
                 "WHERE NOT d.datistemplate AND has_database_privilege(r.oid, d.oid, 'CONNECT') "
                 "ORDER BY 1) FROM pg_roles r WHERE r.rolname !~ '^pg_'")
        params = ()
        if name is not None:
            query += ' AND r.rolname = %s'
            params = (name,)
        with self._connection('Listing users') as conn:
            rows = conn.execute(query, params).fetchall()
        return [{'name': role, 'host': '%', 'databases': list(databases)}
                for role, databases in rows]

    def _find_user(self, name, host):
        found = self._list_users(name)
        return found[0] if found else None

    def _create_user(self, spec):
        with self._connection("Creating user '%s'" % spec['name']) as conn:
            conn.execute(sql.SQL('CREATE ROLE {} WITH LOGIN PASSWORD {}').format(
                sql.Identifier(spec['name']),
                sql.Literal(self._verifier(conn, spec['name'], spec['password']))))
        if spec['databases']:
            self._grant(spec['name'], spec['host'], spec['databases'])

    def _connectable_databases(self):
        with self._connection('Listing databases') as conn:
            return [row[0] for row in conn.execute(
                'SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1').fetchall()]

    def _delete_user(self, name, host):
        # Objects the user owns go to the admin (tenant data is kept, as with
        # MariaDB); its privileges go with it. Both are per database.
        role = sql.Identifier(name)
        for database in self._connectable_databases():
            with self._connection("Deleting user '%s'" % name, dbname=database) as conn:
                conn.execute(sql.SQL('REASSIGN OWNED BY {} TO {}').format(
                    role, sql.Identifier(self.admin_user)))
                conn.execute(sql.SQL('DROP OWNED BY {}').format(role))
        with self._connection("Deleting user '%s'" % name) as conn:
            conn.execute(sql.SQL('DROP ROLE {}').format(role))

    def _set_password(self, name, host, password):
        with self._connection("Changing the password of '%s'" % name) as conn:
            conn.execute(sql.SQL('ALTER ROLE {} WITH PASSWORD {}').format(
                sql.Identifier(name), sql.Literal(self._verifier(conn, name, password))))

    def _rename_user(self, name, host, new_name, new_host):
        with self._connection("Renaming user '%s'" % name) as conn:
            conn.execute(sql.SQL('ALTER ROLE {} RENAME TO {}').format(
                sql.Identifier(name), sql.Identifier(new_name)))

    def _peers(self, conn, name):
        """Other tenant users with access to the connected database."""
        rows = conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' AND NOT rolsuper "
            "AND rolname <> %s AND has_database_privilege(oid, current_database(), 'CONNECT') "
            'ORDER BY 1', (name,)).fetchall()
        return [row[0] for row in rows if not self._is_reserved_user(row[0])]

    def _grant(self, name, host, databases):
        # Access to a database means what it means in MariaDB: every table in
        # it, whoever created it. Existing tables are granted now; tables the
        # user or its peers create later through default privileges both ways.
        role = sql.Identifier(name)
        for database in databases:
            with self._connection("Granting access to '%s'" % name, dbname=database) as conn:
                conn.execute(sql.SQL('GRANT ALL PRIVILEGES ON DATABASE {} TO {}').format(
                    sql.Identifier(database), role))
                if not self._has_public_schema(conn):
                    continue
                conn.execute(sql.SQL('GRANT USAGE, CREATE ON SCHEMA public TO {}').format(role))
                for kind in ('TABLES', 'SEQUENCES'):
                    conn.execute(sql.SQL('GRANT ALL ON ALL %s IN SCHEMA public TO {}' % kind)
                                 .format(role))
                for peer in self._peers(conn, name):
                    for owner, grantee in ((peer, name), (name, peer)):
                        for kind in ('TABLES', 'SEQUENCES'):
                            conn.execute(sql.SQL(
                                'ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public '
                                'GRANT ALL ON %s TO {}' % kind).format(
                                    sql.Identifier(owner), sql.Identifier(grantee)))

    def _revoke(self, name, host, database):
        role = sql.Identifier(name)
        with self._connection("Revoking access from '%s'" % name, dbname=database) as conn:
            if self._has_public_schema(conn):
                for peer in self._peers(conn, name):
                    for owner, grantee in ((peer, name), (name, peer)):
                        for kind in ('TABLES', 'SEQUENCES'):
                            conn.execute(sql.SQL(
                                'ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public '
                                'REVOKE ALL ON %s FROM {}' % kind).format(
                                    sql.Identifier(owner), sql.Identifier(grantee)))
                conn.execute(sql.SQL('REVOKE ALL ON SCHEMA public FROM {}').format(role))
                for kind in ('TABLES', 'SEQUENCES'):
                    conn.execute(sql.SQL('REVOKE ALL ON ALL %s IN SCHEMA public FROM {}' % kind)
                                 .format(role))
            conn.execute(sql.SQL('REVOKE ALL PRIVILEGES ON DATABASE {} FROM {}').format(
                sql.Identifier(database), role))

    @staticmethod
    def _has_public_schema(conn):
        return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'public'").fetchone()

    # ------------------------------------------------------------------ root

    def _enable_root(self, password):
        root = sql.Identifier(self.root_user_name)
        with self._connection('Enabling root') as conn:
            verifier = sql.Literal(self._verifier(conn, self.root_user_name, password))
            exists = conn.execute('SELECT 1 FROM pg_roles WHERE rolname = %s',
                                  (self.root_user_name,)).fetchone()
            statement = 'ALTER ROLE {} WITH' if exists else 'CREATE ROLE {} WITH'
            conn.execute(sql.SQL(statement + ' SUPERUSER LOGIN PASSWORD {}').format(
                root, verifier))
            self._retire_legacy_root(conn)

    def _disable_root(self):
        with self._connection('Disabling root') as conn:
            if self._superuser_can_log_in(conn, self.root_user_name):
                conn.execute(sql.SQL('ALTER ROLE {} WITH NOLOGIN PASSWORD NULL').format(
                    sql.Identifier(self.root_user_name)))
            self._retire_legacy_root(conn)

    def _is_root_enabled(self):
        with self._connection('Checking root') as conn:
            return any(self._superuser_can_log_in(conn, name)
                       for name in (self.root_user_name, self.legacy_root_user_name))

    def _retire_legacy_root(self, conn):
        """Take the login of root's old name away, so one root remains, named as upstream's."""
        if self._superuser_can_log_in(conn, self.legacy_root_user_name):
            conn.execute(sql.SQL('ALTER ROLE {} WITH NOLOGIN PASSWORD NULL').format(
                sql.Identifier(self.legacy_root_user_name)))

    @staticmethod
    def _superuser_can_log_in(conn, name):
        return bool(conn.execute('SELECT 1 FROM pg_roles WHERE rolname = %s AND rolsuper '
                                 'AND rolcanlogin', (name,)).fetchone())
