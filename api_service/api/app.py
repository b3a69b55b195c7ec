"""The WSGI application: fault wrapper → router → (auth → context) → controller.

Public routes (the versions document, the OpenAPI document) skip auth; every
route under /v1.0/{project_id} goes through keystonemiddleware and must name
the token's own project.
"""
import logging
import re

from keystonemiddleware import auth_token
from werkzeug import exceptions as routing_exceptions
from werkzeug.routing import Map, Rule

from api_service.api import faults
from api_service.api import json_guard
from api_service.api import token_cache
from api_service.api import wsgi
from api_service.api.controllers import registry
from api_service.common import context
from api_service.common import exceptions
from api_service.common.config import CONF

LOG = logging.getLogger(__name__)

PROJECT_PREFIX = '/v1.0/{project_id}'
_PROJECT_ID = re.compile(r'^[0-9a-zA-Z_-]{1,64}$')
_PARAM = re.compile(r'\{(\w+)\}')


def keystone_auth(app):
    """keystonemiddleware, deciding nothing itself: we answer 401 in Trove's envelope."""
    return auth_token.AuthProtocol(app, {'oslo_config_config': CONF,
                                         'delay_auth_decision': True})


class Router:
    """Matches a path against the routes with Werkzeug's rule map (a state machine, so the
    cost does not grow with the number of routes); 404 or 405 in Trove's envelope otherwise."""

    def __init__(self, routes):
        self.routes = list(routes)
        rules = [Rule(_PARAM.sub(r'<\1>', r.template), endpoint=index, methods=[r.method])
                 for index, r in enumerate(self.routes)]
        # Bound once: an adapter only reads its map and settings while matching.
        self._adapter = Map(rules, strict_slashes=False, merge_slashes=False).bind('localhost')

    def match(self, method, path):
        try:
            index, params = self._adapter.match(path, method)
        except routing_exceptions.MethodNotAllowed as error:
            allowed = sorted(set(error.valid_methods or ()) - {'HEAD'})
            raise exceptions.MethodNotAllowed('%s is not allowed on %s; use %s.'
                                              % (json_guard.printable(method),
                                                 json_guard.printable(path, 200),
                                                 ', '.join(allowed)))
        except routing_exceptions.HTTPException:
            raise exceptions.NotFound('No such resource: %s' % json_guard.printable(path, 200))
        return self.routes[index], params


class Application:
    """Dispatches each request to its controller, authenticating where needed."""

    def __init__(self, routes=None, auth_middleware=None):
        self.router = Router(routes or registry.all_routes(PROJECT_PREFIX))
        if auth_middleware is None:
            self.authenticated = token_cache.TokenCache(keystone_auth, self._dispatch_authenticated)
        else:
            self.authenticated = auth_middleware(self._dispatch_authenticated)

    def __call__(self, environ, start_response):
        req = wsgi.Request(environ)
        route_, params = self.router.match(req.method, req.path_info)
        environ['dbaas.route'] = (route_, params)
        if route_.auth:
            return self.authenticated(environ, start_response)
        return self._call_handler(req, route_, params)(environ, start_response)

    def _dispatch_authenticated(self, environ, start_response):
        req = wsgi.Request(environ)
        route_, params = environ['dbaas.route']
        if environ.get('HTTP_X_IDENTITY_STATUS') != 'Confirmed':
            error = exceptions.Unauthorized('Authentication required: send a valid X-Auth-Token.')
            error.auth_uri = CONF.keystone_authtoken.www_authenticate_uri or ''
            return faults.error_response(error)(environ, start_response)
        ctx = context.RequestContext.from_environ(environ)
        url_project = params.pop('project_id')
        if not _PROJECT_ID.match(url_project) or url_project != ctx.project_id:
            raise exceptions.Forbidden("The token is scoped to another project than '%s'."
                                       % json_guard.printable(url_project, 64))
        ctx.url_project_id = url_project
        req.ctx = ctx
        return self._call_handler(req, route_, params)(environ, start_response)

    def _call_handler(self, req, route_, params):
        result = route_.call(req, **params)
        if isinstance(result, tuple):
            payload, status = result
        else:
            payload, status = result, route_.status
        return wsgi.JsonResponse(payload, status)


def build_app(auth_middleware=None):
    """The full WSGI stack; called once per process."""
    return faults.FaultWrapper(Application(auth_middleware=auth_middleware))
