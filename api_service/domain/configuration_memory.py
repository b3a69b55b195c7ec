"""Whether a configuration group's values fit a flavor's RAM (`check_fits`).

The formula is in docs/configuration-groups.md: what the group's values make the engine use,
refused only when that is above the flavor's RAM and more than the instance's own defaults
(the guest's base config for that flavor and the engine's defaults) already need.
"""
import math

from api_service.common import exceptions

MIB = 1024 * 1024


# MariaDB: per-connection buffers (engine defaults, bytes) and the base config's
# max_connections; the guest's buffer pool for a flavor (mariadb.memory_setting_bytes).
_MARIADB_BUFFERS = {'sort_buffer_size': 2 * MIB, 'join_buffer_size': 256 * 1024,
                    'read_buffer_size': 128 * 1024, 'read_rnd_buffer_size': 256 * 1024}
_BASE_MAX_CONNECTIONS = 100
_PG_WORK_MEM_KB = 4096


# The guests' memory_setting_bytes formulas (guestagent/datastore/<manager>.py), copied:
# the API does not import the engines' client libraries. A unit test keeps them equal.
def _mariadb_pool(ram_mb):
    return max(32, ram_mb // 2) * MIB


def _postgresql_shared_buffers(ram_mb):
    return max(16, ram_mb // 4) * MIB


def _redis_maxmemory(ram_mb):
    return max(16, ram_mb // 2) * MIB


def _mariadb_memory(ram_mb, values):
    pool = values.get('innodb_buffer_pool_size')
    total = (pool or 0) + values.get('key_buffer_size', 0)
    used = [n for n in ('innodb_buffer_pool_size', 'key_buffer_size') if n in values]
    per_connection = ['max_connections'] + list(_MARIADB_BUFFERS)
    if any(name in values for name in per_connection):
        buffers = sum(values.get(name, default) for name, default in _MARIADB_BUFFERS.items())
        total += values.get('max_connections', _BASE_MAX_CONNECTIONS) * (buffers + MIB)
        if pool is None:
            total += _mariadb_pool(ram_mb)     # the guest's pool for this flavor
        used += [name for name in per_connection if name in values]
    return total, used


def _postgresql_memory(ram_mb, values):
    total = values.get('shared_buffers', 0) * 8192
    used = ['shared_buffers'] if 'shared_buffers' in values else []
    if 'max_connections' in values or 'work_mem' in values:
        total += (values.get('max_connections', _BASE_MAX_CONNECTIONS) *
                  values.get('work_mem', _PG_WORK_MEM_KB) * 1024)
        used += [name for name in ('max_connections', 'work_mem') if name in values]
    return total, used


def _redis_memory(ram_mb, values):
    return values.get('maxmemory', 0), ['maxmemory'] if 'maxmemory' in values else []


_MEMORY = {'mariadb': _mariadb_memory, 'postgresql': _postgresql_memory,
           'redis': _redis_memory}


def default_values(ram_mb, manager):
    """The memory settings an instance of this flavor runs with when no group sets them:
    the guest's base config (its memory_setting_bytes, max_connections 100) and the
    engine's defaults."""
    if manager == 'mariadb':
        return dict(_MARIADB_BUFFERS, innodb_buffer_pool_size=_mariadb_pool(ram_mb),
                    max_connections=_BASE_MAX_CONNECTIONS)
    if manager == 'postgresql':
        return {'shared_buffers': _postgresql_shared_buffers(ram_mb) // 8192,
                'max_connections': _BASE_MAX_CONNECTIONS, 'work_mem': _PG_WORK_MEM_KB}
    if manager == 'redis':
        return {'maxmemory': _redis_maxmemory(ram_mb)}
    return {}


def memory_needed(ram_mb, manager, values):
    """(bytes, names): the memory the group's values make the engine use, and which values
    count. Only what the group sets is counted (with what it multiplies at its default)."""
    counted = _MEMORY.get(manager)
    return counted(ram_mb, values) if counted else (0, [])


def check_fits(ram_mb, manager, values, whose='The values'):
    """400 when `values` need more memory than `ram_mb` AND ask for more than the instance's
    defaults: on a small flavor the defaults' worst case (every connection with every
    buffer) is above its RAM already, and a group asking no more than they do is no risk
    the instance does not run anyway. Both sides are counted alike (the group's values over
    the defaults, against the defaults alone)."""
    needed, names = memory_needed(ram_mb, manager, values)
    if needed <= ram_mb * MIB:
        return
    defaults = default_values(ram_mb, manager)
    baseline, _ = memory_needed(ram_mb, manager, defaults)
    with_group, _ = memory_needed(ram_mb, manager, dict(defaults, **values))
    if with_group <= baseline:
        return
    if baseline <= ram_mb * MIB:
        needs = 'need about %d MB of memory (%s), more than the %d MB of RAM of the flavor' % (
            math.ceil(needed / MIB), ', '.join(names), ram_mb)
    else:
        needs = ('need about %d MB of memory with the instance\'s other settings (%s), more '
                 'than the %d MB of RAM of the flavor and more than its default values need '
                 '(about %d MB)' % (math.ceil(with_group / MIB), ', '.join(names), ram_mb,
                                    math.ceil(baseline / MIB)))
    raise exceptions.BadRequest('%s %s: lower them or use a larger flavor.' % (whose, needs))
