"""Starts a throw-away embedded stack for a benchmark and stops it afterwards."""
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
PORT_OFFSET = '500'   # beside `make run` (0) and the test stacks (600, 1000, 2000)


@contextlib.contextmanager
def running_stack(offset=PORT_OFFSET):
    root = tempfile.mkdtemp(prefix='dbaas-bench-')
    os.chmod(root, 0o755)  # engines run as their own users when we are root
    env = dict(os.environ, STACK_DIR=root, STACK_PORT_OFFSET=offset)
    stack = os.path.join(BIN, 'dbaas-stack')
    up = subprocess.run([stack, 'up'], env=env, cwd=REPO, capture_output=True, text=True)
    if up.returncode:
        # `up` stops what it started when it fails; `down` makes sure of it.
        subprocess.run([stack, 'down'], env=env, cwd=REPO, capture_output=True)
        sys.exit('stack failed to start (its state is kept in %s):\n%s' % (root, up.stderr))
    state = {}
    try:
        with open(os.path.join(root, 'run', 'state.json')) as handle:
            state = json.load(handle)
        with open(os.path.join(root, 'secrets.json')) as handle:
            state['secrets'] = json.load(handle)
        state['root'] = root
        yield state
    finally:
        subprocess.run([stack, 'down'], env=env, cwd=REPO, capture_output=True)
        # A bench leaves nothing behind (as root, instances may live outside its directory).
        for path in {root, state.get('paths', {}).get('instances', root)}:
            shutil.rmtree(path, ignore_errors=True)


def token(state, user='demo'):
    import requests
    body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': user, 'domain': {'id': 'default'},
        'password': state['secrets'][user + '_password']}}},
        'scope': {'project': {'name': user, 'domain': {'id': 'default'}}}}}
    resp = requests.post(state['urls']['keystone'] + '/v3/auth/tokens', json=body, timeout=10)
    resp.raise_for_status()
    return resp.headers['X-Subject-Token'], resp.json()['token']['project']['id']


def seed_instances(state, project_id, count):
    """`count` ACTIVE instance rows of the project, written straight into the stack's database
    (with addresses and volume usage, as the list views show them)."""
    import uuid
    sys.path.insert(0, REPO)
    from api_service.common import config
    from api_service.db import models, models_instances as m
    from api_service.db.session import session_scope
    config.load(['--config-file', os.path.join(state['root'], 'etc', 'dbaas.conf')])
    with session_scope() as session:
        version = session.query(models.DatastoreVersion).first()
        now = models.utcnow()
        session.bulk_insert_mappings(m.Instance, [dict(
            id=str(uuid.uuid4()), name='bench-%05d' % i, project_id=project_id, status='ACTIVE',
            operating_status='HEALTHY', datastore_version_id=version.id, flavor_id='2',
            ram_mb=512, vcpus=1, volume_size=1, volume_used_bytes=(i % 100) * 2 ** 20,
            is_public=False, allowed_cidrs='[]',
            address='127.200.%d.%d' % (i // 250, i % 250 + 1),
            created=now, updated=now, deleted=False, region='RegionOne')
            for i in range(count)])
