"""Users, databases and root: short calls to an instance's guest, allowed only when ACTIVE.

On a replica they may be read, not changed: its engine takes changes from its source only.
An engine whose accounts do not replicate (capability 'root_per_member': Redis) would leave
a replica's data open while its source has a root password: root enabled or disabled on a
source is set on its replicas too, by the password's hash (set_root_hash), and a replica's
guest gives the same hash to a replica it builds or repoints (guestagent/replication).
"""
import hashlib
import urllib.parse

from oslo_config import cfg

from api_service.common import exceptions
from api_service.domain import faults
from api_service.db.session import session_scope
from api_service.domain import instances
from api_service.domain import mgmt_instances
from api_service.domain import replication
from api_service.domain import status
from api_service.domain import user_hosts
from api_service.rpc import guest_client

CONF = cfg.CONF


def _capabilities(view):
    return set(filter(None, (view.version.capabilities or '').split(',')))


def guest_for(ctx, instance_id, capability):
    """The guest client of an ACTIVE instance whose engine can do `capability`."""
    view = instances.get(ctx, instance_id)
    if capability not in _capabilities(view):
        raise exceptions.BadRequest('%s instances do not support %s.'
                                    % (view.datastore.name, capability))
    status.check(view.instance, 'guest')
    return view, GuestCalls(instance_id, _guest(instance_id),
                            replica=bool(view.instance.replica_of_id),
                            root_per_member=ROOT_PER_MEMBER in _capabilities(view))


def _guest(instance_id):
    return guest_client.GuestAPI(instance_id, instances.instance_key(instance_id))


# The guest calls that change users, databases or root (the others read).
CHANGES = frozenset({'create_databases', 'delete_database', 'create_users', 'change_passwords',
                     'delete_user', 'update_attributes', 'grant_access', 'revoke_access',
                     'enable_root', 'disable_root'})
# The capability of a version whose engine keeps accounts per member of a replica set (they
# do not replicate): root changes on a source are set on its replicas too.
ROOT_PER_MEMBER = 'root_per_member'
ROOT_CHANGES = ('enable_root', 'disable_root')


def root_hash(password):
    """What set_root_hash takes: the password's SHA-256 hex (the form Redis's ACLs keep), so
    a replica's guest never receives the password itself."""
    return hashlib.sha256(password.encode('utf-8')).hexdigest()


class GuestCalls:
    """An instance's guest as the API calls it: a call the guest fails is answered with a
    sentence, and leaves a fault whose details (the guest's text) only admins read. A
    change on a replica is refused before the guest is asked."""

    def __init__(self, instance_id, guest, replica=False, root_per_member=False):
        self.instance_id = instance_id
        self.guest = guest
        self.replica = replica
        self.root_per_member = root_per_member

    def call(self, ctx, method, **kwargs):
        if self.replica and method in CHANGES:
            with session_scope() as session:
                replication.refuse_changes_on_replica(
                    session, instances.get(ctx, self.instance_id, session).instance)
        if self.root_per_member and method in ROOT_CHANGES:
            return self._root_on_set(ctx, method, kwargs)
        return self._call(ctx, method, **kwargs)

    def _call(self, ctx, method, **kwargs):
        with faults.of_guest_calls(self.instance_id):
            return self.guest.call(ctx, method, **kwargs)

    def _root_on_set(self, ctx, method, kwargs):
        """Root enabled or disabled on a source and on each of its replicas. Enable: the
        source first (its answer holds the password, made there when none was given), then
        the replicas take its hash; disable: the replicas first, then the source. Either
        way a replica that fails leaves a request the user can make again (the source still
        has root to disable; enable resets the password everywhere), never a replica left
        open that the answer says is closed."""
        with session_scope() as session:
            source = instances.get(ctx, self.instance_id, session).instance
            replicas = [(replica.id, replica.name) for replica in
                        replication.replicas_for_root(session, source)]
            source_name = source.name
        if method == 'disable_root':
            self._set_on_replicas(ctx, replicas, None, source_name, 'disabled')
            return self._call(ctx, method, **kwargs)
        answer = self._call(ctx, method, **kwargs)
        if replicas:
            self._set_on_replicas(ctx, replicas, root_hash(answer['password']), source_name,
                                  'enabled')
            for replica_id, _name in replicas:
                mgmt_instances.record_root_enabled(ctx, replica_id)
        return answer

    @staticmethod
    def _set_on_replicas(ctx, replicas, hashed, source_name, done):
        for replica_id, name in replicas:
            try:
                GuestCalls(replica_id, _guest(replica_id)).call(ctx, 'set_root_hash',
                                                                root_hash=hashed)
            except exceptions.DBaaSError as error:
                # The guest's sentence (no password in it), the request's state around it.
                error.message = (
                    "Root could not be %s on replica '%s' of instance '%s' (%s); %s root on "
                    "'%s' again: its replicas take the change too." % (
                        done, name, source_name, error.message.rstrip('.'),
                        'enable' if hashed else 'disable', source_name))
                error.args = (error.message,)
                raise


def check_user_hosts(view, hosts):
    """A host for an engine whose users have none is a 400, before the guest is asked."""
    user_hosts.check(view.version, _capabilities(view), hosts)


def is_root_enabled(ctx, guest):
    """Whether root is enabled, asked within the ping timeout: every instance page asks,
    so a hung guest costs that page seconds, not the 30 of a users or databases call
    (the timeout is answered as any guest call's: a 409 asking to try again)."""
    return bool(guest.call(ctx, 'is_root_enabled', timeout=CONF.rpc.rpc_ping_timeout))


def split_user(user_path):
    """'name@host' from the URL (troveclient percent-quotes it) into (name, host or None)."""
    text = urllib.parse.unquote(user_path)
    name, sep, host = text.rpartition('@')
    if not sep:
        return text, None
    return name, host
