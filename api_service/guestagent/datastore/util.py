"""Small helpers of the engine managers: passwords, waiting, /proc, log tails, paging."""
import os
import secrets
import string
import time

from api_service.guestagent import errors

_PASSWORD_ALPHABET = string.ascii_letters + string.digits


def generate_password(length=32):
    """A strong random password of letters and digits (safe in any client and URL)."""
    return ''.join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def wait_for(condition, timeout, what, interval=0.01, max_interval=0.1):
    """Poll `condition` until it returns something truthy; raise EngineTimeout at the deadline.

    The interval starts small and grows, so fast engines are seen at once and
    slow ones are not hammered.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise errors.EngineTimeout('Timed out after %.0f s waiting for %s.' % (timeout, what))
        time.sleep(interval)
        interval = min(interval * 1.5, max_interval)


def proc_stat(pid):
    """(state, start_time) of a process from /proc, or None when it does not exist."""
    try:
        with open('/proc/%d/stat' % pid) as handle:
            fields = handle.read().rsplit(')', 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[19])


def process_alive(pid):
    """True when the process exists and is not a zombie; reaps it if it is our dead child."""
    stat = proc_stat(pid)
    if stat is None:
        return False
    if stat[0] in ('Z', 'X'):
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        return False
    return True


def readlink_or_none(path):
    try:
        return os.readlink(path)
    except OSError:
        return None


def path_within(path, directory):
    return path == directory or path.startswith(directory + os.sep)


def tail_of_file(path, lines=15):
    """The last lines of a log file, for operator details."""
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 8192))
            text = handle.read().decode('utf-8', 'replace')
    except OSError:
        return ''
    return '\n'.join(text.splitlines()[-lines:])


def check_paging(limit, marker):
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise errors.BadRequest('The limit must be a positive integer.')
    if marker is not None and not isinstance(marker, str):
        raise errors.BadRequest('The marker must be a string.')


def paginate(items, key, limit=None, marker=None):
    """Trove paging: items sorted by `key`, starting after `marker`, at most `limit`.

    Returns (page, next_marker); next_marker is the key of the page's last item
    when more items follow, else None.
    """
    check_paging(limit, marker)
    items = sorted(items, key=key)
    if marker is not None:
        items = [item for item in items if key(item) > marker]
    if limit is None or len(items) <= limit:
        return items, None
    page = items[:limit]
    return page, key(page[-1])
