"""JSON schemas for every request body, and reusable pieces of them.

The same schemas feed the OpenAPI document (api/openapi.py); api/schema_errors.py words
their refusals. Every name and identifier refuses control characters (NO_CONTROL), free text
keeps tab and newline (FREE_TEXT), every list is bounded; a `pattern` carries `x-allowed`,
what it takes in words, for its refusal.
"""
from api_service.api.schema_errors import FREE_TEXT, NO_CONTROL

non_negative_or_unlimited = {'type': 'integer', 'minimum': -1, 'maximum': 2 ** 31 - 1}

quota_update = {
    'type': 'object',
    'required': ['quotas'],
    'additionalProperties': False,
    'properties': {
        'quotas': {
            'type': 'object',
            'minProperties': 1,
            'additionalProperties': False,
            'properties': {name: non_negative_or_unlimited
                           for name in ('instances', 'ram', 'volumes', 'backups')},
        },
    },
}


def _object(properties, required=(), **extra):
    return dict({'type': 'object', 'additionalProperties': False, 'properties': properties,
                 'required': list(required)}, **extra)


def identifier(max_length, min_length=1, nullable=False, kinds=('string',)):
    """A name, id, host, type or version: short text without control characters."""
    kinds = list(kinds) + (['null'] if nullable else [])
    return {'type': kinds[0] if len(kinds) == 1 else kinds, 'minLength': min_length,
            'maxLength': max_length, 'pattern': NO_CONTROL}


def free_text(max_length=None, min_length=0, nullable=True):
    """A description or contents: any text but control characters other than tab, newline
    and carriage return."""
    schema = {'type': ['string', 'null'] if nullable else 'string', 'minLength': min_length,
              'pattern': FREE_TEXT}
    if max_length is not None:
        schema['maxLength'] = max_length
    return schema


name = identifier(255)
optional_name = identifier(255, min_length=0, nullable=True)
uuid_like = identifier(36)
volume_size = {'anyOf': [{'type': 'integer', 'minimum': 1, 'maximum': 100000},
                         {'type': 'string', 'pattern': '^[1-9][0-9]{0,5}$',
                          'x-allowed': 'a whole number from 1 to 100000'}]}
# A configuration group's id, or null (detach); upstream takes a UUID only.
configuration_ref = {'type': ['string', 'null'], 'maxLength': 36,
                     'pattern': '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-'
                                '[0-9a-fA-F]{12}$',
                     'x-allowed': "a configuration group's id (a UUID) or null"}
# A create's group: its id, or its name (what `openstack database instance create
# --configuration NAME` sends); the domain resolves it.
configuration_id_or_name = identifier(255, min_length=0, nullable=True)
flavor_ref = {'anyOf': [identifier(1024), {'type': 'integer', 'minimum': 0}]}
# How many replicas one create makes: troveclient sends an integer, the spec shows text.
replica_count = {'anyOf': [{'type': 'integer', 'minimum': 1, 'maximum': 10},
                           {'type': 'string', 'pattern': '^([1-9]|10)$',
                            'x-allowed': 'a whole number from 1 to 10'}]}

database = _object({'name': identifier(64),
                    'character_set': identifier(64, min_length=0),
                    'collate': identifier(64, min_length=0)}, ['name'])
database_ref = _object({'name': identifier(64)}, ['name'])
user = _object({'name': identifier(80),
                # A password may be any text the engine takes; the body guard refuses NUL.
                'password': {'type': 'string', 'minLength': 1, 'maxLength': 255},
                'host': identifier(255),
                'databases': {'type': 'array', 'maxItems': 100, 'items': database_ref}},
               ['name', 'password'])
access = _object({'is_public': {'type': 'boolean'},
                  'allowed_cidrs': {'type': 'array', 'maxItems': 100,
                                    'items': identifier(64, min_length=0)}})

# Upstream Trove's nic: a network (net-id or network_id), its subnet, a fixed IPv4 address.
nic = _object({'net-id': uuid_like, 'network_id': uuid_like, 'subnet_id': uuid_like,
               'ip_address': identifier(64)})

instance_create = _object({'instance': _object({
    'name': name,
    'flavorRef': flavor_ref,
    'volume': _object({'size': volume_size, 'type': optional_name}, ['size']),
    'databases': {'type': 'array', 'maxItems': 100, 'items': database},
    'users': {'type': 'array', 'maxItems': 100, 'items': user},
    'datastore': _object({'type': name, 'version': optional_name,
                          'version_number': optional_name}),
    'availability_zone': optional_name,
    'locality': {'type': ['string', 'null'], 'enum': ['affinity', 'anti-affinity', None]},
    'access': access,
    'nics': {'type': 'array', 'maxItems': 10, 'items': nic},
    'restorePoint': _object({'backupRef': uuid_like}, ['backupRef']),
    'configuration': configuration_id_or_name,
    'replica_of': optional_name,
    'replica_count': replica_count,
    'modules': {'type': 'array', 'maxItems': 50, 'items': _object({'id': uuid_like}, ['id'])},
    'region_name': optional_name,
}, ['name'], **{
    # A replica takes its flavor and volume from its source (Trove's tooling sends only
    # name, nics and replica_of); any other instance names them.
    'if': {'required': ['replica_of'], 'properties': {'replica_of': {'type': 'string'}}},
    'else': {'required': ['flavorRef', 'volume']}})}, ['instance'])

# `replica_of` (or upstream's older `slave_of`) null: detach the replica from its source.
instance_update = _object({'instance': _object({
    'name': name,
    'access': access,
    'configuration': configuration_ref,
    'replica_of': {'type': 'null'},
    'slave_of': {'type': 'null'},
}, minProperties=1)}, ['instance'])

instance_action = {
    'description': 'The action must be one of {"restart": {}}, {"reset_status": {}}, '
                   '{"resize": {"volume": {"size": N}}}, {"resize": {"flavorRef": F}}, '
                   '{"promote_to_replica_source": {}}, {"eject_replica_source": {}} or '
                   '{"detach_replica": {}}.',
    'oneOf': [
        _object({'restart': _object({})}, ['restart']),
        _object({'reset_status': _object({})}, ['reset_status']),
        _object({'promote_to_replica_source': _object({})}, ['promote_to_replica_source']),
        _object({'eject_replica_source': _object({})}, ['eject_replica_source']),
        _object({'detach_replica': _object({})}, ['detach_replica']),
        _object({'resize': _object({'volume': _object({'size': volume_size}, ['size'])},
                                   ['volume'])}, ['resize']),
        _object({'resize': _object({'flavorRef': flavor_ref}, ['flavorRef'])}, ['resize']),
    ]}

databases_create = _object({'databases': {'type': 'array', 'minItems': 1, 'maxItems': 100,
                                          'items': database}}, ['databases'])
users_create = _object({'users': {'type': 'array', 'minItems': 1, 'maxItems': 100,
                                  'items': user}}, ['users'])
users_change_passwords = _object({'users': {'type': 'array', 'minItems': 1, 'maxItems': 100,
                                            'items': _object({
                                                'name': user['properties']['name'],
                                                'password': user['properties']['password'],
                                                'host': user['properties']['host']},
                                                ['name', 'password'])}}, ['users'])
user_update = _object({'user': _object({'name': user['properties']['name'],
                                        'password': user['properties']['password'],
                                        'host': user['properties']['host']},
                                       minProperties=1)}, ['user'])
user_access = _object({'databases': {'type': 'array', 'minItems': 1, 'maxItems': 100,
                                     'items': database_ref}}, ['databases'])
root_enable = {'anyOf': [_object({'password': user['properties']['password']}),
                         {'type': 'null'}],
               'description': 'The body is empty or {"password": "..."}.'}

# A Swift container name (of the account backups are stored in); plain ASCII, no '/'.
swift_container = {'type': 'string', 'minLength': 1, 'maxLength': 255,
                   'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
                   'x-allowed': "letters, digits, '_', '.' and '-', starting with a letter or "
                                'digit'}
backup_create = _object({'backup': _object({
    'name': name,
    'instance': uuid_like,
    'description': free_text(512),
    'parent_id': identifier(36, min_length=0, nullable=True),
    'incremental': {'type': ['integer', 'boolean'], 'enum': [0, 1, True, False]},
    'storage_driver': {'type': ['string', 'null'], 'enum': ['local', 'swift', None]},
    'swift_container': dict(swift_container, type=['string', 'null']),
    'restore_from': {'type': 'object', 'maxProperties': 20},
}, ['name'])}, ['backup'])

backup_strategy_create = _object({'backup_strategy': _object({
    'project_id': identifier(64),
    'instance_id': identifier(36, min_length=0, nullable=True),
    'swift_container': swift_container,
}, ['swift_container'])}, ['backup_strategy'])

# Only its length here: the domain says in words what is wrong with a pattern's fields.
cron_pattern = identifier(128, min_length=0)
schedule_create = _object({'schedule': _object({
    'name': name,
    'description': free_text(512),
    'pattern': cron_pattern,
    'incremental': {'type': 'boolean'},
    'retention': {'type': 'integer', 'minimum': 0, 'maximum': 10000},
    'enabled': {'type': 'boolean'},
}, ['name', 'pattern'])}, ['schedule'])
schedule_update = _object({'schedule': _object({
    'name': name,
    'description': free_text(512),
    'pattern': cron_pattern,
    'incremental': {'type': 'boolean'},
    'retention': {'type': 'integer', 'minimum': 0, 'maximum': 10000},
    'enabled': {'type': 'boolean'},
}, minProperties=1)}, ['schedule'])
schedule_run = {'anyOf': [_object({}), {'type': 'null'}],
                'description': 'The body is empty or {}.'}

# Configuration groups: values by parameter name, checked against the version's parameters
# by the domain (domain/configurations.py), which names the parameter in its 400.
configuration_values = {'type': 'object', 'maxProperties': 200,
                        'propertyNames': {'minLength': 1, 'maxLength': 128,
                                          'pattern': NO_CONTROL},
                        'additionalProperties': {'type': ['string', 'integer', 'number',
                                                          'boolean'],
                                                 'pattern': FREE_TEXT}}
description = free_text(512)
configuration_create = _object({'configuration': _object({
    'name': name,
    'description': description,
    'values': configuration_values,
    'datastore': _object({'type': name, 'version': optional_name,
                          'version_number': optional_name}),
}, ['name', 'values'])}, ['configuration'])
configuration_update = _object({'configuration': _object({
    'name': name,
    'description': description,
    'values': configuration_values,
}, minProperties=1)}, ['configuration'])
configuration_edit = _object({'configuration': _object({
    'values': configuration_values,
}, ['values'])}, ['configuration'])

# An operator's parameter rule (upstream's mgmt body; `unit` is ours).
parameter_bound = {'anyOf': [{'type': 'number'},
                             {'type': 'string', 'maxLength': 40,
                              'pattern': '^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$',
                              'x-allowed': 'a number'},
                             {'type': 'null'}]}
configuration_parameter = _object({'configuration-parameter': _object({
    'name': {'type': 'string', 'minLength': 1, 'maxLength': 128,
             'pattern': '^[A-Za-z0-9_.-]+$',
             'x-allowed': "letters, digits, '_', '.' and '-'"},
    'restart_required': {'anyOf': [{'type': 'boolean'},
                                   {'type': 'integer', 'minimum': 0, 'maximum': 1}]},
    'data_type': {'type': 'string', 'enum': ['boolean', 'integer', 'float', 'string']},
    'min_size': parameter_bound,
    'max_size': parameter_bound,
    'unit': identifier(16, min_length=0, nullable=True),
}, ['name', 'restart_required', 'data_type'])}, ['configuration-parameter'])

# The operator's instance actions (troveclient's Management: stop, reboot,
# reset_task_status; reset_status as the tenant API spells it).
mgmt_instance_action = {
    'description': 'The action must be one of {"stop": {}}, {"reboot": {}}, '
                   '{"reset-task-status": {}} or {"reset_status": {}}.',
    'oneOf': [_object({name: _object({})}, [name])
              for name in ('stop', 'reboot', 'reset-task-status', 'reset_status')]}

# -- operators' catalogue (issue #12): datastore versions, visibility, members, flavors,
# volume types. The create and PATCH bodies are upstream's (python-troveclient's), plus the
# registration spec's `datastore` and `manager` spellings.
string_list = {'anyOf': [{'type': 'array', 'maxItems': 100,
                          'items': identifier(255, min_length=0)},
                         identifier(1024, min_length=0)]}
visibility = {'type': 'string', 'enum': ['public', 'private', 'unlisted', 'deprecated']}
_VERSION_FIELDS = {
    'name': name,
    'datastore_manager': name,
    'manager': name,
    'image': identifier(255),
    'image_tags': string_list,
    'packages': string_list,
    'active': {'type': 'boolean'},
    'default': {'type': 'boolean'},
    'version': name,
    'visibility': visibility,
    # base.MATURITIES; the manager's own when registration names none.
    'maturity': {'type': 'string', 'enum': ['experimental', 'technical-preview', 'stable']},
    # Upstream's; nothing here uses them (the guest managers are built in).
    'registry_ext': optional_name,
    'repl_strategy': optional_name,
}
datastore_version_create = _object({'version': _object(dict(
    _VERSION_FIELDS, datastore_name=name, datastore=name), ['name'])}, ['version'])
datastore_version_update = _object(dict(_VERSION_FIELDS), minProperties=1)
datastore_version_visibility = _object({'datastore_version': _object(
    {'visibility': visibility}, ['visibility'])}, ['datastore_version'])
datastore_version_member = _object({'member': identifier(64)}, ['member'])

_size = {'type': 'integer', 'minimum': 0, 'maximum': 2 ** 31 - 1}
_FLAVOR_FIELDS = {
    'name': name,
    'ram': {'type': 'integer', 'minimum': 1, 'maximum': 2 ** 31 - 1},
    'vcpus': {'type': 'integer', 'minimum': 1, 'maximum': 4096},
    'disk': _size,
    'ephemeral': _size,
}
# troveclient's MgmtFlavors.create sends Nova's shape: `vcpu`, `flavor_id` ("auto"), and
# swap/rxtx_factor/is_public/service_type, which a database flavor has no use for.
flavor_create = _object({'flavor': _object(dict(
    _FLAVOR_FIELDS, id=identifier(36, 0, kinds=('string', 'integer')),
    flavor_id=identifier(36, 0, kinds=('string', 'integer')),
    vcpu=_FLAVOR_FIELDS['vcpus'], swap=_size,
    rxtx_factor=identifier(32, 0, kinds=('string', 'number')),
    is_public=identifier(16, 0, kinds=('string', 'boolean')),
    service_type=optional_name), ['name', 'ram'])}, ['flavor'])
flavor_update = _object({'flavor': _object(dict(_FLAVOR_FIELDS), minProperties=1)}, ['flavor'])

_VOLUME_TYPE_FIELDS = {
    'name': name,
    # The column's size (volume_types.description is String(255)).
    'description': free_text(255),
    'is_public': {'type': 'boolean'},
    # Local driver: the directory volumes of this type live under (absolute).
    'root_path': {'type': ['string', 'null'], 'maxLength': 1024,
                  'pattern': r'^/[^\x00-\x1F\x7F]*$',
                  'x-allowed': "an absolute path (starting with '/')"},
}
volume_type_create = _object({'volume_type': _object(dict(_VOLUME_TYPE_FIELDS), ['name'])},
                             ['volume_type'])
volume_type_update = _object({'volume_type': _object(dict(_VOLUME_TYPE_FIELDS),
                                                     minProperties=1)}, ['volume_type'])
# PUT of an association: no body (or an empty object).
no_body = {'anyOf': [{'type': 'null'}, _object({})],
           'description': 'The body must be empty.'}
