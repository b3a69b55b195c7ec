"""Reports to the conductor, sealed with the instance key."""
import logging

import oslo_messaging as messaging

from api_service.rpc import delivery
from api_service.rpc import secure

LOG = logging.getLogger(__name__)

# The end of an operation (operation_done, backup_done) must reach the conductor's queue
# (after a broker restart it may not be declared again yet): tried again this long, about
# the longest operation deadline, then logged as an error (the deadline ends it then).
END_REPORT_WAIT = 900.0
# Seconds other reports are tried again. A heartbeat not at all: the next follows within
# the interval. A step briefly: it is progress, and the agent must never stop for it.
REPORT_WAIT = {'heartbeat': 0, 'guest_step': 2.0}


class Reporter:
    def __init__(self, transport, topic, instance_id, key):
        target = messaging.Target(topic=topic, version='1.0')
        self._client = messaging.get_rpc_client(transport, target,
                                                transport_options=delivery.DELIVERED)
        self._instance_id = instance_id
        self._key = key

    def _cast(self, method, payload):
        """Never raises: a report the conductor does not get is logged, and the operation
        goes on (or ends) as it would have. How long one is tried again depends on what is
        lost without it (REPORT_WAIT)."""
        wait = REPORT_WAIT.get(method, END_REPORT_WAIT)
        try:
            delivery.cast_delivered(self._client, {}, method, wait=wait,
                                    instance_id=self._instance_id,
                                    sealed=secure.seal(self._key, payload))
        except messaging.MessageUndeliverable:
            log = LOG.warning if wait < END_REPORT_WAIT else LOG.error
            log('no conductor took the %s report in %s s; it is lost', method, wait)
        except Exception as error:      # the broker down past the transport's retries
            LOG.error('the %s report could not be sent (%s: %s); it is lost', method,
                      type(error).__name__, error)

    def heartbeat(self, engine_status, used_bytes, last_rollback=None, metrics=None):
        """`last_rollback`: {'parameters': [names], 'reason': text} when the engine, started
        by the agent itself (a dead engine's restart, resume), came up only with its previous
        configuration values; no key otherwise. `metrics`: the engine's load
        (guestagent/metrics.py), no key when not sampled."""
        payload = {'status': engine_status, 'used_bytes': used_bytes}
        if last_rollback:
            payload['last_rollback'] = last_rollback
        if metrics:
            payload['metrics'] = metrics
        self._cast('heartbeat', payload)

    def step(self, operation, step, outcome, message='', details='', module_ids=None):
        """`details`: for admins only (the fault's details); `module_ids`: the modules a
        failed 'modules' step is about (the conductor forgets they are on the instance).
        Neither key is sent when empty, so an older conductor reads the report as before."""
        payload = {'operation': operation, 'step': step, 'outcome': outcome,
                   'message': message}
        if details:
            payload['details'] = details
        if module_ids:
            payload['module_ids'] = list(module_ids)
        self._cast('guest_step', payload)

    def operation_done(self, operation, ok, message='', details=''):
        self._cast('operation_done', {'operation': operation, 'ok': ok, 'message': message,
                                      'details': details})

    def backup_done(self, backup_id, ok, size=None, checksum=None, metadata=None, message=''):
        self._cast('backup_done', {'backup_id': backup_id, 'ok': ok, 'size': size,
                                   'checksum': checksum, 'metadata': metadata or {},
                                   'message': message})
