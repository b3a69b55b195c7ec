"""Issue #15's named defects, each a request through the in-process API on both databases,
plus the JSON guard's refusals in words (tests/hostile/ runs the whole corpus)."""
import time

import pytest

from tests.unit.test_api_errors import fault_of

CREATE = {'instance': {'name': 'db1', 'flavorRef': '1', 'volume': {'size': 1},
                       'datastore': {'type': 'mariadb', 'version': '10.11'}}}


@pytest.fixture
def api(client, catalogue):
    return client


def post_raw(api, raw, path='/instances'):
    return api.request('POST', path, raw=raw)


def test_an_instance_nested_5000_deep_is_a_400_naming_the_limit(api):
    # Was a 500 ("RecursionError ... while decoding a JSON array").
    resp = post_raw(api, '{"instance": ' + '[' * 5000 + ']' * 5000 + '}')
    assert resp.status_code == 400
    assert fault_of(resp) == ('badRequest', 'The request body nests objects and lists more '
                                            'than 32 levels deep.')


def test_the_depth_limit_is_the_configured_one(api, conf):
    conf.set_override('max_json_depth', 4, 'api')
    try:
        resp = post_raw(api, '{"instance": {"volume": {"size": [[1]]}}}')
        assert '4 levels' in fault_of(resp)[1]
        resp = post_raw(api, '{"instance": {"volume": {"size": [1]}}}')
        assert 'levels' not in fault_of(resp)[1]
    finally:
        conf.clear_override('max_json_depth', 'api')


def test_brackets_inside_text_do_not_count_as_nesting(api):
    body = dict(CREATE['instance'], name='[' * 100 + '{' * 100)
    resp = api.request('POST', '/instances', body={'instance': body})
    assert 'levels' not in resp.text


def test_a_name_with_a_nul_is_refused_and_nothing_is_created(api):
    # Was accepted and reached ACTIVE; no service database can store a NUL.
    resp = post_raw(api, '{"instance": {"name": "a\\u0000b", "flavorRef": "1", '
                         '"volume": {"size": 1}}}')
    assert resp.status_code == 400
    assert fault_of(resp)[1] == "'instance.name' must not contain a NUL character (\\u0000)."
    assert api.get('/instances').json_body_or_none['instances'] == []


@pytest.mark.parametrize('name', ['a\x01b', 'db\n', '\x1b[31mred', 'a\x7f'])
def test_a_name_with_another_control_character_is_refused(api, name):
    resp = api.request('POST', '/instances',
                       body={'instance': dict(CREATE['instance'], name=name)})
    assert resp.status_code == 400
    assert fault_of(resp)[1] == "'instance.name' must not contain control characters."


def test_a_negative_volume_size_is_refused_in_words(api):
    # Was "-1 is not valid under any of the given schemas".
    body = {'instance': dict(CREATE['instance'], volume={'size': -1})}
    resp = api.request('POST', '/instances', body=body)
    assert fault_of(resp) == ('badRequest', "'instance.volume.size' must be a whole number "
                                            'from 1 to 100000, not -1.')


@pytest.mark.parametrize('query, expected', [
    ('limit=0', "Query parameter 'limit' must be at least 1, not 0."),
    ('limit=-1', "Query parameter 'limit' must be at least 1, not -1."),
    ('limit=1.5', "Query parameter 'limit' must be a whole number, not '1.5'."),
    ('limit=' + '9' * 40, "Query parameter 'limit' is too large (at most 18 digits)."),
    ('limit=-' + '9' * 40, "Query parameter 'limit' must be at least 1."),
    ('marker=a%01b', "Query parameter 'marker' must not contain control characters."),
    ('marker=a%00b', "Query parameter 'marker' must not contain a NUL character (%00)."),
    ('sort=%00', "Query parameter 'sort' must not contain a NUL character (%00)."),
    ('limit=%FF', 'The query string is not valid UTF-8.'),
])
def test_query_strings_are_refused_in_words(api, query, expected):
    # Was "Query parameter 'limit' must be between 1 and any."
    resp = api.get('/instances?' + query)
    assert resp.status_code == 400
    assert fault_of(resp)[1] == expected


@pytest.mark.parametrize('segment', ['a%00b', 'a%01b', 'a%0Ab'])
def test_a_control_character_in_a_path_segment_is_a_400(api, segment):
    resp = api.get('/instances/' + segment)
    assert resp.status_code == 400
    assert fault_of(resp)[1] == ("The path segment 'instance_id' must not contain control "
                                 'characters.')


def test_a_path_that_is_not_utf8_is_a_400(api):
    resp = api.get('/instances/%FF')
    assert fault_of(resp) == ('badRequest', 'The path is not valid UTF-8.')


@pytest.mark.parametrize('raw, expected', [
    ('{"instance": {"name": "a", "name": "b"}}',
     "'instance' holds the field 'name' twice; send each field once."),
    ('{"instance": {"name": "db", "flavorRef": "1", "volume": {"size": NaN}}}',
     "'instance.volume.size' is NaN, which JSON does not allow."),
    ('{"instance": {"name": "db", "flavorRef": "1", "volume": {"size": Infinity}}}',
     "'instance.volume.size' is Infinity, which JSON does not allow."),
    ('{"instance": {"name": "db", "flavorRef": "1", "volume": {"size": 1%s}}}' % ('0' * 5000),
     "'instance.volume.size' is a whole number out of range (from -9223372036854775808 to "
     "18446744073709551615)."),
    ('{"instance": {"name": "db", "flavorRef": "1", "volume": {"size": 1e999}}}',
     "'instance.volume.size' is a number out of range (too large to hold)."),
    ('{"instance": {"name": "\\ud800"}}',
     "'instance.name' holds text that is not valid Unicode (a lone surrogate escape)."),
    ('{"instance": {"name": }}',
     'The request body is not valid JSON: a value was expected at line 1, column 23.'),
    ('{"instance": {"name": "a",}}',
     'The request body is not valid JSON: a field name in double quotes was expected at '
     'line 1, column 27.'),
    ('{"instance": 1} {}', 'The request body is not valid JSON: more follows the JSON value '
                           'at line 1, column 17.'),
])
def test_the_json_guard_refuses_in_words(api, raw, expected):
    resp = post_raw(api, raw)
    assert fault_of(resp) == ('badRequest', expected)


@pytest.mark.parametrize('size', [1.5, 2.0, 1e3])
def test_a_float_where_an_integer_goes_is_refused(api, size):
    # jsonschema's Draft 7 counts 2.0 as an integer; the API does not.
    body = {'instance': dict(CREATE['instance'], volume={'size': size})}
    resp = api.request('POST', '/instances', body=body)
    assert resp.status_code == 400
    assert "'instance.volume.size' must be a whole number" in fault_of(resp)[1]


def test_not_utf8_is_refused_in_words(api):
    resp = post_raw(api, b'{"instance": "\xff"}')
    assert fault_of(resp)[1] == 'The request body is not valid UTF-8 (byte 0xff at offset 14).'


def test_10000_element_lists_are_refused_quickly(api):
    # Bounded by maxItems; validation stops at the first errors.
    body = {'instance': dict(CREATE['instance'], databases=[{'name': 1}] * 10000)}
    began = time.monotonic()
    resp = api.request('POST', '/instances', body=body)
    elapsed = time.monotonic() - began
    assert resp.status_code == 400 and "'instance.databases" in fault_of(resp)[1]
    assert elapsed < 2, elapsed


def test_an_ordinary_create_still_passes(api, conf, monkeypatch):
    # The guard and the stricter schemas leave a well-formed body alone.
    from api_service.api.controllers import instances as controller
    from api_service.rpc import secure

    class Recorder:
        def __getattr__(self, method):
            return lambda *args, **kwargs: None
    monkeypatch.setattr(controller.Instances, 'taskmanager', Recorder())
    conf.set_override('master_key', secure.new_key(), 'instance')
    body = {'instance': dict(CREATE['instance'], name='db \u00e9\u00e8 \U0001f600',
                             databases=[{'name': 'app'}],
                             users=[{'name': 'u', 'password': 'p\tw', 'databases':
                                     [{'name': 'app'}]}])}
    resp = api.request('POST', '/instances', body=body)
    assert resp.status_code == 200, resp.body
    conf.clear_override('master_key', 'instance')
    assert resp.json_body_or_none['instance']['name'] == 'db \u00e9\u00e8 \U0001f600'
