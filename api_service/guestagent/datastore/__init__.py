"""Engine managers of the guest agent, one module per engine, found by name.

Each module imports its own client library (PyMySQL, psycopg, redis-py), so
the registry imports a module only when its manager is asked for: an agent
driving Redis never loads the SQL drivers.
"""
import importlib

from api_service.guestagent import errors

_MANAGERS = {
    'mariadb': ('api_service.guestagent.datastore.mariadb', 'MariaDBManager'),
    'postgresql': ('api_service.guestagent.datastore.postgresql', 'PostgreSQLManager'),
    'redis': ('api_service.guestagent.datastore.redis', 'RedisManager'),
}


def manager_names():
    """The names get_manager_class accepts."""
    return sorted(_MANAGERS)


def get_manager_class(manager_name):
    """The EngineManager subclass registered as `manager_name` ('mariadb', 'postgresql', 'redis')."""
    try:
        module_name, class_name = _MANAGERS[manager_name]
    except (KeyError, TypeError):
        raise errors.UnknownManager('There is no guest agent manager named %r; known: %s.'
                                    % (manager_name, ', '.join(manager_names())))
    return getattr(importlib.import_module(module_name), class_name)
