"""Child processes of the launcher: started in their own session, logged, stopped as a group."""
import os
import signal
import subprocess
import time


class Child:
    """One supervised process with its log file."""

    def __init__(self, name, argv, log_path, env=None, cwd=None, stop_signal=signal.SIGTERM):
        self.name = name
        self.stop_signal = stop_signal
        self.argv = argv
        self.log_path = log_path
        self.env = env
        self.cwd = cwd
        self.proc = None

    def start(self):
        log = open(self.log_path, 'ab', buffering=0)
        log.write(('--- %s starting: %s\n' % (time.strftime('%F %T'), ' '.join(self.argv))).encode())
        self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=self.env, cwd=self.cwd,
                                     start_new_session=True)
        log.close()
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15):
        """Signal the whole process group (SIGTERM unless told), SIGKILL what is left after `timeout`."""
        if self.proc is None:
            return
        _signal_group(self.proc.pid, self.stop_signal)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        # Grandchildren that outlived the leader (same group) go too.
        _signal_group(self.proc.pid, signal.SIGKILL)

    def log_tail(self, lines=25):
        return tail(self.log_path, lines)


def _signal_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def tail(path, lines=25):
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 16384))
            return b'\n'.join(handle.read().splitlines()[-lines:]).decode('utf-8', 'replace')
    except OSError:
        return '(no log at %s)' % path


def wait_for(check, timeout, interval=0.05, what='condition', child=None):
    """Poll `check` until it returns truthy; raise with the child's log tail otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child is not None and not child.alive():
            raise StartupError(child.name, '%s exited early' % child.name, child.log_tail())
        try:
            result = check()
        except Exception:
            result = None
        if result:
            return result
        time.sleep(interval)
    raise StartupError(child.name if child else what, 'timed out waiting for %s' % what,
                       child.log_tail() if child else '')


class StartupError(Exception):
    """A service did not come up; carries the service's name and log tail."""

    def __init__(self, service, reason, log_tail=''):
        super().__init__('%s: %s' % (service, reason))
        self.service = service
        self.reason = reason
        self.log_tail = log_tail
