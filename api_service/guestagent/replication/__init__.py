"""Replication strategies of the guest agent, one module per engine, found by manager name.

The task manager drives replication (taskmanager/replication.py) through the guest
endpoint's replication_* calls (guest RPC 1.3, guestagent/service.py), each handed to the
engine's strategy below. A strategy keeps its instance's role ('source', 'replica' or None)
in the manager's agent-state.json (never a secret there), and the engine's configuration
keeps what a restart needs (a replica starts as a replica again).

`source_info` is what a replica needs to follow its source: {'host', 'port', 'user',
'password', 'seed', ...engine-specific}; it travels only in sealed RPC (rpc/secure.py) and is
never logged, recorded in an event or a fault. `seed` says how a new replica gets the
source's data: 'backup' (the task manager takes a backup of the source and the replica is
restored from it before `attach`: MariaDB), 'stream' (the replica is prepared empty and
`attach` copies the source's data over the replication connection: PostgreSQL's
pg_basebackup through the replica's slot) or 'sync' (the engine copies it itself: Redis).
Only 'backup' makes the task manager take a snapshot backup of the source.

A position is {'order': an int that grows with the source's history (MariaDB: the GTID's
sequence number in domain 0; PostgreSQL: the LSN; Redis: the replication offset), 'token':
what wait_for takes (the engine's own form: a GTID position, an LSN text, an offset)}.
"""
import importlib

from api_service.guestagent import errors

_STRATEGIES = {
    'mariadb': ('api_service.guestagent.replication.mariadb', 'MariaDBReplication'),
    'postgresql': ('api_service.guestagent.replication.postgresql', 'PostgreSQLReplication'),
    'redis': ('api_service.guestagent.replication.redis', 'RedisReplication'),
}

SOURCE, REPLICA = 'source', 'replica'
CAPABILITY = 'replication'


def get_strategy(manager):
    """The ReplicationStrategy of an engine manager (a NotSupported error when its engine has
    none)."""
    name = getattr(manager, 'manager', None)
    if CAPABILITY not in getattr(manager, 'capabilities', ()) or name not in _STRATEGIES:
        raise errors.NotSupported(CAPABILITY, name)
    module_name, class_name = _STRATEGIES[name]
    return getattr(importlib.import_module(module_name), class_name)(manager)


class ReplicationStrategy:
    """One engine's replication. The guest endpoint calls these with the agent's lifecycle
    lock held (they may stop and start the engine). Every method is idempotent where the
    task manager may call it again after a lost answer (enable_source, forget_replica,
    detach, follow)."""

    seed = 'backup'

    def __init__(self, manager):
        self.manager = manager

    def role(self):
        """SOURCE, REPLICA or None (a standalone instance), as kept in the agent's state."""
        return self.manager._load_state().get('replication_role')

    def _set_role(self, role):
        self.manager._save_state(replication_role=role)

    # -- the source's side ---------------------------------------------------------------
    def enable_source(self, replica_ids, sources):
        """Make this instance serve replicas: the replication account (its password made
        here), the engine's settings (restarting the engine once if they need a start),
        whatever each replica id needs (PostgreSQL: a slot each), the replication account
        admitted from `sources` (CIDRs: the replicas' addresses and the service's). Returns
        source_info (with 'seed'). Called again with more ids, it adds them."""
        raise NotImplementedError

    def forget_replica(self, replica_id):
        """What this source kept for a replica that was deleted or detached (a slot)."""
        raise NotImplementedError

    # -- the replica's side --------------------------------------------------------------
    def attach(self, source_info, restored):
        """Start following `source_info` as a read-only replica and return once it does.
        `restored`: the source's backup was just restored into the stopped instance (in
        place of manager.start_restored(); the access sources are enforced before the
        engine listens on its address); otherwise the engine was prepared empty and runs."""
        raise NotImplementedError

    def detach(self):
        """Stop following and become a writable standalone instance with the data it has.
        Returns the position reached."""
        raise NotImplementedError

    # -- switchovers ---------------------------------------------------------------------
    def position(self):
        """{'role', 'order', 'token', 'running'}: how far this instance's data goes."""
        raise NotImplementedError

    def fence(self):
        """The source stops taking writes (clients' writes fail; existing connections of
        clients may be ended); returns the position every replica must reach."""
        raise NotImplementedError

    def unfence(self):
        """Undo fence (a switchover that failed before any replica was promoted)."""
        raise NotImplementedError

    def wait_for(self, token, timeout):
        """True once this replica has applied everything up to `token`; False at timeout."""
        raise NotImplementedError

    def promote(self, replica_ids, sources):
        """Stop following, become writable, and serve `replica_ids` as enable_source does;
        returns source_info."""
        raise NotImplementedError

    def follow(self, source_info, was_source=False):
        """Follow another source from now on. `was_source`: this instance was the source
        until a switchover fenced it (PostgreSQL rewinds its data first, MariaDB continues
        from its own GTID position, Redis resynchronises)."""
        raise NotImplementedError

    def status(self):
        """{'role', 'source_host', 'lag_seconds' (None when unknown), 'healthy'}: what the
        replication looks like now, for views and the dashboard."""
        raise NotImplementedError
