"""A corpus of hostile request bodies, query strings and path segments, built per route.

An unfriendly client's repertoire (issue #15): nesting 5,000 deep, NUL and other control
characters, numbers beyond 64 bits or any float, NaN and Infinity, floats where integers go,
duplicate keys, halves of surrogate pairs, 10,000-element lists and objects, unknown and
missing fields, wrong types, no body, a body that is not an object, invalid UTF-8.

Bodies are built from the route's own schema: a plausible body is made first (its required
fields, then every field), and each case changes one place in it, so the hostile value
reaches the field it is meant for. Cases are raw bytes: much of the repertoire (duplicate
keys, NaN, a lone surrogate) cannot be made with json.dumps.

Each case says whether the API must refuse it with a 400 (`must_refuse`): what the JSON
guard refuses wherever it stands, and NUL anywhere. The others only must not be a 5xx and
must answer in Trove's envelope if they are an error.

    for case in corpus.body_cases(route.schema): ...   # Case(label, raw, must_refuse)
    for case in corpus.query_cases(route.query): ...   # Case(label, query string, must_refuse)
    for case in corpus.path_cases(): ...               # Case(label, segment, must_refuse)
"""
import collections
import json
import re

Case = collections.namedtuple('Case', 'label raw must_refuse')

DEEP = 5000
MANY = 10000
_SLOT = '"\\u2603hostile\\u2603"'     # a placeholder no schema value collides with

# Values refused wherever they stand in a body (the JSON guard's), as raw JSON text.
REFUSED_ANYWHERE = [
    ('nul in text', '"a\\u0000b"'),
    ('lone nul', '"\\u0000"'),
    ('lone high surrogate', '"\\ud800"'),
    ('lone low surrogate', '"a\\udfffb"'),
    ('integer beyond 64 bits', '18446744073709551616'),
    ('integer below 64 bits', '-9223372036854775809'),
    ('integer of 5,000 digits', '1' + '0' * 5000),
    ('float beyond a double', '1e400'),
    ('negative float beyond a double', '-1e400'),
    ('NaN', 'NaN'),
    ('Infinity', 'Infinity'),
    ('-Infinity', '-Infinity'),
    ('arrays nested 5,000 deep', '[' * DEEP + ']' * DEEP),
    ('objects nested 5,000 deep', '{"a":' * DEEP + '1' + '}' * DEEP),
    ('duplicate keys inside', '{"a":1,"a":2}'),
]

# Values that are only wrong for some fields (or not at all): no 5xx, an envelope if refused.
SUSPICIOUS = [
    ('control character', '"a\\u0001b"'),
    ('escape sequence', '"\\u001b[31mred"'),
    ('DEL', '"a\\u007fb"'),
    ('trailing newline', '"name\\n"'),
    ('tab', '"a\\tb"'),
    ('C1 control', '"a\\u0085b"'),
    ('valid surrogate pair', '"\\ud83d\\ude00"'),
    ('right-to-left override', '"\\u202egnp.exe"'),
    ('empty text', '""'),
    ('blank text', '"   "'),
    ('100,000 characters', '"' + 'x' * 100000 + '"'),
    ('float for an integer', '1.5'),
    ('integral float', '2.0'),
    ('exponent float', '1e3'),
    ('negative zero', '-0.0'),
    ('negative', '-1'),
    ('zero', '0'),
    ('largest 64-bit integer', '9223372036854775807'),
    ('smallest 64-bit integer', '-9223372036854775808'),
    ('largest unsigned 64-bit integer', '18446744073709551615'),   # MariaDB's tmp_table_size
    ('digits as text', '"1"'),
    ('true', 'true'),
    ('null', 'null'),
    ('empty list', '[]'),
    ('empty object', '{}'),
    ('nested 33 deep', '[' * 33 + ']' * 33),
    ('10,000 numbers', '[' + ','.join(['1'] * MANY) + ']'),
    ('10,000 texts', '[' + ','.join(['"x"'] * MANY) + ']'),
    ('10,000 objects', '[' + ','.join(['{}'] * MANY) + ']'),
    ('object of 10,000 fields', '{' + ','.join('"k%d":1' % i for i in range(MANY)) + '}'),
    ('path traversal', '"../../etc/passwd"'),
    ('sql', '"x\'; DROP TABLE instances; --"'),
]

# Whole bodies, whatever the route.
WHOLE_BODIES = [
    ('no body', b'', False),
    ('blank body', b'   ', True),
    ('null', b'null', False),
    ('list', b'[]', False),
    ('text', b'"instance"', False),
    ('number', b'1', False),
    ('true', b'true', False),
    ('unclosed object', b'{', True),
    ('missing value', b'{"a":}', True),
    ('trailing comma', b'{"a":1,}', True),
    ('single quotes', b"{'a': 1}", True),
    ('two values', b'{} {}', True),
    ('raw control character', b'{"a":"\x01"}', True),
    ('invalid UTF-8', b'{"a":"\xff\xfe"}', True),
    ('UTF-8 surrogate bytes', b'{"a":"\xed\xa0\x80"}', True),
    ('byte order mark', b'\xef\xbb\xbf{}', True),
    ('NUL byte', b'{"a":1}\x00', True),
    ('arrays nested 5,000 deep', ('[' * DEEP + ']' * DEEP).encode(), True),
    ('the issue: instance nested 5,000 deep',
     ('{"instance": ' + '[' * DEEP + ']' * DEEP + '}').encode(), True),
    ('objects nested 5,000 deep', ('{"a":' * DEEP + '1' + '}' * DEEP).encode(), True),
    # Was quadratic in the depth scan: 80 KB of this took 22 s of CPU.
    ('unclosed string of escaped quotes, nested 100 deep',
     ('[' * 100 + '"' + '\\"' * 100000).encode(), True),
    ('top-level NaN', b'NaN', True),
    ('top-level duplicate keys', b'{"a":1,"a":2}', True),
    ('10,000-element list', ('[' + ','.join(['{}'] * MANY) + ']').encode(), False),
]


# -- plausible bodies from a schema --------------------------------------------------------

# Texts tried for a string with a pattern, until one matches it.
_PATTERN_SAMPLES = ['x', '1', '/x', '00000000-0000-0000-0000-000000000000', 'c1', '0.5']


def sample(schema, full=False):
    """A plausible value for `schema`: required fields only, or every field when `full`."""
    if not isinstance(schema, dict):
        return None
    if 'enum' in schema:
        return next((v for v in schema['enum'] if v is not None), schema['enum'][0])
    for key in ('anyOf', 'oneOf'):
        if key in schema and 'properties' not in schema:
            return sample(schema[key][0], full)
    kind = schema.get('type', 'object' if 'properties' in schema else 'string')
    if isinstance(kind, list):
        kind = next((k for k in kind if k != 'null'), 'null')
    if kind == 'object':
        props = schema.get('properties', {})
        names = list(schema.get('required', []))
        if 'oneOf' in schema:           # module_update: {"module": ...} or {"reapply": ...}
            names += schema['oneOf'][0].get('required', [])
        elif full:
            names = list(props)
        return {name: sample(props[name], full) for name in names if name in props}
    if kind == 'array':
        return [sample(schema.get('items', {}), full)] if full else []
    if kind == 'integer':
        return max(schema.get('minimum', 1), 1) if schema.get('maximum', 1) >= 1 else 0
    if kind == 'number':
        return 1.5
    if kind == 'boolean':
        return True
    if kind == 'null':
        return None
    return _sample_text(schema)


def _sample_text(schema):
    length = max(schema.get('minLength', 1), 1)
    pattern = schema.get('pattern')
    if pattern:
        for text in _PATTERN_SAMPLES:
            if re.search(pattern, text):
                return text
    if length >= 9:                     # a cron pattern
        return '0 3 * * *'.ljust(length, ' ')
    return 'x' * length


def _slots(value, path=()):
    """Every place in `value`: (path, is_object)."""
    yield path, isinstance(value, dict)
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _slots(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _slots(item, path + (index,))


def _placed(body, path, value):
    """A deep copy of body with `value` at `path`."""
    body = json.loads(json.dumps(body))
    if not path:
        return value
    holder = body
    for part in path[:-1]:
        holder = holder[part]
    holder[path[-1]] = value
    return body


def _raw_with(body, path, fragment):
    """The body's JSON text with the raw fragment at `path`."""
    text = json.dumps(_placed(body, path, '\u2603hostile\u2603'))
    return text.replace(_SLOT, fragment).encode()


def _label(path):
    return '.'.join(str(p) for p in path) or 'body'


def body_cases(schema):
    """Hostile bodies for a route whose body follows `schema` (None: a body is not read)."""
    cases = [Case(label, raw, refuse and schema is not None) for label, raw, refuse
             in WHOLE_BODIES]
    if schema is None:
        return cases
    bases = {'minimal': sample(schema), 'full': sample(schema, full=True)}
    for key in ('anyOf', 'oneOf'):      # an action body: one base per form it takes
        for index, branch in enumerate(schema.get(key, ()) if 'properties' not in schema
                                       else ()):
            bases['form %d' % index] = sample(branch, full=True)
    for base_name, base in bases.items():
        if not isinstance(base, dict):
            continue
        for path, is_object in _slots(base):
            where = '%s %s' % (base_name, _label(path))
            if path and base_name != 'minimal':     # the full body has every place
                for label, fragment in REFUSED_ANYWHERE:
                    cases.append(Case('%s: %s' % (where, label), _raw_with(base, path, fragment),
                                      True))
                for label, fragment in SUSPICIOUS:
                    cases.append(Case('%s: %s' % (where, label),
                                      _raw_with(base, path, fragment), False))
            if is_object:
                cases.extend(_object_cases(base, path, where))
    for name in schema.get('required', []) if isinstance(bases['minimal'], dict) else []:
        body = dict(bases['minimal'])
        body.pop(name, None)
        cases.append(Case('missing %s' % name, json.dumps(body).encode(), False))
    return cases


def _object_cases(base, path, where):
    holder = base
    for part in path:
        holder = holder[part]
    cases = [Case('%s: unknown field' % where,
                  json.dumps(_placed(base, path, dict(holder, zz_unknown=1))).encode(), False),
             Case('%s: unknown field with NUL in its name' % where,
                  _raw_with(base, path, _object_text(holder, '"zz\\u0000":1')), True),
             Case('%s: unknown field with a control character in its name' % where,
                  _raw_with(base, path, _object_text(holder, '"zz\\u0001":1')), False)]
    for name in holder:
        without = {k: v for k, v in holder.items() if k != name}
        cases.append(Case('%s: without %s' % (where, name),
                          json.dumps(_placed(base, path, without)).encode(), False))
    if holder:
        first = next(iter(holder))
        duplicated = '%s:%s' % (json.dumps(first), json.dumps(holder[first]))
        cases.append(Case('%s: duplicate key %s' % (where, first),
                          _raw_with(base, path, _object_text(holder, duplicated)), True))
    return cases


def _object_text(holder, extra):
    """The object's JSON text with one more raw member."""
    inner = json.dumps(holder)[1:-1]
    return '{%s%s%s}' % (inner, ',' if inner else '', extra)


# -- query strings and paths -------------------------------------------------------------

QUERY_VALUES = [
    ('nul', '%00', True),
    ('nul inside', 'a%00b', True),
    ('control character', 'a%01b', False),
    ('DEL', 'a%7Fb', False),
    ('newline', 'a%0Ab', False),
    ('invalid UTF-8', '%FF%FE', False),
    ('UTF-8 surrogate bytes', '%ED%A0%80', False),
    ('10,000 characters', 'x' * MANY, False),
    ('negative', '-1', False),
    ('zero', '0', False),
    ('float', '1.5', False),
    ('exponent', '1e3', False),
    ('huge', '9' * 30, False),
    ('huge negative', '-' + '9' * 30, False),
    ('5,000 digits', '9' * 5000, False),
    ('NaN', 'NaN', False),
    ('Infinity', 'Infinity', False),
    ('word', 'yes', False),
    ('brackets', '%5B%5D', False),
    ('repeated', None, False),
]


def query_cases(query_schema):
    """Hostile query strings for a route declaring `query_schema` ({name: schema})."""
    cases = [Case('undeclared parameter with NUL', 'zz=a%00b', True),
             Case('NUL in a parameter name', 'z%00z=1', True),
             Case('bare word', 'justaword', False),
             Case('only separators', '&&&==&', False)]
    for name in query_schema:
        for label, value, refuse in QUERY_VALUES:
            text = '%s=1&%s=x' % (name, name) if value is None else '%s=%s' % (name, value)
            cases.append(Case('%s: %s' % (name, label), text, refuse))
    return cases


PATH_SEGMENTS = [
    ('nul', '%00', True),
    ('nul inside', 'a%00b', True),
    ('control character', 'a%01b', True),
    ('DEL', 'a%7Fb', True),
    ('newline', 'a%0Ab', True),
    ('invalid UTF-8', '%FF', False),
    ('5,000 characters', 'x' * 5000, False),
    ('dot dot', '..', False),
    ('encoded slash', 'a%2Fb', False),
    ('space', 'a%20b', False),
    ('quote', "a'b", False),
    ('percent', '%25', False),
]


def path_cases():
    """Hostile path segments, in their URL-encoded form."""
    return [Case(label, segment, refuse) for label, segment, refuse in PATH_SEGMENTS]


# -- what every answer must be ------------------------------------------------------------

JARGON = ('is not valid under any of the given schemas', 'Failed validating', '$ref',
          'additionalProperties', 'Additional properties', 'is a required property',
          'is not of type', 'does not match', 'Traceback', 'Expecting value',
          'codec can\'t decode', 'Exceeds the limit', 'RecursionError', 'jsonschema',
          'is less than the minimum', 'is greater than the maximum', 'should be non-empty',
          'is not one of', 'Invalid value for')
_CONTROL = re.compile('[\x00-\x1f\x7f]')


def answer_problems(status, body, must_refuse):
    """What is wrong with an answer to a hostile request ([] when nothing is)."""
    problems = []
    if status >= 500:
        problems.append('answered %d' % status)
    if must_refuse and status != 400:
        problems.append('answered %d where 400 was due' % status)
    if status < 400:
        return problems
    try:
        payload = json.loads(body)
        (fault, inner), = payload.items()
        message = inner['message']
        assert isinstance(fault, str) and inner['code'] == status and isinstance(message, str)
    except Exception:  # noqa: BLE001 - any shape but the envelope is the finding
        return problems + ['not in the envelope: %r' % body[:200]]
    problems += ['jargon %r in %r' % (word, message[:200]) for word in JARGON
                 if word in message]
    if _CONTROL.search(message):
        problems.append('control character echoed in %r' % message[:200])
    if len(message) > 600:
        problems.append('message of %d characters' % len(message))
    return problems
