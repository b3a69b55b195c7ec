"""Request handling plumbing: routing, JSON bodies, schema validation, envelopes.

Controllers (api/controllers/*) declare routes with `@route`; handlers receive a
Request whose `ctx` is the caller's context and whose `body` is validated JSON.
"""
import functools
import http
import json
import re
import urllib.parse

import jsonschema
import webob

from api_service.common import exceptions
from api_service.common.config import CONF


class Request(webob.Request):
    """A webob request with the caller's context and the decoded body."""

    ctx = None
    body_json = None
    query = None      # the route's declared query parameters, typed and validated

    @property
    def cached_host_url(self):
        """host_url, computed once: views build a link per item."""
        if 'dbaas.host_url' not in self.environ:
            self.environ['dbaas.host_url'] = self.host_url
        return self.environ['dbaas.host_url']

    def json_body(self):
        if self.content_length and self.content_length > CONF.api.max_body_bytes:
            raise exceptions.OverLimit('The request body is larger than %d bytes.'
                                       % CONF.api.max_body_bytes)
        raw = self.body
        if not raw:
            return None
        ctype = (self.content_type or 'application/json').lower()
        if ctype not in ('application/json', 'application/octet-stream', 'text/plain', ''):
            raise exceptions.UnsupportedMediaType(
                "Content-Type '%s' is not supported; send application/json." % ctype)
        try:
            body = json.loads(raw.decode('utf-8'))
        except (ValueError, UnicodeDecodeError) as err:
            raise exceptions.BadRequest('The request body is not valid JSON: %s.' % err)
        check_unicode(body)
        return body


def _not_unicode(text):
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        return True
    return False


def _first_not_unicode(value, path):
    """The path to the first text in `value` that is not valid Unicode, or None."""
    if isinstance(value, str):
        return path if _not_unicode(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _not_unicode(key):
                return path + [None]
            found = _first_not_unicode(item, path + [key])
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_not_unicode(item, path + [str(index)])
            if found is not None:
                return found
    return None


def check_unicode(body):
    """400 naming the field when text in a body is not valid Unicode: JSON's escapes let a
    client send half of a surrogate pair ("\\ud800"), which no database or answer can hold.
    Checked once here, for every body, before any handler sees it."""
    path = _first_not_unicode(body, [])
    if path is None:
        return
    if path and path[-1] is None:      # the name of a field itself
        where = '/'.join(path[:-1])
        raise exceptions.BadRequest('A field name %sholds text that is not valid Unicode '
                                    '(a lone surrogate escape).'
                                    % ("in '%s' " % where if where else ''))
    if path:
        raise exceptions.BadRequest("'%s' holds text that is not valid Unicode (a lone "
                                    'surrogate escape).' % '/'.join(path))
    raise exceptions.BadRequest('The request body holds text that is not valid Unicode '
                                '(a lone surrogate escape).')


# -- routes -------------------------------------------------------------------

class Route:
    """One method + path template bound to a handler, with its documentation."""

    _PARAM = re.compile(r'\{(\w+)\}')

    def __init__(self, method, template, handler, schema=None, summary='', response_key=None,
                 status=200, query=None, auth=True):
        self.method = method
        self.template = template
        self.handler = handler
        self.schema = schema
        self.summary = summary
        self.response_key = response_key
        self.status = status
        self.query = query or {}
        self.auth = auth
        # Validators are built once per route: building one costs more than using it.
        self.body_validator = jsonschema.Draft7Validator(schema) if schema else None
        self.query_validator = (jsonschema.Draft7Validator(
            {'type': 'object', 'properties': self.query}) if self.query else None)
        self.call = handler_wrapper(self, handler)

    @property
    def params(self):
        return self._PARAM.findall(self.template)


ROUTES = []


def route(method, template, schema=None, summary='', response_key=None, status=200,
          query=None, auth=True):
    """Register a handler. Templates are relative to /v1.0/{project_id} when auth is on."""

    def decorator(func):
        func._route = dict(method=method, template=template, schema=schema, summary=summary,
                           response_key=response_key, status=status, query=query, auth=auth)
        return func
    return decorator


def validate(schema, body, validator=None):
    """Check a body against a schema; the message names the failing field."""
    if schema is None:
        return
    validator = validator or jsonschema.Draft7Validator(schema)
    if body is None:
        if validator.is_valid(None):
            return
        raise exceptions.BadRequest('A JSON request body is required.')
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        raise exceptions.BadRequest(describe_error(errors[0]))


# How a query string's words read as booleans (python-troveclient sends True/False).
_BOOLEAN_WORDS = {'true': True, '1': True, 'false': False, '0': False}
_INTEGER = re.compile(r'^-?[0-9]{1,18}$')


def query_values(route_, query):
    """The route's declared query parameters, typed as their schemas say, and checked.

    Parameters a route does not declare are ignored, as Trove does; a declared one with a
    value its schema refuses is a 400 naming it.
    """
    if route_.query_validator is None:
        return {}
    values = {}
    for name, schema in route_.query.items():
        raw = query.getall(name)[-1] if name in query else ''
        if raw == '':
            continue          # clients send empty values for parameters they leave unset
        kind = schema.get('type')
        if kind == 'integer' and _INTEGER.match(raw):
            values[name] = int(raw)
        elif kind == 'boolean' and raw.lower() in _BOOLEAN_WORDS:
            values[name] = _BOOLEAN_WORDS[raw.lower()]
        else:
            values[name] = raw
    error = next(iter(route_.query_validator.iter_errors(values)), None)
    if error is not None:
        raise exceptions.BadRequest(describe_query_error(error, values))
    return values


def describe_query_error(error, values):
    name = str(error.absolute_path[0]) if error.absolute_path else 'query'
    shown = str(values.get(name, ''))[:64]
    if error.validator == 'type':
        kind = {'integer': 'a whole number', 'boolean': 'true or false'}.get(
            error.validator_value, 'a %s' % error.validator_value)
        return "Query parameter '%s' must be %s, not '%s'." % (name, kind, shown)
    if error.validator == 'minimum':
        return "Query parameter '%s' must be at least %s." % (name, error.validator_value)
    if error.validator == 'maximum':
        return "Query parameter '%s' must be at most %s." % (name, error.validator_value)
    if error.validator == 'maxLength':
        return "Query parameter '%s' is too long (at most %d characters)." % (
            name, error.validator_value)
    if error.validator == 'enum':
        return "Query parameter '%s' must be one of: %s." % (
            name, ', '.join(str(v) for v in error.validator_value))
    return "Query parameter '%s' is not valid: %s" % (name, error.message)


def describe_error(error):
    where = '/'.join(str(p) for p in error.absolute_path) or 'body'
    if error.validator in ('oneOf', 'anyOf') and error.schema.get('description'):
        return error.schema['description']
    if error.validator == 'additionalProperties':
        return 'Unknown field in %s: %s' % (where, error.message.split('(')[-1].rstrip(')'))
    if error.validator == 'maxLength':
        return "'%s' is too long (at most %d characters)." % (where, error.validator_value)
    if error.validator == 'type':
        return "'%s' must be of type %s." % (where, error.validator_value)
    if error.validator == 'required':
        return 'Missing field in %s: %s' % (where, error.message)
    return "Invalid value for '%s': %s" % (where, error.message)


class Resource:
    """Base class for controllers: collects @route methods and wraps results."""

    def routes(self, prefix):
        for name in dir(self):
            func = getattr(self, name)
            spec = getattr(func, '_route', None)
            if spec:
                spec = dict(spec)
                template = (prefix if spec['auth'] else '') + spec.pop('template')
                yield Route(spec.pop('method'), template, func, **spec)


_STATUS_LINES = {s.value: '%d %s' % (s.value, s.phrase) for s in http.HTTPStatus}


class JsonResponse:
    """A JSON answer as a WSGI app; a fraction of webob.Response's cost on every request."""

    __slots__ = ('status', 'body')

    def __init__(self, payload, status=200):
        self.status = status
        self.body = b'' if payload is None else json.dumps(payload, separators=(',', ':')).encode()

    def __call__(self, environ, start_response):
        start_response(_STATUS_LINES[self.status], [('Content-Type', 'application/json'),
                                                    ('Content-Length', str(len(self.body)))])
        return [] if environ.get('REQUEST_METHOD') == 'HEAD' else [self.body]


def url_base(req):
    """The public URL of the version root, e.g. http://host:8779/v1.0."""
    return req.host_url + '/v1.0'


def paginated_links(req, collection, next_marker):
    """Trove's `links`: a `next` link carrying the marker, when there is more."""
    if not next_marker:
        return []
    query = dict(req.GET)
    query['marker'] = next_marker
    href = '%s%s?%s' % (req.host_url, req.path, urllib.parse.urlencode(query))
    return [{'rel': 'next', 'href': href}]


def handler_wrapper(route_, func):
    """Decode and validate the body and the query before the handler runs."""

    @functools.wraps(func)
    def call(req, **params):
        req.query = query_values(route_, req.GET)
        body = req.json_body() if req.method in ('POST', 'PUT', 'PATCH') else None
        validate(route_.schema, body, route_.body_validator)
        req.body_json = body
        return func(req, **params)
    return call
