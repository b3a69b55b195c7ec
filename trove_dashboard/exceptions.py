"""The API's errors as Horizon classifies them, and the API's own words for the user.

The enabled file hands these tuples to Horizon (ADD_EXCEPTIONS), so a 404 removes a
polled row and a 4xx becomes a message instead of a server error.
"""
import sys

from troveclient.apiclient import exceptions as trove_exceptions

NOT_FOUND = (trove_exceptions.NotFound,)
RECOVERABLE = (trove_exceptions.ClientException,)
UNAUTHORIZED = (trove_exceptions.Unauthorized,)


def is_client_error(exc):
    """A 4xx from the API: the request was wrong, and the API says why."""
    status = getattr(exc, 'http_status', 0) or 0
    return 400 <= status < 500


def api_message(exc):
    """What the API said (its envelope's message), without client decorations."""
    message = getattr(exc, 'message', None)
    return str(message) if message else str(exc)


def say_why(request, call, *args):
    """Run an API call for a table action; its refusal (4xx) is shown in the API's words
    only: it is raised on as handled, so Horizon adds no "Unable to ..." of its own (the
    user would read two alerts for one refusal). Anything else goes on to Horizon."""
    # Imported here: the enabled files import this module while Django's settings load.
    from horizon import exceptions
    from horizon import messages
    try:
        return call(request, *args)
    except RECOVERABLE as exc:
        if not is_client_error(exc):
            raise
        messages.error(request, api_message(exc))
        raise exceptions.HandledException(sys.exc_info())
