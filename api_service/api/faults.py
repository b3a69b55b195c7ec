"""The one place errors become HTTP responses, in Trove's envelope.

`{"badRequest": {"code": 400, "message": "..."}}`; unexpected errors are logged
with their trace and answered with a generic 500 that leaks nothing.
"""
import json
import logging

import webob
import webob.exc

from api_service.common import exceptions

LOG = logging.getLogger(__name__)


def envelope(fault, code, message):
    return {fault: {'code': code, 'message': message}}


def error_response(error):
    """A webob Response for a DBaaSError."""
    resp = webob.Response(status=error.code, content_type='application/json', charset='utf-8')
    resp.text = json.dumps(envelope(error.fault, error.code, error.message))
    if error.code == 401:
        resp.headers['WWW-Authenticate'] = 'Keystone uri="%s"' % getattr(error, 'auth_uri', '')
    return resp


class FaultWrapper:
    """Outermost middleware: nothing escapes as a traceback or an HTML page."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        try:
            return self.app(environ, start_response)
        except exceptions.DBaaSError as error:
            return error_response(error)(environ, start_response)
        except Exception:
            LOG.exception('Unexpected error serving %s %s', environ.get('REQUEST_METHOD'),
                          environ.get('PATH_INFO'))
            return error_response(exceptions.DBaaSError())(environ, start_response)
