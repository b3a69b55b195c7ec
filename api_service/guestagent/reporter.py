"""Reports to the conductor, sealed with the instance key."""
import oslo_messaging as messaging

from api_service.rpc import secure


class Reporter:
    def __init__(self, transport, topic, instance_id, key):
        target = messaging.Target(topic=topic, version='1.0')
        self._client = messaging.get_rpc_client(transport, target)
        self._instance_id = instance_id
        self._key = key

    def _cast(self, method, payload):
        self._client.cast({}, method, instance_id=self._instance_id,
                          sealed=secure.seal(self._key, payload))

    def heartbeat(self, engine_status, used_bytes, last_rollback=None):
        """`last_rollback`: {'parameters': [names], 'reason': text} when the engine, started
        by the agent itself (a dead engine's restart, resume), came up only with its previous
        configuration values; no key otherwise."""
        payload = {'status': engine_status, 'used_bytes': used_bytes}
        if last_rollback:
            payload['last_rollback'] = last_rollback
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
