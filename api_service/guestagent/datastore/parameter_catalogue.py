"""What a running engine says about its configuration parameters, as rules the API serves.

The rule files beside this module (`parameter_rules/<manager>-<version>.json`) are written from
these answers by `scripts/parameter_rules.py` and checked against them by
`tests/functional/test_parameter_rules.py`: PostgreSQL's `pg_settings` and MariaDB's
`information_schema.SYSTEM_VARIABLES` give type, range, unit and whether a change needs a restart;
Redis has no such catalogue, so its types and ranges are curated here and only the names and
the restart flag (an immutable parameter refuses `CONFIG SET`) come from the engine.
A fixed-choice string carries `allowed`, the values the engine takes (`multiple`: a comma
list of them): pg_settings.enumvals, SYSTEM_VARIABLES.ENUM_VALUE_LIST (ENUM and SET types),
MariaDB's character sets and collations, and for Redis a curated list.
"""
import os

RULES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'parameter_rules')

# The parameters users commonly set; a name a version lacks is left out of that version's file.
NAMES = {
    'mariadb': [
        'innodb_buffer_pool_size', 'innodb_log_file_size', 'innodb_log_buffer_size',
        'innodb_flush_log_at_trx_commit', 'innodb_flush_method', 'innodb_file_per_table',
        'innodb_io_capacity', 'innodb_lock_wait_timeout', 'innodb_open_files',
        # Not max_user_connections: it would limit the agent's own account too.
        'innodb_strict_mode', 'max_connections', 'max_allowed_packet',
        'wait_timeout', 'interactive_timeout', 'connect_timeout', 'net_read_timeout',
        'net_write_timeout', 'lock_wait_timeout', 'table_open_cache', 'table_definition_cache',
        'thread_cache_size', 'tmp_table_size', 'max_heap_table_size', 'sort_buffer_size',
        'join_buffer_size', 'read_buffer_size', 'read_rnd_buffer_size', 'key_buffer_size',
        'query_cache_size', 'query_cache_type', 'slow_query_log', 'long_query_time',
        'log_warnings', 'character_set_server', 'collation_server', 'sql_mode',
        'max_prepared_stmt_count', 'local_infile', 'auto_increment_increment',
        'auto_increment_offset',
    ],
    'postgresql': [
        'shared_buffers', 'work_mem', 'maintenance_work_mem', 'effective_cache_size',
        'temp_buffers', 'wal_buffers', 'max_connections', 'max_wal_size', 'min_wal_size',
        'checkpoint_timeout', 'checkpoint_completion_target', 'random_page_cost',
        'effective_io_concurrency', 'io_method', 'default_statistics_target',
        'max_worker_processes', 'max_parallel_workers', 'max_parallel_workers_per_gather',
        'max_locks_per_transaction', 'autovacuum', 'autovacuum_max_workers',
        'autovacuum_worker_slots', 'autovacuum_naptime', 'autovacuum_vacuum_scale_factor',
        'autovacuum_analyze_scale_factor', 'autovacuum_vacuum_cost_limit',
        'statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout',
        'idle_session_timeout', 'deadlock_timeout', 'log_min_duration_statement',
        'log_statement', 'log_connections', 'log_disconnections', 'log_lock_waits',
        'log_temp_files', 'log_checkpoints', 'track_io_timing', 'synchronous_commit',
        'default_transaction_isolation', 'jit',
    ],
    'redis': [
        'maxmemory', 'maxmemory-policy', 'maxmemory-samples', 'maxclients', 'timeout',
        'tcp-keepalive', 'appendonly', 'appendfsync', 'save', 'hz', 'databases', 'io-threads',
        'slowlog-log-slower-than', 'slowlog-max-len', 'latency-monitor-threshold',
        'lazyfree-lazy-eviction', 'lazyfree-lazy-expire', 'lazyfree-lazy-server-del',
        'notify-keyspace-events', 'lua-time-limit', 'activedefrag', 'repl-backlog-size',
        'min-replicas-to-write', 'stop-writes-on-bgsave-error', 'rdbcompression',
    ],
}

# Redis's types and ranges, by hand (redis.conf and config.c of 7.0): (type, min, max, unit).
REDIS_TYPES = {
    'maxmemory': ('integer', 0, 2 ** 63 - 1, 'B'),
    'maxmemory-policy': ('string', None, None, None),  # choices: REDIS_CHOICES
    'maxmemory-samples': ('integer', 1, 64, None),
    'maxclients': ('integer', 1, 2 ** 31 - 1, None),
    'timeout': ('integer', 0, 2 ** 31 - 1, 's'),
    'tcp-keepalive': ('integer', 0, 2 ** 31 - 1, 's'),
    'appendonly': ('boolean', None, None, None),
    'appendfsync': ('string', None, None, None),
    'save': ('string', None, None, None),
    'hz': ('integer', 0, 2 ** 31 - 1, None),
    'databases': ('integer', 1, 2 ** 31 - 1, None),
    'io-threads': ('integer', 1, 128, None),
    'slowlog-log-slower-than': ('integer', -1, 2 ** 63 - 1, 'us'),
    'slowlog-max-len': ('integer', 0, 2 ** 63 - 1, None),
    'latency-monitor-threshold': ('integer', 0, 2 ** 63 - 1, 'ms'),
    'lazyfree-lazy-eviction': ('boolean', None, None, None),
    'lazyfree-lazy-expire': ('boolean', None, None, None),
    'lazyfree-lazy-server-del': ('boolean', None, None, None),
    'notify-keyspace-events': ('string', None, None, None),
    'lua-time-limit': ('integer', 0, 2 ** 63 - 1, 'ms'),
    'activedefrag': ('boolean', None, None, None),
    'repl-backlog-size': ('integer', 1, 2 ** 63 - 1, 'B'),
    'min-replicas-to-write': ('integer', 0, 2 ** 31 - 1, None),
    'stop-writes-on-bgsave-error': ('boolean', None, None, None),
    'rdbcompression': ('boolean', None, None, None),
}

# Redis's fixed choices (config.c's enum tables of 7.0).
REDIS_CHOICES = {
    'maxmemory-policy': ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl',
                         'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'],
    'appendfsync': ['always', 'everysec', 'no'],
}

_PG_TYPES = {'bool': 'boolean', 'integer': 'integer', 'real': 'float', 'string': 'string',
             'enum': 'string'}


def _rule(name, type_, minimum, maximum, restart_required, unit, allowed=None,
          multiple=False):
    rule = {'name': name, 'type': type_, 'restart_required': bool(restart_required)}
    if type_ in ('integer', 'float'):
        rule['min'], rule['max'] = minimum, maximum
    if unit:
        rule['unit'] = unit
    if allowed:
        rule['allowed'] = list(allowed)
        if multiple:
            rule['multiple'] = True
    return rule


def _number(type_, text):
    if text is None:
        return None
    return int(text) if type_ == 'integer' else float(text)


def _postgresql(manager, names):
    with manager._connection('read pg_settings') as conn:
        rows = conn.execute('SELECT name, vartype, min_val, max_val, unit, context, enumvals '
                            'FROM pg_settings WHERE name = ANY(%s)', (names,)).fetchall()
    rules = {}
    for name, vartype, min_val, max_val, unit, context, enumvals in rows:
        type_ = _PG_TYPES[vartype]
        rules[name] = _rule(name, type_, _number(type_, min_val), _number(type_, max_val),
                            context == 'postmaster', unit,
                            allowed=enumvals if vartype == 'enum' else None)
    return rules


def _mariadb_type(variable_type):
    if 'INT' in variable_type:
        return 'integer'
    if variable_type == 'BOOLEAN':
        return 'boolean'
    if variable_type == 'DOUBLE':
        return 'float'
    return 'string'


def _mariadb(manager, names):
    with manager._cursor('read SYSTEM_VARIABLES') as cursor:
        cursor.execute('SELECT LOWER(VARIABLE_NAME), VARIABLE_TYPE, NUMERIC_MIN_VALUE, '
                       'NUMERIC_MAX_VALUE, READ_ONLY, ENUM_VALUE_LIST '
                       'FROM information_schema.SYSTEM_VARIABLES '
                       'WHERE LOWER(VARIABLE_NAME) IN %s', (tuple(names),))
        rows = cursor.fetchall()
        named = _mariadb_named_choices(cursor)
    rules = {}
    for name, variable_type, minimum, maximum, read_only, value_list in rows:
        type_ = _mariadb_type(variable_type)
        allowed = named.get(name)
        if variable_type in ('ENUM', 'SET') and value_list:
            allowed = value_list.split(',')     # sql_mode's list has ANSI, TRADITIONAL...
        rules[name] = _rule(name, type_, _number(type_, minimum), _number(type_, maximum),
                            read_only == 'YES', None, allowed=allowed,
                            multiple=variable_type == 'SET')
    return rules


def _with_utf8_alias(names):
    # MariaDB takes `utf8` for utf8mb3 (old_mode UTF8_IS_UTF8MB3, its default).
    return sorted(set(names) | {n.replace('utf8mb3', 'utf8', 1) for n in names
                                if n.startswith('utf8mb3')})


def _mariadb_named_choices(cursor):
    """character_set_server and collation_server take a character set or a collation the
    server has."""
    cursor.execute('SELECT CHARACTER_SET_NAME FROM information_schema.CHARACTER_SETS')
    charsets = [row[0] for row in cursor.fetchall()]
    cursor.execute('SELECT COLLATION_NAME FROM information_schema.COLLATIONS')
    collations = [row[0] for row in cursor.fetchall()]
    return {'character_set_server': _with_utf8_alias(charsets),
            'collation_server': _with_utf8_alias(collations)}


def _redis(manager, names):
    rules = {}
    with manager._admin('read CONFIG') as client:
        for name in names:
            found = client.config_get(name)
            if name not in found:
                continue
            type_, minimum, maximum, unit = REDIS_TYPES[name]
            rules[name] = _rule(name, type_, minimum, maximum,
                                _immutable(client, name, found[name]), unit,
                                allowed=REDIS_CHOICES.get(name))
    return rules


def _immutable(client, name, value):
    """Redis refuses CONFIG SET of a parameter read only at start; setting the current value
    of any other changes nothing."""
    import redis  # here: the API reads this module's paths and needs no Redis client
    try:
        client.config_set(name, value)
    except redis.exceptions.ResponseError as exc:
        if 'immutable' in str(exc):
            return True
        raise
    return False


_READERS = {'postgresql': _postgresql, 'mariadb': _mariadb, 'redis': _redis}


def engine_rules(manager, names=None):
    """{name: rule} for the names the running engine of `manager` knows, from the engine."""
    names = list(NAMES[manager.manager] if names is None else names)
    return _READERS[manager.manager](manager, names)


def rules_file(manager_name, version):
    """The rule file for an engine version ('postgresql', '15' → …/postgresql-15.json)."""
    return os.path.join(RULES_DIR, '%s-%s.json' % (manager_name, version))
