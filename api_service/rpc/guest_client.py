"""The versioned, sealed RPC client for one instance's guest agent (topic guestagent.<id>)."""
import oslo_messaging as messaging

from api_service.common import exceptions
from api_service.guestagent import waits
from api_service.rpc import secure
from api_service.rpc import transport

# The guest's typed errors carry the HTTP code they mean.
GUEST_ERRORS = {400: exceptions.BadRequest, 404: exceptions.NotFound, 409: exceptions.Conflict,
                422: exceptions.UnprocessableEntity}

# apply_access: the agent's own waits (its lock, PostgreSQL's reload: guestagent
# datastore/base.py ACCESS_APPLY_WAIT) end well before this, so a timeout here means the
# guest is not answering, not that it is still applying.
APPLY_ACCESS_TIMEOUT = 60
# update_overrides: the agent's lock and PostgreSQL's reload wait as for access.
APPLY_CONFIGURATION_TIMEOUT = 60
# restart and resize_memory: the agent's worst case (a stop that ends in a kill, a start whose
# engine exits with a group's new values, the start again with the previous ones:
# guestagent/waits.py) plus the call's own way there and back. Shorter, and the task manager
# would fail an instance whose agent is still finishing (and may yet bring it up).
RESTART_TIMEOUT = waits.RESTART_WORST + 20


class GuestAPI:
    VERSION = '1.0'

    def __init__(self, instance_id, key, timeout=30):
        target = messaging.Target(topic='guestagent.' + instance_id, version=self.VERSION)
        self._client = messaging.get_rpc_client(
            transport.get_transport(), target, version_cap=self.VERSION, timeout=timeout,
            serializer=secure.SealingSerializer(key))

    def prepare(self, ctx, databases, users, restore=None, access=None, overrides=None):
        """`access`: the sources (CIDRs) the engine admits, from domain.access; `overrides`:
        the attached configuration group's values, written before the engine first starts."""
        self._client.cast(ctx, 'prepare', databases=databases, users=users, restore=restore,
                          access=access, overrides=overrides)

    def create_backup(self, ctx, backup_id, location, parent):
        self._client.cast(ctx, 'create_backup', backup_id=backup_id, location=location,
                          parent=parent)

    def ping(self, ctx, timeout=2):
        return self._client.prepare(timeout=timeout).call(ctx, 'rpc_ping')

    def restart(self, ctx, timeout=RESTART_TIMEOUT):
        return self._client.prepare(timeout=timeout).call(ctx, 'restart')

    def resize_memory(self, ctx, memory_mb, timeout=RESTART_TIMEOUT):
        return self._client.prepare(timeout=timeout).call(ctx, 'resize_memory',
                                                          memory_mb=memory_mb)

    def filesystem_stats(self, ctx):
        return self._client.call(ctx, 'get_filesystem_stats')

    def apply_access(self, ctx, sources, timeout=APPLY_ACCESS_TIMEOUT):
        """Make the engine admit exactly `sources` (CIDRs) now; it keeps them across restarts."""
        return self.call(ctx, 'apply_access', timeout=timeout, sources=sources)

    def update_overrides(self, ctx, values, timeout=APPLY_CONFIGURATION_TIMEOUT):
        """Make `values` (a configuration group's whole set; {} to detach) the engine's
        overrides: dynamic ones live, the rest at the next start. Answers
        {'pending_restart': [names]}; a value the engine refuses is a BadRequest naming it,
        and the engine keeps its previous values."""
        return self.call(ctx, 'update_overrides', timeout=timeout, values=values)

    def get_configuration(self, ctx, names, timeout=30):
        """{name: value as text} of `names`, read from the running engine now."""
        return self.call(ctx, 'get_configuration', timeout=timeout, names=names)

    def call(self, ctx, method, timeout=30, **kwargs):
        """A users/databases/root call; the guest's typed errors become API errors."""
        try:
            answer = self._client.prepare(timeout=timeout).call(ctx, 'guest_call',
                                                                operation=method, kwargs=kwargs)
        except messaging.MessagingTimeout:
            raise exceptions.Conflict('The instance did not answer in time; try again.')
        except messaging.RemoteError as error:
            # Its text is the agent's traceback: a sentence for the tenant, the text for admins.
            raise exceptions.GuestFailed('The guest agent could not complete %s.'
                                         % method.replace('_', ' '), details=str(error))
        if 'error' in answer:
            error_class = GUEST_ERRORS.get(answer['error'].get('code'),
                                           exceptions.ServiceUnavailable)
            raise error_class(answer['error']['message'])
        return answer['result']
