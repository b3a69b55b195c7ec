"""The JSON guard after review (issue #15): its depth scan stays linear on an unclosed string
full of escaped quotes, and whole numbers reach unsigned 64-bit, where MariaDB's parameters
end (tmp_table_size's maximum is 2**64 - 1)."""
import time

import pytest

from api_service.api import json_guard
from api_service.common import exceptions
from tests.unit.test_configurations_api import (  # noqa: F401 - `api` is a fixture
    api, create_group, message)

MEGABYTE = 1024 * 1024


@pytest.mark.parametrize('tail', ['', '\\', ']' * 100])
def test_an_unclosed_string_of_escaped_quotes_is_scanned_in_well_under_a_second(tail):
    # Was quadratic: 80 KB took 22 s of CPU, the regex retrying from every quote.
    body = '[' * 100 + '"' + '\\"' * (MEGABYTE // 2) + tail
    began = time.process_time()
    with pytest.raises(exceptions.BadRequest, match='levels deep'):
        json_guard.decode(body.encode(), 32)
    assert time.process_time() - began < 0.5


@pytest.mark.parametrize('text, deeper_than_2', [
    ('["[[[[\\"[[[", "\\\\"]', False),        # brackets and an escaped quote in strings
    ('[["\\"]]]"]]', False),                  # an escaped quote does not end the string
    ('[[["\\"]]]"]]]', True),                 # three real levels
    ('[["a\\\\"[[[]]]]]', True),              # an escaped backslash does end it
    ('[[[["unclosed', True),                  # an unclosed string hides nothing before it
])
def test_the_depth_scan_still_skips_only_what_is_inside_strings(text, deeper_than_2):
    assert json_guard.nesting_exceeds(text, 2) is deeper_than_2


def test_the_largest_unsigned_64_bit_value_reaches_the_parameters_own_check(api):
    resp = create_group(api, {'tmp_table_size': 18446744073709551615})
    # Past the guard: whatever the domain answers, it is not the guard's out-of-range words.
    assert 'whole number out of range' not in resp.text
    if resp.status_code != 200:
        assert 'tmp_table_size' in message(resp) and 'configuration.values' not in message(resp)


def test_one_past_unsigned_64_bit_is_refused_in_words(api):
    raw = ('{"configuration": {"name": "g", "values": {"tmp_table_size": '
           '18446744073709551616}, "datastore": {"type": "mariadb", "version": "10.11"}}}')
    resp = api.request('POST', '/configurations', raw=raw)
    assert resp.status_code == 400
    assert message(resp) == ("'configuration.values.tmp_table_size' is a whole number out of "
                             'range (from -9223372036854775808 to 18446744073709551615).')


@pytest.mark.parametrize('text, value', [
    ('18446744073709551615', 2 ** 64 - 1), ('-9223372036854775808', -2 ** 63)])
def test_the_ends_of_the_range_decode(text, value):
    assert json_guard.decode(text.encode(), 32) == value


@pytest.mark.parametrize('text', ['18446744073709551616', '-9223372036854775809'])
def test_one_past_either_end_is_refused(text):
    with pytest.raises(exceptions.BadRequest):
        json_guard.decode(text.encode(), 32)
