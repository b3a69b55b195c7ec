"""Why a guest agent exited: it writes its reason into its run directory before exiting, so
whoever started it can say why at once (and not wait for a deadline).

The reason is two texts: `message` is safe for the tenant (a GuestError's message, or only
the error's kind), `details` are for operators (the traceback and the error's details).
"""
import json
import os
import traceback

from api_service.guestagent import errors

FILE_NAME = 'agent-exit.json'
PID_FILE = 'agent.pid'


def write_pid(run_dir, pid):
    """The agent's pid file, replaced whole: both the driver (at spawn) and the agent write it,
    and a reader must never see it empty (an empty file would read as an agent that exited)."""
    path = os.path.join(run_dir, PID_FILE)
    scratch = '%s.%d.tmp' % (path, os.getpid())   # each writer its own
    with open(scratch, 'w') as handle:
        handle.write(str(pid))
    os.replace(scratch, path)


def write(run_dir, error):
    """Record `error` (being handled) as the agent's reason for exiting; never raises."""
    if isinstance(error, errors.GuestError):
        message = error.message
    else:
        message = 'The guest agent could not start (%s).' % type(error).__name__
    details = traceback.format_exc()
    if getattr(error, 'details', None):
        details += '\n' + str(error.details)
    try:
        os.makedirs(run_dir, exist_ok=True)
        path = os.path.join(run_dir, FILE_NAME)
        fd = os.open(path + '.tmp', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as handle:
            json.dump({'message': message, 'details': details}, handle)
        os.replace(path + '.tmp', path)
    except OSError:
        pass


def read(run_dir):
    """(message, details) of the last exit recorded in run_dir, or None."""
    try:
        with open(os.path.join(run_dir, FILE_NAME)) as handle:
            data = json.load(handle)
        return str(data['message']), str(data.get('details') or '')
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear(run_dir):
    try:
        os.remove(os.path.join(run_dir, FILE_NAME))
    except FileNotFoundError:
        pass
