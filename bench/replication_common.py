"""What the replication benches share: each engine's client (as a tenant's application
writes), a canary writer that moves between two addresses, hand-made pairs of raw engine
processes (the baselines), and the stack's side (a source with a client account, its
replicas, their events, cleanup).

The raw engines run on 127.84.0.x on their standard ports, as their system users when
the bench runs as root; each lives in a directory of the bench's scratch directory and is
stopped by its own pid (or pg_ctl) in `RawEngines.close`.
"""
import contextlib
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import psycopg
import pymysql
import redis as redis_py

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stackctl  # noqa: E402
from tests.functional.instance_helpers import raw, trove, wait_status  # noqa: E402
from tests.functional import test_replication  # noqa: E402

AS_ROOT = os.geteuid() == 0
PORT_OFFSET = '4200'         # beside the other benches (500) and the test stacks
RAW_NET = '127.84.0.%d'
VERSIONS = {'mariadb': '10.11', 'postgresql': '15', 'redis': '7.0'}
PG_BIN = '/usr/lib/postgresql/15/bin'
APP_USER, APP_PASSWORD, APP_DB = 'app', 'bench-app-pw-1', 'shop'
# A canary write's own timeout: a write that does not answer within it is not
# acknowledged, and the client tries the other address.
WRITE_TIMEOUT = 0.1
CANARY_INTERVAL = 0.005
MB = 1000 ** 2


def wait_until(check, what, timeout=60, interval=0.01):
    """Poll `check` until it is true, quickly (a bench times what it waits for)."""
    return test_replication.eventually(check, what, timeout, interval)


# -- clients: how an application writes to each engine -------------------------------------

class _SQLClient:
    """What the two SQL engines' bench clients share: the canary table and its keys, and
    closing the writer's connection."""
    KEY_TYPE = 'text'

    def __init__(self, host, user=APP_USER, password=APP_PASSWORD, timeout=WRITE_TIMEOUT):
        self.host, self.user, self.password, self.timeout = host, user, password, timeout
        self.conn = None

    def setup(self):
        self.execute('CREATE TABLE canary (k %s PRIMARY KEY)' % self.KEY_TYPE)

    def keys(self):
        return {row[0] for row in self.execute('SELECT k FROM canary')}

    def close(self):
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
            self.conn = None


class MariaDBClient(_SQLClient):
    KEY_TYPE = 'VARCHAR(20)'
    port = 3306

    def _connect(self, timeout):
        return pymysql.connect(host=self.host, port=self.port, user=self.user,
                               password=self.password, database=APP_DB, autocommit=True,
                               connect_timeout=max(timeout, 1), read_timeout=timeout,
                               write_timeout=timeout)

    def write(self, key):
        try:
            if self.conn is None:
                self.conn = self._connect(self.timeout)
            with self.conn.cursor() as cur:
                cur.execute('INSERT INTO canary VALUES (%s)', (key,))
        except Exception:
            self.close()
            raise

    def execute(self, *statements):
        with self._connect(600) as conn, conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
            return cur.fetchall()

    def fill(self, size):
        """Rows of ~1 KB of hex text, made by the server (its sequence engine)."""
        digests = ', '.join(['MD5(RAND())'] * 30)
        rows = size // 1100
        statements = ['CREATE TABLE fill (id INT PRIMARY KEY, payload TEXT)']
        for first in range(0, rows, 50000):
            statements.append('INSERT INTO fill SELECT seq, CONCAT(%s) FROM seq_%d_to_%d'
                              % (digests, first + 1, min(rows, first + 50000)))
        self.execute(*statements)


class PostgreSQLClient(_SQLClient):
    port = 5432

    def _connect(self, timeout_ms=None):
        options = '-c statement_timeout=%d' % timeout_ms if timeout_ms else ''
        return psycopg.connect(host=self.host, port=self.port, dbname=APP_DB, user=self.user,
                               password=self.password, connect_timeout=2, options=options,
                               autocommit=True)

    def write(self, key):
        try:
            if self.conn is None or self.conn.closed:
                self.conn = self._connect(int(self.timeout * 1000))
            self.conn.execute('INSERT INTO canary VALUES (%s)', (key,))
        except Exception:
            self.close()
            raise

    def execute(self, *statements):
        with self._connect() as conn:
            rows = None
            for statement in statements:
                cur = conn.execute(statement)
                rows = cur.fetchall() if cur.description else None
            return rows

    def fill(self, size):
        digests = ' || '.join(['md5(random()::text)'] * 30)
        rows = size // 1100
        statements = ['CREATE TABLE fill (id int PRIMARY KEY, payload text)']
        for first in range(0, rows, 50000):
            statements.append('INSERT INTO fill SELECT g, %s FROM generate_series(%d, %d) g'
                              % (digests, first + 1, min(rows, first + 50000)))
        self.execute(*statements)


class RedisClient:
    port = 6379

    def __init__(self, host, password=None, timeout=WRITE_TIMEOUT):
        self.host, self.password = host, password
        self.client = redis_py.Redis(host=host, port=self.port, password=password,
                                     socket_timeout=timeout, socket_connect_timeout=timeout)

    def write(self, key):
        self.client.set(key, '1')

    def close(self):
        self.client.close()

    def _slow(self):
        return redis_py.Redis(host=self.host, port=self.port, password=self.password,
                              socket_timeout=600)

    def setup(self):
        pass

    def keys(self):
        return {k.decode() for k in self._slow().keys('c*')}

    def fill(self, size):
        """Values of 1 MB of random hex text."""
        client = self._slow()
        pipe = client.pipeline(transaction=False)
        for index in range(size // MB):
            pipe.set('fill:%d' % index, os.urandom(MB // 2).hex())
            if index % 16 == 15:
                pipe.execute()
        pipe.execute()


CLIENTS = {'mariadb': MariaDBClient, 'postgresql': PostgreSQLClient, 'redis': RedisClient}


# -- the canary writer ---------------------------------------------------------------------

class Canary(threading.Thread):
    """A write every CANARY_INTERVAL to the current address of `clients`; a write that
    fails (refused, read-only, timed out) makes the next one go to the other address, as a
    client that knows both members does. Every acknowledged write is kept as
    (monotonic time, index of the client, key)."""

    _made = itertools.count(1)

    def __init__(self, clients):
        super().__init__(daemon=True)
        self.number = next(self._made)     # its keys are its own: canaries write one table
        self.clients = clients
        self.acks, self.errors, self.last_error, self.failures = [], 0, None, []
        self.current = 0
        self._halted = threading.Event()
        self._n = 0

    def run(self):
        next_at = time.monotonic()
        while not self._halted.is_set():
            self._n += 1
            key = 'c%d-%07d' % (self.number, self._n)
            try:
                self.clients[self.current].write(key)
                self.acks.append((time.monotonic(), self.current, key))
            except Exception as error:
                self.errors += 1
                self.last_error = '%s: %s' % (type(error).__name__, error)
                self.failures.append((time.monotonic(), self.current, self.last_error))
                self.current = (self.current + 1) % len(self.clients)
            next_at = max(next_at + CANARY_INTERVAL, time.monotonic())
            self._halted.wait(next_at - time.monotonic())

    def first_ack_on(self, index, after=0.0):
        return next((t for t, i, _ in self.acks if i == index and t >= after), None)

    def wait_first_ack_on(self, index, after=0.0, timeout=300):
        return wait_until(lambda: self.first_ack_on(index, after), 'a write acknowledged by '
                          'the new source', timeout=timeout, interval=0.02)

    def downtime(self, old=0, new=1):
        """(seconds from the last write the old address acknowledged before the new one
        took writes to the first the new one acknowledged, writes the old one acknowledged
        after that)."""
        first_new = self.first_ack_on(new)
        if first_new is None:
            return None, 0
        last_old = max((t for t, i, _ in self.acks if i == old and t < first_new), default=None)
        late = sum(1 for t, i, _ in self.acks if i == old and t > first_new)
        return (first_new - last_old if last_old is not None else None), late

    def longest_gap(self):
        """(the longest time between two acknowledged writes, wherever they went, and when
        it began): an outage after the switch counts too."""
        times = [t for t, _, _ in self.acks]
        return max(((b - a, a) for a, b in zip(times, times[1:])), default=(None, None))

    def acknowledged(self):
        return {key for _, _, key in self.acks}

    def halt(self):
        self._halted.set()
        self.join(10)
        for client in self.clients:
            client.close()


# -- raw engine processes (the baselines) ----------------------------------------------------

def _as(user):
    return ['runuser', '-u', user, '--'] if AS_ROOT else []


def _owned(path, user):
    os.makedirs(path, exist_ok=True)
    if AS_ROOT:
        shutil.chown(path, user, user)
    return path


def _run(cmd, **kwargs):
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if done.returncode:
        raise RuntimeError('%s failed: %s' % (' '.join(cmd[:6]), done.stderr[-2000:]))
    return done


class RawEngines:
    """The raw engine processes of one bench run, stopped (and their directories removed)
    by close()."""

    def __init__(self):
        self.root = tempfile_dir('bench-repl-raw-')
        self.procs, self.pg_dirs = [], []

    def dir(self, name, user):
        return _owned(os.path.join(self.root, name), user)

    def spawn(self, cmd, log):
        with open(log, 'ab') as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop(self, proc):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def pg_stop(self, data):
        subprocess.run(_as('postgres') + [PG_BIN + '/pg_ctl', '-D', data, '-m', 'immediate',
                                          'stop'], capture_output=True)

    def close(self):
        for data in self.pg_dirs:
            self.pg_stop(data)
        for proc in self.procs:
            self.stop(proc)
        shutil.rmtree(self.root, ignore_errors=True)

    # MariaDB: GTID replication, as the service runs it (binlog, log-slave-updates, strict).
    def mariadb_start(self, name, address, server_id, data=None, read_only=False):
        home = self.dir(name, 'mysql')
        data = data or os.path.join(home, 'data')
        if not os.path.exists(os.path.join(data, 'mysql')):
            _owned(data, 'mysql')
            _run(['mariadb-install-db', '--no-defaults', '--datadir=' + data,
                  '--auth-root-authentication-method=normal', '--skip-test-db',
                  '--skip-name-resolve'] + (['--user=mysql'] if AS_ROOT else []))
        socket = os.path.join(home, 's')
        self.spawn(['/usr/sbin/mariadbd', '--no-defaults', '--datadir=' + data,
                    '--port=3306', '--bind-address=' + address, '--socket=' + socket,
                    '--pid-file=' + os.path.join(home, 'pid'), '--server-id=%d' % server_id,
                    '--log-bin=binlog', '--relay-log=relay-bin', '--log-slave-updates=1',
                    '--gtid-strict-mode=1', '--binlog-format=ROW',
                    '--innodb-buffer-pool-size=128M', '--skip-name-resolve']
                   + (['--read-only=1'] if read_only else [])
                   + (['--user=mysql'] if AS_ROOT else []), os.path.join(home, 'log'))
        wait_until(lambda: subprocess.run(['mariadb-admin', '--no-defaults', '--socket=' + socket,
                                           '-uroot', 'ping'], capture_output=True).returncode == 0,
                   'mariadb %s to answer' % name)
        return socket

    @staticmethod
    def mariadb_sql(socket, *statements):
        conn = pymysql.connect(unix_socket=socket, user='root', autocommit=True)
        try:
            with conn.cursor(pymysql.cursors.DictCursor) as cur:
                for statement in statements:
                    cur.execute(statement)
                return cur.fetchall()
        finally:
            conn.close()

    def mariadb_source(self, address):
        socket = self.mariadb_start('m-src', address, 1)
        self.mariadb_sql(socket, 'CREATE DATABASE %s' % APP_DB,
                         "CREATE USER '%s'@'%%' IDENTIFIED BY '%s'" % (APP_USER, APP_PASSWORD),
                         "GRANT ALL ON %s.* TO '%s'@'%%'" % (APP_DB, APP_USER),
                         "CREATE USER 'repl'@'%' IDENTIFIED BY 'replpw'",
                         "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'")
        return socket

    def mariadb_replica(self, source_socket, source_address, address):
        """mariadb-backup --backup and --prepare into the replica's data directory, start
        it, CHANGE MASTER at the backup's GTID, until both replication threads run."""
        home = self.dir('m-rep', 'mysql')
        data = os.path.join(home, 'data')
        _run(_as('mysql') + ['mariadb-backup', '--no-defaults', '--backup',
                             '--target-dir=' + data, '--socket=' + source_socket,
                             '--user=root'])
        _run(_as('mysql') + ['mariadb-backup', '--no-defaults', '--prepare',
                             '--target-dir=' + data])
        with open(os.path.join(data, 'xtrabackup_binlog_info')) as handle:
            gtid = handle.read().split()[2]
        socket = self.mariadb_start('m-rep', address, 2, data=data, read_only=True)
        self.mariadb_sql(socket, "SET GLOBAL gtid_slave_pos = '%s'" % gtid,
                         "CHANGE MASTER TO MASTER_HOST='%s', MASTER_PORT=3306, "
                         "MASTER_USER='repl', MASTER_PASSWORD='replpw', "
                         "MASTER_USE_GTID=slave_pos" % source_address, 'START SLAVE')

        def running():
            status = self.mariadb_sql(socket, 'SHOW SLAVE STATUS')[0]
            return status['Slave_IO_Running'] == 'Yes' and status['Slave_SQL_Running'] == 'Yes'
        wait_until(running, 'the raw MariaDB replica to run')
        return socket

    def mariadb_promote(self, socket):
        self.mariadb_sql(socket, 'STOP SLAVE', 'RESET SLAVE ALL', 'SET GLOBAL read_only = 0')

    # PostgreSQL 15: streaming replication from pg_basebackup -R.
    def pg_start(self, name, address, data):
        home = os.path.join(self.root, name)
        _run(_as('postgres') + [PG_BIN + '/pg_ctl', '-D', data, '-w', '-l',
                                os.path.join(home, 'log'), '-o',
                                '-p 5432 -k %s -c listen_addresses=%s -c wal_level=replica '
                                '-c max_wal_senders=10 -c hot_standby=on -c shared_buffers=128MB'
                                % (home, address), 'start'])
        self.pg_dirs.append(data)

    def pg_source(self, address):
        home = self.dir('p-src', 'postgres')
        data = os.path.join(home, 'data')
        _run(_as('postgres') + [PG_BIN + '/initdb', '-D', data, '-U', 'postgres',
                                '--auth=trust'])
        with open(os.path.join(data, 'pg_hba.conf'), 'a') as hba:
            hba.write('host all all 127.0.0.0/8 trust\nhost replication all 127.0.0.0/8 trust\n')
        self.pg_start('p-src', address, data)
        _run(_as('postgres') + [PG_BIN + '/psql', '-h', home, '-U', 'postgres', '-c',
                                "CREATE ROLE %s LOGIN PASSWORD '%s'" % (APP_USER, APP_PASSWORD),
                                '-c', 'CREATE DATABASE %s OWNER %s' % (APP_DB, APP_USER)])
        return home

    def pg_replica(self, source_address, address):
        """pg_basebackup -R from the source, start as a standby, until it streams."""
        home = self.dir('p-rep', 'postgres')
        data = os.path.join(home, 'data')
        _run(_as('postgres') + [PG_BIN + '/pg_basebackup', '-h', source_address, '-p', '5432',
                                '-U', 'postgres', '-D', data, '-R', '-X', 'stream', '-c',
                                'fast'])
        self.pg_start('p-rep', address, data)
        wait_until(lambda: self.pg_sql(home, "SELECT status FROM pg_stat_wal_receiver")
                   == [('streaming',)], 'the raw PostgreSQL standby to stream')
        return home

    @staticmethod
    def pg_sql(home, statement):
        with psycopg.connect(host=home, port=5432, dbname='postgres', user='postgres',
                             autocommit=True) as conn:
            cur = conn.execute(statement)
            return cur.fetchall() if cur.description else None

    def pg_promote(self, home):
        self.pg_sql(home, 'SELECT pg_promote(true, 60)')

    # Redis: REPLICAOF, as the service's replicas sync (diskless, no delay).
    def redis_start(self, name, address):
        home = self.dir(name, 'redis')
        self.spawn(_as('redis') + ['/usr/bin/redis-server', '--bind', address, '--port', '6379',
                                   '--dir', home, '--appendonly', 'yes', '--save', '',
                                   '--repl-diskless-sync-delay', '0', '--daemonize', 'no'],
                   os.path.join(home, 'log'))
        client = redis_py.Redis(host=address, port=6379, socket_timeout=600)
        wait_until(client.ping, 'redis %s to answer' % name)
        return client

    def redis_replica(self, source_address, address):
        """An empty Redis, REPLICAOF the source, until its link is up."""
        client = self.redis_start('r-rep', address)
        client.execute_command('REPLICAOF', source_address, '6379')
        wait_until(lambda: client.info('replication').get('master_link_status') == 'up',
                   'the raw Redis replica to sync', timeout=300)
        return client

    @staticmethod
    def redis_promote(client):
        client.execute_command('REPLICAOF', 'NO', 'ONE')


def tempfile_dir(prefix):
    root = tempfile.mkdtemp(prefix=prefix)
    os.chmod(root, 0o755)        # engines run as their own users when we are root
    return root


# -- the stack's side ----------------------------------------------------------------------

class Stack:
    """What tests.functional.instance_helpers.trove needs of a running stack."""

    def __init__(self, state):
        self.urls, self.secrets, self.root = state['urls'], state['secrets'], state['root']


@contextlib.contextmanager
def stack_client(offset):
    """A throw-away stack on ports offset by `offset`, and the demo project's troveclient."""
    with stackctl.running_stack(offset) as state:
        yield trove(Stack(state), 'demo')


def create_source(demo, engine, name, flavor='2'):
    """A source with the application's database and account (Redis: root enabled, which its
    replicas take), ACTIVE; returns (instance, client)."""
    kwargs = {} if engine == 'redis' else {
        'databases': [{'name': APP_DB}],
        'users': [{'name': APP_USER, 'password': APP_PASSWORD, 'databases': [{'name': APP_DB}]}]}
    instance = demo.instances.create(name, flavor, volume={'size': 1}, datastore=engine,
                                     datastore_version=VERSIONS[engine], **kwargs)
    instance = wait_status(demo, instance.id, 'ACTIVE', timeout=180)
    return instance, client_of(demo, engine, instance)


def client_of(demo, engine, instance, password=None):
    address = instance.ip[0]
    if engine != 'redis':
        return CLIENTS[engine](address)
    if password is None:
        password = demo.root.create_instance_root(instance.id)[1]
    return RedisClient(address, password=password)


def events(demo, instance_id, operation=None):
    """The instance's steps (the API gives them oldest first), of one operation if given."""
    found = raw(demo, 'GET', '/instances/%s/events' % instance_id).json().get('events', [])
    return [e for e in found if operation is None or e['operation'] == operation]


def breakdown(steps):
    """'name 1.23 s, ...' of the steps, the longest marked."""
    timed = [(e['name'], e['duration']) for e in steps if e.get('duration') is not None]
    if not timed:
        return 'no steps recorded'
    longest = max(timed, key=lambda item: item[1])[0]
    return ', '.join('%s%s %.2f s' % ('*' if name == longest else '', name, seconds)
                     for name, seconds in timed)


def cleanup(demo, instance_ids):
    """Everything the bench made through the API goes, replicas first; a failure here is
    said, not raised over the bench's own error."""
    try:
        test_replication.delete_all(demo, reversed(instance_ids))
    except Exception as error:
        print('cleanup: %s' % error, file=sys.stderr)
