"""What a heartbeat reports of the engine's load: CPU, memory, connections, queries per second.

CPU and the query rate are rates, so they are taken from the difference between this
heartbeat's readings and the previous one's; the first heartbeat after the agent starts
(or after the engine restarted) has none and reports None for them. Every figure is read on
its own and one that cannot be read is None: a metric never costs the heartbeat.

CPU is the engine's processes' (the main process, its children, and children that ended
since, which the kernel adds to their parent's) in percent of one CPU, as `top` shows it.
Memory is resident memory: the main process's, plus each child's own (anonymous) memory,
so what the processes share (PostgreSQL's shared buffers) counts once.
"""
import logging
import os
import time

LOG = logging.getLogger(__name__)

CLOCK_TICKS = os.sysconf('SC_CLK_TCK')
PROC = '/proc'


def _stat_fields(pid):
    """The fields of /proc/<pid>/stat after the command's name (state first), or None."""
    try:
        with open('%s/%d/stat' % (PROC, pid)) as handle:
            return handle.read().rsplit(')', 1)[1].split()
    except (OSError, IndexError):
        return None


def _cpu_ticks(fields):
    # utime, stime, cutime, cstime: stat fields 14-17.
    return sum(int(value) for value in fields[11:15])


def children(pid):
    """Pids of the process's live children (PostgreSQL's backends, a Redis save)."""
    found = []
    for entry in os.listdir(PROC):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None and fields[1] == str(pid):
                found.append(int(entry))
    return found


def _status_kb(pid, name):
    try:
        with open('%s/%d/status' % (PROC, pid)) as handle:
            for line in handle:
                if line.startswith(name + ':'):
                    return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return 0


def process_figures(pid):
    """(CPU ticks so far, resident bytes) of a process and its children, or None when the
    process is gone."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    ticks, rss_kb = _cpu_ticks(fields), _status_kb(pid, 'VmRSS')
    for child in children(pid):
        child_fields = _stat_fields(child)
        if child_fields is not None:
            ticks += _cpu_ticks(child_fields)
            rss_kb += _status_kb(child, 'RssAnon')
    return ticks, rss_kb * 1024


class Sampler:
    """Turns one engine's readings at successive heartbeats into a sample each."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        # (clock, pid, CPU ticks or None, queries so far or None) at the previous sample.
        self._previous = None

    def sample(self, manager):
        """{'cpu_percent', 'memory_bytes', 'connections', 'queries_per_second'}, each None
        when unknown; all None while the engine is not running."""
        figures = dict.fromkeys(('cpu_percent', 'memory_bytes', 'connections',
                                 'queries_per_second'))
        now, pid = self._clock(), manager.pid()
        if pid is None:
            self._previous = None
            return figures
        process = _read('its processes', process_figures, pid)
        ticks = process[0] if process else None
        if process:
            figures['memory_bytes'] = process[1]
        activity = _read("the engine's counters", lambda: manager.activity()) or {}
        figures['connections'] = activity.get('connections')
        queries = activity.get('queries')
        previous, self._previous = self._previous, (now, pid, ticks, queries)
        if previous is None or previous[1] != pid or now <= previous[0]:
            return figures     # nothing to compare with: a new (or restarted) engine
        elapsed = now - previous[0]
        if ticks is not None and previous[2] is not None and ticks >= previous[2]:
            figures['cpu_percent'] = round(
                100.0 * (ticks - previous[2]) / CLOCK_TICKS / elapsed, 2)
        if queries is not None and previous[3] is not None and queries >= previous[3]:
            figures['queries_per_second'] = round((queries - previous[3]) / elapsed, 2)
        return figures


def _read(what, function, *args):
    try:
        return function(*args)
    except Exception as error:      # a figure is worth nothing next to the heartbeat
        LOG.warning('metrics: could not read %s (%s)', what, type(error).__name__)
        return None
