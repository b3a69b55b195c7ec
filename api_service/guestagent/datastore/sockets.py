"""Short private directories for the engines' unix sockets.

A unix socket's path must fit in 107 bytes (sun_path), and a run directory lies as deep as
the state directory does (a home directory, a checkout, a temp directory), so an engine's
sockets do not live there. Each run directory gets a short directory of its own instead:

    as root        /run/dbaas/<name>/        (/run/dbaas is 0755; <name> is the engine user's, 0700)
    as any other   /tmp/dbaas-<uid>/<name>/  (/tmp/dbaas-<uid> is 0700 and must be ours)

`<name>` is the start of the run directory's last part and a hash of its whole path, so the
same run directory always gets the same socket directory (across agent restarts) and two
stacks never share one. Not the user's runtime directory ($XDG_RUNTIME_DIR): logind removes
it at logout while a stack started with `make up` keeps its engines running.
"""
import hashlib
import os
import stat

from api_service.guestagent import errors

# Unix socket paths are limited to 107 bytes (sun_path).
MAX_SOCKET_PATH = 107
ROOT_BASE = '/run/dbaas'


def base_dir():
    """The directory every socket directory of this user is made in (made if missing)."""
    if os.geteuid() == 0 and os.path.isdir(os.path.dirname(ROOT_BASE)):
        os.makedirs(ROOT_BASE, mode=0o755, exist_ok=True)
        return ROOT_BASE
    # A fixed name in the shared /tmp: someone else may have made it first, so it is used
    # only if it is ours, a real directory, and private.
    base = '/tmp/dbaas-%d' % os.geteuid()
    try:
        os.mkdir(base, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(base)
    if (not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid()
            or info.st_mode & 0o077):
        raise errors.EngineError('The directory for the engine\'s sockets is not private.',
                                 details='%s must be a directory owned by uid %d with mode '
                                         '0700' % (base, os.geteuid()))
    return base


def socket_dir_for(run_dir):
    """The short socket directory of an instance's run directory (not made here)."""
    run_dir = os.path.abspath(run_dir)
    digest = hashlib.sha256(run_dir.encode()).hexdigest()[:12]
    name = '%s-%s' % (os.path.basename(run_dir)[:8], digest)
    return os.path.join(base_dir(), name)


def check_length(path):
    if len(path) > MAX_SOCKET_PATH:
        raise errors.EngineError('The socket path is too long for a unix socket.',
                                 details='%s has %d bytes; at most %d fit'
                                         % (path, len(path), MAX_SOCKET_PATH))
