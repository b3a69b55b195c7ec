"""schema_errors: each jsonschema keyword's refusal in the user's words (field as a dotted
path, what is allowed, what was sent), and the strict validator (no float for an integer,
`$` is the end of the text). No database: these are the words alone."""
import pytest

from api_service.api import module_schemas
from api_service.api import schema_errors
from api_service.api import schemas
from api_service.api.controllers import registry
from api_service.api.schema_errors import FREE_TEXT, NO_CONTROL

JARGON = ('is not valid under any of the given schemas', 'is a required property',
          'is not of type', 'does not match', 'Additional properties', 'additionalProperties',
          'is less than the minimum', '$ref', 'Failed validating')


def refusal(schema, instance):
    error = schema_errors.first_error(schema_errors.Validator(schema), instance)
    assert error is not None, 'accepted: %r' % (instance,)
    return schema_errors.describe(error)


def wrapped(field_schema, required=True):
    return {'type': 'object', 'additionalProperties': False,
            'properties': {'thing': {'type': 'object', 'properties': {'field': field_schema},
                                     'required': ['field'] if required else []}}}


@pytest.mark.parametrize('field_schema, value, expected', [
    ({'type': 'integer'}, 'ten', "'thing.field' must be a whole number, not 'ten'."),
    ({'type': ['string', 'null']}, 5, "'thing.field' must be text or null, not 5."),
    ({'type': 'boolean'}, [1], "'thing.field' must be true or false, not a list."),
    ({'type': 'object'}, 'x', "'thing.field' must be an object, not 'x'."),
    ({'enum': ['affinity', 'anti-affinity', None]}, 'near',
     "'thing.field' must be 'affinity', 'anti-affinity' or null, not 'near'."),
    ({'const': 'x'}, 'y', "'thing.field' must be 'x', not 'y'."),
    ({'type': 'integer', 'minimum': 1, 'maximum': 10}, 0,
     "'thing.field' must be a whole number from 1 to 10, not 0."),
    ({'type': 'integer', 'minimum': 1}, -5, "'thing.field' must be at least 1, not -5."),
    ({'type': 'number', 'maximum': 2}, 3.5, "'thing.field' must be at most 2, not 3.5."),
    ({'exclusiveMinimum': 0}, 0, "'thing.field' must be greater than 0, not 0."),
    ({'exclusiveMaximum': 5}, 5, "'thing.field' must be less than 5, not 5."),
    ({'multipleOf': 4}, 6, "'thing.field' must be a multiple of 4, not 6."),
    ({'type': 'string', 'minLength': 1}, '', "'thing.field' must not be empty."),
    ({'type': 'string', 'minLength': 9}, 'abc',
     "'thing.field' is too short (at least 9 characters; 3 sent)."),
    ({'type': 'string', 'maxLength': 3}, 'abcd',
     "'thing.field' is too long (at most 3 characters; 4 sent)."),
    ({'type': 'string', 'pattern': NO_CONTROL}, 'a\x01b',
     "'thing.field' must not contain control characters."),
    ({'type': 'string', 'pattern': FREE_TEXT}, 'a\x1bb',
     "'thing.field' must not contain control characters other than tab, newline and "
     "carriage return."),
    ({'type': 'string', 'pattern': '^[a-z]+$', 'x-allowed': 'lower-case letters'}, 'A1',
     "'thing.field' must be lower-case letters, not 'A1'."),
    ({'type': 'array', 'minItems': 1}, [], "'thing.field' must list at least 1 item."),
    ({'type': 'array', 'maxItems': 2}, [1, 2, 3],
     "'thing.field' lists too many items (at most 2; 3 sent)."),
    ({'type': 'array', 'uniqueItems': True}, [1, 1],
     "'thing.field' lists the same item more than once."),
    ({'type': 'object', 'minProperties': 1}, {}, "'thing.field' must hold at least one field."),
    ({'type': 'object', 'maxProperties': 1}, {'a': 1, 'b': 2},
     "'thing.field' holds too many fields (at most 1; 2 sent)."),
    ({'type': 'object', 'propertyNames': {'maxLength': 2}}, {'abc': 1},
     "A field name in 'thing.field' is too long (at most 2 characters; 3 sent)."),
    ({'type': 'object', 'additionalProperties': False, 'properties': {'a': {}}},
     {'a': 1, 'b\x00': 2}, "'thing.field' has an unknown field: 'b\\x00'."),
    ({'type': 'object', 'dependencies': {'a': ['b']}}, {'a': 1},
     "'thing.field' must hold 'b' when it holds 'a'."),
    ({'not': {'type': 'null'}}, None, "'thing.field' is not allowed here."),
])
def test_each_keyword_in_words(field_schema, value, expected):
    message = refusal(wrapped(field_schema), {'thing': {'field': value}})
    assert message == expected
    assert not [j for j in JARGON if j in message], message


def test_required_and_unknown_fields_name_their_place():
    assert refusal(wrapped({}), {'thing': {}}) == "'thing.field' is required."
    assert refusal({'type': 'object', 'required': ['thing']}, {}) == "'thing' is required."
    assert refusal(wrapped({}), {'thing': {'field': 1}, 'extra': 2}) == \
        "The request body has an unknown field: 'extra'."
    assert refusal(wrapped({}), []) == 'The request body must be a JSON object, not a list.'


def test_list_items_are_named_by_index():
    schema = {'type': 'array', 'items': {'type': 'object', 'properties': {
        'name': schemas.name}}}
    assert refusal({'type': 'object', 'properties': {'users': schema}},
                   {'users': [{'name': 'a'}, {'name': ''}]}) == \
        "'users[1].name' must not be empty."


# -- anyOf / oneOf --------------------------------------------------------------------------

def test_a_negative_volume_size_says_what_a_size_is():
    # Issue #15: "-1 is not valid under any of the given schemas".
    body = {'instance': {'name': 'db', 'flavorRef': '1', 'volume': {'size': -1}}}
    assert refusal(schemas.instance_create, body) == \
        "'instance.volume.size' must be a whole number from 1 to 100000, not -1."
    body['instance']['volume']['size'] = 'lots'
    assert refusal(schemas.instance_create, body) == \
        "'instance.volume.size' must be a whole number from 1 to 100000, not 'lots'."
    body['instance']['volume']['size'] = 2.5
    assert refusal(schemas.instance_create, body) == \
        "'instance.volume.size' must be a whole number or text, not 2.5."


def test_an_action_is_described_by_the_form_it_was_meant_as():
    assert refusal(schemas.instance_action, {'resize': {'volume': {'size': 0}}}) == \
        "'resize.volume.size' must be a whole number from 1 to 100000, not 0."
    assert refusal(schemas.instance_action, {'restart': {'now': True}}) == \
        "'restart' has an unknown field: 'now'."
    # No form fits better than another: the schema's own words.
    assert refusal(schemas.instance_action, {'explode': {}}) == \
        schemas.instance_action['description']
    assert refusal(schemas.instance_action, {'resize': {}}) == \
        schemas.instance_action['description']


def test_a_description_written_for_a_field_wins():
    body = {'module': {'name': 'm', 'module_type': 'ping', 'contents': 'eA==',
                       'apply_order': 10}}
    assert refusal(module_schemas.module_create, body) == module_schemas.APPLY_ORDER_MESSAGE
    body = {'module': {}, 'reapply': {}}
    assert refusal(module_schemas.module_update, body) == \
        module_schemas.module_update['description']


def test_no_branch_of_the_sent_type_names_the_types_taken():
    body = {'instance': {'name': 'db', 'flavorRef': 1.5, 'volume': {'size': 1}}}
    assert refusal(schemas.instance_create, body) == \
        "'instance.flavorRef' must be text or a whole number, not 1.5."


# -- the strict validator ------------------------------------------------------------------

@pytest.mark.parametrize('value', [1.5, 2.0, 1e3, True])
def test_floats_and_booleans_are_not_integers(value):
    message = refusal(wrapped({'type': 'integer', 'minimum': 0}), {'thing': {'field': value}})
    assert message.startswith("'thing.field' must be a whole number, not ")


@pytest.mark.parametrize('text', ['name\n', 'a\nb', 'a\x00b', 'a\x7f', '\x1b[31m'])
def test_names_refuse_control_characters_even_a_final_newline(text):
    # Python's `$` matches before a final newline; the pattern must not let "name\n" by.
    assert refusal(wrapped(schemas.name), {'thing': {'field': text}}) == \
        "'thing.field' must not contain control characters."


def test_free_text_keeps_tab_and_newline():
    validator = schema_errors.Validator(wrapped(schemas.description))
    assert validator.is_valid({'thing': {'field': 'line one\n\tline two\r\n'}})
    assert not validator.is_valid({'thing': {'field': 'bell\x07'}})


def test_echoed_values_are_short_and_free_of_control_characters():
    message = refusal(wrapped({'enum': ['a']}), {'thing': {'field': 'x\x00\x1b' + 'y' * 500}})
    assert '\x00' not in message and '\x1b' not in message and len(message) < 120
    assert '\\x00' in message


def test_query_parameters_in_words():
    validator = schema_errors.Validator({'type': 'object', 'properties': {
        'limit': {'type': 'integer', 'minimum': 1}}})
    error = schema_errors.first_error(validator, {'limit': 0})
    # Issue #15: "Query parameter 'limit' must be between 1 and any."
    assert schema_errors.describe(error, schema_errors.query_subject) == \
        "Query parameter 'limit' must be at least 1, not 0."


def test_a_10000_item_list_is_refused_after_a_few_errors():
    # The validator stops after ERRORS_CONSIDERED errors: a list of 10,000 wrong items costs
    # a refusal, not 10,000 error objects.
    schema = {'type': 'object', 'properties': {'l': {'type': 'array', 'maxItems': 5,
                                                     'items': {'type': 'string'}}}}
    errors = list(schema_errors.Validator(schema).iter_errors({'l': [1] * 10000}))
    assert len(errors) > schema_errors.ERRORS_CONSIDERED          # the lazy stream is long
    assert refusal(schema, {'l': [1] * 10000}) in (
        "'l' lists too many items (at most 5; 10000 sent).", "'l[0]' must be text, not 1.")


# -- every schema of every route -----------------------------------------------------------

def _walk(schema, path='body'):
    if isinstance(schema, dict):
        yield path, schema
        for key, value in schema.items():
            yield from _walk(value, '%s/%s' % (path, key))
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _walk(value, '%s/%d' % (path, index))


def _route_schemas():
    for route in registry.all_routes('/v1.0/{project_id}'):
        name = '%s %s' % (route.method, route.template)
        if route.schema:
            yield name, route.schema
        for param, schema in route.query.items():
            yield '%s ?%s' % (name, param), schema


def test_every_list_is_bounded_and_every_open_object_too():
    unbounded = []
    for name, schema in _route_schemas():
        for path, part in _walk(schema):
            kinds = part.get('type')
            kinds = [kinds] if isinstance(kinds, str) else kinds or []
            if 'array' in kinds and 'maxItems' not in part:
                unbounded.append('%s %s (list)' % (name, path))
            if 'object' in kinds and part.get('additionalProperties', True) is not False \
                    and 'maxProperties' not in part:
                unbounded.append('%s %s (object)' % (name, path))
    assert unbounded == []


def test_every_pattern_says_in_words_what_it_takes():
    silent = ['%s %s' % (name, path) for name, schema in _route_schemas()
              for path, part in _walk(schema)
              if isinstance(part.get('pattern'), str)
              and part['pattern'] not in (NO_CONTROL, FREE_TEXT)
              and 'x-allowed' not in part]
    assert silent == []


def test_names_and_identifiers_refuse_control_characters():
    for fragment in (schemas.name, schemas.optional_name, schemas.uuid_like,
                     schemas.user['properties']['name'], schemas.user['properties']['host'],
                     schemas.database['properties']['name'], schemas.cron_pattern,
                     module_schemas.module_type,
                     schemas.instance_create['properties']['instance']['properties']
                     ['datastore']['properties']['version']):
        assert not schema_errors.Validator(fragment).is_valid('a\x01b'), fragment
