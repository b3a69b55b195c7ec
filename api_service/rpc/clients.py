"""Versioned RPC clients for the task manager and the conductor."""
from api_service.common.config import CONF
from api_service.rpc import transport


class TaskManagerAPI:
    """What the API asks of the task manager. Bump VERSION when adding methods."""

    VERSION = '1.0'

    def __init__(self, timeout=None):
        self._client = transport.client(CONF.rpc.taskmanager_topic, self.VERSION, timeout=timeout)

    def rpc_ping(self, ctx, timeout=None):
        timeout = timeout or CONF.rpc.rpc_ping_timeout
        return self._client.prepare(timeout=timeout).call(ctx, 'rpc_ping')


class ConductorAPI:
    """What guests and the task manager report to the conductor."""

    VERSION = '1.0'

    def __init__(self, timeout=None):
        self._client = transport.client(CONF.rpc.conductor_topic, self.VERSION, timeout=timeout)

    def rpc_ping(self, ctx, timeout=None):
        timeout = timeout or CONF.rpc.rpc_ping_timeout
        return self._client.prepare(timeout=timeout).call(ctx, 'rpc_ping')
