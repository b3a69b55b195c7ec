"""A database user after its creation: its attributes and its access to databases.

Through python-troveclient, as the logged-in user; each function is exactly one API call,
as in trove.py, so a view's cost in calls is the number of these it makes. A user is
named by name and host (None: the engine's default, for engines without hosts).
"""
from trove_dashboard.api import trove


def _users(request):
    return trove.troveclient(request).users


def user_update(request, instance_id, name, host, changes):
    """Rename the user, move it to another host and/or set its password: one PUT of only
    the attributes in `changes` ({'name', 'host', 'password'} keys, each optional)."""
    _users(request).update_attributes(instance_id, name, newuserattr=dict(changes),
                                      hostname=host)


def user_access(request, instance_id, name, host):
    """The names of the databases the user can use."""
    return [d.name for d in _users(request).list_access(instance_id, name, hostname=host)]


def user_grant(request, instance_id, name, host, databases):
    """Give the user access to each database named in `databases`."""
    _users(request).grant(instance_id, name, list(databases), hostname=host)


def user_revoke(request, instance_id, name, host, database):
    _users(request).revoke(instance_id, name, database, hostname=host)
