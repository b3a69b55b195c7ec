"""A first run from a private home directory (0700, as root's is on Debian).

The checkout lies deep inside it, with its venv (the real one, seen through a symlink, so the
PostgreSQL 18 build of the venv is found under the private path, as in a real clone) and its
state directory `.stack` (deep enough that a unix socket under it could not fit in 107 bytes).
The stack is started the way `make up` starts it; a PostgreSQL 18 and a MariaDB instance are
built and keep data; the home directory stays as private as it was. As root, the engines run as
their system users, which cannot enter the home directory: what they must reach is kept
elsewhere, and `status` says where.
"""
import os
import stat
import subprocess
import tempfile

import psycopg
import pymysql
import pytest

from tests.conftest import BIN, TEST_PORT_OFFSET, RunningStack, remove_stack_dirs, stack_env, \
    stop_stack
from api_service.guestagent.datastore import sockets
from tests.functional.instance_helpers import trove, wait_gone, wait_status

# Beside the shared test stack (TEST_PORT_OFFSET) and the lifecycle tests' (2000).
OFFSET = str(int(TEST_PORT_OFFSET) + 300)
IS_ROOT = os.geteuid() == 0


@pytest.fixture
def checkout(request):
    """A checkout-like directory deep in a new 0700 home directory; what a stack started there
    ran is stopped afterwards, passed or failed; the directories stay after a failure."""
    home = tempfile.mkdtemp(prefix='home-')
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    path = os.path.join(home, 'a-user-with-a-rather-long-name', 'projects', 'databases',
                        'dbaas-first-run-from-a-home-directory')
    os.makedirs(path)
    os.symlink(os.path.dirname(BIN), os.path.join(path, '.venv'))
    failed_before = request.session.testsfailed
    yield path
    root = os.path.join(path, '.stack')
    stop_stack(root, stack_env(root, OFFSET))
    if request.session.testsfailed == failed_before:
        remove_stack_dirs(root)
        subprocess.run(['rm', '-rf', home])
    else:
        print('\nThe stack\'s state and logs are kept in %s' % root)


def dbaas_stack(checkout, *args):
    """`make up`'s command in the checkout: its venv's interpreter (so the venv's paths are
    the checkout's, as in a real clone), the state directory .stack there."""
    env = stack_env(os.path.join(checkout, '.stack'), OFFSET)
    env.pop('STACK_DIR')
    return subprocess.run([os.path.join(checkout, '.venv', 'bin', 'python'), '-m',
                           'api_service.embedded.cli', *args], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=300)


def create(client, name, datastore, version):
    return client.instances.create(name, flavor_id='1', volume={'size': 1},
                                   datastore=datastore, datastore_version=version,
                                   databases=[{'name': 'shop'}],
                                   users=[{'name': 'app', 'password': 'app-pw-1',
                                           'databases': [{'name': 'shop'}]}])


def test_a_stack_in_a_private_home_builds_postgresql_18_and_mariadb(checkout):
    home = checkout.split('/a-user-with')[0]
    root = os.path.join(checkout, '.stack')
    # A socket in the state directory would not fit: the sockets must not depend on it.
    assert len(os.path.join(root, 'instances', 'x' * 36, '.s.PGSQL.5432')) > 107

    up = dbaas_stack(checkout, 'up')
    assert up.returncode == 0, up.stdout + up.stderr
    stack = RunningStack(root, stack_env(root, OFFSET))
    status = dbaas_stack(checkout, 'status')
    assert status.returncode == 0, status.stdout + status.stderr
    assert 'state:          %s' % root in status.stdout
    assert 'dashboard' in status.stdout and 'DOES NOT ANSWER' not in status.stdout
    if IS_ROOT:
        # The engines' users cannot enter the home: their part lives where they can.
        assert not stack.instance_root.startswith(home)
        assert 'instances:      %s' % stack.instance_root in status.stdout
        assert 'engine builds:  /var/lib/dbaas/engines' in status.stdout

    demo = trove(stack)
    built = {}
    for datastore, version in (('postgresql', '18'), ('mariadb', '10.11')):
        built[datastore] = create(demo, 'home-' + datastore, datastore, version).id
    instance_ids = list(built.values())
    for datastore, instance_id in built.items():
        instance = wait_status(demo, instance_id, 'ACTIVE', timeout=100)
        built[datastore] = instance.ip[0]

    dsn = ('host=%s port=5432 dbname=shop user=app password=app-pw-1 connect_timeout=5'
           % built['postgresql'])
    with psycopg.connect(dsn) as conn:
        assert conn.execute('SHOW server_version').fetchone()[0].startswith('18.')
        conn.execute('CREATE TABLE t (id int PRIMARY KEY, v text)')
        conn.execute("INSERT INTO t VALUES (1, 'kept')")
        conn.commit()
        assert conn.execute('SELECT v FROM t').fetchall() == [('kept',)]
    with pymysql.connect(host=built['mariadb'], user='app', password='app-pw-1',
                         database='shop', connect_timeout=5) as conn, conn.cursor() as cur:
        cur.execute('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))')
        cur.execute("INSERT INTO t VALUES (1, 'kept')")
        conn.commit()
        cur.execute('SELECT v FROM t')
        assert cur.fetchall() == (('kept',),)

    # Nothing of the user's own directories was opened up.
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    # The engines' sockets were in short directories of their own, which go with the instance.
    sockets_dirs = [sockets.socket_dir_for(os.path.join(stack.instance_root, 'instances', i))
                    for i in instance_ids]
    assert all(os.path.isdir(path) for path in sockets_dirs)
    for instance_id in instance_ids:
        demo.instances.delete(instance_id)
    for instance_id in instance_ids:
        wait_gone(demo, instance_id)
    assert not any(os.path.exists(path) for path in sockets_dirs)
    down = dbaas_stack(checkout, 'down')
    assert down.returncode == 0, down.stdout + down.stderr
