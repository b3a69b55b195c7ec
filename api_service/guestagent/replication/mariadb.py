"""MariaDB replication: GTID, each replica seeded from a mariadb-backup of its source.

Source: enable_source turns the binlog on (the manager's state 'binlog': log-bin,
log-slave-updates, ROW events, GTID strict mode; one restart when the running engine has
no binlog yet), makes the account os_repl (REPLICATION SLAVE, BINLOG MONITOR; the statement
goes to the binlog, so every replica has the account too and a promoted one only changes
its password) and admits it from `sources` only (the manager's init_connect rule).

Replica: the service restores the source's backup, then attach starts the restored data
as start_restored does (the admin credential this instance's, the access rule enforced
before TCP) with read_only on, empties its own binlog and starts it at the backup's GTID
position (gtid_binlog_state, so a replica promoted later can serve the others from
exactly there), sets gtid_slave_pos to it and follows with MASTER_USE_GTID=slave_pos.
The position comes from the restored data itself: mariadb-backup's
xtrabackup_binlog_info stays in the data directory. master.info (in the data directory,
the engine's own file, holding the source's replication password) starts the replication
threads again at every start; read_only comes from my.cnf.

Switchovers: fence sets read_only (kept across restarts) and answers the source's
gtid_binlog_pos; wait_for is MASTER_GTID_WAIT; promote lets the SQL thread apply what it
received, forgets the source (RESET SLAVE ALL) and serves as enable_source does with a new
password; follow (a replica, or the fenced old source with was_source) continues from its
own gtid_binlog_pos, which log-slave-updates keeps complete. A position's order is the
sum of the sequence numbers of gtid_binlog_pos (domain 0's alone unless someone with
SUPER changed the domain).

read_only stops every account but the agent's: tenants' accounts have no global
privilege, and READ_ONLY ADMIN is revoked from root (see datastore/mariadb.py). The
replication password is never logged nor put in an error: engine errors of CHANGE MASTER
are reported without the statement.
"""
import logging
import os
import re
import time

import pymysql

from api_service.guestagent import errors
from api_service.guestagent.datastore import mariadb, util
from api_service.guestagent.replication import REPLICA, SOURCE, ReplicationStrategy

LOG = logging.getLogger(__name__)

SECRET_FILE = 'replication.secret'
# The file mariadb-backup leaves in a prepared data directory: "binlog.000001 328 0-1-7".
BINLOG_INFO_FILES = ('xtrabackup_binlog_info', 'mariadb_backup_binlog_info')
# How often a replica tries to reach a source that is gone (the default is 60 s).
CONNECT_RETRY = 5
# A replica's threads connecting after START SLAVE.
FOLLOW_TIMEOUT = 30
# What the SQL thread received but did not apply yet, applied before a promotion.
APPLY_TIMEOUT = 60
# position() lets the SQL thread apply what it has for this long at most.
POSITION_APPLY_TIMEOUT = 5
# The source refused the replication account's login.
ACCESS_DENIED = (1045,)
_GTID_LIST = re.compile(r'\A(\d+-\d+-\d+(,\s*\d+-\d+-\d+)*)?\Z')


def order_of(gtid_position):
    """The int that grows with a GTID position's history: its sequence numbers added."""
    return sum(int(item.split('-')[2]) for item in gtid_position.split(',') if item.strip())


def check_gtid(position):
    if not isinstance(position, str) or not _GTID_LIST.match(position.strip()):
        raise errors.BadRequest('The position is not a MariaDB GTID position.')
    return position.strip()


class MariaDBReplication(ReplicationStrategy):
    """GTID replication of one mariadbd (the manager drives the engine)."""

    seed = 'backup'

    # ------------------------------------------------------------------ helpers

    @property
    def _secret_path(self):
        return self.manager._run_file(SECRET_FILE)

    def _password(self):
        """This source's replication password: kept so enable_source answers the same again."""
        try:
            with open(self._secret_path) as handle:
                password = handle.read().strip()
            if password:
                return password
        except FileNotFoundError:
            pass
        password = util.generate_password()
        self.manager._write_file(self._secret_path, password + '\n')
        return password

    def _forget_password(self):
        try:
            os.unlink(self._secret_path)
        except FileNotFoundError:
            pass

    def _require_running(self):
        if not self.manager.is_running():
            raise errors.EngineError('MariaDB is not running.')

    def _query(self, what, statement, args=None):
        with self.manager._cursor(what) as cursor:
            cursor.execute(statement, args)
            return cursor.fetchall()

    def _variables(self, *names):
        with self.manager._cursor('Reading the replication position') as cursor:
            cursor.execute('SELECT %s' % ', '.join('@@GLOBAL.%s' % name for name in names))
            return cursor.fetchone()

    def _slave_status(self, cursor=None):
        """SHOW SLAVE STATUS as a dict, or None when this server follows no source."""
        if cursor is None:
            with self.manager._cursor('Reading the replication status') as own:
                return self._slave_status(own)
        cursor.execute('SHOW SLAVE STATUS')
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([column[0] for column in cursor.description], row))

    def _applied_all(self):
        """True when the SQL thread applied everything the IO thread received (or stopped)."""
        status = self._slave_status()
        if status is None or status.get('Slave_SQL_Running') != 'Yes':
            return True
        return (status.get('Relay_Master_Log_File') == status.get('Master_Log_File')
                and status.get('Exec_Master_Log_Pos') == status.get('Read_Master_Log_Pos'))

    def _apply_received(self, timeout):
        """Let the SQL thread apply what it received, for at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not self._applied_all():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def _binlog_position(self):
        position, current = self._variables('gtid_binlog_pos', 'gtid_current_pos')
        return position or current or ''

    def _save(self, **changes):
        self.manager._save_state(**changes)
        self.manager._write_config(bootstrap=False)

    def _restored_gtid(self):
        """The GTID position of the backup restored into the data directory."""
        for name in BINLOG_INFO_FILES:
            path = os.path.join(self.manager.engine_data_dir, name)
            try:
                with open(path) as handle:
                    fields = handle.read().split()
            except FileNotFoundError:
                continue
            return check_gtid(fields[2] if len(fields) > 2 else '')
        raise errors.BadRequest('The restored backup has no binlog position: it was taken '
                                'before replication was enabled on its source.')

    @staticmethod
    def _check_source_info(source_info):
        if not isinstance(source_info, dict) or not all(
                source_info.get(key) for key in ('host', 'port', 'user', 'password')):
            raise errors.BadRequest('The replication source is incomplete.')
        return source_info

    # -- the source's side ---------------------------------------------------------------

    def enable_source(self, replica_ids, sources):
        manager = self.manager
        sources = manager._check_sources(sources)
        with manager._lock:
            self._require_running()
            state = manager._load_state()
            if state.get('replication_role') == REPLICA:
                raise errors.Conflict('This instance is a replica: it cannot serve replicas.')
            known = list(state.get('replication_sources') or [])
            ids = list(state.get('replica_ids') or [])
            self._save(binlog=True, replication_role=SOURCE,
                       replication_sources=known + [s for s in sources if s not in known],
                       replica_ids=ids + [i for i in (replica_ids or []) if i not in ids])
            log_bin, server_id = self._variables('log_bin', 'server_id')
            if not int(log_bin) or int(server_id) != manager.server_id:
                LOG.info('mariadb: restarting once to write the binlog replicas need')
                manager.restart()
            password = self._password()
            self._account(password)
            manager._apply_access_live()
            LOG.info('mariadb: serving replicas (%d known)', len(
                manager._load_state().get('replica_ids') or []))
            return self._source_info(password)

    def _account(self, password):
        digest = mariadb.native_password_hash(password)
        user = (mariadb.REPLICATION_USER, '%')
        with self.manager._cursor('Creating the replication account') as cursor:
            cursor.execute('CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY PASSWORD %s',
                           user + (digest,))
            cursor.execute('ALTER USER %s@%s IDENTIFIED BY PASSWORD %s', user + (digest,))
            cursor.execute('GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO %s@%s', user)

    def _source_info(self, password):
        return {'host': self.manager.address, 'port': self.manager.port,
                'user': mariadb.REPLICATION_USER, 'password': password, 'seed': self.seed}

    def forget_replica(self, replica_id):
        # A MariaDB source keeps nothing per replica but its id (no slot, no file).
        with self.manager._lock:
            ids = list(self.manager._load_state().get('replica_ids') or [])
            forgotten = replica_id in ids
            if forgotten:
                ids.remove(replica_id)
                self.manager._save_state(replica_ids=ids)
            return {'replica_id': replica_id, 'forgotten': forgotten}

    # -- the replica's side --------------------------------------------------------------

    def attach(self, source_info, restored):
        self._check_source_info(source_info)
        if not restored:
            raise errors.BadRequest('A MariaDB replica is seeded from a backup of its source.')
        manager = self.manager
        with manager._lock:
            gtid = self._restored_gtid()
            self._forget_password()
            self._save(binlog=True, replication_role=REPLICA, replication_fenced=False,
                       replication_source='%s:%s' % (source_info['host'], source_info['port']),
                       replication_sources=[], replica_ids=[])
            manager.start_restored()
            self._start_following(source_info, gtid, new_binlog=True)
            LOG.info('mariadb: replica of %s from GTID %s', source_info['host'], gtid)
            return self.position()

    def _start_following(self, source_info, gtid, new_binlog=False):
        """Follow `source_info` from `gtid` (read_only on); return once both threads run."""
        info = self._check_source_info(source_info)
        with self.manager._cursor('Following the source') as cursor:
            cursor.execute('SET GLOBAL read_only = ON')
            cursor.execute('STOP SLAVE')
            cursor.execute('RESET SLAVE ALL')
            if new_binlog:
                # The replica's binlog starts where its data does, so that, promoted, it
                # serves the others from there.
                cursor.execute('RESET MASTER')
                if gtid:
                    cursor.execute('SET GLOBAL gtid_binlog_state = %s', (gtid,))
            cursor.execute('SET GLOBAL gtid_slave_pos = %s', (gtid,))
            try:
                cursor.execute(
                    'CHANGE MASTER TO MASTER_HOST = %s, MASTER_PORT = %s, MASTER_USER = %s, '
                    'MASTER_PASSWORD = %s, MASTER_CONNECT_RETRY = %s, '
                    'MASTER_USE_GTID = slave_pos',
                    (info['host'], int(info['port']), info['user'], info['password'],
                     CONNECT_RETRY))
            except pymysql.MySQLError as exc:
                # The engine's text may quote the statement, with the password: neither
                # it nor the original exception goes further.
                text = str(exc.args[-1] if exc.args else '').replace(info['password'], '***')
                raise errors.EngineError('MariaDB refused to follow its source.',
                                         details=text) from None
            cursor.execute('START SLAVE')
        self._wait_following(info['password'])

    def _wait_following(self, password):
        deadline = time.monotonic() + FOLLOW_TIMEOUT
        while True:
            status = self._slave_status() or {}
            if status.get('Slave_IO_Running') == 'Yes' and status.get('Slave_SQL_Running') == 'Yes':
                return
            # A refused login (1045) will not pass by retrying; neither does an SQL error.
            refused = status.get('Last_IO_Errno') in ACCESS_DENIED
            if refused or status.get('Last_SQL_Errno') or time.monotonic() >= deadline:
                reason = status.get('Last_SQL_Error') or status.get('Last_IO_Error') or ''
                raise errors.EngineError('MariaDB could not follow its source.',
                                         details=str(reason).replace(password, '***'))
            time.sleep(0.02)

    def detach(self):
        manager = self.manager
        with manager._lock:
            self._require_running()
            self._apply_received(APPLY_TIMEOUT)
            self._stop_following()
            self._save(replication_role=None, replication_fenced=False,
                       replication_source=None)
            self._query('Taking writes', 'SET GLOBAL read_only = OFF')
            LOG.info('mariadb: detached from its source')
            return self.position()

    def _stop_following(self):
        with self.manager._cursor('Stopping replication') as cursor:
            cursor.execute('STOP SLAVE')
            cursor.execute('RESET SLAVE ALL')

    # -- switchovers ---------------------------------------------------------------------

    def position(self):
        self._require_running()
        role = self.role()
        running = True
        if role == REPLICA:
            self._apply_received(POSITION_APPLY_TIMEOUT)
            status = self._slave_status() or {}
            running = (status.get('Slave_IO_Running') == 'Yes'
                       and status.get('Slave_SQL_Running') == 'Yes')
        token = self._binlog_position()
        return {'role': role, 'order': order_of(token), 'token': token, 'running': running}

    def fence(self):
        with self.manager._lock:
            self._require_running()
            self._save(replication_fenced=True)
            self._query('Stopping writes', 'SET GLOBAL read_only = ON')
            LOG.info('mariadb: fenced (read-only)')
            return self.position()

    def unfence(self):
        with self.manager._lock:
            self._require_running()
            self._save(replication_fenced=False)
            if self.role() != REPLICA:
                self._query('Taking writes again', 'SET GLOBAL read_only = OFF')
            return self.position()

    def wait_for(self, token, timeout):
        token = check_gtid(token)
        if not token:
            return True
        with self.manager._cursor('Catching up with the source') as cursor:
            cursor.execute('SELECT MASTER_GTID_WAIT(%s, %s)', (token, float(timeout)))
            return cursor.fetchone()[0] == 0

    def promote(self, replica_ids, sources):
        manager = self.manager
        with manager._lock:
            self._require_running()
            if self.role() == REPLICA:
                if not self._apply_received(APPLY_TIMEOUT):
                    LOG.warning('mariadb: promoted before applying everything it received')
                self._stop_following()
                # A source of its own from now on: a new password, new replicas.
                self._forget_password()
                self._save(replication_role=SOURCE, replication_source=None,
                           replication_sources=[], replica_ids=[])
            self._save(replication_fenced=False)
            self._query('Taking writes', 'SET GLOBAL read_only = OFF')
            LOG.info('mariadb: promoted to source')
            return self.enable_source(replica_ids, sources)

    def follow(self, source_info, was_source=False):
        self._check_source_info(source_info)
        manager = self.manager
        with manager._lock:
            self._require_running()
            self._forget_password()
            self._save(binlog=True, replication_role=REPLICA, replication_fenced=False,
                       replication_source='%s:%s' % (source_info['host'], source_info['port']),
                       replication_sources=[], replica_ids=[])
            # Writes stop first; then the position is final. log-slave-updates keeps
            # gtid_binlog_pos complete on a replica as on a source.
            self._query('Stopping writes', 'SET GLOBAL read_only = ON')
            self._stop_following()
            manager._apply_access_live()     # the replication account: no longer admitted
            gtid = self._binlog_position()
            self._start_following(source_info, gtid)
            LOG.info('mariadb: following %s from GTID %s%s', source_info['host'], gtid,
                     ' (was the source)' if was_source else '')
            return self.position()

    def status(self):
        role = self.role()
        if not self.manager.is_running():
            return {'role': role, 'source_host': None, 'lag_seconds': None, 'healthy': False}
        if role != REPLICA:
            return {'role': role, 'source_host': None, 'lag_seconds': None, 'healthy': True}
        status = self._slave_status() or {}
        healthy = (status.get('Slave_IO_Running') == 'Yes'
                   and status.get('Slave_SQL_Running') == 'Yes')
        lag = status.get('Seconds_Behind_Master')
        return {'role': role, 'source_host': status.get('Master_Host'),
                'lag_seconds': int(lag) if lag is not None else None, 'healthy': healthy}
