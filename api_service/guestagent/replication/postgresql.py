"""PostgreSQL streaming replication: a physical slot per replica, hot standbys, pg_rewind.

The source: the role os_repl (REPLICATION LOGIN, its password made here and kept in
run_dir/replication.secret, 0600) admitted from the replication sources for the
replication database and for 'postgres' (pg_rewind reads files through functions it is
granted); one physical slot per replica, 'r_' and the replica's id, created with its WAL
reserved at once, so the WAL from the moment enable_source returns is kept until the
replica streams it: the task manager's backup, taken afterwards, is a valid seed.

A replica copies its source's data itself (seed 'stream', so the task manager takes no
backup of the source): the prepared instance's empty data is replaced by pg_basebackup from
the source over the replication connection, through the replica's own slot (its WAL kept
from the copy's start), the password only in a 0600 passfile. A source's backup restored in
place (attach with restored=True, seed 'backup') is still followed the same way. Then
standby.signal, primary_conninfo (its password in the passfile) and primary_slot_name, all
written by the manager from the agent's state at every start (datastore/postgresql.py), so a
restart keeps it a replica and the instance's access sources hold before it listens. The restored data carries the source's os_admin, and a standby cannot
change it: the agent logs in by peer authentication on its private socket while the
instance follows a source (see the manager's docstring); a promotion or detach sets this
instance's own admin password again, once the data is writable.

Switchover (the task manager's order): fence the source (tenants refused and their
sessions ended, transactions read-only, a CHECKPOINT: the common checkpoint a rewind starts
from), wait_for its position on every replica, promote one (pg_promote, then a CHECKPOINT so
its control file shows the new timeline before anyone rewinds against it: PostgreSQL 15
otherwise finds "no rewind required" and loops), the others follow by a reload, and the old
source follows with was_source: stopped, rewound with pg_rewind from its own version's bin
directory, started as a standby.

A replica whose slot is gone from its source (dropped, or lost past max_slot_wal_keep_size)
can never follow it again (postgresql_slots): attach and follow check the slot on the source
first, and a start or a catching up that the engine's log shows failing on it ends within
seconds, all with the same words for the tenant, the instance left running read-only on the
data it has; status() says 'slot_lost'.

source_info: {'host', 'port', 'user', 'password', 'seed': 'stream', 'slots': {replica id:
slot}}. A replica finds its slot by source_info['slot'], else by source_info['replica_id'],
else by its own instance id (the agent's configuration), else the only one in 'slots'.
"""
import contextlib
import functools
import logging
import os
import re
import shutil
import sys
import time

import psycopg
from psycopg import sql

from api_service.guestagent import errors
from api_service.guestagent.datastore import base
from api_service.guestagent.datastore.postgresql import REPLICATION_SETTINGS, REPLICATION_USER
from api_service.guestagent.datastore.postgresql import conninfo
from api_service.guestagent.replication import REPLICA, SOURCE, ReplicationStrategy
from api_service.guestagent.replication import postgresql_slots as pg_slots
from api_service.guestagent.replication.postgresql_slots import SLOT_PREFIX, slot_name

LOG = logging.getLogger(__name__)

# How long a promotion and a slot's release may take.
PROMOTE_WAIT = 60
SLOT_RELEASE_WAIT = 30
REWIND_TIMEOUT = 600
# Catching up with a source: failed once the replica's WAL stops advancing for CATCH_UP_STALL
# seconds, or after CATCH_UP_LIMIT in all (within the task manager's follow call).
CATCH_UP_STALL = 60
CATCH_UP_LIMIT = 180
# A session on a source, and the source's slot read by status().
SOURCE_CONNECT_TIMEOUT = 5
# status() asks an unhealthy replica's source about its slot this long at most (libpq's
# shortest), within the API's wait for a member's status (domain/switchovers.STATUS_TIMEOUT).
STATUS_PROBE_TIMEOUT = 2

# What a replica's engine logs when its history went further than its new source's (it
# replayed WAL the new source never had): only a rewind lets it follow.
DIVERGED = ('forked off current database system timeline',
            "is not a child of this server's history",
            "is not in this server's history",
            'is ahead of the WAL flush position of this server')
# What pg_rewind calls on its source (every overload: the signatures vary by version).
REWIND_FUNCTIONS = ('pg_ls_dir', 'pg_stat_file', 'pg_read_binary_file')

_LSN = re.compile(r'[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}\Z')
_WAL_FILE = re.compile(r'([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})\Z')


def lsn_int(text):
    """An LSN's text ('16/B374D848') as the integer PostgreSQL compares."""
    high, low = text.split('/')
    return (int(high, 16) << 32) + int(low, 16)


def agent_instance_id():
    """The instance id in the guest agent's configuration ([guest] instance_id, the id the
    task manager names this replica by), or None outside the agent's process. Read from
    api_service.guestagent.config's CONF only when the agent loaded it: importing it here
    would register the agent's required options in any process that reads a source_info."""
    config = sys.modules.get('api_service.guestagent.config')
    if config is None:
        return None
    try:
        return config.CONF.guest.instance_id or None
    except Exception:       # the options not parsed (cfg.Error) or not registered
        return None


class PostgreSQLReplication(ReplicationStrategy):
    """Streaming replication between PostgreSQL instances of one major version."""

    seed = 'stream'

    @property
    def _secret_path(self):
        return self.manager._run_file('replication.secret')

    # -- the source's side ---------------------------------------------------------------
    def enable_source(self, replica_ids, sources):
        ids = self._check_ids(replica_ids)
        sources = self.manager._check_sources(sources)
        if self.role() == REPLICA:
            raise errors.BadRequest('This instance is a replica: replicas follow its source, '
                                    'not it.')
        with self.manager._lock:
            password = self._secret()
            self._serve(ids, sources, password)
        return self._source_info(ids, password)

    def forget_replica(self, replica_id):
        slot = slot_name(replica_id)
        found = []

        def dropped():
            with self.manager._connection('Removing the replica\'s slot') as conn:
                row = conn.execute('SELECT active_pid FROM pg_replication_slots '
                                   'WHERE slot_name = %s', (slot,)).fetchone()
                if row is None:
                    return True
                found.append(slot)
                if row[0] is not None:
                    # A replica deleted or detached a moment ago: its sender goes too.
                    conn.execute('SELECT pg_terminate_backend(%s)', (row[0],))
                    return False
                try:
                    conn.execute('SELECT pg_drop_replication_slot(%s)', (slot,))
                except psycopg.errors.ObjectInUse:
                    return False    # a replica still running took it again: once more
                return True

        base.wait_for(dropped, SLOT_RELEASE_WAIT, 'the replica\'s slot to be released')
        if found:
            LOG.info('postgresql: dropped replication slot %s', slot)
        return {'forgotten': bool(found)}

    # -- the replica's side --------------------------------------------------------------
    def attach(self, source_info, restored):
        info = self._check_info(source_info)
        manager = self.manager
        with manager._lock:
            point = self._source_point(info)
            if point['slot'] and not restored:
                self._slot_gone(point)
            if self._follows(info, point):
                return self.status()        # a repeated call: attached already
            log_offset = self._log_size()
            if restored:
                if manager.pid() is not None:
                    raise errors.EngineError('PostgreSQL must be stopped to become a replica of '
                                             'restored data.')
                if not os.path.exists(os.path.join(manager.engine_data_dir, 'backup_label')):
                    # A PostgreSQL 15 chain with WAL incrementals was recovered and promoted
                    # by its restore: a timeline of its own, which cannot follow the source.
                    raise errors.BadRequest('A replica is seeded from a full backup of its '
                                            'source; this restored data cannot follow it.')
                self._become_replica(info)
                # The restore asked the first start to set this instance's admin password:
                # a standby cannot, and the agent logs in by peer while it is one.
                manager._save_state(admin_reset_pending=False)
                # Without its slot too: it runs read-only on the restored data, and says why
                # it cannot follow.
                self._start_standby(log_offset)
                if point['slot']:
                    self._slot_gone(point)
            else:
                self._seed_from_source(info, log_offset)
            self._catch_up(info, point, log_offset, may_rewind=False)
        LOG.info('postgresql: replica of %s:%s streaming', info['host'], info['port'])
        return self.status()

    def detach(self):
        role = self.role()
        if role == SOURCE:
            raise errors.BadRequest('This instance is not a replica.')
        with self.manager._lock:
            self._promote_engine(None)
        return self.position()

    # -- switchovers ---------------------------------------------------------------------
    def position(self):
        with self.manager._connection('Reading the replication position') as conn:
            recovering, lsn, order, receiver = conn.execute(
                'SELECT r, l::text, pg_wal_lsn_diff(l, \'0/0\')::bigint, '
                '(SELECT status FROM pg_stat_wal_receiver) FROM ('
                'SELECT pg_is_in_recovery() AS r, CASE WHEN pg_is_in_recovery() THEN GREATEST('
                "COALESCE(pg_last_wal_receive_lsn(), '0/0'), "
                "COALESCE(pg_last_wal_replay_lsn(), '0/0')) "
                'ELSE pg_current_wal_lsn() END AS l) AS p').fetchone()
        return {'role': self.role(), 'order': int(order), 'token': lsn,
                'running': receiver == 'streaming' if recovering else True}

    def fence(self):
        if self.role() != SOURCE:
            raise errors.BadRequest('Only a replication source can stop taking writes.')
        manager = self.manager
        with manager._lock:
            manager._save_state(replication_fenced=True)
            manager.reload_config()
            with manager._connection('Stopping writes') as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = "
                    "'client backend' AND pid <> pg_backend_pid() AND usename IS DISTINCT FROM %s",
                    (manager.admin_user,))
                conn.execute('CHECKPOINT')
                lsn, order = conn.execute(
                    "SELECT l::text, pg_wal_lsn_diff(l, '0/0')::bigint FROM "
                    '(SELECT pg_current_wal_flush_lsn() AS l) AS p').fetchone()
        LOG.info('postgresql: fenced at %s', lsn)
        return {'role': SOURCE, 'order': int(order), 'token': lsn, 'running': True}

    def unfence(self):
        with self.manager._lock:
            self.manager._save_state(replication_fenced=False)
            self.manager.reload_config()
        return self.position()

    def wait_for(self, token, timeout):
        if not isinstance(token, str) or not _LSN.match(token):
            raise errors.BadRequest('The replication position to wait for is not valid.')

        def reached():
            with self.manager._connection('Waiting for the replica to catch up') as conn:
                return conn.execute(
                    'SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() '
                    'ELSE pg_current_wal_lsn() END >= %s::pg_lsn', (token,)).fetchone()[0]

        try:
            base.wait_for(reached, float(timeout), 'the replica to reach %s' % token)
        except errors.EngineTimeout:
            return False
        return True

    def promote(self, replica_ids, sources):
        ids = self._check_ids(replica_ids)
        sources = self.manager._check_sources(sources)
        if self.role() not in (REPLICA, SOURCE):
            raise errors.BadRequest('This instance is not a replica.')
        with self.manager._lock:
            self._promote_engine(SOURCE)
            password = self._secret()
            self._serve(ids, sources, password, drop_others=True)
        LOG.info('postgresql: promoted; serving %d replica(s)', len(ids))
        return self._source_info(ids, password)

    def follow(self, source_info, was_source=False):
        """Returns once this instance has replayed the new source's WAL up to where the
        source was when it was asked, on the source's timeline (a WAL receiver that says
        'streaming' may still be refused its start a moment later). A replica whose history
        went further than the new source's (it replayed WAL the new source never got: the
        promoted replica was behind it) is rewound first, as a former source is; one that
        still cannot follow raises an EngineError saying why."""
        info = self._check_info(source_info)
        manager = self.manager
        with manager._lock:
            if not was_source and self.role() != REPLICA:
                raise errors.BadRequest('This instance is not a replica: it cannot follow '
                                        'another source without being seeded again.')
            point = self._source_point(info)
            if point['slot']:
                # First: a WAL receiver may say 'streaming' a moment after its slot went.
                self._slot_gone(point)         # nothing changed: it runs as it did
            if self._follows(info, point):
                return self.status()
            log_offset = self._log_size()
            rewound = was_source or self._diverged(info, point)
            if rewound:
                self._rewind(info, point)
            else:
                # primary_conninfo and primary_slot_name take a reload: the WAL receiver
                # reconnects, and follows the new timeline (recovery_target_timeline latest).
                self._become_replica(info)
                manager.reload_config()
            self._catch_up(info, point, log_offset, may_rewind=not rewound)
        LOG.info('postgresql: following %s:%s', info['host'], info['port'])
        return self.status()

    def status(self):
        """A replica is healthy while its WAL receiver streams. One that does not is asked
        about on its source: when its slot there is gone or lost (dropped, or invalidated
        while it was away longer than its source keeps WAL for it: max_slot_wal_keep_size),
        it is unhealthy for good, with 'reason': 'slot_lost' and a 'message' in words, and
        no lag (it would only grow). A source lists its replicas' slots ('replicas': each
        with PostgreSQL's wal_status and 'lost') and 'lost_slots': the slots of replicas that
        must be recreated (slot_name(replica id) says whose)."""
        state = self.manager._load_state()
        role = state.get('replication_role')
        source = state.get('replication_source') or {}
        answer = {'role': role, 'source_host': source.get('host') if role == REPLICA else None,
                  'lag_seconds': None, 'healthy': False}
        try:
            with self.manager._connection('Reading the replication status') as conn:
                if conn.execute('SELECT pg_is_in_recovery()').fetchone()[0]:
                    receiver, lag = conn.execute(
                        'SELECT (SELECT status FROM pg_stat_wal_receiver), CASE WHEN '
                        'pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 ELSE '
                        'EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END'
                    ).fetchone()
                    answer.update(healthy=receiver == 'streaming',
                                  lag_seconds=None if lag is None else max(0.0, float(lag)))
                else:
                    rows = conn.execute(
                        "SELECT slot_name, active, pg_wal_lsn_diff(pg_current_wal_lsn(), "
                        "restart_lsn)::bigint, wal_status, to_jsonb(s)->>'invalidation_reason' "
                        "FROM pg_replication_slots AS s WHERE slot_type = 'physical' AND "
                        "starts_with(slot_name, %s) ORDER BY 1", (SLOT_PREFIX,)).fetchall()
                    replicas = [
                        {'slot': slot, 'streaming': bool(active), 'wal_status': wal_status,
                         'behind_bytes': None if behind is None else int(behind),
                         'lost': wal_status == 'lost' or bool(invalidated)}
                        for slot, active, behind, wal_status, invalidated in rows]
                    answer.update(healthy=role != REPLICA, replicas=replicas,
                                  lost_slots=[r['slot'] for r in replicas if r['lost']])
        except errors.GuestError as exc:
            LOG.warning('postgresql: replication status unavailable: %s', exc)
        if role == REPLICA and source and not answer['healthy']:
            # libpq's shortest connect timeout: the API waits a little longer for status.
            trouble = pg_slots.replica_trouble(
                functools.partial(self._source_session, connect_timeout=STATUS_PROBE_TIMEOUT),
                source)
            if trouble:
                answer.update(trouble, healthy=False, lag_seconds=None)
        return answer

    # -- helpers -------------------------------------------------------------------------
    def _secret(self):
        """The replication password: made once by a source, kept 0600 in run_dir (the engine
        holds only its SCRAM verifier)."""
        path = self._secret_path
        try:
            with open(path) as handle:
                password = handle.read().strip()
            if password:
                return password
        except FileNotFoundError:
            pass
        password = base.generate_password()
        self.manager._make_dir(self.manager.run_dir)
        tmp = '%s.tmp-%d' % (path, os.getpid())
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as handle:
            handle.write(password + '\n')
        os.rename(tmp, path)
        return password

    def _source_info(self, ids, password):
        return {'host': self.manager.address, 'port': self.manager.port,
                'user': REPLICATION_USER, 'password': password, 'seed': self.seed,
                'slots': {replica_id: slot_name(replica_id) for replica_id in ids}}

    @staticmethod
    def _check_ids(replica_ids):
        if not isinstance(replica_ids, (list, tuple)) or not all(
                isinstance(item, str) and item for item in replica_ids):
            raise errors.BadRequest('The replica ids must be a list of ids.')
        for item in replica_ids:
            slot_name(item)
        return list(replica_ids)

    @staticmethod
    def _check_info(source_info):
        """What a replica keeps of source_info (never echoing it: it holds a password)."""
        if not isinstance(source_info, dict):
            raise errors.BadRequest('The replication source is not described.')
        host, port = source_info.get('host'), source_info.get('port')
        user, password = source_info.get('user'), source_info.get('password')
        if not (isinstance(host, str) and host and isinstance(user, str) and user
                and isinstance(password, str) and password):
            raise errors.BadRequest('The replication source\'s address or account is missing.')
        try:
            port = int(port)
        except (TypeError, ValueError):
            port = 0
        if not 0 < port < 65536:
            raise errors.BadRequest('The replication source\'s port is not valid.')
        slots = source_info.get('slots') or {}
        if not isinstance(slots, dict):
            slots = {}
        own = agent_instance_id()
        if source_info.get('slot'):
            slot = pg_slots.checked_slot(source_info['slot'])
        elif source_info.get('replica_id'):
            slot = slot_name(source_info['replica_id'])
        elif own and (not slots or own in slots):
            slot = slot_name(own)
        elif len(slots) == 1:
            slot = pg_slots.checked_slot(next(iter(slots.values())))
        else:
            raise errors.BadRequest('The replication source does not say which slot this '
                                    'replica uses.')
        return {'host': host, 'port': port, 'user': user, 'password': password, 'slot': slot}

    def _serve(self, ids, sources, password, drop_others=False):
        """The replication role with `password`, a slot per id (WAL reserved now), the
        sources admitted; a restart when the running server lacks a setting replication
        needs (an instance started before they were written)."""
        manager = self.manager
        with manager._connection('Setting up replication') as conn:
            self._ensure_role(conn, password)
            existing = {row[0]: row[1] for row in conn.execute(
                "SELECT slot_name, active FROM pg_replication_slots WHERE slot_type = 'physical'"
            ).fetchall()}
            wanted = {slot_name(replica_id) for replica_id in ids}
            for slot in sorted(wanted - set(existing)):
                conn.execute('SELECT pg_create_physical_replication_slot(%s, true)', (slot,))
            if drop_others:
                # A former source's slots (kept when pg_rewind found nothing to rewind).
                for slot, active in existing.items():
                    if slot.startswith(SLOT_PREFIX) and slot not in wanted and not active:
                        conn.execute('SELECT pg_drop_replication_slot(%s)', (slot,))
        known = manager._load_state().get('replication_sources') or []
        manager._save_state(replication_role=SOURCE, replication_source=None,
                            replication_sources=known + [s for s in sources if s not in known])
        manager.reload_config()
        with manager._connection('Checking the replication settings') as conn:
            waiting = [row[0] for row in conn.execute(
                'SELECT name FROM pg_settings WHERE pending_restart AND name = ANY(%s)',
                (list(REPLICATION_SETTINGS),)).fetchall()]
        if waiting:
            LOG.info('postgresql: restarting for %s', ', '.join(waiting))
            manager.restart()

    def _ensure_role(self, conn, password):
        manager = self.manager
        exists = conn.execute('SELECT 1 FROM pg_roles WHERE rolname = %s',
                              (REPLICATION_USER,)).fetchone()
        statement = 'ALTER ROLE {} WITH' if exists else 'CREATE ROLE {} WITH'
        conn.execute(sql.SQL(statement + ' REPLICATION LOGIN NOSUPERUSER NOCREATEDB '
                             'NOCREATEROLE NOINHERIT PASSWORD {}').format(
            sql.Identifier(REPLICATION_USER),
            sql.Literal(manager._verifier(conn, REPLICATION_USER, password))))
        conn.execute(sql.SQL('GRANT CONNECT ON DATABASE postgres TO {}').format(
            sql.Identifier(REPLICATION_USER)))
        signatures = conn.execute(
            'SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n '
            "ON n.oid = p.pronamespace WHERE n.nspname = 'pg_catalog' AND p.proname = ANY(%s)",
            (list(REWIND_FUNCTIONS),)).fetchall()
        for (signature,) in signatures:
            # The signature is the catalogue's own text (pg_catalog functions only).
            conn.execute(sql.SQL('GRANT EXECUTE ON FUNCTION pg_catalog.{} TO {}').format(
                sql.SQL(signature), sql.Identifier(REPLICATION_USER)))

    def _write_passfile(self, info):
        def escaped(value):
            return str(value).replace('\\', '\\\\').replace(':', '\\:')
        self.manager._make_dir(self.manager.run_dir)
        self.manager._write_file(self.manager.replication_passfile, '*:*:*:%s:%s\n' % (
            escaped(info['user']), escaped(info['password'])), mode=0o600)

    def _become_replica(self, info):
        """Record whom this instance follows; the config says so from the next write on."""
        self._write_passfile(info)
        self.manager._save_state(
            replication_role=REPLICA, replication_fenced=False, replication_sources=[],
            replication_peer_admin=True,
            replication_source={key: info[key] for key in ('host', 'port', 'user', 'slot')})

    # -- following: where the source is, how far this replica got ------------------------
    @contextlib.contextmanager
    def _source_session(self, host, port, user, password=None,
                        connect_timeout=SOURCE_CONNECT_TIMEOUT):
        """A session on a source as the replication account (its hba admits the account to
        'postgres' from the replication sources, for pg_rewind); the password from the
        call, else from the passfile."""
        secret = {'password': password} if password else {
            'passfile': self.manager.replication_passfile}
        try:
            conn = psycopg.connect(host=host, port=port, user=user, dbname='postgres',
                                   connect_timeout=connect_timeout, autocommit=True,
                                   application_name='guest-agent', **secret)
        except psycopg.Error as exc:
            raise errors.EngineError('The replication source at %s:%s cannot be reached with '
                                     'the replication account.' % (host, port),
                                     details=str(exc).strip())
        try:
            yield conn
        except psycopg.Error as exc:
            raise errors.EngineError('The replication source at %s:%s did not answer.'
                                     % (host, port), details=str(exc).strip())
        finally:
            conn.close()

    def _source_point(self, info):
        """Where the source is now: {'lsn': its flushed WAL position (an int), 'timeline',
        'fork': where its timeline forked off its parent's (None on timeline 1),
        'segment': its WAL segment size, 'slot': this replica's slot's trouble there
        ('missing', 'lost' or None: see postgresql_slots.condition)}."""
        with self._source_session(info['host'], info['port'], info['user'],
                                  info['password']) as conn:
            if conn.execute('SELECT pg_is_in_recovery()').fetchone()[0]:
                raise errors.EngineError('The replication source at %s:%s is itself a replica: '
                                         'it cannot be followed.' % (info['host'], info['port']))
            lsn, walfile, segment = conn.execute(
                'SELECT pg_current_wal_flush_lsn()::text, pg_walfile_name('
                'pg_current_wal_flush_lsn()), (SELECT setting::bigint FROM pg_settings '
                "WHERE name = 'wal_segment_size')").fetchone()
            timeline = int(walfile[:8], 16)
            history = b''
            if timeline > 1:
                history = bytes(conn.execute('SELECT pg_read_binary_file(%s)', (
                    'pg_wal/%08X.history' % timeline,)).fetchone()[0])
            trouble = pg_slots.condition(conn, info['slot'])
        forks = [line.split() for line in history.decode('ascii', 'replace').splitlines()
                 if line.strip() and not line.lstrip().startswith('#')]
        return {'lsn': lsn_int(lsn), 'timeline': timeline, 'segment': int(segment),
                'fork': lsn_int(forks[-1][1]) if forks else None, 'slot': trouble}

    def _replica_state(self):
        """This replica now: in recovery, replayed and received WAL (ints), its timeline as
        far as its control file knows, and its WAL receiver's status, source and timeline."""
        with self.manager._connection('Reading the replica\'s position') as conn:
            row = conn.execute(
                "SELECT pg_is_in_recovery(), pg_wal_lsn_diff(COALESCE(pg_last_wal_replay_lsn(), "
                "'0/0'), '0/0')::bigint, pg_wal_lsn_diff(COALESCE(pg_last_wal_receive_lsn(), "
                "'0/0'), '0/0')::bigint, GREATEST((SELECT timeline_id FROM "
                'pg_control_checkpoint()), (SELECT min_recovery_end_timeline FROM '
                'pg_control_recovery())), w.status, w.sender_host, w.received_tli '
                'FROM (SELECT 1) AS one LEFT JOIN pg_stat_wal_receiver AS w ON true').fetchone()
        keys = ('recovering', 'replay', 'receive', 'timeline', 'receiver', 'sender', 'tli')
        return dict(zip(keys, row))

    def _same_source(self, info):
        source = self.manager._load_state().get('replication_source') or {}
        return all(source.get(key) == info[key] for key in ('host', 'port', 'user', 'slot'))

    def _caught_up(self, info, point, state):
        return bool(state['recovering'] and state['receiver'] == 'streaming'
                    and state['sender'] == info['host'] and state['tli'] == point['timeline']
                    and int(state['replay'] or 0) >= point['lsn'])

    def _follows(self, info, point):
        """True when this instance already follows `info` and has replayed up to `point` (a
        repeated attach or follow)."""
        if self.role() != REPLICA or not self._same_source(info):
            return False
        try:
            self._write_passfile(info)
            return self._caught_up(info, point, self._replica_state())
        except errors.GuestError:
            return False

    def _diverged(self, info, point):
        """True when this replica has WAL past where the new source's timeline forked off
        the one it is on: the new source never had it, and PostgreSQL stops replaying
        rather than follow (see DIVERGED)."""
        if point['fork'] is None:
            return False
        state = self._replica_state()
        if state['timeline'] is not None and state['timeline'] >= point['timeline']:
            return False            # on the source's timeline already
        if state['tli'] == point['timeline'] and state['sender'] == info['host']:
            return False
        ahead = max(int(state['replay'] or 0), int(state['receive'] or 0))
        if ahead > point['fork']:
            LOG.info('postgresql: this replica has WAL past its new source\'s fork point')
            return True
        return False

    def _log_size(self):
        try:
            return os.path.getsize(self.manager.log_path)
        except OSError:
            return 0

    def _log_since(self, offset, limit=1 << 20):
        """What the engine logged since `offset` (its last `limit` bytes at most)."""
        try:
            with open(self.manager.log_path, 'rb') as handle:
                handle.seek(0, os.SEEK_END)
                handle.seek(max(offset, handle.tell() - limit))
                return handle.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def _start_standby(self, log_offset):
        """Start this standby (its first start after a restore or a rewind: it may replay a
        lot), failing fast in words when its log since `log_offset` says its slot on the
        source is gone (postgresql_slots.watching_start)."""
        with pg_slots.watching_start(self.manager, lambda: self._log_since(log_offset)):
            self.manager.start(timeout=base.RESTORED_START_TIMEOUT)

    @staticmethod
    def _slot_gone(point):
        LOG.warning('postgresql: this replica\'s slot on its source is %s', point['slot'])
        raise errors.EngineError(pg_slots.SLOT_GONE, details='The replication slot is %s on '
                                 'the source.' % point['slot'])

    def _catch_up(self, info, point, log_offset, may_rewind):
        """Wait until this replica has replayed `point` on the source's timeline. Its log
        since `log_offset` says when it diverged (rewound once when `may_rewind`) or when
        the source cannot serve it; an EngineError in words when it does not get there."""
        where = '%s:%s' % (info['host'], info['port'])
        started = last_move = time.monotonic()
        reached = None
        while True:
            state = self._replica_state()
            if self._caught_up(info, point, state):
                return
            said = self._log_since(log_offset)
            if any(sign in said for sign in DIVERGED):
                if not may_rewind:
                    raise errors.EngineError(
                        'This replica\'s data went further than its source at %s had, and a '
                        'rewind did not bring it back: recreate the replica.' % where,
                        details=self.manager._log_tail())
                LOG.info('postgresql: this replica went further than its new source; '
                         'rewinding it')
                log_offset = self._log_size()
                self._rewind(info, point)
                may_rewind = False
                started = last_move = time.monotonic()
                continue
            now = time.monotonic()
            progress = (state['replay'], state['receive'], state['tli'], state['receiver'])
            if progress != reached:
                reached, last_move = progress, now
            failure, final = pg_slots.stream_failure(said)
            if final:
                raise errors.EngineError(failure, details=self.manager._log_tail())
            if now - last_move > CATCH_UP_STALL or now - started > CATCH_UP_LIMIT:
                raise errors.EngineError(
                    'This replica did not catch up with its source at %s: %s.' % (
                        where, failure or 'its WAL stopped advancing'),
                    details=self.manager._log_tail())
            time.sleep(0.2)

    def _promote_engine(self, new_role):
        """End recovery (if still in it) and take this instance's own admin password back."""
        manager = self.manager
        # Recorded first: a start from now on is not a standby's.
        manager._save_state(replication_role=new_role, replication_fenced=False)
        with manager._connection('Promoting the replica') as conn:
            if conn.execute('SELECT pg_is_in_recovery()').fetchone()[0]:
                if not conn.execute('SELECT pg_promote(true, %s)', (PROMOTE_WAIT,)).fetchone()[0]:
                    raise errors.EngineError('PostgreSQL did not finish its promotion in time.',
                                             details=manager._log_tail())
            # The new timeline in the control file now (see the module's docstring).
            conn.execute('CHECKPOINT')
            conn.execute(sql.SQL('ALTER ROLE {} WITH LOGIN SUPERUSER PASSWORD {}').format(
                sql.Identifier(manager.admin_user),
                sql.Literal(manager._verifier(conn, manager.admin_user,
                                              manager.admin_password))))
        manager._save_state(replication_peer_admin=False, replication_source=None)
        manager.reload_config()
        try:
            os.unlink(manager.replication_passfile)
        except FileNotFoundError:
            pass

    def _seed_from_source(self, info, log_offset):
        """Seed 'stream': the prepared instance's data replaced by a base backup streamed
        from the source over the replication connection (pg_basebackup with WAL streamed
        through this replica's slot, so the WAL from the copy's start is kept for it), then
        started as its standby. The copy is made beside the data while the prepared engine
        still runs: a copy that fails leaves the instance as it was. The password reaches
        pg_basebackup only through the 0600 passfile, never its arguments."""
        manager = self.manager
        from api_service.guestagent.backup import processes
        self._write_passfile(info)
        staging = os.path.join(manager.data_dir, '.replica-seed')
        previous = os.path.join(manager.data_dir, '.replica-previous')
        for path in (staging, previous):
            shutil.rmtree(path, ignore_errors=True)
        argv = [os.path.join(manager.engine_path, 'pg_basebackup'), '-D', staging, '-X', 'stream',
                '-c', 'fast', '-w', '-S', info['slot'], '-d', conninfo(
                    host=info['host'], port=info['port'], user=info['user'],
                    passfile=manager.replication_passfile, connect_timeout=10)]
        try:
            processes.run_tool(manager, argv, 'Copying the source\'s data')
        except Exception:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        manager.stop()
        os.rename(manager.engine_data_dir, previous)
        os.chmod(staging, 0o700)
        os.rename(staging, manager.engine_data_dir)
        shutil.rmtree(previous, ignore_errors=True)
        self._become_replica(info)
        # Its first start may replay the WAL streamed during the copy; it fails fast in words
        # when its log says its slot on the source is gone.
        self._start_standby(log_offset)

    def _rewind(self, info, point):
        """Stopped, rewound to where the new source's timeline forked off this instance's,
        started as its standby (a former source, or a replica that went further than the new
        source). pg_rewind leaves WAL alone when it finds nothing to rewind ("no rewind
        required": nothing past the fork reached the data files); the WAL of the old timeline
        from the fork's segment on goes too, or replay would read it again."""
        manager = self.manager
        manager.stop()
        self._become_replica(info)
        manager._write_config(bootstrap=False)
        manager._run([os.path.join(manager.engine_path, 'pg_rewind'),
                      '--target-pgdata=%s' % manager.engine_data_dir,
                      '--config-file=%s' % manager._config_path(),
                      '--source-server=%s' % conninfo(
                          host=info['host'], port=info['port'], user=info['user'],
                          dbname='postgres', passfile=manager.replication_passfile,
                          connect_timeout=10)],
                     'Rewinding the data to the new source', timeout=REWIND_TIMEOUT)
        self._drop_wal_past_fork(point)
        self._start_standby(self._log_size())
        try:
            # Its own replicas' slots, when pg_rewind kept them ("no rewind required").
            with manager._connection('Dropping the former source\'s slots') as conn:
                for (slot,) in conn.execute(
                        'SELECT slot_name FROM pg_replication_slots WHERE NOT active '
                        'AND starts_with(slot_name, %s)', (SLOT_PREFIX,)).fetchall():
                    conn.execute('SELECT pg_drop_replication_slot(%s)', (slot,))
        except errors.GuestError as exc:
            LOG.warning('postgresql: the former source\'s slots stay: %s', exc)

    def _drop_wal_past_fork(self, point):
        """Remove (engine stopped) this instance's WAL segments of timelines older than the
        new source's from the segment holding the fork on: streamed again from the source."""
        if point.get('fork') is None:
            return
        wal_dir = os.path.join(self.manager.engine_data_dir, 'pg_wal')
        per_id = 0x100000000 // point['segment']
        fork_segment = point['fork'] // point['segment']
        removed = 0
        for name in os.listdir(wal_dir):
            found = _WAL_FILE.match(name)
            if not found:
                continue
            timeline, high, low = (int(part, 16) for part in found.groups())
            if timeline < point['timeline'] and high * per_id + low >= fork_segment:
                for path in (os.path.join(wal_dir, name),
                             os.path.join(wal_dir, 'archive_status', name + '.ready'),
                             os.path.join(wal_dir, 'archive_status', name + '.done')):
                    try:
                        os.unlink(path)
                    except FileNotFoundError:
                        pass
                removed += 1
        if removed:
            LOG.info('postgresql: removed %d WAL segment(s) past the fork', removed)
