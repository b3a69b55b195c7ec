"""Decoding a request body's JSON without trusting it.

Python's json module answers some hostile bodies badly: 5,000 nested arrays exhaust the
recursion limit (a 500), a 5,000-digit number raises Python's own message, a repeated key
silently keeps its last value, and NaN, Infinity, a NUL (\\u0000) or half of a surrogate
pair decode into values no database or answer can hold. `decode` refuses each of them with a
400 in words, naming the field where it can. Its cost on an ordinary body is one C-speed
search of the text per check; the slow paths (finding the field) run only for a refusal.
"""
import itertools
import json
import re

from api_service.common import exceptions

# Whole numbers a body may hold: signed 64-bit from below, unsigned 64-bit from above, since
# database parameters (MariaDB's tmp_table_size) and operators' bounds reach 2**64 - 1.
# Narrower bounds belong to the schemas and the domain.
WHOLE_MIN, WHOLE_MAX = -2 ** 63, 2 ** 64 - 1
# Those have at most 20 digits (or 19 and a sign): longer text is refused unread, so Python
# never converts a number of thousands of digits.
_LONGEST_INTEGER = 20

# A JSON string literal (quotes, escapes included), unrolled so the engine runs its loops.
# An unclosed string runs to the end of the text: requiring the closing quote would make the
# engine retry from every quote of `"\"\"\"...` (quadratic, seconds for 80 KB); a lone
# backslash at the very end is let through for the same reason.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.S)
_NOT_BRACKET = re.compile(r'[^\[\]{}]+')
_DEPTH_STEP = {'[': 1, '{': 1, ']': -1, '}': -1}
# The escape of a UTF-16 surrogate: the only way one can reach a str from UTF-8 bytes.
_SURROGATE_ESCAPE = re.compile(r'\\u[dD][89a-fA-F]')

# json's own messages (the part before ": line N column M") and what they mean in words.
_DECODE_WORDS = (
    ('Expecting value', 'a value was expected'),
    ("Expecting ',' delimiter", 'a comma was expected'),
    ("Expecting ':' delimiter", 'a colon was expected'),
    ('Expecting property name enclosed in double quotes',
     'a field name in double quotes was expected'),
    ('Unterminated string', 'a string is not closed'),
    ('Invalid control character', 'a string holds a raw control character (escape it, '
                                   'e.g. \\n)'),
    ('Invalid \\uXXXX escape', 'a string holds an invalid \\u escape'),
    ('Invalid \\escape', 'a string holds an invalid escape'),
    ('Extra data', 'more follows the JSON value'),
    ('Illegal trailing comma', 'a comma is followed by no value'),
)


class _Refused:
    """Stands in, while decoding, for a value the body may not hold; found afterwards to
    name its field."""

    def __init__(self, text):
        self.text = text


def decode(raw, max_depth):
    """The JSON value of `raw` (bytes), or BadRequest saying what is wrong with it."""
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError as err:
        raise exceptions.BadRequest('The request body is not valid UTF-8 (byte 0x%02x at '
                                    'offset %d).' % (raw[err.start], err.start))
    if text.startswith('\ufeff'):
        raise exceptions.BadRequest('The request body starts with a byte order mark; send '
                                    'UTF-8 JSON without one.')
    if nesting_exceeds(text, max_depth):
        raise _too_deep(max_depth)
    refused, duplicates = [], []
    try:
        value = json.loads(text, object_pairs_hook=_object_hook(duplicates),
                           parse_int=_int_hook(refused), parse_float=_float_hook(refused),
                           parse_constant=_constant_hook(refused))
    except json.JSONDecodeError as err:
        raise exceptions.BadRequest('The request body is not valid JSON: %s at line %d, '
                                    'column %d.' % (_in_words(err.msg), err.lineno, err.colno))
    except RecursionError:
        # Only when the configured depth is above what this process's stack allows.
        raise _too_deep(max_depth)
    if refused:
        _refuse_value(value, refused[0])
    if duplicates:
        _refuse_duplicate(value, *duplicates[0])
    if '\\u0000' in text:      # the only way a NUL gets into valid JSON
        _refuse_text(value, _has_nul, 'must not contain a NUL character (\\u0000)',
                     'holds a NUL character (\\u0000)')
    if _SURROGATE_ESCAPE.search(text):
        _refuse_text(value, _not_unicode, _NOT_UNICODE, _NOT_UNICODE)
    return value


def nesting_exceeds(text, limit):
    """True when arrays and objects nest deeper than `limit`, brackets in strings aside.

    Counted on the text before decoding, at C speed: strings are cut out by a regular
    expression, the brackets left are mapped to +1/-1 and their running sum's maximum taken.
    """
    if text.count('[') + text.count('{') <= limit:
        return False
    brackets = _NOT_BRACKET.sub('', _STRING.sub('', text))
    return max(itertools.accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0) > limit


def _too_deep(limit):
    return exceptions.BadRequest('The request body nests objects and lists more than %d '
                                 'levels deep.' % limit)


def _in_words(message):
    for start, words in _DECODE_WORDS:
        if message.startswith(start):
            return words
    return 'it cannot be read'


def _object_hook(duplicates):
    def pairs_to_dict(pairs):
        obj = dict(pairs)
        if len(obj) != len(pairs) and not duplicates:
            seen = set()
            key = next(k for k, _ in pairs if k in seen or seen.add(k))
            duplicates.append((obj, key))
        return obj
    return pairs_to_dict


def _int_hook(refused):
    def parse_int(text):
        if len(text) <= _LONGEST_INTEGER:
            number = int(text)
            if WHOLE_MIN <= number <= WHOLE_MAX:
                return number
        marker = _Refused('is a whole number out of range (from %d to %d)'
                          % (WHOLE_MIN, WHOLE_MAX))
        refused.append(marker)
        return marker
    return parse_int


def _float_hook(refused):
    def parse_float(text):
        number = float(text)
        if number in (float('inf'), float('-inf')):
            marker = _Refused('is a number out of range (too large to hold)')
            refused.append(marker)
            return marker
        return number
    return parse_float


def _constant_hook(refused):
    def parse_constant(text):
        marker = _Refused('is %s, which JSON does not allow' % text)
        refused.append(marker)
        return marker
    return parse_constant


# -- naming the field of a refusal ---------------------------------------------------------

def _paths(value, path=()):
    """(path, value) of `value` and everything in it, depth first, in the body's order."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, path + (index,))


def field_words(path):
    """A field's path as a user reads it: 'instance.users[0].name'; 'the request body'."""
    if not path:
        return 'the request body'
    words = ''
    for part in path:
        if isinstance(part, int):
            words += '[%d]' % part
        else:
            words += ('.' if words else '') + printable(str(part), 64)
    return "'%s'" % words


def _sentence(path, predicate):
    words = field_words(path)
    return (words[0].upper() + words[1:] if not path else words) + ' ' + predicate + '.'


def _refuse_value(body, marker):
    path = next(p for p, v in _paths(body) if v is marker)
    raise exceptions.BadRequest(_sentence(path, marker.text))


def _refuse_duplicate(body, obj, key):
    path = next(p for p, v in _paths(body) if v is obj)
    raise exceptions.BadRequest(_sentence(path, "holds the field '%s' twice; send each field "
                                                "once" % printable(key, 64)))


def _refuse_text(body, predicate, words, key_words):
    """400 naming the first text (a value, or a field's name) for which predicate holds."""
    for path, value in _paths(body):
        if isinstance(value, dict):
            for key in value:
                if predicate(key):
                    raise exceptions.BadRequest('A field name in %s %s.'
                                                % (field_words(path), key_words))
        elif isinstance(value, str) and predicate(value):
            raise exceptions.BadRequest(_sentence(path, words))


_NOT_UNICODE = 'holds text that is not valid Unicode (a lone surrogate escape)'


def _has_nul(text):
    return '\x00' in text


def _not_unicode(text):
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        return True
    return False


# Control characters (C0, DEL, C1) and surrogates: never echoed back as they are.
_UNPRINTABLE = re.compile('[\x00-\x1f\x7f-\x9f\ud800-\udfff]')


def printable(text, limit=40):
    """`text` safe to show in a message: control characters escaped, long text cut."""
    if len(text) > limit:
        text = text[:limit] + '...'
    return _UNPRINTABLE.sub(lambda m: '\\x%02x' % ord(m.group()) if ord(m.group()) < 0x100
                            else '\\u%04x' % ord(m.group()), text)
