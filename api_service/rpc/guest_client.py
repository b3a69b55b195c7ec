"""The versioned, sealed RPC client for one instance's guest agent (topic guestagent.<id>)."""
import oslo_messaging as messaging

from api_service.common import exceptions
from api_service.guestagent import waits
from api_service.rpc import delivery
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
# stop_db: the agent's stop (waits.STOP_WORST), after whatever holds its lifecycle lock ends:
# at worst the heartbeat's restart of a crashed engine, a start and a start again with the
# previous values. Together no longer than a restart's worst case.
STOP_TIMEOUT = RESTART_TIMEOUT
# module_apply: each module is written to the instance's directory and handed to its driver,
# which places a file at most (drivers never execute contents); a create or an apply takes
# at most 50 modules (the schemas' maxItems), a second or so each on a loaded host.
MODULE_APPLY_TIMEOUT = 120
MODULE_TIMEOUT = 30

# An agent started before the upgrade that added a call (1.1, 1.2) answers only the versions
# it knew; its RPC server refuses the call with one of these (oslo.messaging's dispatcher).
OLDER_AGENT_ERRORS = ('UnsupportedVersion', 'NoSuchMethod')
OLDER_AGENT = ("The instance's guest agent is older than this call; restart the guest agent "
               "to update it.")


# Replication calls (1.3): enable_source and promote may restart the engine once (settings
# that need a start); follow of a former source may rewind its data (pg_rewind) and start it.
REPLICATION_TIMEOUT = RESTART_TIMEOUT
REPLICATION_FOLLOW_TIMEOUT = 2 * RESTART_TIMEOUT
# position, fence, unfence, detach, forget_replica: a query or two, a reload at most.
REPLICATION_QUICK_TIMEOUT = 30


class GuestAPI:
    """Calls go out as 1.0 unless they need more, so an agent of 1.0 answers them still;
    1.1 added stop_db and get_diagnostics, 1.2 module_apply, module_list, module_remove
    and prepare's `modules`, 1.3 the replication_* calls and prepare's `replica_of`, 1.4
    replication_canary_account."""

    VERSION = '1.4'

    def __init__(self, instance_id, key, timeout=30):
        target = messaging.Target(topic='guestagent.' + instance_id, version='1.0')
        self._client = messaging.get_rpc_client(
            transport.get_transport(), target, version_cap=self.VERSION, timeout=timeout,
            serializer=secure.SealingSerializer(key))

    def prepare(self, ctx, databases, users, restore=None, access=None, overrides=None,
                modules=None, replica_of=None):
        """`access`: the sources (CIDRs) the engine admits, from domain.access; `overrides`:
        the attached configuration group's values, written before the engine first starts;
        `modules`: module payloads (domain.module_payloads) applied once the engine is
        prepared. They are sent only when there are some, as 1.2: an agent of 1.0 or 1.1
        still takes a prepare without them. `replica_of`: the source_info of the source
        the new instance follows (guestagent/replication), sent as 1.3 only when given;
        it holds the replication password, and the cast is sealed."""
        kwargs = dict(databases=databases, users=users, restore=restore, access=access,
                      overrides=overrides)
        client = self._client
        if modules:
            kwargs['modules'] = modules
            client = client.prepare(version='1.2')
        if replica_of:
            kwargs['replica_of'] = replica_of
            client = self._client.prepare(version='1.3')
        client.cast(ctx, 'prepare', **kwargs)

    def create_backup(self, ctx, backup_id, location, parent):
        self._client.cast(ctx, 'create_backup', backup_id=backup_id, location=location,
                          parent=parent)

    def ping(self, ctx, timeout=2):
        return self._client.prepare(timeout=timeout).call(ctx, 'rpc_ping')

    def ping_delivered(self, ctx, timeout):
        """A ping published mandatory: while no queue takes it (the agent is still
        starting), the broker hands it back at once as MessageUndeliverable."""
        return self._client.prepare(timeout=timeout, transport_options=delivery.DELIVERED).call(
            ctx, 'rpc_ping')

    def restart(self, ctx, timeout=RESTART_TIMEOUT):
        return self._client.prepare(timeout=timeout).call(ctx, 'restart')

    def resize_memory(self, ctx, memory_mb, timeout=RESTART_TIMEOUT):
        return self._client.prepare(timeout=timeout).call(ctx, 'resize_memory',
                                                          memory_mb=memory_mb)

    def stop_db(self, ctx, timeout=STOP_TIMEOUT):
        """1.1: stop the engine and keep it stopped until a restart (the operator's stop);
        the agent stays up. A failure the agent reports is raised as its typed error."""
        return self._call_at('1.1', ctx, 'stop_db', timeout, 'stopping the database')

    def get_diagnostics(self, ctx, timeout=30):
        """1.1: {'version', 'threads', 'fd_size', 'vm_size', 'vm_peak', 'vm_rss', 'vm_hwm'
        (kB): the engine process's, None while it is stopped; 'used_bytes': the volume's}.
        A failure the agent reports is raised as its typed error."""
        return self._call_at('1.1', ctx, 'get_diagnostics', timeout, 'reading the diagnostics')

    def module_apply(self, ctx, modules, timeout=MODULE_APPLY_TIMEOUT):
        """1.2: apply module payloads (domain.module_payloads) in the guest's order; answers
        a guest result per module (status OK or FAILED with a message): a failing module
        never fails the call."""
        return self._call_at('1.2', ctx, 'module_apply', timeout, 'applying the modules',
                             secret=True, modules=modules)

    def module_list(self, ctx, include_contents=False, timeout=MODULE_TIMEOUT):
        """1.2: the guest's results of the modules it holds (with their base64 contents
        when `include_contents`)."""
        return self._call_at('1.2', ctx, 'module_list', timeout, 'listing the modules',
                             secret=True, include_contents=include_contents)

    def module_remove(self, ctx, module, timeout=MODULE_TIMEOUT):
        """1.2: remove a module (a payload without contents): {'removed': True}, or a
        NotFound when the guest does not hold it."""
        return self._call_at('1.2', ctx, 'module_remove', timeout, 'removing the module',
                             secret=True, module=module)

    # -- replication (1.3) ---------------------------------------------------------------
    # Each answers what the engine's ReplicationStrategy returns (guestagent/replication);
    # a failure the agent reports is raised as its typed error, in the agent's words. Calls
    # that carry or return a source_info (it holds the replication password) are `secret`:
    # of a failure inside the agent only its kind travels on, never its text.

    def replication_enable_source(self, ctx, replica_ids, sources,
                                  timeout=REPLICATION_TIMEOUT):
        """Serve `replica_ids`, admitting replication from `sources` (CIDRs); answers the
        source_info a replica follows."""
        return self._call_at('1.3', ctx, 'replication_enable_source', timeout,
                             'enabling replication', secret=True, replica_ids=replica_ids,
                             sources=sources)

    def replication_forget_replica(self, ctx, replica_id, timeout=REPLICATION_QUICK_TIMEOUT):
        return self._call_at('1.3', ctx, 'replication_forget_replica', timeout,
                             'forgetting a replica', replica_id=replica_id)

    def replication_detach(self, ctx, timeout=REPLICATION_TIMEOUT):
        return self._call_at('1.3', ctx, 'replication_detach', timeout, 'detaching the replica')

    def replication_position(self, ctx, timeout=REPLICATION_QUICK_TIMEOUT):
        """{'role', 'order', 'token', 'running'}."""
        return self._call_at('1.3', ctx, 'replication_position', timeout,
                             'reading the replication position')

    def replication_fence(self, ctx, timeout=REPLICATION_QUICK_TIMEOUT):
        """The source stops taking writes; answers the position every replica must reach."""
        return self._call_at('1.3', ctx, 'replication_fence', timeout, 'stopping writes')

    def replication_unfence(self, ctx, timeout=REPLICATION_QUICK_TIMEOUT):
        return self._call_at('1.3', ctx, 'replication_unfence', timeout,
                             'taking writes again')

    def replication_wait_for(self, ctx, token, wait):
        """True once the replica applied everything up to `token`, False after `wait` s."""
        return self._call_at('1.3', ctx, 'replication_wait_for', wait + 15,
                             'catching up with the source', token=token, timeout=wait)

    def replication_promote(self, ctx, replica_ids, sources, timeout=REPLICATION_TIMEOUT):
        """Become the source of `replica_ids`; answers its source_info."""
        return self._call_at('1.3', ctx, 'replication_promote', timeout,
                             'promoting the replica', secret=True, replica_ids=replica_ids,
                             sources=sources)

    def replication_follow(self, ctx, source_info, was_source=False,
                           timeout=REPLICATION_FOLLOW_TIMEOUT):
        return self._call_at('1.3', ctx, 'replication_follow', timeout,
                             'following the new source', secret=True,
                             source_info=source_info, was_source=was_source)

    def replication_status(self, ctx, timeout=REPLICATION_QUICK_TIMEOUT):
        """{'role', 'source_host', 'lag_seconds', 'healthy'}."""
        return self._call_at('1.3', ctx, 'replication_status', timeout,
                             'reading the replication status')

    def replication_canary_account(self, ctx, password, sources,
                                   timeout=REPLICATION_QUICK_TIMEOUT, run=None):
        """1.4: make the canary account (guestagent/replication/canary.py) usable on this
        member with `password`, admitted from `sources` (CIDRs: the service's hosts);
        `password` None removes it (only if no other `run` set it since, when a run token
        is given). Answers {'user', 'database', 'target', 'port'}."""
        extra = {} if run is None else {'run': run}
        return self._call_at('1.4', ctx, 'replication_canary_account', timeout,
                             'setting up the canary account', secret=True,
                             password=password, sources=sources, **extra)

    def _call_at(self, version, ctx, method, call_timeout, what, secret=False, **kwargs):
        """A call of a later version: an older agent's refusal is a Conflict in the
        operator's words; any other failure inside the agent's RPC server a GuestFailed with
        its text for admins. A `secret` call (module contents may be in the agent's
        traceback) keeps only the failure's kind, and answers a timeout with a Conflict
        (the 1.1 calls' callers handle their own timeouts)."""
        try:
            # `call_timeout`: the call's own; a `timeout` in kwargs is the method's argument
            # (replication_wait_for's).
            answer = self._client.prepare(timeout=call_timeout, version=version).call(
                ctx, method, **kwargs)
        except messaging.MessagingTimeout:
            if not secret:
                raise
            raise exceptions.Conflict('The instance did not answer in time while %s; try '
                                      'again.' % what)
        except messaging.RemoteError as error:
            if error.exc_type in OLDER_AGENT_ERRORS:
                raise exceptions.Conflict(OLDER_AGENT)
            raise exceptions.GuestFailed('The guest agent could not complete %s.' % what,
                                         details=error.exc_type if secret else str(error))
        return _result(answer)

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
        return _result(answer)


def _result(answer):
    """The agent's {'result': ...}, or its {'error': {code, message}} raised as our error."""
    if 'error' in answer:
        error_class = GUEST_ERRORS.get(answer['error'].get('code'),
                                       exceptions.ServiceUnavailable)
        raise error_class(answer['error']['message'])
    return answer.get('result')
