"""Starts a throw-away embedded stack for a benchmark and stops it afterwards."""
import contextlib
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


@contextlib.contextmanager
def running_stack(offset='500'):
    root = tempfile.mkdtemp(prefix='dbaas-bench-')
    os.chmod(root, 0o755)  # engines run as their own users when we are root
    env = dict(os.environ, STACK_DIR=root, STACK_PORT_OFFSET=offset)
    stack = os.path.join(BIN, 'dbaas-stack')
    up = subprocess.run([stack, 'up'], env=env, cwd=REPO, capture_output=True, text=True)
    if up.returncode:
        sys.exit('stack failed to start:\n' + up.stderr)
    try:
        with open(os.path.join(root, 'run', 'state.json')) as handle:
            state = json.load(handle)
        with open(os.path.join(root, 'secrets.json')) as handle:
            state['secrets'] = json.load(handle)
        state['root'] = root
        yield state
    finally:
        subprocess.run([stack, 'down'], env=env, cwd=REPO, capture_output=True)


def token(state, user='demo'):
    import requests
    body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': user, 'domain': {'id': 'default'},
        'password': state['secrets'][user + '_password']}}},
        'scope': {'project': {'name': user, 'domain': {'id': 'default'}}}}}
    resp = requests.post(state['urls']['keystone'] + '/v3/auth/tokens', json=body, timeout=10)
    resp.raise_for_status()
    return resp.headers['X-Subject-Token'], resp.json()['token']['project']['id']
