"""Processes a backup or restore runs: the engine's tools, and the engine itself for a moment.

Tools run as the engine's system user (so what they write belongs to it) with
the manager's clean environment; a password they need travels in their
environment (MYSQL_PWD, PGPASSWORD), never on a command line that `ps`
shows. Their stderr goes to an unnamed file in run_dir whose tail becomes the
operator details of an error.

A restore sometimes has to run the engine before handing the data over:
MariaDB to reset the agent's admin password, PostgreSQL to replay WAL and
reset it, Redis to rebuild its append-only file. `temporary_engine` runs it
off the network, on the private socket only, and stops it cleanly.
"""
import contextlib
import logging
import os
import signal
import subprocess
import tempfile
import time

from api_service.guestagent import errors
from api_service.guestagent.datastore import base

LOG = logging.getLogger(__name__)


def _tail_of(handle, lines=15):
    try:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - 8192))
        text = handle.read().decode('utf-8', 'replace')
    except (OSError, ValueError):
        return ''
    return '\n'.join(text.splitlines()[-lines:])


class Tool:
    """One helper command (backup tool, extractor), run as the engine's user.

    `stdin`/`stdout` are as for subprocess (PIPE, a file, None for /dev/null).
    Use as a context manager: leaving it on an exception kills the process.
    """

    def __init__(self, manager, argv, what, *, stdin=None, stdout=None, env=None, cwd=None):
        self.what = what
        self.argv = argv
        self._errors = tempfile.TemporaryFile(dir=manager.run_dir)
        kwargs = manager._process_kwargs()
        kwargs['env'] = dict(kwargs['env'], **(env or {}))
        kwargs['stdin'] = subprocess.DEVNULL if stdin is None else stdin
        try:
            self.proc = subprocess.Popen(
                argv, stdout=subprocess.DEVNULL if stdout is None else stdout,
                stderr=self._errors, cwd=cwd or manager.run_dir, close_fds=True, **kwargs)
        except OSError as exc:
            self._errors.close()
            raise errors.EngineError('%s failed: the tool could not be run.' % what,
                                     details='%s: %s' % (argv[0], exc))
        LOG.debug('started %s: pid %d', os.path.basename(argv[0]), self.proc.pid)

    @property
    def stdin(self):
        return self.proc.stdin

    @property
    def stdout(self):
        return self.proc.stdout

    @property
    def pid(self):
        return self.proc.pid

    def error_tail(self):
        return _tail_of(self._errors)

    def check(self, timeout=None):
        """Wait for the tool; EngineError with its stderr's tail unless it exited with 0."""
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise errors.EngineTimeout('%s did not finish in time.' % self.what,
                                       details=self.error_tail())
        if status != 0:
            how = ('was killed by signal %d' % -status) if status < 0 else (
                'exited with status %d' % status)
            raise errors.EngineError('%s failed.' % self.what, details='%s %s\n%s' % (
                os.path.basename(self.argv[0]), how, self.error_tail()))
        return self

    def kill(self):
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
        self.proc.wait()

    def close(self):
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self._errors.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *rest):
        if exc_type is not None:
            self.kill()
        self.close()
        return False


def run_tool(manager, argv, what, timeout=3600, env=None, cwd=None):
    """Run a tool to completion; EngineError with its stderr's tail on failure."""
    with Tool(manager, argv, what, env=env, cwd=cwd) as tool:
        tool.check(timeout)


@contextlib.contextmanager
def temporary_engine(manager, extra_args, ready, what, timeout=600):
    """Run the engine with `extra_args` until the block ends, then stop it cleanly.

    `ready()` is polled until it returns something truthy (the engine died:
    EngineError with its log's tail). The engine logs to its usual log; the
    caller writes the config it should read first.
    """
    manager.make_socket_dir()
    log = open(manager.log_path, 'ab')
    manager._chown(manager.log_path)
    try:
        proc = subprocess.Popen(manager._command() + list(extra_args), stdout=log,
                                stderr=subprocess.STDOUT, cwd=manager.run_dir,
                                start_new_session=True, close_fds=True,
                                **manager._process_kwargs())
    except OSError as exc:
        raise errors.EngineError('%s failed: the engine could not be run.' % what,
                                 details=str(exc))
    finally:
        log.close()

    def answers():
        if proc.poll() is not None:
            raise errors.EngineError('%s failed: the engine exited.' % what,
                                     details=manager._log_tail())
        return ready()

    started = time.monotonic()
    try:
        base.wait_for(answers, timeout, what, max_interval=0.2)
        LOG.info('%s: %s took %.2f s', manager.manager, what, time.monotonic() - started)
        yield proc
    finally:
        _stop(manager, proc)


def _stop(manager, proc, timeout=120):
    if proc.poll() is None:
        try:
            os.kill(proc.pid, manager.stop_signal)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            LOG.warning('%s: temporary engine pid %d did not stop; killing it',
                        manager.manager, proc.pid)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    manager._kill_leftovers()
