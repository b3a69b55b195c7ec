"""Typed errors of the service, each carrying the Trove fault it maps to.

The API turns any of these into Trove's error envelope in one place
(api/faults.py); nothing else formats errors.
"""


class DBaaSError(Exception):
    """Base class: a message safe to show the tenant, and its HTTP fault."""

    code = 500
    fault = 'instanceFault'
    message = 'An unexpected error occurred.'

    def __init__(self, message=None, **kwargs):
        self.message = (message or self.message) % kwargs if kwargs else (message or self.message)
        super().__init__(self.message)


class BadRequest(DBaaSError):
    code, fault, message = 400, 'badRequest', 'The request is not valid.'


class Unauthorized(DBaaSError):
    code, fault, message = 401, 'unauthorized', 'Authentication is required.'


class Forbidden(DBaaSError):
    code, fault, message = 403, 'forbidden', 'You are not allowed to do this.'


class NotFound(DBaaSError):
    code, fault, message = 404, 'itemNotFound', 'The resource could not be found.'


class MethodNotAllowed(DBaaSError):
    code, fault, message = 405, 'badMethod', 'This method is not allowed here.'


class Conflict(DBaaSError):
    code, fault, message = 409, 'conflictingRequest', 'The request conflicts with the current state.'


class OverLimit(DBaaSError):
    code, fault, message = 413, 'overLimit', 'A quota or size limit was exceeded.'


class UnsupportedMediaType(DBaaSError):
    code, fault, message = 415, 'badMediaType', 'Request bodies must be JSON.'


class UnprocessableEntity(DBaaSError):
    code, fault, message = 422, 'unprocessableEntity', 'The request cannot be processed.'


class ServiceUnavailable(DBaaSError):
    code, fault, message = 503, 'serviceUnavailable', 'The service cannot do this right now.'


class DatabaseUnavailable(ServiceUnavailable):
    """The service database could not be reached (a server restarting, a connection the
    restart cut). Usually nothing of the request was done, but a COMMIT cut mid-flight may
    have committed, so the message claims neither."""

    message = ('The service database is unreachable; the request may not have been done: '
               'try again shortly.')


class GuestFailed(ServiceUnavailable):
    """A guest agent failed a call. The message is for the tenant; `details` (the agent's
    error and traceback, which may hold paths or secrets) are for admins only."""

    message = 'The guest agent could not complete the request.'

    def __init__(self, message=None, details='', **kwargs):
        super().__init__(message, **kwargs)
        self.details = details


class NotImplementedYet(DBaaSError):
    code, fault, message = 501, 'notImplemented', 'This operation is not implemented.'


class QuotaExceeded(OverLimit):
    message = 'Quota exceeded for resources: %(resources)s.'
