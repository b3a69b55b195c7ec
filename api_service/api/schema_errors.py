"""The request schemas' validator, and its refusals in the user's words.

jsonschema's own messages speak schema ("-1 is not valid under any of the given schemas",
"Additional properties are not allowed"); none of them reaches a user. `describe` turns an
error into a sentence naming the field as a dotted path ('instance.volume.size'), what it
takes and what was sent, for bodies and query strings alike.

`Validator` is Draft 7 made strict where Python is lenient: 2.0 is not an integer, and a
pattern's `$` is the end of the text (Python's also matches before a final newline).
"""
import itertools
import re

import jsonschema
from jsonschema import exceptions as schema_exceptions

from api_service.api.json_guard import field_words, printable

# How many errors are looked at before one is chosen: a 10,000-item list of wrong items
# costs a refusal, not 10,000 error objects.
ERRORS_CONSIDERED = 20

# Characters no name or identifier may hold: C0 controls and DEL. Free text (descriptions,
# contents) may keep tab, newline and carriage return.
NO_CONTROL = r'^[^\x00-\x1F\x7F]*$'
FREE_TEXT = r'^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$'
_CONTROL = re.compile('[\x00-\x1f\x7f]')


# -- the validator ------------------------------------------------------------------------

def _is_integer(checker, instance):
    return isinstance(instance, int) and not isinstance(instance, bool)


_COMPILED = {}


def _compiled(pattern):
    """The pattern with a final `$` meaning the end of the text, as JSON Schema means it."""
    regex = _COMPILED.get(pattern)
    if regex is None:
        regex = _COMPILED[pattern] = re.compile(re.sub(r'(?<!\\)\$$', r'\\Z', pattern))
    return regex


def _pattern(validator, pattern, instance, schema):
    if isinstance(instance, str) and not _compiled(pattern).search(instance):
        yield schema_exceptions.ValidationError('does not match the pattern')


def _branches(validator, branches, instance):
    """(index of the first branch the instance fits or None, the others' first errors)."""
    errors = []
    for index, branch in enumerate(branches):
        found = list(itertools.islice(validator.descend(instance, branch, schema_path=index),
                                      ERRORS_CONSIDERED))
        if not found:
            return index, errors
        errors.extend(found)
    return None, errors


def _any_of(validator, branches, instance, schema):
    fits, errors = _branches(validator, branches, instance)
    if fits is None:
        yield schema_exceptions.ValidationError('fits no branch', context=errors)


def _one_of(validator, branches, instance, schema):
    fits, errors = _branches(validator, branches, instance)
    if fits is None:
        yield schema_exceptions.ValidationError('fits no branch', context=errors)
        return
    for branch in branches[fits + 1:]:
        if validator.evolve(schema=branch).is_valid(instance):
            yield schema_exceptions.ValidationError('fits more than one branch')
            return


Validator = jsonschema.validators.extend(
    jsonschema.Draft7Validator,
    validators={'pattern': _pattern, 'anyOf': _any_of, 'oneOf': _one_of},
    type_checker=jsonschema.Draft7Validator.TYPE_CHECKER.redefine('integer', _is_integer))


def first_error(validator, instance):
    """The error a refusal reports, or None: among the first few, the first by field."""
    errors = list(itertools.islice(validator.iter_errors(instance), ERRORS_CONSIDERED))
    if not errors:
        return None
    return min(errors, key=lambda e: [str(p) for p in e.absolute_path])


# -- the words ----------------------------------------------------------------------------

_KINDS = {'integer': 'a whole number', 'number': 'a number', 'string': 'text',
          'boolean': 'true or false', 'object': 'an object', 'array': 'a list',
          'null': 'null'}


def one_of_words(words):
    """'a', 'a or b', 'a, b or c'."""
    words = list(words)
    if len(words) < 2:
        return ''.join(words)
    return '%s or %s' % (', '.join(words[:-1]), words[-1])


def shown(value):
    """What was sent, short and safe to echo: text quoted with control characters escaped,
    containers by their kind."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if value is None:
        return 'null'
    if isinstance(value, str):
        return "'%s'" % printable(value)
    if isinstance(value, dict):
        return 'an object'
    if isinstance(value, list):
        return 'a list'
    return printable(repr(value))


def _kinds(types):
    types = [types] if isinstance(types, str) else list(types)
    return one_of_words(_KINDS.get(t, t) for t in types)


def _plural(count, noun):
    return '%d %s%s' % (count, noun, '' if count == 1 else 's')


def describe(error, subject=None):
    """The refusal of `error` in a sentence.

    `subject(path)` names the field from its path (a body's dotted path by default; a query
    string's parameter for query_subject)."""
    subject = subject or body_subject
    if error.validator in ('anyOf', 'oneOf'):
        return _describe_branches(error, subject)
    path = tuple(error.absolute_path)
    what = subject(path)
    if 'propertyNames' in error.relative_schema_path:
        what = 'A field name in %s' % (what if path else what.lower())
    words = _WORDS.get(error.validator)
    sentence = words(error, what, subject) if words else None
    if sentence is None:
        description = error.schema.get('description') if isinstance(error.schema, dict) else None
        sentence = description or '%s is not valid.' % what
    return sentence


def body_subject(path):
    words = field_words(path)
    return words[0].upper() + words[1:] if not path else words


def query_subject(path):
    return "Query parameter '%s'" % printable(str(path[0]), 64) if path else 'The query string'


def _type(error, what, subject):
    if error.validator_value == 'object' and not error.absolute_path:
        return '%s must be a JSON object, not %s.' % (what, shown(error.instance))
    return '%s must be %s, not %s.' % (what, _kinds(error.validator_value),
                                       shown(error.instance))


def _enum(error, what, subject):
    return '%s must be %s, not %s.' % (what, one_of_words(shown(v) for v in
                                                          error.validator_value),
                                       shown(error.instance))


def _const(error, what, subject):
    return '%s must be %s, not %s.' % (what, shown(error.validator_value),
                                       shown(error.instance))


def _range(error, what, subject):
    schema = error.schema
    kind = 'a whole number ' if schema.get('type') == 'integer' else ''
    low, high = schema.get('minimum'), schema.get('maximum')
    if low is not None and high is not None:
        allowed = '%sfrom %s to %s' % (kind, low, high)
    elif error.validator == 'minimum':
        allowed = 'at least %s' % low
    elif error.validator == 'maximum':
        allowed = 'at most %s' % high
    elif error.validator == 'exclusiveMinimum':
        allowed = 'greater than %s' % error.validator_value
    else:
        allowed = 'less than %s' % error.validator_value
    return '%s must be %s, not %s.' % (what, allowed, shown(error.instance))


def _min_length(error, what, subject):
    if not error.instance:
        return '%s must not be empty.' % what
    return '%s is too short (at least %s; %d sent).' % (
        what, _plural(error.validator_value, 'character'), len(error.instance))


def _max_length(error, what, subject):
    return '%s is too long (at most %s; %d sent).' % (
        what, _plural(error.validator_value, 'character'), len(error.instance))


def _pattern_words(error, what, subject):
    if _CONTROL.search(error.instance):
        if error.validator_value == FREE_TEXT:
            return ('%s must not contain control characters other than tab, newline and '
                    'carriage return.' % what)
        return '%s must not contain control characters.' % what
    allowed = error.schema.get('x-allowed')
    if allowed:
        return '%s must be %s, not %s.' % (what, allowed, shown(error.instance))
    return '%s is not in a form it takes: %s.' % (what, shown(error.instance))


def _min_items(error, what, subject):
    return '%s must list at least %s.' % (what, _plural(error.validator_value, 'item'))


def _max_items(error, what, subject):
    return '%s lists too many items (at most %d; %d sent).' % (
        what, error.validator_value, len(error.instance))


def _unique_items(error, what, subject):
    return '%s lists the same item more than once.' % what


def _required(error, what, subject):
    missing = [name for name in error.validator_value if name not in error.instance]
    return '%s is required.' % subject(tuple(error.absolute_path) + (missing[0],))


def _additional(error, what, subject):
    known = set(error.schema.get('properties', ()))
    patterns = [re.compile(p) for p in error.schema.get('patternProperties', ())]
    extra = [k for k in error.instance
             if k not in known and not any(p.search(k) for p in patterns)]
    names = ', '.join("'%s'" % printable(k, 64) for k in extra[:5])
    if len(extra) > 5:
        names += ' and %d more' % (len(extra) - 5)
    return '%s has %s: %s.' % (what, 'an unknown field' if len(extra) == 1
                               else 'unknown fields', names)


def _min_properties(error, what, subject):
    count = error.validator_value
    return '%s must hold at least %s.' % (what, 'one field' if count == 1
                                          else _plural(count, 'field'))


def _max_properties(error, what, subject):
    return '%s holds too many fields (at most %d; %d sent).' % (
        what, error.validator_value, len(error.instance))


def _dependencies(error, what, subject):
    for name, needs in error.validator_value.items():
        if name in error.instance and isinstance(needs, list):
            missing = [n for n in needs if n not in error.instance]
            if missing:
                return "%s must hold '%s' when it holds '%s'." % (what, missing[0], name)
    return None


def _format(error, what, subject):
    return '%s must be a valid %s, not %s.' % (what, error.validator_value,
                                               shown(error.instance))


def _multiple_of(error, what, subject):
    return '%s must be a multiple of %s, not %s.' % (what, error.validator_value,
                                                     shown(error.instance))


def _not(error, what, subject):
    description = error.validator_value.get('description') \
        if isinstance(error.validator_value, dict) else None
    return description or '%s is not allowed here.' % what


_WORDS = {
    'type': _type, 'enum': _enum, 'const': _const,
    'minimum': _range, 'maximum': _range, 'exclusiveMinimum': _range,
    'exclusiveMaximum': _range, 'multipleOf': _multiple_of,
    'minLength': _min_length, 'maxLength': _max_length, 'pattern': _pattern_words,
    'format': _format, 'minItems': _min_items, 'maxItems': _max_items,
    'uniqueItems': _unique_items, 'required': _required, 'additionalProperties': _additional,
    'minProperties': _min_properties, 'maxProperties': _max_properties,
    'dependencies': _dependencies, 'not': _not,
}


# -- anyOf / oneOf: the branch the user meant ---------------------------------------------

def _describe_branches(error, subject):
    """The error of the branch the sent value was meant for, else the schema's own words.

    A branch is meant when the value has its type; of those, the one whose refusal lies
    deepest (the shape fits, something inside does not) is the one described. With no such
    branch, the schema's `description` (written for this field) or the types it takes."""
    description = error.schema.get('description')
    if not error.context:            # oneOf: more than one branch fits
        return description or '%s fits more than one of the forms it takes.' % \
            subject(tuple(error.absolute_path))
    by_branch = {}
    for sub in error.context:
        by_branch.setdefault(sub.relative_schema_path[0], []).append(sub)
    depth = len(error.absolute_path)
    meant = {}
    for index, errors in by_branch.items():
        if any(e.validator == 'type' and len(e.absolute_path) == depth
               and len(e.relative_schema_path) == 2 for e in errors):
            continue                 # the value is not of this branch's type
        deepest = max(errors, key=lambda e: len(e.absolute_path))
        meant[index] = deepest
    if meant:
        ranked = sorted(meant.values(), key=lambda e: -len(e.absolute_path))
        best = ranked[0]
        unique = len(ranked) == 1 or len(ranked[1].absolute_path) < len(best.absolute_path)
        # The schema's own words win unless one branch plainly fits down to a field inside.
        if description is None or unique and len(best.absolute_path) > depth:
            return describe(best, subject)
    if description:
        return description
    kinds = []
    for branch in error.validator_value:
        if isinstance(branch, dict) and 'type' in branch:
            kinds.extend([branch['type']] if isinstance(branch['type'], str)
                         else branch['type'])
    what = subject(tuple(error.absolute_path))
    if kinds:
        return '%s must be %s, not %s.' % (what, _kinds(dict.fromkeys(kinds)),
                                           shown(error.instance))
    return '%s is not valid.' % what


def has_control(text):
    """True when `text` holds a C0 control character or DEL."""
    return _CONTROL.search(text) is not None
