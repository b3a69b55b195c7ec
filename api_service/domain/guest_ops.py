"""Users, databases and root: short calls to an instance's guest, allowed only when ACTIVE."""
import urllib.parse

from oslo_config import cfg

from api_service.common import exceptions
from api_service.domain import faults
from api_service.domain import instances
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
    return view, GuestCalls(instance_id, guest_client.GuestAPI(
        instance_id, instances.instance_key(instance_id)))


class GuestCalls:
    """An instance's guest as the API calls it: a call the guest fails is answered with a
    sentence, and leaves a fault whose details (the guest's text) only admins read."""

    def __init__(self, instance_id, guest):
        self.instance_id = instance_id
        self.guest = guest

    def call(self, ctx, method, **kwargs):
        with faults.of_guest_calls(self.instance_id):
            return self.guest.call(ctx, method, **kwargs)


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
