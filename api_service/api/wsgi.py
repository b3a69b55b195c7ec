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
            return json.loads(raw.decode('utf-8'))
        except (ValueError, UnicodeDecodeError) as err:
            raise exceptions.BadRequest('The request body is not valid JSON: %s.' % err)

    def query_int(self, name, default=None, minimum=0, maximum=None):
        value = self.GET.get(name)
        if value is None or value == '':
            return default
        try:
            number = int(value)
        except ValueError:
            raise exceptions.BadRequest("Query parameter '%s' must be an integer, got '%s'."
                                        % (name, value))
        if number < minimum or (maximum is not None and number > maximum):
            raise exceptions.BadRequest("Query parameter '%s' must be between %d and %s."
                                        % (name, minimum, maximum if maximum else 'any'))
        return number


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
        pattern = self._PARAM.sub(lambda m: '(?P<%s>[^/]+)' % m.group(1), template)
        self.regex = re.compile('^' + pattern + '/?$')

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


def validate(schema, body):
    """Check a body against a schema; the message names the failing field."""
    if schema is None:
        return
    validator = jsonschema.Draft7Validator(schema)
    if body is None:
        if validator.is_valid(None):
            return
        raise exceptions.BadRequest('A JSON request body is required.')
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        raise exceptions.BadRequest(describe_error(errors[0]))


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
    """Decode and validate the body before the handler runs."""

    @functools.wraps(func)
    def call(req, **params):
        body = req.json_body() if req.method in ('POST', 'PUT', 'PATCH') else None
        validate(route_.schema, body)
        req.body_json = body
        return func(req, **params)
    return call
