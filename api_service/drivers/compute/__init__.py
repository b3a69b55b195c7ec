"""Compute drivers; `get_driver()` returns the one configured ([DEFAULT] compute_driver).

Drivers are named in `DRIVERS` (name -> 'module:Class'), imported only when chosen, so a
process that never uses the local driver never imports it. A new backend is a new module
and a line here (or a `register` call, which is how the tests install theirs).
"""
import functools
import importlib

from api_service.common.config import CONF

DRIVERS = {
    'local': 'api_service.drivers.compute.local:LocalDriver',
}


def register(name, path):
    """Make driver `name` ('module:Class') choosable; forgets the driver already made."""
    DRIVERS[name] = path
    get_driver.cache_clear()


@functools.lru_cache(maxsize=None)
def get_driver():
    """The configured driver, made once per process."""
    path = DRIVERS.get(CONF.compute_driver)
    if path is None:
        raise ValueError('Unknown compute driver %r; known: %s.'
                         % (CONF.compute_driver, ', '.join(sorted(DRIVERS))))
    module, _, name = path.partition(':')
    return getattr(importlib.import_module(module), name)()


def check_configured(process):
    """Stop a service's start, in the operator's words, when compute_driver names no driver
    (otherwise every request that needs it would fail with a 500)."""
    try:
        get_driver()
    except ValueError as error:
        raise SystemExit('%s: %s' % (process, error))
