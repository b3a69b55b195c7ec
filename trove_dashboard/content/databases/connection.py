"""How to connect to an instance: its host, its engine's port and a command line to copy.

The API names an instance's datastore but neither its port nor its engine's client, so
they are looked up here by the datastore's exact name (the engines this service runs).
They only shape what the Overview shows: no action is offered or refused by them. A
datastore not listed shows its address alone.
"""
import collections

from django.utils.translation import gettext_lazy as _

# What stands for the user name while the page does not know one.
USER = 'USER'

Engine = collections.namedtuple('Engine', 'port command needs_user')

_MYSQL = Engine(3306, 'mysql -h {host} -P {port} -u {user} -p', True)
ENGINES = {
    'mariadb': _MYSQL,
    'mysql': _MYSQL,
    'postgresql': Engine(5432, 'psql "host={host} port={port} user={user} dbname=postgres"',
                         True),
    'redis': Engine(6379, 'redis-cli -h {host} -p {port}', False),
}


def details(instance):
    """{'host', 'port', 'command', 'user_note'} for the Overview, or None without an
    address (an instance still building, or whose address is gone)."""
    hosts = getattr(instance, 'ip', None) or []
    if not hosts:
        return None
    datastore = (getattr(instance, 'datastore', None) or {}).get('type')
    engine = ENGINES.get(datastore)
    if engine is None:
        return {'host': hosts[0], 'port': None, 'command': None, 'user_note': None}
    return {'host': hosts[0], 'port': engine.port,
            'command': engine.command.format(host=hosts[0], port=engine.port, user=USER),
            'user_note': _user_note(engine)}


def _user_note(engine):
    if engine.needs_user:
        return _('Replace %(user)s with a user of the instance (its Users tab), or root once '
                 'root is enabled. The command asks for the password.') % {'user': USER}
    return _('When root is enabled, add --askpass and type its password.')
