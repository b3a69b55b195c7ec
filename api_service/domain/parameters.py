"""Configuration parameters a datastore version accepts: rows of `configuration_parameters`.

A version's rows are seeded from the engine's rule file when the version is registered
(`seed`, called by catalogue_admin.upsert_datastore_version), and only if it has no rows at
all: a soft-deleted row counts, so an operator's delete sticks across restarts. The rule
files were read from the engines themselves (`scripts/parameter_rules.py`); a version finds
its file by its manager and the longest prefix of its version number that has one
(`10.11.19` → `mariadb-10.11.json`). After seeding the rows are the operator's
(`/mgmt/datastores/versions/{id}/parameters`), except names the guest controls (DENIED).
"""
import collections
import functools
import json
import os

from sqlalchemy import bindparam, select

from api_service.common import exceptions
from api_service.db import models
from api_service.db import models_configurations as mc
from api_service.db.session import read_scope, session_scope
from api_service.domain import datastores
from api_service.guestagent.datastore import parameter_catalogue

# A rule as the views and the validation read it; min and max are None for strings and
# booleans, ints for integers, floats for floats.
Parameter = collections.namedtuple(
    'Parameter', 'name type min max restart_required unit datastore_version_id')

TYPES = ('boolean', 'integer', 'float', 'string')

# Names the guest writes itself (where the engine listens, where its files are, who may log
# in, replication): a group setting them would break the agent's hold on its engine. Compared
# lower-case with '-' read as '_' (MariaDB takes both spellings).
_COMMON_DENIED = {'port', 'bind', 'bind_address', 'include', 'includedir', 'include_if_exists',
                  'pidfile', 'pid_file', 'user', 'socket', 'datadir', 'dir', 'tmpdir',
                  'log_error', 'logfile', 'data_directory', 'requirepass', 'masterauth',
                  'masteruser', 'replicaof', 'slaveof', 'rename_command'}
DENIED = {
    'mariadb': _COMMON_DENIED | {
        'basedir', 'plugin_dir', 'character_sets_dir', 'secure_file_priv', 'skip_networking',
        'skip_grant_tables', 'init_connect', 'init_file', 'general_log_file', 'slow_query_log_file',
        'log_bin', 'log_bin_index', 'relay_log', 'relay_log_index', 'server_id', 'read_only',
        'gtid_domain_id', 'gtid_slave_pos', 'log_slave_updates', 'report_host',
        'innodb_data_home_dir', 'innodb_log_group_home_dir', 'innodb_undo_directory',
        'aria_log_dir_path', 'plugin_load_add', 'plugin_load', 'plugin_maturity',
        'default_authentication_plugin', 'extra_port', 'skip_name_resolve',
        # Limits the agent's own account too; option-file-only switches the agent relies on.
        'max_user_connections', 'chroot', 'memlock', 'getopt_prefix_matching', 'log_basename'},
    'postgresql': _COMMON_DENIED | {
        'hba_file', 'ident_file', 'config_file', 'external_pid_file', 'listen_addresses',
        'unix_socket_directories', 'unix_socket_group', 'unix_socket_permissions',
        'password_encryption', 'logging_collector', 'log_directory', 'log_filename',
        'log_destination', 'archive_mode', 'archive_command', 'archive_library',
        'restore_command', 'summarize_wal', 'wal_level', 'primary_conninfo',
        'primary_slot_name', 'hot_standby', 'max_wal_senders', 'max_replication_slots',
        'wal_log_hints', 'wal_keep_size', 'max_slot_wal_keep_size',
        'synchronous_standby_names', 'recovery_target', 'ssl', 'ssl_cert_file',
        'ssl_key_file', 'ssl_ca_file', 'ssl_crl_file', 'ssl_crl_dir', 'ssl_dh_params_file',
        'ssl_passphrase_command', 'shared_preload_libraries', 'dynamic_library_path',
        'local_preload_libraries', 'session_preload_libraries', 'lc_messages', 'include_dir',
        'archive_cleanup_command', 'recovery_end_command', 'jit_provider'},
    'redis': _COMMON_DENIED | {
        'unixsocket', 'unixsocketperm', 'dbfilename', 'appendfilename', 'appenddirname',
        'daemonize', 'supervised', 'protected_mode', 'aclfile', 'tls_port', 'tls_cert_file',
        'tls_key_file', 'tls_ca_cert_file', 'replica_announce_ip', 'slave_announce_ip',
        'replica_read_only', 'slave_read_only', 'cluster_enabled', 'cluster_config_file',
        'enable_debug_command', 'enable_module_command', 'enable_protected_configs',
        'loadmodule'},
}


def _plain(name):
    return name.lower().replace('-', '_')


# MariaDB reads `loose-x`, `skip-x`, `enable-x`, `disable-x` and `maximum-x` in an option
# file as modifiers of option `x`, so such a name would reach a denied option (`skip-ssl`,
# `loose-plugin-load`) past an exact-name check. The rules spell every name with '_'; a '-'
# form is the same option, so it is refused rather than compared.
_MARIADB_PREFIXES = ('loose_', 'skip_', 'enable_', 'disable_', 'maximum_')


def _denied_by_form(manager, name, plain):
    if manager == 'mariadb':
        return '-' in name or plain.startswith(_MARIADB_PREFIXES) or plain.startswith('ssl')
    if manager == 'postgresql':      # certificate, key and CRL files, the passphrase command
        return plain.startswith('ssl_') and plain.endswith(('_file', '_dir', '_command'))
    return False


def is_denied(manager, name):
    """Whether the guest controls `name` on `manager`'s engines (never configurable)."""
    plain = _plain(name)
    return (plain in DENIED.get(manager, _COMMON_DENIED) or 'password' in plain or
            _denied_by_form(manager, name, plain))


def check_not_denied(manager, name):
    if manager == 'mariadb' and ('-' in name or _plain(name).startswith(_MARIADB_PREFIXES)):
        raise exceptions.BadRequest(
            "'%s' cannot be a configuration parameter of mariadb: the guest agent takes "
            "names written with '_' and without an option prefix (loose_, skip_, enable_, "
            'disable_, maximum_), as SHOW VARIABLES lists them.' % name[:128])
    if is_denied(manager, name):
        raise exceptions.BadRequest(
            "'%s' is set by the guest agent itself (addresses, paths, accounts, replication) "
            'and cannot be a configuration parameter of %s.' % (name[:128], manager))


# -- seeding from the rule files ------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _rules(manager, version):
    """{name: rule} of the first rule file matching this engine version; {} when none does."""
    parts = version.split('.')
    for n in range(len(parts), 0, -1):
        path = parameter_catalogue.rules_file(manager, '.'.join(parts[:n]))
        if os.path.exists(path):
            with open(path) as source:
                return {rule['name']: rule for rule in json.load(source)}
    return {}


def choices(manager, version, name):
    """(allowed values, whether a comma list of them is taken) of a fixed-choice parameter,
    from the engine's rule file; None for any other. Not in the table: the choices are the
    engine's, which an operator cannot add to, and an operator's own parameter has none."""
    rule = _rules(manager, version).get(name)
    if not rule or not rule.get('allowed'):
        return None
    return rule['allowed'], bool(rule.get('multiple'))


def _text(number):
    return None if number is None else str(number)


def seed(session, version):
    """Give a version (a DatastoreVersion row in `session`) the rows of its rule file, unless
    it has rows already, deleted ones included. Returns how many were added."""
    if session.scalars(select(mc.ConfigurationParameter.id).where(
            mc.ConfigurationParameter.datastore_version_id == version.id).limit(1)).first():
        return 0
    rules = [rule for name, rule in sorted(_rules(version.manager, version.version).items())
             if not is_denied(version.manager, name)]
    for rule in rules:
        session.add(mc.ConfigurationParameter(
            datastore_version_id=version.id, name=rule['name'], data_type=rule['type'],
            min_size=_text(rule.get('min')), max_size=_text(rule.get('max')),
            restart_required=bool(rule['restart_required']), unit=rule.get('unit')))
    return len(rules)


# -- reads: one query each ------------------------------------------------------------

_P = mc.ConfigurationParameter.__table__
_OF_VERSION = (select(_P).where(_P.c.datastore_version_id == bindparam('version'),
                                _P.c.deleted.is_(False)).order_by(_P.c.name))
_ONE = _OF_VERSION.where(_P.c.name == bindparam('name'))


def _number(text, data_type):
    if text is None:
        return None
    if data_type == 'integer':
        return int(text)
    if data_type == 'float':
        return float(text)
    return None


def _parameter(row):
    return Parameter(row.name, row.data_type, _number(row.min_size, row.data_type),
                     _number(row.max_size, row.data_type), bool(row.restart_required),
                     row.unit, row.datastore_version_id)


def for_version_id(version_id):
    """{name: Parameter} of a version's live rows, from one query."""
    with read_scope() as conn:
        rows = conn.execute(_OF_VERSION, {'version': version_id}).all()
    return {row.name: _parameter(row) for row in rows}


def list_parameters(version):
    """The parameters of a datastore version (a row of datastores.get_version*), by name."""
    return list(for_version_id(version.id).values())


def get_parameter(version, name):
    with read_scope() as conn:
        row = conn.execute(_ONE, {'version': version.id, 'name': name}).first()
    if row is None:
        raise exceptions.NotFound("No configuration parameter '%s' for datastore version '%s'."
                                  % (name[:128], version.id))
    return _parameter(row)


def parameters_by_version_id(version_id):
    return list_parameters(datastores.get_version_by_id(version_id))


def parameters_by_name(datastore, version):
    return list_parameters(datastores.get_version(datastore, version))


def parameter_by_version_id(version_id, name):
    return get_parameter(datastores.get_version_by_id(version_id), name)


def parameter_by_name(datastore, version, name):
    return get_parameter(datastores.get_version(datastore, version), name)


# -- the operator's changes -----------------------------------------------------------

def _range(body):
    """(data_type, min text, max text) from an admin's body, checked as upstream Trove does:
    an integer needs both bounds, and min <= max."""
    data_type = body['data_type']
    low, high = body.get('min_size'), body.get('max_size')
    if data_type in ('boolean', 'string'):
        return data_type, None, None
    if data_type == 'integer' and (low is None or high is None):
        raise exceptions.BadRequest('min_size and max_size are required for an integer '
                                    'parameter.')
    try:
        low, high = (None if v is None else _number(str(v), data_type) for v in (low, high))
    except ValueError:
        raise exceptions.BadRequest('min_size and max_size must be %s numbers.' % data_type)
    if low is not None and high is not None and high < low:
        raise exceptions.BadRequest('max_size must be greater than or equal to min_size.')
    return data_type, _text(low), _text(high)


def _row(session, version_id, name):
    return session.scalars(select(mc.ConfigurationParameter).where(
        mc.ConfigurationParameter.datastore_version_id == version_id,
        mc.ConfigurationParameter.name == name).with_for_update()).first()


def _not_found(version_id, name):
    return exceptions.NotFound("No configuration parameter '%s' for datastore version '%s'."
                               % (name[:128], version_id))


def create(version_id, body):
    """Admin: a new parameter (or a deleted one back, with the new rule); 409 if it exists."""
    version = datastores.get_version_by_id(version_id)
    check_not_denied(version.manager, body['name'])
    data_type, low, high = _range(body)
    with session_scope() as session:
        row = _row(session, version.id, body['name'])
        if row is not None and not row.deleted:
            raise exceptions.Conflict("Configuration parameter '%s' already exists for datastore "
                                      "version '%s'; change it with PUT." % (body['name'],
                                                                              version.id))
        row = row or mc.ConfigurationParameter(datastore_version_id=version.id,
                                               name=body['name'])
        _set(row, body, data_type, low, high)
        row.deleted, row.deleted_at = False, None
        session.add(row)
        session.flush()
        return _parameter(row)


def update(version_id, name, body):
    """Admin: change a live parameter's rule (PUT: the whole rule, as upstream)."""
    version = datastores.get_version_by_id(version_id)
    if body.get('name', name) != name:
        raise exceptions.BadRequest("The body names '%s' but the path '%s': a parameter cannot "
                                    'be renamed.' % (body['name'][:128], name[:128]))
    check_not_denied(version.manager, name)
    data_type, low, high = _range(body)
    with session_scope() as session:
        row = _row(session, version.id, name)
        if row is None or row.deleted:
            raise _not_found(version.id, name)
        _set(row, body, data_type, low, high)
        session.flush()
        return _parameter(row)


def _set(row, body, data_type, low, high):
    row.data_type, row.min_size, row.max_size = data_type, low, high
    row.restart_required = bool(body['restart_required'])
    if 'unit' in body:
        row.unit = body['unit']


def delete(version_id, name):
    """Admin: soft delete, so seeding never brings it back. Groups keep values they have."""
    version = datastores.get_version_by_id(version_id)
    with session_scope() as session:
        row = _row(session, version.id, name)
        if row is None or row.deleted:
            raise _not_found(version.id, name)
        row.deleted, row.deleted_at = True, models.utcnow()
