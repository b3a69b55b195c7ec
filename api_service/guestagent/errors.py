"""Typed errors of the guest agent's engine managers.

Each error carries the HTTP code and Trove fault name it should become, so the
server can map it in one place without knowing engine details. `message` is
safe to show a tenant (it names the problem, never a password or an engine's
raw output); `details` is for operators only (log tails, engine error texts)
and is still free of passwords, because the managers never send a plaintext
password to an engine.

The guest agent imports nothing of the server, so these do not derive from
api_service.common.exceptions; `to_dict`/`from_dict` carry them over RPC.
"""


class GuestError(Exception):
    """Base class: a tenant-safe message, optional operator details, an HTTP code."""

    code = 500
    fault = 'instanceFault'
    message = 'The guest agent failed.'

    def __init__(self, message=None, *, details=None):
        self.message = message or self.message
        self.details = details
        super().__init__(self.message)

    def to_dict(self):
        return {'type': type(self).__name__, 'code': self.code, 'fault': self.fault,
                'message': self.message, 'details': self.details}

    @staticmethod
    def from_dict(data):
        """The error `to_dict` described, as the most specific class known here."""
        cls = ERRORS.get(data.get('type'), GuestError)
        error = cls.__new__(cls)
        GuestError.__init__(error, data.get('message'), details=data.get('details'))
        if cls is NotSupported:
            error.capability = None
        return error


class EngineError(GuestError):
    """The database engine could not do what was asked (failed to start, crashed, refused)."""

    message = 'The database engine failed.'


class EngineTimeout(EngineError):
    """The engine did not reach the expected state before the deadline."""

    message = 'The database engine did not respond in time.'


class EngineExited(EngineError):
    """The engine's process ended while it was starting (it did not just take long)."""

    message = 'The database engine exited while starting.'


class BadRequest(GuestError):
    """The request is malformed or asks for something the engine cannot accept."""

    code, fault, message = 400, 'badRequest', 'The request is not valid.'


class InvalidName(BadRequest):
    """A database, user or host name breaks the engine's naming rules."""

    message = 'The name is not valid.'


class ReservedName(BadRequest):
    """The name belongs to a system database or an internal account."""

    message = 'This name is reserved for the system.'


class NotSupported(BadRequest):
    """The engine does not declare the capability this operation needs.

    Trove answers these with 400 ("operation is not supported for the
    datastore"), so this is a BadRequest.
    """

    message = 'This operation is not supported for this datastore.'

    def __init__(self, capability, manager=None):
        self.capability = capability
        if manager:
            text = "The '%s' operation is not supported for the '%s' datastore." % (
                capability, manager)
        else:
            text = "The '%s' operation is not supported for this datastore." % capability
        super().__init__(text)


class UnknownManager(BadRequest):
    """No engine manager is registered under the requested name."""

    message = 'There is no guest agent manager with this name.'


class NotFound(GuestError):
    """A user or database the request names does not exist."""

    code, fault, message = 404, 'itemNotFound', 'The resource could not be found.'


class Conflict(GuestError):
    """The user or database already exists."""

    code, fault, message = 409, 'conflictingRequest', 'The resource already exists.'


ERRORS = {cls.__name__: cls for cls in (
    GuestError, EngineError, EngineTimeout, EngineExited, BadRequest, InvalidName, ReservedName,
    NotSupported, UnknownManager, NotFound, Conflict)}
