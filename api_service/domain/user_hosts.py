"""Whether an engine's users have a host: MariaDB's are name@host and declare the
`user_hosts` capability; PostgreSQL's are plain names, whatever access the instance allows.

A host sent for an engine without them is refused, never ignored: ignored, the caller
would believe the user was limited to it (or moved to it) while nothing changed.
"""
from api_service.common import exceptions

CAPABILITY = 'user_hosts'
# What every host means, and what the user lists show on engines without hosts.
ANY_HOST = '%'
NO_USER_HOSTS = ("%s users have no host: they connect from wherever the instance's access "
                 "allows; leave Host empty.")


def _engine_name(version):
    from api_service.guestagent import errors
    from api_service.guestagent.datastore import get_manager_class
    try:
        return get_manager_class(version.manager).display_name
    except errors.UnknownManager:
        return version.manager


def check(version, capabilities, hosts):
    """A 400 in words when `hosts` names one other than any for a version without them."""
    if CAPABILITY in capabilities:
        return
    if any(host not in (None, '', ANY_HOST) for host in hosts):
        raise exceptions.BadRequest(NO_USER_HOSTS % _engine_name(version))
