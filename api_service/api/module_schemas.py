"""JSON schemas of /modules bodies: python-troveclient's create, update and reapply.

The client sends booleans as 0/1; true/false are taken too. Each flag and `apply_order`
carries its own message (schema_errors shows an anyOf's description), so a refusal
names the field and what it takes.
"""
from api_service.api import schemas


def _flag(field):
    return {'anyOf': [{'type': 'boolean'}, {'type': 'integer', 'enum': [0, 1]}],
            'description': "'%s' must be true or false (or 1 or 0)." % field}


APPLY_ORDER_MESSAGE = "'apply_order' must be a whole number from 0 to 9."
apply_order = {'anyOf': [{'type': 'integer', 'minimum': 0, 'maximum': 9}],
               'description': APPLY_ORDER_MESSAGE}
module_type = schemas.identifier(255)
# Base64 text of the file; the request body's own limit bounds its size. No pattern: the
# domain decodes it strictly (module_contents.decode), refusing any other character, and a
# pattern would cost a scan of up to a megabyte on every create.
contents = {'type': 'string', 'minLength': 1}
datastore = schemas._object({'type': schemas.name, 'version': schemas.optional_name})

_FLAGS = ('all_tenants', 'auto_apply', 'visible', 'live_update', 'priority_apply',
          'full_access')
_COMMON = dict({flag: _flag(flag) for flag in _FLAGS},
               name=schemas.name, description=schemas.description, contents=contents,
               datastore=datastore, apply_order=apply_order)

module_create = schemas._object({'module': schemas._object(
    dict(_COMMON, module_type=module_type),
    ['name', 'module_type', 'contents'])}, ['module'])

# The client sends the type as `type` on update; `module_type` (create's name) is taken too.
module_update_fields = schemas._object(dict(
    _COMMON, type=module_type, module_type=module_type,
    all_datastores=_flag('all_datastores'),
    all_datastore_versions=_flag('all_datastore_versions')))

reapply_fields = schemas._object({
    'md5': schemas.identifier(32, min_length=0, nullable=True),
    'include_clustered': _flag('include_clustered'),
    'force': _flag('force'),
    'batch_size': {'type': 'integer', 'minimum': 1, 'maximum': 10000},
    'batch_delay': {'type': 'integer', 'minimum': 0, 'maximum': 3600},
})

module_reapply = schemas._object({'reapply': reapply_fields}, ['reapply'])

# PUT /modules/{id}: a change ({"module": ...}) or, as the issue names it, a reapply.
module_update = schemas._object(
    {'module': module_update_fields, 'reapply': reapply_fields},
    oneOf=[{'required': ['module']}, {'required': ['reapply']}],
    description='The body must be {"module": {...}} (a change) or {"reapply": {...}}.')
