"""Redis 7 replication: the engine copies its source's data itself (seed 'sync').

A source declares the ACL user os_repl (PSYNC, REPLCONF and PING only, no keys;
its password made here, kept in a 0600 file) and keeps appendonly on. ACL users
are per node and never replicated, so each instance keeps its own admin user;
the default (root) user, though, guards the same data on every member: a
replica's always has its source's password. source_info carries the source's
root_hash (the SHA-256 hex, or None: no password; never the password) and
attach and follow give it to the replica's default user (kept for restarts);
a root change on the source reaches its replicas through the API
(set_root_hash, datastore/redis.py). A replica runs `replicaof` with
masteruser/masterauth and replica-read-only yes: Redis refuses every
client's write but its source's.
redis.conf (datastore/redis.py) is written from the agent's state at every
start, so a restarted engine keeps its role; the live changes here are the
same settings made at once, never CONFIG REWRITE.

Positions are replication offsets: a source's master_repl_offset, a replica's
slave_repl_offset (still known after its source died). A promoted replica keeps
its offset and replication id, so the others (and the old source) continue
with a partial resynchronisation. Fence is CLIENT PAUSE WRITE, bounded so that
a switchover the task manager abandons cannot leave the source paused forever:
clients' writes wait (rather than fail) and, once the source follows the new
one, fail with READONLY; none is acknowledged and lost.
"""
import logging
import time

from api_service.guestagent import errors
from api_service.guestagent.datastore import redis as engine
from api_service.guestagent.datastore.util import generate_password, wait_for
from api_service.guestagent.replication import REPLICA, SOURCE, ReplicationStrategy

LOG = logging.getLogger(__name__)

# The longest a fence holds the source's writes if nobody unfences it (ms): longer than a
# switchover's wait_for (60 s) and promote.
FENCE_MS = 180000
# A new replica's first full copy of its source's data.
SYNC_TIMEOUT = 1800
# The source answering a replica (the connection and the login): a source that does not,
# or refuses the account, is not worth waiting for the whole copy.
CONNECT_TIMEOUT = 60


class RedisReplication(ReplicationStrategy):
    """Redis's replication: REPLICAOF, offsets, CLIENT PAUSE."""

    seed = 'sync'

    # -- the source's side ---------------------------------------------------------------
    def enable_source(self, replica_ids, sources):
        # Redis admits an ACL user from any address that reaches the instance: it cannot
        # restrict the replication account to `sources`; its 32-character password, sent
        # only to the replicas in sealed RPC, is what guards it.
        manager = self.manager
        with manager._lock:
            if self.role() == REPLICA:
                raise errors.BadRequest('The instance is a replica: it cannot serve replicas '
                                        'of its own.')
            return self._serve(replica_ids)

    def _serve(self, replica_ids):
        manager = self.manager
        password = manager.read_secret(engine.REPLICATION_SECRET)
        if password is None:
            password = generate_password()
            manager.write_secret(engine.REPLICATION_SECRET, password)
        known = set(manager._load_state().get('replication_replica_ids') or ())
        manager._save_state(replication_role=SOURCE, replication_source=None,
                            replication_replica_ids=sorted(known | set(replica_ids or ())))
        manager.remove_secret(engine.FOLLOW_SECRET)
        manager._write_config()
        with manager._admin('Enabling replication') as client:
            client.execute_command('ACL', 'SETUSER', engine.REPLICATION_USER, 'reset', 'on',
                                   '#%s' % engine.acl_hash(password),
                                   *engine.REPLICATION_RULES)
            if client.config_get('appendonly').get('appendonly') != 'yes':
                LOG.warning('redis: turning appendonly on: a replication source keeps its data')
                client.config_set('appendonly', 'yes')
        LOG.info('redis: serving replicas (%d known)', len(known | set(replica_ids or ())))
        return {'host': manager.address, 'port': manager.port,
                'user': engine.REPLICATION_USER, 'password': password, 'seed': self.seed,
                'root_hash': manager.root_hash()}

    def forget_replica(self, replica_id):
        # A Redis source keeps nothing per replica (no slot): a replica that is gone just
        # leaves the source's list of connected replicas. Only the agent's list changes.
        manager = self.manager
        with manager._lock:
            known = manager._load_state().get('replication_replica_ids') or []
            if replica_id in known:
                manager._save_state(replication_replica_ids=[
                    other for other in known if other != replica_id])
        return {'forgotten': replica_id}

    # -- the replica's side --------------------------------------------------------------
    def attach(self, source_info, restored):
        source = _checked(source_info)
        manager = self.manager
        with manager._lock:
            self._record_source(source)
            if restored:
                # The config written at this start already follows the source, and has
                # its root password.
                manager.start_restored()
            else:
                self._take_root(source)      # before the copy: its data is the source's
                manager._write_config()
                self._follow_live(source)
            self._wait_synced(source)
        LOG.info('redis: replica of %s:%d, in sync', source['host'], source['port'])
        return self.position()

    def detach(self):
        manager = self.manager
        with manager._lock:
            if self.role() == SOURCE:
                raise errors.BadRequest('The instance is a replication source, not a replica.')
            manager._save_state(replication_role=None, replication_source=None)
            manager.remove_secret(engine.FOLLOW_SECRET)
            manager._write_config()
            if manager.pid() is not None:
                self._stop_following()
        LOG.info('redis: detached; a standalone instance now')
        return self.position() if manager.pid() is not None else None

    # -- switchovers ---------------------------------------------------------------------
    def position(self):
        info = self._info()
        if info['role'] == 'master':
            order, running = int(info['master_repl_offset']), True
        else:
            # Known after the source died too (from the cached link); -1 before any sync.
            order = int(info.get('slave_repl_offset', -1))
            running = info.get('master_link_status') == 'up'
        return {'role': self.role(), 'order': order, 'token': order, 'running': running}

    def fence(self):
        with self.manager._admin('Pausing writes') as client:
            client.execute_command('CLIENT', 'PAUSE', FENCE_MS, 'WRITE')
        LOG.info('redis: writes paused for at most %d s', FENCE_MS // 1000)
        return self.position()

    def unfence(self):
        with self.manager._admin('Resuming writes') as client:
            client.execute_command('CLIENT', 'UNPAUSE')
        LOG.info('redis: writes resumed')

    def wait_for(self, token, timeout):
        target = int(token)

        def reached():
            return self.position()['order'] >= target

        try:
            wait_for(reached, timeout, 'the replica to reach offset %d' % target,
                     max_interval=0.05)
        except errors.EngineTimeout:
            LOG.warning('redis: offset %d not reached in %s s', target, timeout)
            return False
        return True

    def promote(self, replica_ids, sources):
        # Redis cannot restrict the replication account to `sources` (see enable_source).
        manager = self.manager
        with manager._lock:
            if manager.pid() is None:
                raise errors.EngineError('Redis is not running; it cannot be promoted.')
            self._stop_following()
            LOG.info('redis: promoted; no longer follows a source')
            return self._serve(replica_ids)

    def follow(self, source_info, was_source=False):
        source = _checked(source_info)
        manager = self.manager
        if (source['host'], source['port']) == (manager.address, manager.port):
            raise errors.BadRequest('An instance cannot follow itself.')
        with manager._lock:
            # No longer a source: its replication account goes (its replicas follow the new
            # source now) and a later promote makes a new password.
            self._record_source(source)
            manager.remove_secret(engine.REPLICATION_SECRET)
            manager._save_state(replication_replica_ids=[])
            self._take_root(source)
            manager._write_config()
            # A former source stays paused unless REPLICAOF took: unpaused beside the new
            # source it would take writes on both (its pause ends after FENCE_MS anyway; its
            # config already follows the new source, so a restart makes it a replica).
            self._follow_live(source)
            try:
                with manager._admin('Removing the replication account') as client:
                    client.execute_command('ACL', 'DELUSER', engine.REPLICATION_USER)
            finally:
                if was_source:
                    # A replica now: clients' paused writes fail with READONLY, not wait.
                    self.unfence()
            self._wait_connected(source)
        LOG.info('redis: follows %s:%d', source['host'], source['port'])
        return self.position()

    def status(self):
        role = self.role()
        source = self.manager.replication_source() if role == REPLICA else None
        answer = {'role': role, 'source_host': source['host'] if source else None,
                  'lag_seconds': None, 'healthy': False}
        try:
            info = self._info()
        except errors.EngineError:
            return answer       # not running: nothing is healthy
        if role == REPLICA:
            link_up = info.get('master_link_status') == 'up'
            syncing = bool(info.get('master_sync_in_progress'))
            answer['healthy'] = info['role'] == 'slave' and link_up and not syncing
            # Redis applies its source's stream as it arrives (well under a millisecond
            # here): a replica with its link up is current; one whose link is down is at
            # least as old as the link's loss; during a full copy it is unknown.
            if answer['healthy']:
                answer['lag_seconds'] = 0
            elif not syncing and 'master_link_down_since_seconds' in info:
                answer['lag_seconds'] = max(0, int(info['master_link_down_since_seconds']))
            answer['offset'] = int(info.get('slave_repl_offset', -1))
        else:
            answer['healthy'] = info['role'] == 'master'
            answer['offset'] = int(info['master_repl_offset'])
            if role == SOURCE:
                answer['replicas'] = [
                    {'host': value.get('ip'), 'state': value.get('state'),
                     'offset': int(value.get('offset', 0)), 'lag_seconds': value.get('lag')}
                    for name, value in sorted(info.items())
                    if name.startswith('slave') and name[5:].isdigit() and isinstance(value, dict)]
        return answer

    # -- helpers -------------------------------------------------------------------------
    def _info(self):
        with self.manager._admin('Reading the replication state') as client:
            return client.info('replication')

    def _record_source(self, source):
        manager = self.manager
        manager.write_secret(engine.FOLLOW_SECRET, source['password'])
        changes = {'replication_role': REPLICA, 'replication_source': {
            'host': source['host'], 'port': source['port'], 'user': source['user']}}
        if 'root_hash' in source:
            # The next start's config has it (a restored replica's first start too).
            changes['root_hash'] = source['root_hash']
        manager._save_state(**changes)

    def _take_root(self, source):
        """The running engine's default user gets its source's password (or none)."""
        if 'root_hash' in source:
            self.manager.keep_root_hash(source['root_hash'])

    def _follow_live(self, source):
        """The running engine follows `source` now (the same settings as the config's)."""
        with self.manager._admin('Following the source') as client:
            # One CONFIG SET: all three or none. masterauth is a sensitive setting to Redis
            # (left out of its slow log and its errors).
            client.execute_command('CONFIG', 'SET', 'masteruser', source['user'],
                                   'masterauth', source['password'],
                                   'replica-read-only', 'yes')
            client.execute_command('REPLICAOF', source['host'], str(source['port']))

    def _stop_following(self):
        with self.manager._admin('Stopping replication') as client:
            client.execute_command('REPLICAOF', 'NO', 'ONE')
            client.execute_command('CONFIG', 'SET', 'masteruser', '', 'masterauth', '')

    def _link(self):
        """(link up, a full copy in progress) of this replica now."""
        info = self._info()
        return (info.get('master_link_status') == 'up',
                bool(info.get('master_sync_in_progress')))

    def _wait_connected(self, source):
        """Until the source took this replica in (a copy began or the link is up); an
        EngineError in words if it does not within CONNECT_TIMEOUT."""
        try:
            return wait_for(lambda: any(self._link()), CONNECT_TIMEOUT,
                            'the source to answer', max_interval=0.2)
        except errors.EngineTimeout:
            raise errors.EngineError(
                'The replica could not reach its source at %s:%d, or the source refused its '
                'account.' % (source['host'], source['port']),
                details=self.manager._log_tail())

    def _wait_synced(self, source):
        """Until the first full copy is loaded and the link is up."""
        started = time.monotonic()
        self._wait_connected(source)
        left = max(1, SYNC_TIMEOUT - (time.monotonic() - started))

        def synced():
            up, copying = self._link()
            return up and not copying

        def persisted():
            # With appendonly on, a full copy is followed by the replica's first AOF: until
            # it is written, Redis refuses to shut down ("Writing initial AOF").
            with self.manager._admin('Reading the persistence state') as client:
                info = client.info('persistence')
            return not (info.get('aof_rewrite_in_progress') or info.get('aof_rewrite_scheduled'))

        try:
            wait_for(synced, left, "the copy of the source's data", max_interval=0.2)
            wait_for(persisted, max(1, SYNC_TIMEOUT - (time.monotonic() - started)),
                     "the replica's copy on disk", max_interval=0.2)
        except errors.EngineTimeout as exc:
            exc.details = self.manager._log_tail()
            raise


def _checked(source_info):
    """source_info's fields as a replica uses them; BadRequest (naming no value) otherwise."""
    try:
        source = {'host': str(source_info['host']), 'port': int(source_info['port']),
                  'user': str(source_info['user']), 'password': str(source_info['password'])}
    except (KeyError, TypeError, ValueError):
        raise errors.BadRequest('The source information is incomplete.')
    for name in ('host', 'user', 'password'):
        if not source[name] or any(ch.isspace() or ch in '"\\' for ch in source[name]):
            raise errors.BadRequest("The source information's %s is not valid." % name)
    if 'root_hash' in source_info:
        # Absent (an agent from before it was carried): the replica's default user stays.
        source['root_hash'] = engine.checked_root_hash(source_info['root_hash'])
    return source
