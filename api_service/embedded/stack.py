"""Starts the whole embedded stack side by side, waits for it, and stops it on a signal."""
import collections
import concurrent.futures
import dataclasses
import json
import os
import signal
import socket
import threading
import time

from api_service.drivers.compute import local_engines
from api_service.embedded import horizon
from api_service.embedded import keystone
from api_service.embedded import layout as layout_mod
from api_service.embedded import openrc
from api_service.embedded import process
from api_service.embedded import rabbitmq
from api_service.embedded import services

STARTUP_TIMEOUT = 120
# Services an operator (or a test) may stop and start while the stack runs:
# `dbaas-stack stop-service NAME` leaves run/hold-NAME, and the launcher follows it.
RESTARTABLE = ('taskmanager', 'conductor', 'rabbitmq')
# A service that dies unexpectedly (a crash, kill -9) is started again after a short
# back-off, longer the more it crashed lately; more than CRASH_LIMIT restarts within
# CRASH_WINDOW seconds is a crash loop, and the stack stops as it did on any death before
# (a service that dies as it starts gets there in about 70 s; the fault tests kill the task
# manager six times in a couple of minutes).
CRASH_LIMIT = 10
CRASH_WINDOW = 120.0
BACKOFF_SECONDS = (0.2, 1.0, 2.0, 4.0, 8.0)
SUPERVISE_INTERVAL = 0.2


def hold_path(layout, name):
    return os.path.join(layout.run, 'hold-' + name)


class Stack:
    """Owns every process it starts; `stop()` leaves none behind."""

    def __init__(self, layout=None):
        self.layout = layout or layout_mod.Layout()
        self.secrets = layout_mod.load_secrets(self.layout)
        self.children = {}
        self.held = set()
        self.restarts = collections.Counter()
        self._recent_crashes = collections.defaultdict(collections.deque)
        self._restart_due = {}
        self.facts = None
        self.stopping = threading.Event()

    # -- start ---------------------------------------------------------------
    def start(self):
        """Start everything; return the facts to print, or raise StartupError."""
        began = self.began = time.monotonic()
        layout = self.layout
        _check_ports_free(layout)
        for name in RESTARTABLE:     # holds of an earlier run do not outlive it
            if os.path.exists(hold_path(layout, name)):
                os.remove(hold_path(layout, name))
        _prepare_instance_root(layout)
        services.write_config(layout, self.secrets)
        services.write_guest_config(layout, self.secrets)
        self._spawn(rabbitmq.start(layout, self.secrets))
        self._spawn(horizon.start(layout, self.secrets))
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            keystone_init = pool.submit(keystone.initialise, layout, self.secrets)
            database = pool.submit(services.prepare_database, layout)
            _result(database, 'database')
            self._spawn(services.start(layout, 'api'))
            projects = _result(keystone_init, 'keystone')
            self._spawn(keystone.start(layout))
            rpc_started = pool.submit(self._start_rpc_services)
            waits = [
                pool.submit(self._await, 'keystone', lambda: keystone.ready(layout)),
                pool.submit(self._await, 'horizon', lambda: horizon.ready(layout)),
                pool.submit(self._await, 'api', lambda: services.api_ready(layout)),
            ]
            for wait in waits + [rpc_started]:
                _result(wait, 'startup')
        # In the main thread: oslo.messaging's reply threads and executor threads don't mix.
        self._await_rpc()
        openrc.write_files(layout, self.secrets)
        facts = self.facts = {'seconds': round(time.monotonic() - began, 1), **projects}
        self._write_state('ready', facts)
        return facts


    def _start_rpc_services(self):
        # Started once the broker answers: oslo.messaging's reconnect back-off would
        # otherwise add seconds to start-up.
        self._await('rabbitmq', lambda: rabbitmq.ready(self.layout, self.secrets))
        for name in ('taskmanager', 'conductor'):
            self._spawn(services.start(self.layout, name))

    def _log(self, what):
        print('%s at %.2f s' % (what, time.monotonic() - self.began), flush=True)

    def _spawn(self, child):
        self.children[child.name] = child
        self._write_state('starting')

    def _await(self, name, check):
        process.wait_for(check, STARTUP_TIMEOUT, what=name, child=self.children[name])
        self._log(name + ' ready')

    def _await_rpc(self):
        from api_service.common import context
        from api_service.rpc import clients
        from api_service.rpc import transport

        ctx = context.RequestContext.admin().to_dict()
        for name, api in (('taskmanager', clients.TaskManagerAPI()),
                          ('conductor', clients.ConductorAPI())):
            # A ping sent before the server's queue exists is dropped: retry it quickly.
            process.wait_for(lambda: api.rpc_ping(ctx, timeout=0.5), STARTUP_TIMEOUT,
                             interval=0.05,
                             what=name + ' rpc_ping', child=self.children[name])
        transport.get_transport().cleanup()
        self._log('rpc services answer')

    # -- state file ------------------------------------------------------------
    def _write_state(self, status, facts=None):
        state = {'status': status, 'launcher_pid': os.getpid(),
                 'children': {n: c.pid for n, c in self.children.items()},
                 'held': sorted(self.held),
                 'restarts': dict(self.restarts),
                 'urls': {'dashboard': self.layout.horizon_url, 'api': self.layout.api_url,
                          'keystone': self.layout.keystone_url},
                 'paths': self.layout.describe()}
        if facts:
            state['facts'] = facts
        path = os.path.join(self.layout.run, 'state.json')
        with open(path + '.tmp', 'w') as handle:
            json.dump(state, handle)
        os.replace(path + '.tmp', path)

    def mark_failed(self, error):
        self._write_state('failed', {'service': error.service, 'reason': error.reason,
                                     'log_tail': error.log_tail})

    # -- run and stop ----------------------------------------------------------
    def supervise(self):
        """Block until a signal or until a child crash-loops; return that child, if any."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        while not self.stopping.wait(SUPERVISE_INTERVAL):
            self._follow_holds()
            dead = self.restart_dead(time.monotonic())
            if dead is not None:
                return dead
        return None

    def restart_dead(self, now):
        """One supervision pass: note children that died, start those whose back-off is
        over; return a child that died more than CRASH_LIMIT times within CRASH_WINDOW."""
        for name, child in list(self.children.items()):
            if name in self.held or child.alive():
                continue
            due = self._restart_due.get(name)
            if due is None:
                recent = self._recent_crashes[name]
                while recent and recent[0] < now - CRASH_WINDOW:
                    recent.popleft()
                if len(recent) >= CRASH_LIMIT:
                    return child
                recent.append(now)
                delay = BACKOFF_SECONDS[min(len(recent), len(BACKOFF_SECONDS)) - 1]
                # What the dead leader left in its group (gunicorn's workers, which still
                # hold the API's port) goes now, so the new one can bind.
                child.stop(timeout=1)
                self._restart_due[name] = now + delay
                print('%s %s exited unexpectedly (code %s); starting it again in %.1f s'
                      % (_now(), name, _exit_code(child), delay), flush=True)
            elif now >= due:
                del self._restart_due[name]
                if self.stopping.is_set():
                    return None     # a signal came meanwhile: nothing starts any more
                try:
                    self.children[name] = self.start_service(name)
                except (process.StartupError, OSError) as error:
                    # Counts as one more crash (the dead child stays): the next pass backs
                    # off again, and a service that never comes up ends as a crash loop.
                    print('%s %s did not start again: %s' % (_now(), name, error), flush=True)
                    continue
                self.restarts[name] += 1
                print('%s %s started again (pid %s, restart %d)'
                      % (_now(), name, self.children[name].pid, self.restarts[name]),
                      flush=True)
                self._write_state('ready', self.facts)
        return None

    def start_service(self, name):
        """A fresh process for `name`, as at start-up."""
        if name == 'rabbitmq':
            return rabbitmq.start(self.layout, self.secrets)
        if name == 'horizon':
            return horizon.start(self.layout, self.secrets)
        if name == 'keystone':
            return keystone.start(self.layout)
        return services.start(self.layout, name)

    def _follow_holds(self):
        """Stop a service while its hold file exists; start it again once it is removed."""
        for name in RESTARTABLE:
            wanted_held = os.path.exists(hold_path(self.layout, name))
            if wanted_held == (name in self.held):
                continue
            if wanted_held:
                self._stop_child(self.children[name])
                self._restart_due.pop(name, None)
                self.held.add(name)
            else:
                self.children[name] = self.start_service(name)
                self.held.discard(name)
            self._write_state('ready', self.facts)

    def stop(self):
        """Stop our services side by side, then the broker they were talking to."""
        others = [c for n, c in self.children.items() if n != 'rabbitmq']
        with concurrent.futures.ThreadPoolExecutor(max(1, len(others))) as pool:
            list(pool.map(self._stop_child, others))
        # Instances' agents and engines run on this machine's "hosts": they stop with it.
        services.stop_guests(self.layout)
        if 'rabbitmq' in self.children:
            self._stop_child(self.children['rabbitmq'])
        rabbitmq.stop_epmd(self.layout)
        self._write_state('stopped')

    def _stop_child(self, child):
        began = time.monotonic()
        child.stop()
        print('stopped %s in %.2f s' % (child.name, time.monotonic() - began), flush=True)


def _now():
    return time.strftime('%F %T')


def _exit_code(child):
    """Negative: the signal that ended it (-9 for kill -9)."""
    return child.proc.poll() if child.proc is not None else None


def _prepare_instance_root(layout):
    """As root, engines run as their system users: they must reach the instance root (the
    layout chose one they can, layout.instance_root_for); the user's directories stay as
    they are."""
    if layout.separate_instance_root:
        shared = local_engines.SHARED_ROOT
        for path in (shared, os.path.join(shared, 'stacks'), layout.instance_root):
            os.makedirs(path, exist_ok=True)
            os.chmod(path, 0o755)
        # Which state directory this belongs to, for an operator looking at /var/lib/dbaas.
        with open(layout.instance_path('stack-dir'), 'w') as handle:
            handle.write(layout.root + '\n')
    for name in ('instances', 'templates'):
        layout.ensure_instance_dir(name)
    if os.geteuid() == 0 and not local_engines.reachable_by_others(layout.instance_root):
        raise process.StartupError(
            'state', 'engines run as their system users (mysql, postgres, redis) and cannot '
            'reach %s: a directory above it is not searchable by others'
            % layout.instance_root)


def _check_ports_free(layout):
    """Refuse to start over another stack (or anything else) holding our ports."""
    for name, port in dataclasses.asdict(layout.ports).items():
        with socket.socket() as sock:
            if sock.connect_ex(('127.0.0.1', port)) == 0:
                raise process.StartupError(
                    'ports', 'port %d (%s) is already in use: is another stack running? '
                    '(make down, or STACK_PORT_OFFSET to run beside it)' % (port, name))


def _result(future, what):
    try:
        return future.result()
    except process.StartupError:
        raise
    except Exception as error:
        raise process.StartupError(what, '%s: %s' % (type(error).__name__, error))
