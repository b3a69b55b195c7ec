"""The one place errors become HTTP responses, in Trove's envelope.

`{"badRequest": {"code": 400, "message": "..."}}`; unexpected errors are logged
with their trace and answered with a generic 500 that leaks nothing. A service database
that went away (restarting) is a 503 that says so, never a 500.
"""
import json
import logging

import webob
import webob.exc
from sqlalchemy import exc as sa_exc

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
        except sa_exc.DBAPIError as error:
            if not _database_went_away(error):
                return self._unexpected(environ, start_response)
            # A statement cut by the database's restart: its transaction is rolled back,
            # and the client may try again (db/session.py retries opening, not statements).
            LOG.warning('%s %s: the service database went away: %s',
                        environ.get('REQUEST_METHOD'), environ.get('PATH_INFO'),
                        str(error.orig).strip())
            return error_response(exceptions.DatabaseUnavailable())(environ, start_response)
        except Exception:
            return self._unexpected(environ, start_response)

    @staticmethod
    def _unexpected(environ, start_response):
        LOG.exception('Unexpected error serving %s %s', environ.get('REQUEST_METHOD'),
                      environ.get('PATH_INFO'))
        return error_response(exceptions.DBaaSError())(environ, start_response)


# SQLSTATE classes of a server that went away: 08 connection exception, 57P operator
# intervention (admin or crash shutdown, "cannot connect now" while it starts).
_GONE_SQLSTATES = ('08', '57P')


def _database_went_away(error):
    """True when a database error means the server (or our connection to it) is gone,
    not that the statement was wrong."""
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, 'sqlstate', None) or ''
    return isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)) and \
        sqlstate.startswith(_GONE_SQLSTATES)
