"""Versioned RPC clients for the task manager and the conductor."""
import oslo_messaging as messaging

from api_service.common import exceptions
from api_service.common.config import CONF
from api_service.rpc import delivery
from api_service.rpc import transport


# Connection attempts of a cast from the API before it answers 503: about 7 s with the
# embedded stack's reconnect interval (1 s, then 2 s), enough to ride out a broker restart.
CAST_RETRY = 4


class TaskManagerAPI:
    """What the API asks of the task manager. Bump VERSION when adding methods."""

    VERSION = '1.4'

    def __init__(self, timeout=None):
        self._client = transport.client(CONF.rpc.taskmanager_topic, self.VERSION, timeout=timeout)

    def rpc_ping(self, ctx, timeout=None):
        timeout = timeout or CONF.rpc.rpc_ping_timeout
        # The ping endpoint (rpc.service) answers 1.0 on every service.
        return self._client.prepare(timeout=timeout, version='1.0').call(ctx, 'rpc_ping')

    def _cast(self, ctx, method, **kwargs):
        try:
            # Connection attempts are bounded (retry=None tries for ever): with the broker
            # down, the API's thread answers a 503 within seconds instead of hanging.
            delivery.cast_delivered(self._client.prepare(retry=CAST_RETRY), _plain(ctx),
                                    method, **kwargs)
        except (messaging.MessageUndeliverable, messaging.MessageDeliveryFailure):
            # No task manager has declared its queue on the broker (the broker restarted
            # and none reconnected in time), or no broker answers: the operation's
            # deadline ends what was begun.
            raise exceptions.ServiceUnavailable(
                'No task manager is reachable through the message broker; try again '
                'shortly.')

    def create_instance(self, ctx, instance_id, databases, users, restore=None):
        self._cast(ctx, 'create_instance', instance_id=instance_id, databases=databases,
                   users=users, restore=restore)

    def delete_instance(self, ctx, instance_id):
        self._cast(ctx, 'delete_instance', instance_id=instance_id)

    def restart(self, ctx, instance_id):
        self._cast(ctx, 'restart', instance_id=instance_id)

    def resize_volume(self, ctx, instance_id, new_size):
        self._cast(ctx, 'resize_volume', instance_id=instance_id, new_size=new_size)

    def resize_flavor(self, ctx, instance_id, flavor_id):
        self._cast(ctx, 'resize_flavor', instance_id=instance_id, flavor_id=flavor_id)

    def create_backup(self, ctx, instance_id, backup_id):
        self._cast(ctx, 'create_backup', instance_id=instance_id, backup_id=backup_id)

    def delete_backups(self, ctx, backup_ids):
        """1.1 (1.0's delete_backup_objects took locations, and no outcome was recorded)."""
        self._cast(ctx, 'delete_backups', backup_ids=backup_ids)

    def stop(self, ctx, instance_id, claim):
        """1.2: stop the engine and its guest (the operator's stop); `claim`: the instance's
        change claim, as text, which the task manager releases when the stop ends."""
        self._cast(ctx, 'stop', instance_id=instance_id, claim=claim)

    def reapply_module(self, ctx, module_id, md5, include_clustered, batch_size,
                       batch_delay, force, project_id=None):
        """1.3: apply a module again to the instances that have it (domain.instance_modules
        .reapply chose the batch size and delay the caller may have); `project_id`: only
        that project's instances (a non-admin asked), None for all."""
        self._cast(ctx, 'reapply_module', module_id=module_id, md5=md5,
                   include_clustered=include_clustered, batch_size=batch_size,
                   batch_delay=batch_delay, force=force, project_id=project_id)


    # -- replication (1.4): the task manager reads the rows the API recorded --------------

    def create_replicas(self, ctx, source_id, replica_ids):
        """1.4: build the replicas (rows in BUILD, recorded by domain.replication.create)
        from a fresh copy of `source_id`."""
        self._cast(ctx, 'create_replicas', source_id=source_id, replica_ids=replica_ids)

    def promote_to_replica_source(self, ctx, instance_id):
        """1.4: the replica (PROMOTE) becomes its set's source; the others follow it."""
        self._cast(ctx, 'promote_to_replica_source', instance_id=instance_id)

    def eject_replica_source(self, ctx, instance_id):
        """1.4: the source (EJECT) leaves its set; the most advanced replica replaces it."""
        self._cast(ctx, 'eject_replica_source', instance_id=instance_id)

    def detach_replica(self, ctx, instance_id):
        """1.4: the replica (DETACH) stops following its source."""
        self._cast(ctx, 'detach_replica', instance_id=instance_id)


_TASKMANAGER = None


def taskmanager_api():
    """The process's task manager client, made on first use (the API imports before the
    transport is configured)."""
    global _TASKMANAGER
    if _TASKMANAGER is None:
        _TASKMANAGER = TaskManagerAPI()
    return _TASKMANAGER


def _plain(ctx):
    """The context that travels: who asked, never their token."""
    ctx = ctx if isinstance(ctx, dict) else ctx.to_dict()
    return {k: ctx.get(k) for k in ('request_id', 'project_id', 'user_id', 'is_admin')}


class ConductorAPI:
    """What guests and the task manager report to the conductor."""

    VERSION = '1.0'

    def __init__(self, timeout=None):
        self._client = transport.client(CONF.rpc.conductor_topic, self.VERSION, timeout=timeout)

    def rpc_ping(self, ctx, timeout=None):
        timeout = timeout or CONF.rpc.rpc_ping_timeout
        return self._client.prepare(timeout=timeout).call(ctx, 'rpc_ping')
