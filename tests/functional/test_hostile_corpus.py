"""The hostile corpus (tests/hostile/corpus.py) through the real front door: gunicorn,
keystonemiddleware with a real token, as the demo user, to every operation of the served
/openapi.json. Whatever arrives, never a 5xx; what reaches the API is answered in Trove's
envelope and in words, and a 400 where the corpus says one is due.

The in-process test (tests/unit/test_hostile_corpus.py) sends every case to every route on
both databases; this one sends every body case at the places an attack aims for (the
request's own fields), every query and path case, over HTTP.
"""
import json
import re

import requests

from tests.hostile import corpus

_PARAM = re.compile(r'\{(\w+)\}')
# Of the body cases, those sent over HTTP: all the whole-body ones and, at each field, the
# JSON guard's refusals and the likeliest slips (the unit test sends the rest).
_SENT = ('nul', 'surrogate', '64 bits', '5,000', 'double', 'NaN', 'Infinity', 'duplicate',
         'control character', 'float for an integer', 'integral float', '10,000 objects',
         'unknown field', 'without')
# What the demo user may have made while the corpus ran, and is removed afterwards.
_COLLECTIONS = ('instances', 'backups', 'configurations', 'modules')
_WHOLE = {label for label, _, _ in corpus.WHOLE_BODIES}


def _operations(stack):
    doc = requests.get(stack.urls['api'] + '/openapi.json', timeout=10).json()
    for template, operations in doc['paths'].items():
        for method, operation in operations.items():
            body = operation.get('requestBody')
            schema = body['content']['application/json']['schema'] if body else None
            query = {p['name']: p['schema'] for p in operation['parameters']
                     if p['in'] == 'query'}
            params = [p['name'] for p in operation['parameters'] if p['in'] == 'path']
            yield method.upper(), template, schema, query, params


def _url(stack, project, template, segments=None):
    segments = segments or {}
    path = _PARAM.sub(lambda m: project if m.group(1) == 'project_id'
                      else segments.get(m.group(1), 'hostile-id'), template)
    return stack.urls['api'] + path


def _requests(stack, project, method, template, schema, query, params):
    """(label, url, raw body or None, must_refuse, in_envelope)."""
    takes_body = method in ('POST', 'PUT', 'PATCH')
    url = _url(stack, project, template)
    if takes_body:
        for case in corpus.body_cases(schema):
            if case.label in _WHOLE or any(word in case.label for word in _SENT):
                yield 'body ' + case.label, url, case.raw, case.must_refuse, True
    for case in corpus.query_cases(query):
        yield 'query ' + case.label, url + '?' + case.raw, None, case.must_refuse, True
    for name in (p for p in params if p != 'project_id'):
        for case in corpus.path_cases():
            # Only the status: a front end may refuse a path before the API sees it.
            yield ('path %s: %s' % (name, case.label),
                   _url(stack, project, template, {name: case.raw}),
                   b'{}' if takes_body else None, False, False)


def _ids(session, base, token):
    found = {}
    for collection in _COLLECTIONS:
        resp = session.get('%s/%s' % (base, collection), headers={'X-Auth-Token': token},
                           timeout=30)
        found[collection] = {item['id'] for item in resp.json().get(collection, [])} \
            if resp.status_code == 200 else set()
    return found


def test_the_corpus_through_gunicorn_and_keystone_is_never_a_5xx(stack):
    token, project = stack.token('demo')
    base = stack.api(project)
    session = requests.Session()
    before = _ids(session, base, token)
    problems, sent = [], 0
    try:
        for operation in _operations(stack):
            method, template = operation[:2]
            for label, url, raw, must_refuse, in_envelope in _requests(stack, project,
                                                                         *operation):
                headers = {'X-Auth-Token': token}
                if raw is not None:
                    headers['Content-Type'] = 'application/json'
                resp = session.request(method, url, data=raw, headers=headers, timeout=60)
                sent += 1
                if in_envelope and resp.status_code != 414:
                    found = corpus.answer_problems(resp.status_code, resp.content, must_refuse)
                else:
                    # gunicorn answers a request line over 4,094 bytes itself (414, HTML):
                    # refused before the API, so only the status is the API's concern.
                    found = ['answered %d' % resp.status_code] if resp.status_code >= 500 \
                        else []
                problems += ['%s %s %s: %s' % (method, template, label, p) for p in found]
    finally:
        _remove_made(session, base, token, before)
    assert sent > 5000, sent          # the corpus really ran
    assert not problems, '\n'.join(problems[:40])


def _remove_made(session, base, token, before):
    """Delete what a case that passed validation made in the demo project."""
    after = _ids(session, base, token)
    for collection in _COLLECTIONS:
        for made in after[collection] - before[collection]:
            session.delete('%s/%s/%s' % (base, collection, made),
                           headers={'X-Auth-Token': token}, timeout=30)


def test_the_issues_deep_body_through_the_front_door(stack):
    # Issue #15: {"instance": [[[…]]]} 5,000 deep answered 500 through gunicorn.
    token, project = stack.token('demo')
    resp = requests.post(stack.api(project) + '/instances',
                         data='{"instance": ' + '[' * 5000 + ']' * 5000 + '}',
                         headers={'X-Auth-Token': token, 'Content-Type': 'application/json'},
                         timeout=30)
    assert resp.status_code == 400
    assert json.loads(resp.content) == {'badRequest': {
        'code': 400, 'message': 'The request body nests objects and lists more than 32 '
                                'levels deep.'}}
