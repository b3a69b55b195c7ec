"""dbaas-stack run | up | down | status | stop-service NAME | start-service NAME.

The embedded stack's commands (make run/up/down/status); stop-service and start-service stop
and start one service of a running stack (taskmanager, conductor or rabbitmq), e.g. to see
what a task manager's downtime does. A service that dies unexpectedly is started again by the
launcher (stack.Stack.restart_dead); `status` shows how often.
"""
import faulthandler
import json
import os
import signal
import subprocess
import sys
import time

import requests

from api_service.embedded import layout as layout_mod
from api_service.embedded import process
from api_service.embedded import stack as stack_mod

UP_TIMEOUT = 180


def _state(layout):
    try:
        with open(os.path.join(layout.run, 'state.json')) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except (ProcessLookupError, PermissionError, TypeError):
        return False


def _running(layout):
    state = _state(layout)
    if state and state['status'] in ('starting', 'ready') and _alive(state['launcher_pid']):
        return state
    return None


def _banner(layout, secrets, facts):
    lines = [
        '',
        'The DBaaS stack is ready in %.1f s (state in %s%s).' % (
            facts['seconds'], layout.root, ', instances in %s' % layout.instance_root
            if layout.separate_instance_root else ''),
        '  Dashboard: %s/' % layout.horizon_url,
        '  API:       %s/v1.0/<project_id>' % layout.api_url,
        '  Keystone:  %s/v3' % layout.keystone_url,
        '  admin / %s   (project admin)' % secrets['admin_password'],
        '  demo  / %s   (project demo, role member)' % secrets['demo_password'],
        '  CLI:       . %s   then   openstack datastore list'
        % layout.path('demo-openrc'),
        '',
    ]
    return '\n'.join(lines)


def _interrupt(*_):
    raise KeyboardInterrupt


def run(layout):
    """Foreground: start, print, supervise until Ctrl-C, stop everything."""
    if _running(layout):
        print('The stack is already running (make down stops it).', file=sys.stderr)
        return 1
    stack = stack_mod.Stack(layout)
    code = 0
    # A SIGTERM during start-up (make down, or up's deadline) must still stop the children.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        facts = stack.start()
        print(_banner(layout, stack.secrets, facts), flush=True)
        dead = stack.supervise()
        if dead is not None:
            print('%s exited unexpectedly more than %d times within %d s; stopping the '
                  'stack. Its log:\n%s' % (dead.name, stack_mod.CRASH_LIMIT,
                                           stack_mod.CRASH_WINDOW, dead.log_tail()),
                  file=sys.stderr)
            code = 1
    except process.StartupError as error:
        stack.mark_failed(error)
        print('Start-up failed: %s\n--- %s log ---\n%s' % (error, error.service, error.log_tail),
              file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        pass
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        stack.stop()
        print('Stopped.', flush=True)
    return code


def up(layout):
    """Background: start `run` detached, return once every service answers."""
    if _running(layout) and _running(layout)['status'] == 'ready':
        print('The stack is already running: %s/' % layout.horizon_url)
        return 0
    log = open(layout.log_file('stack'), 'ab')
    launcher = subprocess.Popen([sys.executable, '-m', 'api_service.embedded.cli', 'run'],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=dict(os.environ,
                                                                 STACK_DIR=layout.root))
    deadline = time.monotonic() + UP_TIMEOUT
    while time.monotonic() < deadline:
        state = _state(layout)
        if state and state.get('launcher_pid') == launcher.pid:
            if state['status'] == 'ready':
                print(_banner(layout, layout_mod.load_secrets(layout), state['facts']))
                return 0
            if state['status'] == 'failed':
                facts = state['facts']
                print('Start-up failed: %s: %s\n--- %s log ---\n%s' % (
                    facts['service'], facts['reason'], facts['service'], facts['log_tail']),
                    file=sys.stderr)
                launcher.wait(30)
                return 1
        if launcher.poll() is not None:
            print('The launcher exited (code %s):\n%s' % (
                launcher.returncode, process.tail(layout.log_file('stack'))), file=sys.stderr)
            return 1
        time.sleep(0.1)
    print('Start-up timed out after %d s:\n%s' % (UP_TIMEOUT, process.tail(
        layout.log_file('stack'))), file=sys.stderr)
    os.killpg(launcher.pid, signal.SIGTERM)
    return 1


def down(layout):
    state = _running(layout)
    if not state:
        print('The stack is not running.')
        return 0
    os.kill(state['launcher_pid'], signal.SIGTERM)
    deadline = time.monotonic() + 60
    while _alive(state['launcher_pid']) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(state['launcher_pid']):
        print('The launcher did not stop in 60 s.', file=sys.stderr)
        return 1
    print('Stopped.')
    return 0


def _paths(layout):
    return '\n'.join('  %-15s %s' % (name + ':', path)
                     for name, path in layout.describe().items())


def status(layout):
    state = _running(layout)
    if not state:
        print('The stack is not running (state in %s).' % layout.root)
        print(_paths(layout))
        return 3
    print('Stack %s (launcher pid %d), state in %s' % (state['status'], state['launcher_pid'],
                                                      layout.root))
    print(_paths(layout))
    restarts = state.get('restarts', {})
    for name, pid in sorted(state['children'].items()):
        print('  %-12s pid %-8s %s%s' % (
            name, pid, 'stopped (stop-service)' if name in state.get('held', ()) else
            'running' if _alive(pid) else 'DEAD (being restarted)',
            ', restarted %d time%s after it died' % (restarts[name], '' if restarts[name] == 1
                                                     else 's') if restarts.get(name) else ''))
    for name, url in sorted(state['urls'].items()):
        try:
            code = requests.get(url + ('/auth/login/' if name == 'dashboard' else '/'),
                                timeout=2).status_code
            print('  %-12s %s answers %d' % (name, url, code))
        except requests.RequestException as error:
            print('  %-12s %s DOES NOT ANSWER (%s)' % (name, url, type(error).__name__))
    return 0


def _hold(layout, name, held):
    """Ask the launcher to stop (held) or start one service; wait until it has."""
    state = _running(layout)
    if not state or state['status'] != 'ready':
        print('The stack is not running.', file=sys.stderr)
        return 1
    if name not in stack_mod.RESTARTABLE:
        print('Only %s and %s can be stopped and started on their own.'
              % (', '.join(stack_mod.RESTARTABLE[:-1]), stack_mod.RESTARTABLE[-1]),
              file=sys.stderr)
        return 2
    path = stack_mod.hold_path(layout, name)
    if held:
        open(path, 'w').close()
    elif os.path.exists(path):
        os.remove(path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = _running(layout)
        if state is None:
            print('The launcher stopped.', file=sys.stderr)
            return 1
        if (name in state.get('held', ())) == held and \
                (held or _alive(state['children'].get(name))):
            print('%s %s (pid %s).' % (name, 'stopped' if held else 'started',
                                       state['children'].get(name)))
            return 0
        time.sleep(0.05)
    print('The launcher did not %s %s in 60 s.' % ('stop' if held else 'start', name),
          file=sys.stderr)
    return 1


def stop_service(layout, name):
    return _hold(layout, name, True)


def start_service(layout, name):
    return _hold(layout, name, False)


COMMANDS = {'run': run, 'up': up, 'down': down, 'status': status}
SERVICE_COMMANDS = {'stop-service': stop_service, 'start-service': start_service}


def main(argv=None):
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <launcher>` prints where it is
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 1 and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](layout_mod.Layout())
    if len(argv) == 2 and argv[0] in SERVICE_COMMANDS:
        return SERVICE_COMMANDS[argv[0]](layout_mod.Layout(), argv[1])
    print('usage: dbaas-stack {run|up|down|status} | dbaas-stack {stop-service|start-service} '
          '{%s}' % '|'.join(stack_mod.RESTARTABLE), file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
