"""Request handling plumbing: routing, JSON bodies, schema validation, envelopes.

Controllers (api/controllers/*) declare routes with `@route`; handlers receive a
Request whose `ctx` is the caller's context and whose `body` is validated JSON.
"""
import functools
import http
import json
import re
import urllib.parse

import webob

from api_service.api import json_guard
from api_service.api import schema_errors
from api_service.common import exceptions
from api_service.common.config import CONF


class Request(webob.Request):
    """A webob request with the caller's context and the decoded body."""

    ctx = None
    body_json = None
    query = None      # the route's declared query parameters, typed and validated

    @property
    def path_info(self):
        """The path, decoded; a 400 (not webob's UnicodeDecodeError) when it is not UTF-8."""
        try:
            return webob.Request.path_info.fget(self)
        except UnicodeDecodeError:
            raise exceptions.BadRequest('The path is not valid UTF-8.')

    @path_info.setter
    def path_info(self, value):
        webob.Request.path_info.fset(self, value)

    def query_params(self):
        """The query string's parameters; a 400 when it is not UTF-8."""
        try:
            return self.GET
        except UnicodeDecodeError:
            raise exceptions.BadRequest('The query string is not valid UTF-8.')

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
        return json_guard.decode(raw, CONF.api.max_json_depth)


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
        self.body_validator = schema_errors.Validator(schema) if schema else None
        self.query_validator = (schema_errors.Validator(
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
    validator = validator or schema_errors.Validator(schema)
    if body is None:
        if validator.is_valid(None):
            return
        raise exceptions.BadRequest('A JSON request body is required.')
    error = schema_errors.first_error(validator, body)
    if error is not None:
        raise exceptions.BadRequest(describe_error(error))


# How a query string's words read as booleans (python-troveclient sends True/False).
_BOOLEAN_WORDS = {'true': True, '1': True, 'false': False, '0': False}
_INTEGER = re.compile(r'-?[0-9]+\Z')     # match() anchors the start
_LONGEST_INTEGER = 18


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
            values[name] = _query_integer(name, raw, schema)
        elif kind == 'boolean' and raw.lower() in _BOOLEAN_WORDS:
            values[name] = _BOOLEAN_WORDS[raw.lower()]
        else:
            values[name] = raw
    error = next(iter(route_.query_validator.iter_errors(values)), None)
    if error is not None:
        raise exceptions.BadRequest(describe_query_error(error, values))
    return values


def _query_integer(name, raw, schema):
    """A whole number of a query string; one of more digits than any limit is refused
    unconverted, in the words of its bound."""
    if len(raw.lstrip('-')) <= _LONGEST_INTEGER:
        return int(raw)
    subject = schema_errors.query_subject((name,))
    if raw.startswith('-') and 'minimum' in schema:
        raise exceptions.BadRequest('%s must be at least %s.' % (subject, schema['minimum']))
    if 'maximum' in schema:
        raise exceptions.BadRequest('%s must be at most %s.' % (subject, schema['maximum']))
    raise exceptions.BadRequest('%s is too large (at most %d digits).'
                                % (subject, _LONGEST_INTEGER))


def refuse_nul_in_query(query_string, query):
    """400 for a NUL (%00) anywhere in the query string, declared parameter or not: no
    database, log line or shell takes one."""
    if '%00' not in query_string and '\x00' not in query_string:
        return
    for name, value in query.items():
        if '\x00' in name:
            raise exceptions.BadRequest('A query parameter name must not contain a NUL '
                                        'character (%00).')
        if '\x00' in value:
            raise exceptions.BadRequest('%s must not contain a NUL character (%%00).'
                                        % schema_errors.query_subject((name,)))


def refuse_control_in_path(params):
    """400 for a control character in a path segment (an id or a name): none holds one."""
    for name, value in params.items():
        if schema_errors.has_control(value):
            raise exceptions.BadRequest("The path segment '%s' must not contain control "
                                        'characters.' % name)


def describe_query_error(error, values=None):
    """A query parameter's refusal in words (schema_errors)."""
    return schema_errors.describe(error, schema_errors.query_subject)


def describe_error(error):
    """A body's refusal in words (schema_errors)."""
    return schema_errors.describe(error)


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
        refuse_control_in_path(params)
        query = req.query_params()
        refuse_nul_in_query(req.environ.get('QUERY_STRING', ''), query)
        req.query = query_values(route_, query)
        body = req.json_body() if req.method in ('POST', 'PUT', 'PATCH') else None
        validate(route_.schema, body, route_.body_validator)
        req.body_json = body
        return func(req, **params)
    return call
