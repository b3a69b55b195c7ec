"""The hostile corpus (tests/hostile/corpus.py) against every route, in-process, on both
service databases: never a 5xx, every refusal in Trove's envelope and in words (no schema
jargon, no control character echoed), and a 400 wherever the corpus says one is due
(nesting 5,000 deep, NUL, numbers beyond 64 bits, NaN, duplicate keys, lone surrogates...).

The caller is an admin, so that what passes validation also reaches the handlers of the
operators' routes. The task manager is a recorder: nothing is cast.
"""
import re
import urllib.parse

import pytest
import webob

from api_service.api.controllers import registry
from api_service.rpc import clients
from tests.hostile import corpus
from tests.unit.conftest import PROJECT

PREFIX = '/v1.0/{project_id}'
ROUTES = list(registry.all_routes(PREFIX))
_PARAM = re.compile(r'\{(\w+)\}')


class Recorder:
    """The task manager: takes every cast, does nothing."""

    def __getattr__(self, method):
        if method.startswith('_'):
            raise AttributeError(method)
        return lambda *args, **kwargs: None


@pytest.fixture
def app(client, catalogue, monkeypatch):
    monkeypatch.setattr(clients, 'taskmanager_api', lambda *a, **kw: Recorder())
    return client.app


def _url(route, segments=None):
    """The route's path with its parameters filled (URL-encoded already)."""
    segments = segments or {}
    return _PARAM.sub(lambda m: PROJECT if m.group(1) == 'project_id'
                      else segments.get(m.group(1), 'hostile-id'), route.template)


def _send(app, method, url, raw=None):
    req = webob.Request.blank(url, method=method)
    req.headers['X-Auth-Token'] = '%s:admin' % PROJECT
    if raw is not None:
        req.body = raw
        req.content_type = 'application/json'
    resp = req.get_response(app)
    return resp.status_code, resp.body


def _route_id(route):
    return '%s %s' % (route.method, route.template[len(PREFIX):] if route.auth
                      else route.template)


def hostile_requests(route):
    """(label, url, raw body or None, must_refuse) of every case for `route`."""
    takes_body = route.method in ('POST', 'PUT', 'PATCH')
    if takes_body:
        for case in corpus.body_cases(route.schema):
            yield 'body ' + case.label, _url(route), case.raw, case.must_refuse
    for case in corpus.query_cases(route.query):
        yield 'query ' + case.label, _url(route) + '?' + case.raw, None, case.must_refuse
    for name in (p for p in route.params if p != 'project_id'):
        for case in corpus.path_cases():
            yield ('path %s: %s' % (name, case.label), _url(route, {name: case.raw}),
                   b'{}' if takes_body else None, case.must_refuse)


@pytest.mark.parametrize('route', ROUTES, ids=_route_id)
def test_no_hostile_request_is_a_5xx_or_out_of_words(app, route):
    problems = []
    for label, url, raw, must_refuse in hostile_requests(route):
        status, body = _send(app, route.method, url, raw)
        problems += ['%s: %s' % (label, p) for p in corpus.answer_problems(status, body,
                                                                          must_refuse)]
    assert not problems, '\n'.join(problems[:40])


def test_the_corpus_reaches_every_route_and_every_field():
    # A corpus that silently shrank would prove nothing.
    bodies = [r for r in ROUTES if r.schema is not None]
    assert len(bodies) >= 30
    create = next(r for r in ROUTES if r.method == 'POST' and r.template.endswith('/instances'))
    labels = [case.label for case in corpus.body_cases(create.schema)]
    for field in ('instance.name', 'instance.volume.size', 'instance.users.0.name',
                  'instance.nics.0.net-id', 'instance.access.allowed_cidrs.0'):
        assert '%s %s: nul in text' % ('full', field) in labels, field
    assert any('duplicate key' in label for label in labels)
    assert any('10,000 objects' in label for label in labels)
    listing = next(r for r in ROUTES if r.method == 'GET' and r.template.endswith('/instances'))
    assert [c for c in corpus.query_cases(listing.query) if c.label == 'limit: nul']


def test_the_checks_catch_what_they_are_for():
    # answer_problems itself: each finding it exists for is found.
    assert corpus.answer_problems(500, b'{}', False)
    assert corpus.answer_problems(200, b'{}', True)
    assert corpus.answer_problems(400, b'<html>', False)
    assert corpus.answer_problems(400, b'{"badRequest": {"code": 400, "message": '
                                       b'"-1 is not valid under any of the given schemas"}}',
                                  False)
    assert corpus.answer_problems(404, b'{"itemNotFound": {"code": 404, "message": '
                                       b'"No such resource: a\\u0000b"}}', False)
    assert not corpus.answer_problems(400, b'{"badRequest": {"code": 400, "message": '
                                           b'"\'instance.name\' is required."}}', True)


def test_url_encoding_of_the_cases_is_what_a_client_sends():
    # The path cases are already encoded: a NUL reaches the app as a NUL, not as "%00".
    route = next(r for r in ROUTES if r.method == 'GET'
                 and r.template.endswith('/instances/{instance_id}'))
    url = _url(route, {'instance_id': 'a%00b'})
    assert webob.Request.blank(url).environ['PATH_INFO'].endswith('/a\x00b')
    assert urllib.parse.unquote(url).endswith('a\x00b')
