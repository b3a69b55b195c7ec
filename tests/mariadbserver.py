"""A throw-away MariaDB server for the tests: Debian's build, on a unix socket only.

Like tests/pgserver.py: no TCP port (sessions and stacks side by side never clash), no
durability (its data is worth nothing after the session), and as root it runs as the
`mysql` system user, which owns its directory.

    with mariadbserver.running() as server:
        url = server.create_database('x')   # mysql+pymysql://root@/x?unix_socket=...
"""
import contextlib
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
import time

import pymysql

SYSTEM_USER = 'mysql'
# A normal user's PATH may lack /usr/sbin, where Debian puts the server.
MARIADBD = shutil.which('mariadbd') or '/usr/sbin/mariadbd'
START_TIMEOUT = 60


class Server:
    """One running mariadbd; `url(name)` addresses a database on it."""

    def __init__(self):
        self.root = None
        self._process = None
        self._watchdog = None

    @property
    def socket(self):
        return os.path.join(self.root, 'mysqld.sock')

    def start(self):
        as_root = os.geteuid() == 0
        # /tmp: short enough for the socket path, and traversable by the `mysql` user.
        self.root = tempfile.mkdtemp(prefix='dbaas-mdb-', dir='/tmp')
        data = os.path.join(self.root, 'data')
        os.mkdir(data, 0o700)
        user = []
        if as_root:
            account = pwd.getpwnam(SYSTEM_USER)
            for path in (self.root, data):
                os.chown(path, account.pw_uid, account.pw_gid)
            os.chmod(self.root, 0o755)
            user = ['--user=%s' % SYSTEM_USER]
        self._run(['mariadb-install-db', '--no-defaults', '--datadir=%s' % data,
                   '--auth-root-authentication-method=normal', '--skip-test-db',
                   '--skip-name-resolve'] + user)
        self._process = subprocess.Popen(
            [MARIADBD, '--no-defaults', '--datadir=%s' % data, '--skip-networking',
             '--socket=%s' % self.socket, '--pid-file=%s' % os.path.join(self.root, 'pid'),
             '--log-error=%s' % os.path.join(self.root, 'error.log'),
             '--innodb-buffer-pool-size=64M', '--innodb-flush-log-at-trx-commit=0',
             '--skip-log-bin', '--max-connections=200'] + user,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, env=self._env())
        self._watchdog = self._start_watchdog()
        self._wait_ready()
        return self

    def _env(self):
        # The server's temporary files go in its own directory: the test run's TMPDIR
        # (tests/conftest.py) is not the `mysql` user's to write.
        return dict(os.environ, TMPDIR=self.root)

    def _run(self, argv):
        done = subprocess.run(argv, capture_output=True, text=True, cwd=self.root,
                              env=self._env())
        if done.returncode:
            raise RuntimeError('%s failed (%d):\n%s%s' % (argv[0], done.returncode,
                                                         done.stdout, done.stderr))

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                self._connect().close()
                return
            except pymysql.err.OperationalError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    log = os.path.join(self.root, 'error.log')
                    tail = open(log).read()[-2000:] if os.path.exists(log) else ''
                    raise RuntimeError('mariadbd did not start:\n%s' % tail)
                time.sleep(0.1)

    def _start_watchdog(self):
        # A session killed outright runs no finaliser: this stops the server and removes
        # its directory once this process is gone.
        script = ('while kill -0 %d 2>/dev/null; do sleep 1; done; kill -9 %d 2>/dev/null; '
                  'sleep 1; rm -rf %s' % (os.getpid(), self._process.pid,
                                          shlex.quote(self.root)))
        return subprocess.Popen(['sh', '-c', script], start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def stop(self):
        """Stop the server at once and remove its directory (safe to call twice)."""
        if self.root is None:
            return
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait()
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(30)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def _connect(self):
        return pymysql.connect(unix_socket=self.socket, user='root', autocommit=True)

    def url(self, database):
        return 'mysql+pymysql://root@/%s?unix_socket=%s&charset=utf8mb4' % (database,
                                                                            self.socket)

    def create_database(self, name):
        conn = self._connect()
        try:
            with conn.cursor() as cursor:
                cursor.execute('CREATE DATABASE `%s` CHARACTER SET utf8mb4' % name)
        finally:
            conn.close()
        return self.url(name)

    def drop_database(self, name):
        conn = self._connect()
        try:
            with conn.cursor() as cursor:
                cursor.execute('DROP DATABASE IF EXISTS `%s`' % name)
        finally:
            conn.close()


@contextlib.contextmanager
def running():
    """A started Server, stopped and removed on exit whatever happened inside."""
    server = Server()
    try:
        yield server.start()
    finally:
        server.stop()
