"""Compute drivers; `get_driver()` returns the one configured."""
import functools

from api_service.common.config import CONF


@functools.lru_cache(maxsize=None)
def get_driver():
    if CONF.compute_driver == 'local':
        from api_service.drivers.compute import local
        return local.LocalDriver()
    raise ValueError('Unknown compute driver %r' % CONF.compute_driver)
