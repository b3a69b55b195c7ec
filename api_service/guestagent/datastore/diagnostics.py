"""The engine's own figures for an operator's diagnostics, as Trove's guest reports them.

The engine's main process (its pid file's: MariaDB's mariadbd, PostgreSQL's postmaster,
redis-server) is read from /proc/<pid>/status: memory in kB as the kernel writes it there,
threads and the size of its file table. The version is the one the running engine reports,
not the package's, so an operator sees what actually answers.
"""
import logging

from api_service.guestagent import errors

LOG = logging.getLogger(__name__)

# /proc/<pid>/status field -> the key Trove's guest reports it under.
PROC_FIELDS = {'Threads': 'threads', 'FDSize': 'fd_size', 'VmSize': 'vm_size',
               'VmPeak': 'vm_peak', 'VmRSS': 'vm_rss', 'VmHWM': 'vm_hwm'}
KEYS = ('version',) + tuple(PROC_FIELDS.values())


def proc_status(pid):
    """{Trove's key: int} of the process's /proc status (kB for Vm*); {} when it is gone."""
    try:
        with open('/proc/%d/status' % pid) as handle:
            lines = handle.read().splitlines()
    except OSError:
        return {}
    figures = {}
    for line in lines:
        name, _, value = line.partition(':')
        key = PROC_FIELDS.get(name)
        if key is not None:
            try:
                figures[key] = int(value.split()[0])
            except (IndexError, ValueError):
                pass
    return figures


def of(manager):
    """Every key of KEYS: the running engine's figures, None for those not known (all of
    them while the engine is stopped)."""
    figures = dict.fromkeys(KEYS)
    pid = manager.pid()
    if pid is None:
        return figures
    figures.update(proc_status(pid))
    try:
        figures['version'] = manager.engine_version()
    except errors.GuestError as error:
        # Still starting, or busy: the process's figures are worth answering with alone.
        LOG.warning('the engine did not say its version: %s', error.details or error)
    return figures
