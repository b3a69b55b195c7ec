"""MariaDB: what differs from the base manager.

- Data directory: mariadb-install-db with --no-defaults, then (in bootstrap
  mode, through --extra-file) every account but root@localhost and mariadb.sys
  is removed, so the pristine template has no password-less TCP root.
- Config: one file in run_dir passed with --defaults-file (nothing else read);
  listens on address:3306 and a socket in socket_dir, skip-name-resolve.
- Memory: innodb_buffer_pool_size = max(32, memory_mb // 2) MiB.
- Configuration ('configuration' capability): my.cnf ends with `!include` of
  run_dir/overrides.cnf, a [mariadbd] section of the group's values, so they win.
  A variable SYSTEM_VARIABLES lists as not READ_ONLY changes live (SET GLOBAL;
  a removed one goes back to my.cnf's value, else to DEFAULT); any other name
  waits for the next start, which decides (an unknown name stops mariadbd).
- Admin: os_admin@localhost (socket only) with ALL PRIVILEGES WITH GRANT OPTION.
- Users are name@host (host defaults to '%'); access is ALL PRIVILEGES ON db.*,
  with '_' escaped so a grant never matches other databases by wildcard.
- Root: root@'%' with ALL PRIVILEGES WITH GRANT OPTION but SUPER and
  CONNECTION ADMIN (see access); disable drops it.
- Passwords are sent as mysql_native_password hashes, never in plaintext.
- Access ('access' capability): MariaDB has no rule on client addresses but
  account host parts, which are the tenant's. So every new connection runs
  init_connect (access_rule below): it reads the client's address from USER()
  (skip-name-resolve: always an IP over TCP; 'localhost' over the private
  socket, which is no source, so refused too) and SIGNALs unless the address
  is inside a source, which makes the server drop the connection with error
  1184 before the client runs anything. It is set live with SET GLOBAL and
  passed as --init-connect at every start (option file lines are cut at 4 KiB,
  and 100 CIDRs do not fit). MariaDB skips init_connect for accounts with SUPER
  or CONNECTION ADMIN: only the agent's os_admin (socket only) has them; root
  gets neither, and applying access revokes them from every other account and
  from every role (restored data may carry them, also as a user's default
  role). A restore first starts the engine without TCP (skip-networking) and
  applies the sources there, so no restored account is exempt while clients
  can reach it. What remains: root can still edit the grant tables
  (mysql.global_priv) and FLUSH PRIVILEGES to give itself SUPER, as any
  superuser can undo its limits; sessions open when the rule changes stay open.
- Replication ('replication' capability; the steps are guestagent/replication/mariadb.py):
  GTID replication. Every instance has a server-id of its own (the integer of its IPv4
  address; the low 32 bits of an IPv6 one). Once replication was enabled on an instance
  (the state's 'binlog', kept after a detach), my.cnf has log-bin, relay-log,
  log-slave-updates, binlog-format ROW (a group may change it), gtid-strict-mode and a
  week of binlogs; a replica (or a fenced source) starts with read-only ON, and a replica
  starts its replication threads from master.info in its data directory (the engine's
  own file, which holds the source's replication password). The replication account
  os_repl (REPLICATION SLAVE, BINLOG MONITOR; its password in a 0600 file in run_dir on
  the source only) is subject to init_connect like any other: it is admitted only from
  the state's replication sources, tenants only from theirs. On a replica the agent's
  own sessions do not write the binlog (sql_log_bin off), nor does the admin reset of
  restored data: a transaction of the replica's own would break GTID strict mode.
  read_only stops tenants' accounts; READ_ONLY ADMIN (in ALL PRIVILEGES) would let an
  account write anyway, so it is revoked from root and, with the access exemptions, from
  every account but the agent's; root can still give it back to itself through the
  grant tables, as it can SUPER.
"""
import contextlib
import hashlib
import ipaddress
import os
import pwd
import re

import pymysql

from api_service.guestagent import errors
from api_service.guestagent.datastore import base, overrides

# A fixed redo log size: the template and the running server agree, so the
# server never resizes the log at first start.
INNODB_LOG_FILE_SIZE = '32M'
INNODB_LOG_FILE_BYTES = 32 * base.MIB

# Options the agent sets (paths, network, accounts, plugins, logs, replication), in the
# '_' form: never a configuration group's.
CONTROLLED_PARAMETERS = frozenset({
    'datadir', 'basedir', 'socket', 'pid_file', 'tmpdir', 'secure_file_priv', 'bind_address',
    'port', 'extra_port', 'skip_name_resolve', 'skip_networking', 'user', 'init_connect',
    'init_file', 'init_slave', 'plugin_dir', 'plugin_load', 'plugin_load_add',
    'plugin_maturity', 'character_sets_dir', 'lc_messages_dir', 'log_error', 'general_log_file',
    'slow_query_log_file', 'log_bin', 'log_bin_index', 'relay_log', 'relay_log_index',
    'server_id', 'skip_grant_tables', 'bootstrap', 'ssl', 'ssl_ca', 'ssl_capath', 'ssl_cert',
    'ssl_cipher', 'ssl_crl', 'ssl_crlpath', 'ssl_key', 'innodb_data_home_dir',
    'innodb_log_group_home_dir', 'innodb_undo_directory', 'innodb_tmpdir', 'aria_log_dir_path',
    'log_tc', 'report_host', 'report_port', 'read_only', 'gtid_domain_id', 'log_slave_updates',
    'default_authentication_plugin', 'log_basename', 'master_info_file', 'init_rpl_role',
    # Options that are no system variable, so only the binary's option list knows them
    # (checked while the engine does not run): files, users, debugging, reporting out.
    'chroot', 'des_key_file', 'gdb', 'debug', 'debug_gdb', 'memlock', 'console', 'log_isam',
    'stack_trace', 'symbolic_links', 'tc_heuristic_recover', 'feedback_url',
    'feedback_http_proxy', 'feedback_user_info', 'wsrep_new_cluster', 'getopt_prefix_matching'})

# Option-file modifiers: `loose_x`, `skip_x`, `enable_x`, `disable_x`, `maximum_x` set (or
# bound) another option, which would dodge CONTROLLED_PARAMETERS; never a group's name.
OPTION_PREFIXES = ('loose', 'skip', 'enable', 'disable', 'maximum')

# The agent's own sessions run with limits of their own, whatever small values a configuration
# group gives tenants' sessions (a 1 s wait_timeout or lock_wait_timeout would cut the agent's
# DDL and account changes): as long as its client waits for an answer, no statement limit.
ADMIN_SESSION_INIT = ('SET SESSION wait_timeout = 28800, lock_wait_timeout = 120, '
                      'innodb_lock_wait_timeout = 120, net_read_timeout = 120, '
                      'net_write_timeout = 120, max_statement_time = 0')

# The account replicas log in to their source with; admitted only from the replication sources.
REPLICATION_USER = 'os_repl'
# Binlogs older than this are purged (a replica away longer is seeded again).
BINLOG_EXPIRE_SECONDS = 7 * 24 * 3600

# `SET GLOBAL name = DEFAULT`: a removed value without one in my.cnf.
DEFAULT = object()

# The canary account's database and user (guestagent/replication/canary.py): the service's.
CANARY_NAME = 'os_canary'

SYSTEM_DATABASES = frozenset({'mysql', 'information_schema', 'performance_schema', 'sys',
                              'lost+found', CANARY_NAME})

# What the template keeps: root@localhost (socket only, no password; removed
# at bootstrap) and MariaDB's own definer account.
_TEMPLATE_SQL = """\
DELETE FROM mysql.global_priv WHERE NOT (Host = 'localhost' AND User IN ('root', 'mariadb.sys'));
DELETE FROM mysql.proxies_priv WHERE Host <> 'localhost';
"""

# Errors MariaDB reports that are the tenant's doing, by error number.
_NOT_FOUND = {1008, 1049, 1141, 1147}
_CONFLICT = {1007, 1396}
_BAD_REQUEST = {1115, 1253, 1273, 1470}
_UNREACHABLE = {2002, 2003, 2006, 2013}


def native_password_hash(password):
    """The mysql_native_password hash MariaDB stores, so the plaintext never leaves the agent."""
    inner = hashlib.sha1(password.encode('utf-8')).digest()
    return '*' + hashlib.sha1(inner).hexdigest().upper()


def quote_identifier(name):
    return '`%s`' % name.replace('`', '``')


def grant_identifier(database):
    """A database name for GRANT/REVOKE: '_' and '%' are wildcards there, so escape them."""
    escaped = database.replace('\\', '\\\\').replace('_', '\\_').replace('%', '\\%')
    return quote_identifier(escaped)


def sql_name(name):
    """A variable's name as SQL has it (option files accept '-' for '_')."""
    return name.replace('-', '_')


def render_value(value):
    """A value in an option file: booleans ON/OFF; text quoted (with the escapes option
    files read) unless it is a plain word, as '#' would start a comment."""
    if isinstance(value, bool):
        return 'ON' if value else 'OFF'
    if isinstance(value, (int, float)):
        return repr(value)
    if re.match(r'[A-Za-z0-9_.,:+/-]+\Z', value):
        return value
    return '"%s"' % value.replace('\\', '\\\\').replace('"', '\\"')


def _unescape_grant(database):
    return re.sub(r'\\(.)', r'\1', database)


# init_connect is skipped for accounts with either privilege.
BYPASS_PRIVILEGES = ('SUPER', 'CONNECTION ADMIN')
# Writes on a read-only server (a replica, a fenced source) with this one.
WRITE_BYPASS_PRIVILEGES = ('READ_ONLY ADMIN',)
_CLIENT = "SUBSTRING_INDEX(USER(), '@', -1)"


def _ranges(networks):
    return ' OR '.join('(LENGTH(a) = %d AND a BETWEEN 0x%s AND 0x%s)' % (
        len(n.network_address.packed), n.network_address.packed.hex().upper(),
        n.broadcast_address.packed.hex().upper()) for n in networks) or 'FALSE'


def _admits_all(networks):
    return {n.version for n in networks if n.prefixlen == 0} == {4, 6}


def access_rule(sources, replication_sources=None, canary_sources=None):
    """The init_connect statement admitting clients only from `sources` (CIDR texts).

    '' when every address is admitted (or no sources were ever sent); [] admits no
    client. With `replication_sources` (a list once replication was enabled), the
    replication account is admitted from those only, and tenants from `sources`. The
    address is compared as INET6_ATON's bytes against each network's first and last
    address, of the same length (4 bytes IPv4, 16 IPv6). The socket's clients
    ('localhost', no address) are refused like any other: the agent's os_admin, the
    one account meant to use it, is exempt from init_connect through SUPER. With
    `canary_sources` (while the canary account exists: guestagent/replication/canary.py),
    the canary account is admitted from those, whatever the tenants' sources.
    """
    networks = None
    if sources is not None:
        networks = [ipaddress.ip_network(source, strict=False) for source in sources]
    tenants = 'TRUE' if networks is None or _admits_all(networks) else _ranges(networks)
    if replication_sources is None:
        if tenants == 'TRUE' and canary_sources is None:
            return ''
        admitted = tenants
    else:
        # CURRENT_USER(): the account that logged in ('user@host', no quotes).
        replicas = _ranges([ipaddress.ip_network(source, strict=False)
                            for source in replication_sources])
        admitted = "IF(CURRENT_USER() = '%s@%%', %s, %s)" % (REPLICATION_USER, replicas,
                                                             tenants)
    if canary_sources is not None:
        # CURRENT_USER() of the canary is 'os_canary@<its host pattern>': compared as
        # bytes with exactly those (a tenant's 'OS_CANARY' or 'os_canary@x' is a tenant).
        from api_service.guestagent.replication import canary as canary_account
        networks = [ipaddress.ip_network(source, strict=False) for source in canary_sources]
        accounts = sorted({'%s@%s' % (CANARY_NAME, canary_account.mariadb_host(str(n)))
                           for n in networks})
        canary = _ranges(networks)
        if accounts:
            admitted = 'IF(CAST(CURRENT_USER() AS BINARY) IN (%s), %s, %s)' % (
                ', '.join("'%s'" % account for account in accounts), canary, admitted)
    return ('BEGIN NOT ATOMIC DECLARE a VARBINARY(16) DEFAULT INET6_ATON(%s); '
            'IF NOT COALESCE(%s, FALSE) THEN '
            "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = "
            "'Connections from this address are not allowed on this instance'; "
            'END IF; END' % (_CLIENT, admitted))


def _sql_value(value):
    if isinstance(value, bool):
        return 'ON' if value else 'OFF'
    return value


class MariaDBManager(base.EngineManager):
    """Drives one mariadbd."""

    manager = 'mariadb'
    display_name = 'MariaDB'
    default_port = 3306
    # user_hosts: its users are name@host (accounts.py GuestAccounts.supports_host).
    capabilities = frozenset({'databases', 'users', 'root', 'access', 'configuration',
                              'modules', 'user_hosts', 'replication'})
    # The spec's stable engine is the MySQL family; every capability API and suite here.
    maturity = 'stable'
    access_exemptions_in_data = True
    overrides_file = 'overrides.cnf'
    controlled_parameters = CONTROLLED_PARAMETERS
    parameter_name_pattern = re.compile(r'[a-z][a-z0-9_]*\Z')
    binary_name = 'mariadbd'
    root_user_name = 'root'
    reserved_databases = SYSTEM_DATABASES
    reserved_users = frozenset({'os_admin', REPLICATION_USER, CANARY_NAME, 'root', 'mariadb.sys',
                                'mysql', 'PUBLIC'})
    database_name_max = 64
    user_name_max = 80

    def _is_reserved_user(self, name):
        """Reserved whatever its case: a tenant's 'OS_CANARY' or 'Root' would read as the
        service's own account in a list."""
        folded = name.casefold() if isinstance(name, str) else name
        return super()._is_reserved_user(name) or folded in {
            user.casefold() for user in self.reserved_users}

    # ------------------------------------------------------------ settings

    @classmethod
    def memory_setting_bytes(cls, memory_mb):
        """innodb_buffer_pool_size: half the flavor's RAM, at least 32 MiB.

        Half, not the usual 70-80 % of a dedicated server, because the rest of
        mariadbd (per-connection buffers, Aria, the dictionary) needs room on
        small flavors too.
        """
        return max(32, memory_mb // 2) * base.MIB

    def _config_path(self):
        return self._run_file('my.cnf')

    def _write_config(self, bootstrap=False):
        for name in ('tmp', 'files'):
            self._make_dir(self._run_file(name))
        lines = [
            '[mariadbd]',
            'datadir = %s' % self.engine_data_dir,
            'socket = %s' % self.socket_path,
            'pid-file = %s' % self._run_file('mariadbd.pid'),
            'tmpdir = %s' % self._run_file('tmp'),
            'secure-file-priv = %s' % self._run_file('files'),
            'bind-address = %s' % self.address,
            'port = %d' % self.port,
            'skip-name-resolve',
            'server-id = %d' % self.server_id,
        ]
        lines += self._replication_lines()
        lines += ['%s = %s' % (name, render_value(value))
                  for name, value in self._base_settings().items()]
        if self._uid == 0:
            # The agent runs as root and was asked to run the engine as itself.
            lines.append('user = root')
        if self._socket_only:
            lines.append('skip-networking')     # base.start_restored: no TCP yet
        # Last, so the configuration group's values win.
        lines.append('!include %s' % self.overrides_path)
        self._write_overrides()
        self._write_file(self._config_path(), '\n'.join(lines) + '\n')

    @property
    def server_id(self):
        """This instance's own server-id (1..2**32-1), from its address: unique among
        instances on one network, as replication needs."""
        return int(ipaddress.ip_address(self.address)) % 0xFFFFFFFF or 1

    def _binlogging(self, state=None):
        """True once replication was enabled here (kept after a detach)."""
        return bool((state or self._load_state()).get('binlog'))

    def _read_only_at_start(self, state=None):
        state = state or self._load_state()
        return state.get('replication_role') == 'replica' or bool(state.get('replication_fenced'))

    def _replication_lines(self):
        state = self._load_state()
        lines = []
        if self._binlogging(state):
            lines += ['log-bin = binlog', 'log-bin-index = binlog.index',
                      'relay-log = relay-bin', 'relay-log-index = relay-bin.index',
                      'log-slave-updates = ON', 'gtid-strict-mode = ON']
        if self._read_only_at_start(state):
            lines.append('read-only = ON')
        return lines

    def _replication_sources(self):
        """The CIDRs the replication account is admitted from; None before replication."""
        state = self._load_state()
        if not self._binlogging(state):
            return None
        return list(state.get('replication_sources') or [])

    def _access_rule(self):
        return access_rule(self.access_sources, self._replication_sources(),
                           self._load_state().get('canary_sources'))

    def _base_settings(self):
        """The tunable settings of my.cnf: what a group's value overrides, and what a value
        the group no longer sets goes back to."""
        settings = self._own_base_settings()
        if self._binlogging():
            # Row events replicate whatever a tenant's function does, so tenants without
            # SUPER may create functions as without a binlog.
            settings.update(binlog_format='ROW', binlog_expire_logs_seconds=BINLOG_EXPIRE_SECONDS,
                            log_bin_trust_function_creators=1)
        return settings

    def _own_base_settings(self):
        return {
            'local_infile': 0,
            'character_set_server': 'utf8mb4',
            'collation_server': 'utf8mb4_general_ci',
            'innodb_buffer_pool_size': self.memory_setting_bytes(self.memory_mb),
            'innodb_log_file_size': INNODB_LOG_FILE_BYTES,
            'max_connections': 100,
        }

    def _command(self):
        # Full option names only: the option parser would take a unique abbreviation
        # ('bind_addr') for the option it abbreviates, past CONTROLLED_PARAMETERS.
        argv = [self.binary, '--defaults-file=%s' % self._config_path(),
                '--skip-getopt-prefix-matching']
        rule = self._access_rule()
        if rule:
            argv.append('--init-connect=%s' % rule)
        return argv

    def _apply_access_live(self):
        with self._cursor('Applying the access rules') as cursor:
            cursor.execute('SET GLOBAL init_connect = %s', (self._access_rule(),))
            self._revoke_bypass(cursor)

    def _revoke_bypass(self, cursor):
        """Make every account but the agent's subject to init_connect: revoke what exempts
        from it from every other user and every role (a user's default role, or one it
        sets, would carry the exemption to it)."""
        privileges = BYPASS_PRIVILEGES + WRITE_BYPASS_PRIVILEGES
        revoke = 'REVOKE %s ON *.* FROM ' % ', '.join(privileges)
        cursor.execute('SELECT DISTINCT GRANTEE FROM information_schema.USER_PRIVILEGES '
                       'WHERE PRIVILEGE_TYPE IN %s', (privileges,))
        for (grantee,) in cursor.fetchall():
            user = re.match(r"^'(.*)'@'(.*)'$", grantee)
            if not user:
                raise errors.EngineError('MariaDB listed a grantee the agent cannot read.',
                                         details=grantee)
            if user.groups() not in ((self.admin_user, 'localhost'),
                                     ('mariadb.sys', 'localhost')):
                cursor.execute(revoke + '%s@%s', user.groups())
        # USER_PRIVILEGES lists no roles: revoke from each (revoking what a role lacks is
        # no error), by name as the grant tables have it.
        cursor.execute("SELECT User FROM mysql.user WHERE is_role = 'Y'")
        for (role,) in cursor.fetchall():
            cursor.execute(revoke + quote_identifier(role))

    def _install_db(self):
        for candidate in (os.path.join(self.engine_path, 'mariadb-install-db'),
                          os.path.join(os.path.dirname(self.engine_path), 'bin',
                                       'mariadb-install-db'),
                          '/usr/bin/mariadb-install-db'):
            if os.access(candidate, os.X_OK):
                return candidate
        raise errors.EngineError('mariadb-install-db was not found next to %s.' % self.binary)

    def _init_data(self, target):
        extra = self._run_file('template-init.sql')
        self._write_file(extra, _TEMPLATE_SQL)
        argv = [self._install_db(), '--no-defaults', '--datadir=%s' % target,
                '--auth-root-authentication-method=normal', '--skip-test-db',
                '--skip-name-resolve', '--extra-file=%s' % extra,
                '--innodb-log-file-size=%s' % INNODB_LOG_FILE_SIZE,
                '--tmpdir=%s' % self.run_dir]
        if self._uid == 0:
            argv.append('--user=%s' % pwd.getpwuid(0).pw_name)
        try:
            self._run(argv, 'Initialising the MariaDB data directory')
        finally:
            os.unlink(extra)

    # --------------------------------------------------------- configuration

    def _controlled_name(self, name):
        return sql_name(name)

    def _check_parameter_name(self, name):
        # The '-' forms and the modifiers are the option parser's, not variables' names.
        if isinstance(name, str) and '-' in name and len(name) <= overrides.NAME_MAX:
            raise errors.BadRequest("'%s' is not a MariaDB parameter name: write it as "
                                    "SHOW VARIABLES lists it, with '_' ('%s')."
                                    % (name, sql_name(name)))
        name = super()._check_parameter_name(name)
        prefix = name.split('_', 1)[0]
        if prefix in OPTION_PREFIXES and '_' in name:
            raise errors.BadRequest("'%s' is not a MariaDB parameter name: '%s_' is an "
                                    'option-file modifier; name the variable itself.'
                                    % (name, prefix))
        return name

    def _check_known_names(self, names):
        """BadRequest unless each name is exactly one of the engine's variables: from
        SYSTEM_VARIABLES while it runs, else from the binary's list of its options."""
        if not names:
            return
        if self.pid() is not None:
            with self._cursor('Checking the parameter names') as cursor:
                cursor.execute('SELECT LOWER(VARIABLE_NAME) FROM '
                               'information_schema.SYSTEM_VARIABLES '
                               'WHERE LOWER(VARIABLE_NAME) IN %s', (tuple(names),))
                known = {row[0] for row in cursor.fetchall()}
        else:
            known = self._option_names()
        unknown = sorted(set(names) - known)
        if unknown:
            raise errors.BadRequest("MariaDB has no parameter '%s'." % unknown[0])

    def _option_names(self):
        """The names mariadbd takes in an option file, in the '_' form (`--help --verbose`
        lists them under a dashed rule, one per line, until a blank line)."""
        names = getattr(self, '_options_cache', None)
        if names is None:
            text = self._run([self.binary, '--no-defaults', '--verbose', '--help'],
                             'Listing the MariaDB options', timeout=30).stdout
            table = re.split(r'\n-{20,} -+\n', text, 1)
            if len(table) != 2:
                raise errors.EngineError('The MariaDB options could not be listed.')
            lines = table[1].split('\n\n')[0].splitlines()
            names = {sql_name(line.split()[0]) for line in lines if line.strip()}
            self._options_cache = names
        return names

    def _render_overrides(self, values):
        lines = ['[mariadbd]'] + ['%s = %s' % (name, render_value(value))
                                  for name, value in sorted(values.items())]
        return '\n'.join(lines) + '\n'

    def _apply_overrides_live(self, applied, values):
        changed = sorted(overrides.differing(applied, values))
        if not changed:
            return dict(applied)
        defaults = self._base_settings()
        with self._cursor('Applying the configuration') as cursor:
            # The engine's word on what changes live; a name it does not list waits for
            # the next start, which decides.
            cursor.execute("SELECT LOWER(VARIABLE_NAME) FROM information_schema.SYSTEM_VARIABLES "
                           "WHERE READ_ONLY = 'NO' AND LOWER(VARIABLE_NAME) IN %s",
                           (tuple(sql_name(name) for name in changed),))
            dynamic = {row[0] for row in cursor.fetchall()}
            steps = [(name, values[name] if name in values
                      else defaults.get(sql_name(name), DEFAULT))
                     for name in changed if sql_name(name) in dynamic]

            def current(name):
                try:
                    cursor.execute('SELECT @@GLOBAL.%s' % sql_name(name))
                except pymysql.MySQLError as exc:
                    raise self._refusal(exc, name)
                return cursor.fetchone()[0]

            def assign(name, value):
                statement = 'SET GLOBAL %s = ' % sql_name(name)
                try:
                    if value is DEFAULT:
                        cursor.execute(statement + 'DEFAULT')
                    else:
                        cursor.execute(statement + '%s', (_sql_value(value),))
                except pymysql.MySQLError as exc:
                    raise self._refusal(exc, name)
                return True

            taken = self._apply_each(steps, current, assign)
        live = dict(applied)
        for name in taken:
            if name in values:
                live[name] = values[name]
            else:
                live.pop(name, None)
        return live

    def _refusal(self, exc, name):
        """MariaDB's refusal of a value, in its words; a lost server stays an engine error."""
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        if code in _UNREACHABLE or code is None:
            return self._translate(exc, "Setting '%s'" % name)
        return overrides.bad_value(self.display_name, name, exc.args[1])

    def _read_configuration(self, names):
        by_sql_name = {sql_name(name): name for name in names}
        with self._cursor('Reading the configuration') as cursor:
            cursor.execute('SELECT LOWER(VARIABLE_NAME), VARIABLE_VALUE '
                           'FROM information_schema.GLOBAL_VARIABLES '
                           'WHERE LOWER(VARIABLE_NAME) IN %s', (tuple(by_sql_name),))
            return {by_sql_name[name]: value for name, value in cursor.fetchall()}

    def _start_failure_reason(self, log_text):
        # "... [ERROR] /usr/sbin/mariadbd: unknown variable 'x=1'": the first error says why;
        # "[ERROR] Aborting" only says that it stopped. Some refusals (an unknown character
        # set) come as a bare "mariadbd: ..." line without the tag.
        for line in log_text.splitlines():
            if '[ERROR] ' in line:
                message = line.split('[ERROR] ', 1)[1].strip()
            elif re.match(r'^\S*mariadbd: ', line):
                message = line.strip()
            else:
                continue
            message = re.sub(r'^\S*mariadbd: ', '', message).strip()
            if message and message != 'Aborting':
                return message
        return ''

    # ---------------------------------------------------------- connections

    def _translate(self, exc, what):
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        text = exc.args[1] if len(exc.args) > 1 else str(exc)
        if code in _UNREACHABLE:
            return errors.EngineError('MariaDB is not reachable; it may be stopped.',
                                      details=text)
        if code in _NOT_FOUND:
            return errors.NotFound('%s: %s' % (what, text))
        if code in _CONFLICT:
            return errors.Conflict('%s: %s' % (what, text))
        if code in _BAD_REQUEST:
            return errors.BadRequest('%s: %s' % (what, text))
        return errors.EngineError('%s failed (MariaDB error %s).' % (what, code), details=text)

    @contextlib.contextmanager
    def _cursor(self, what, user=None, password=None):
        """A cursor on an autocommit connection over the private socket."""
        init = None
        if user is None:
            init = ADMIN_SESSION_INIT
            if self._load_state().get('replication_role') == 'replica':
                # Nothing of the replica's own in its binlog (GTID strict mode).
                init += ', sql_log_bin = 0'
        try:
            conn = pymysql.connect(
                unix_socket=self.socket_path, user=user or self.admin_user,
                password=self.admin_password if user is None else (password or ''),
                autocommit=True, connect_timeout=5, read_timeout=120, write_timeout=120,
                charset='utf8mb4', init_command=init)
        except pymysql.MySQLError as exc:
            raise self._translate(exc, what)
        try:
            with conn.cursor() as cursor:
                yield cursor
        except pymysql.MySQLError as exc:
            raise self._translate(exc, what)
        finally:
            conn.close()

    def _ping(self):
        try:
            conn = pymysql.connect(unix_socket=self.socket_path, user=self.admin_user,
                                   password=self.admin_password, connect_timeout=2)
        except pymysql.err.OperationalError as exc:
            # Access denied still means the server is up and answering.
            return bool(exc.args) and exc.args[0] in (1044, 1045, 1698)
        except pymysql.MySQLError:
            return False
        conn.close()
        return True

    # ----------------------------------------------- restored admin account

    @property
    def _admin_reset_file(self):
        return self._run_file('admin-reset.sql')

    def defer_admin_reset(self):
        # --init-file runs before the server accepts a connection. It holds the
        # password's hash only, in the private run directory.
        digest = native_password_hash(self.admin_password)
        user = "'%s'@'localhost'" % self.admin_user
        # Not in the binlog: this instance's own account, never replicated (and on a
        # replica a transaction of its own would break GTID strict mode).
        self._write_file(self._admin_reset_file, ''.join(statement + ';\n' for statement in (
            'SET SESSION sql_log_bin = 0',
            "CREATE USER IF NOT EXISTS %s IDENTIFIED BY PASSWORD '%s'" % (user, digest),
            "ALTER USER %s IDENTIFIED BY PASSWORD '%s' ACCOUNT UNLOCK" % (user, digest),
            'GRANT ALL PRIVILEGES ON *.* TO %s WITH GRANT OPTION' % user)))
        super().defer_admin_reset()

    def _admin_reset_args(self):
        return ['--init-file=%s' % self._admin_reset_file]

    def _complete_admin_reset(self):
        try:
            os.unlink(self._admin_reset_file)
        except FileNotFoundError:
            pass

    # ------------------------------------------------------------- lifecycle

    def _bootstrap(self):
        digest = native_password_hash(self.admin_password)
        try:
            with self._cursor('Checking the admin account') as cursor:
                cursor.execute('SELECT 1')
        except errors.GuestError:
            # A fresh template: only root@localhost, over the socket, no password.
            with self._cursor('Creating the admin account', user='root') as cursor:
                cursor.execute('CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY PASSWORD %s',
                               (self.admin_user, 'localhost', digest))
                cursor.execute('ALTER USER %s@%s IDENTIFIED BY PASSWORD %s',
                               (self.admin_user, 'localhost', digest))
                cursor.execute('GRANT ALL PRIVILEGES ON *.* TO %s@%s WITH GRANT OPTION',
                               (self.admin_user, 'localhost'))
        with self._cursor('Securing the server') as cursor:
            cursor.execute("SELECT User, Host FROM mysql.user WHERE User IN ('root', '')")
            for user, host in cursor.fetchall():
                cursor.execute('DROP USER %s@%s', (user, host))

    def current_memory_setting(self):
        with self._cursor('Reading the buffer pool size') as cursor:
            cursor.execute('SELECT @@innodb_buffer_pool_size')
            return int(cursor.fetchone()[0])

    def engine_version(self):
        with self._cursor('Reading the version') as cursor:
            cursor.execute('SELECT VERSION()')
            return cursor.fetchone()[0]

    def activity(self):
        # Questions: statements clients sent (this one too), not those of stored programs.
        with self._cursor('Reading the status counters') as cursor:
            cursor.execute("SHOW GLOBAL STATUS WHERE Variable_name IN "
                           "('Questions', 'Threads_connected')")
            counters = {name: int(value) for name, value in cursor.fetchall()}
        return {'connections': counters['Threads_connected'], 'queries': counters['Questions']}

    # ------------------------------------------------------------- databases

    def _list_databases(self):
        with self._cursor('Listing databases') as cursor:
            cursor.execute('SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, '
                           'DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA')
            return [{'name': name, 'character_set': charset, 'collate': collate}
                    for name, charset, collate in cursor.fetchall()
                    if not name.startswith('#')]

    def _charset_clause(self, cursor, spec):
        """CHARACTER SET / COLLATE, checked against the server's own tables first."""
        charset, collate = spec['character_set'], spec['collate']
        if collate:
            cursor.execute('SELECT CHARACTER_SET_NAME FROM information_schema.COLLATIONS '
                           'WHERE COLLATION_NAME = %s', (collate,))
            row = cursor.fetchone()
            if row is None:
                raise errors.BadRequest("Unknown collation '%s'." % collate)
            if charset and charset.lower() != row[0].lower():
                raise errors.BadRequest("Collation '%s' does not belong to character set '%s'."
                                        % (collate, charset))
            charset = charset or row[0]
        if charset:
            cursor.execute('SELECT 1 FROM information_schema.CHARACTER_SETS '
                           'WHERE CHARACTER_SET_NAME = %s', (charset,))
            if cursor.fetchone() is None:
                raise errors.BadRequest("Unknown character set '%s'." % charset)
        clause = ''
        if charset:
            clause += ' CHARACTER SET %s' % charset
        if collate:
            clause += ' COLLATE %s' % collate
        return clause

    def _create_database(self, spec):
        with self._cursor("Creating database '%s'" % spec['name']) as cursor:
            clause = self._charset_clause(cursor, spec)
            cursor.execute('CREATE DATABASE %s%s' % (quote_identifier(spec['name']), clause))

    def _delete_database(self, name):
        with self._cursor("Deleting database '%s'" % name) as cursor:
            cursor.execute('DROP DATABASE %s' % quote_identifier(name))
            # MariaDB keeps grants on dropped databases; a new database of the
            # same name must not inherit them.
            for user, host, stored in self._grant_rows(cursor, database=name):
                cursor.execute('REVOKE ALL PRIVILEGES ON %s.* FROM %%s@%%s'
                               % quote_identifier(stored), (user, host))

    # ----------------------------------------------------------------- users

    @staticmethod
    def _grant_rows(cursor, user=None, host=None, database=None):
        """(user, host, stored Db) rows of database-level grants, filtered."""
        cursor.execute('SELECT User, Host, Db FROM mysql.db')
        rows = []
        for row_user, row_host, stored in cursor.fetchall():
            if user is not None and (row_user, row_host) != (user, host):
                continue
            if database is not None and _unescape_grant(stored) != database:
                continue
            rows.append((row_user, row_host, stored))
        return rows

    def _list_users(self, name=None, host=None):
        with self._cursor('Listing users') as cursor:
            if name is None:
                cursor.execute("SELECT User, Host FROM mysql.user WHERE is_role = 'N'")
            else:
                cursor.execute("SELECT User, Host FROM mysql.user WHERE is_role = 'N' "
                               'AND User = %s AND Host = %s', (name, host))
            users = {(row_user, row_host): [] for row_user, row_host in cursor.fetchall()}
            for row_user, row_host, stored in self._grant_rows(cursor, user=name, host=host):
                if (row_user, row_host) in users:
                    users[(row_user, row_host)].append(_unescape_grant(stored))
        return [{'name': row_user, 'host': row_host, 'databases': sorted(set(dbs))}
                for (row_user, row_host), dbs in users.items()]

    def _find_user(self, name, host):
        found = self._list_users(name, host)
        return found[0] if found else None

    def _create_user(self, spec):
        with self._cursor("Creating user '%s'" % spec['name']) as cursor:
            cursor.execute('CREATE USER %s@%s IDENTIFIED BY PASSWORD %s',
                           (spec['name'], spec['host'], native_password_hash(spec['password'])))
        if spec['databases']:
            self._grant(spec['name'], spec['host'], spec['databases'])

    def _delete_user(self, name, host):
        with self._cursor("Deleting user '%s'" % name) as cursor:
            cursor.execute('DROP USER %s@%s', (name, host))

    def _set_password(self, name, host, password):
        with self._cursor("Changing the password of '%s'" % name) as cursor:
            cursor.execute('ALTER USER %s@%s IDENTIFIED BY PASSWORD %s',
                           (name, host, native_password_hash(password)))

    def _rename_user(self, name, host, new_name, new_host):
        with self._cursor("Renaming user '%s'" % name) as cursor:
            cursor.execute('RENAME USER %s@%s TO %s@%s', (name, host, new_name, new_host))

    def _grant(self, name, host, databases):
        with self._cursor("Granting access to '%s'" % name) as cursor:
            for database in databases:
                cursor.execute('GRANT ALL PRIVILEGES ON %s.* TO %%s@%%s'
                               % grant_identifier(database), (name, host))

    def _revoke(self, name, host, database):
        with self._cursor("Revoking access from '%s'" % name) as cursor:
            for user, row_host, stored in self._grant_rows(cursor, name, host, database):
                cursor.execute('REVOKE ALL PRIVILEGES ON %s.* FROM %%s@%%s'
                               % quote_identifier(stored), (user, row_host))

    # ------------------------------------------------------------------ root

    def _enable_root(self, password):
        digest = native_password_hash(password)
        with self._cursor('Enabling root') as cursor:
            cursor.execute('CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY PASSWORD %s',
                           ('root', '%', digest))
            cursor.execute('ALTER USER %s@%s IDENTIFIED BY PASSWORD %s', ('root', '%', digest))
            cursor.execute('GRANT ALL PRIVILEGES ON *.* TO %s@%s WITH GRANT OPTION', ('root', '%'))
            # Either privilege would exempt root from the access rule (init_connect); the
            # last would let it write on a replica.
            cursor.execute('REVOKE %s ON *.* FROM %%s@%%s' % ', '.join(
                BYPASS_PRIVILEGES + WRITE_BYPASS_PRIVILEGES), ('root', '%'))

    def _disable_root(self):
        with self._cursor('Disabling root') as cursor:
            cursor.execute('DROP USER IF EXISTS %s@%s', ('root', '%'))

    def _is_root_enabled(self):
        with self._cursor('Checking root') as cursor:
            cursor.execute("SELECT COUNT(*) FROM mysql.user WHERE User = 'root'")
            return cursor.fetchone()[0] > 0
