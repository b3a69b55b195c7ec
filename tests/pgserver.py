"""A throw-away PostgreSQL server for the tests and benchmarks: Debian's build, one per session.

It listens only on a unix socket inside its own temporary directory (no TCP port, so test
sessions and stacks side by side never clash), trusts local connections, and runs without
fsync: its data is worth nothing after the session. initdb and postgres refuse to run as
root, so as root they run as the `postgres` system user, which owns the directory.

    with pgserver.running() as server:
        url = server.create_database('x')   # postgresql+psycopg://postgres@/x?host=...
"""
import contextlib
import glob
import itertools
import os
import pwd
import queue
import shlex
import shutil
import subprocess
import tempfile
import threading

import sqlalchemy

SYSTEM_USER = 'postgres'
SUPERUSER = 'postgres'


def find_bindir():
    """The newest Debian build's bin directory (initdb, pg_ctl); PGBINDIR overrides."""
    if os.environ.get('PGBINDIR'):
        return os.environ['PGBINDIR']
    found = sorted(glob.glob('/usr/lib/postgresql/*/bin/initdb'),
                   key=lambda p: int(p.split('/')[-3]) if p.split('/')[-3].isdigit() else 0)
    if not found:
        raise RuntimeError('No PostgreSQL server build found under /usr/lib/postgresql '
                           '(apt-get install postgresql, or set PGBINDIR).')
    return os.path.dirname(found[-1])


def _parent_dir(as_root):
    """The temporary directory, unless the postmaster could not use it: as root, one the
    `postgres` user cannot traverse; or so deep that a socket path would pass 107 bytes."""
    parent = tempfile.gettempdir()
    blocked = as_root and any(not os.stat(d).st_mode & 0o001 for d in _ancestors(parent))
    return '/tmp' if blocked or len(parent) > 60 else parent


def _ancestors(path):
    path = os.path.abspath(path)
    while True:
        yield path
        if path == os.path.dirname(path):
            return
        path = os.path.dirname(path)


class Server:
    """One running postmaster; `url(name)` addresses a database on it."""

    def __init__(self, bindir=None):
        self.bindir = bindir or find_bindir()
        self.root = None
        self._admin = None
        self._watchdog = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self):
        as_root = os.geteuid() == 0
        self.root = tempfile.mkdtemp(prefix='dbaas-pg-', dir=_parent_dir(as_root))
        if as_root:
            account = pwd.getpwnam(SYSTEM_USER)
            os.chown(self.root, account.pw_uid, account.pw_gid)
        # The socket directory must be reachable by this (root) process and by the postmaster.
        os.chmod(self.root, 0o755 if as_root else 0o700)
        data = os.path.join(self.root, 'data')
        self._run('initdb', '-D', data, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8',
                  '--locale=C', '--no-sync')
        self._start_postmaster()
        self._watchdog = self._start_watchdog(data)
        return self

    def _start_postmaster(self):
        options = ("-c listen_addresses='' -k %s -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB "
                   "-c log_min_messages=warning" % self.root)
        self._run('pg_ctl', '-D', os.path.join(self.root, 'data'), '-l',
                  os.path.join(self.root, 'server.log'), '-o', options, '-w', '-t', '60',
                  'start')

    def stop_postmaster(self, mode='fast'):
        """Stop the server but keep its data (fault tests: the service database goes away);
        `start_postmaster` brings it back on the same socket."""
        self._run('pg_ctl', '-D', os.path.join(self.root, 'data'), '-m', mode, '-w', '-t',
                  '60', 'stop')

    def start_postmaster(self):
        self._start_postmaster()

    def _start_watchdog(self, data):
        # A session killed outright (SIGKILL, `timeout`) runs no finaliser: this stops the
        # server and removes its directory once this process is gone.
        stop = ' '.join(shlex.quote(arg) for arg in self._argv(
            'pg_ctl', '-D', data, '-m', 'immediate', '-w', 'stop'))
        script = ('while kill -0 %d 2>/dev/null; do sleep 1; done; %s >/dev/null 2>&1; '
                  'rm -rf %s' % (os.getpid(), stop, shlex.quote(self.root)))
        return subprocess.Popen(['sh', '-c', script], start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def stop(self):
        """Stop the server at once and remove its directory (safe to call twice)."""
        if self.root is None:
            return
        if self._admin is not None:
            self._admin.dispose()
            self._admin = None
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait()
            self._watchdog = None
        data = os.path.join(self.root, 'data')
        if os.path.exists(os.path.join(data, 'postmaster.pid')):
            self._run('pg_ctl', '-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop',
                      check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def _argv(self, tool, *args):
        argv = [os.path.join(self.bindir, tool)] + list(args)
        if os.geteuid() == 0:
            argv = ['runuser', '-u', SYSTEM_USER, '--'] + argv
        return argv

    def _run(self, tool, *args, check=True):
        done = subprocess.run(self._argv(tool, *args), cwd=self.root, capture_output=True,
                              text=True)
        if check and done.returncode:
            log = os.path.join(self.root, 'server.log')
            tail = open(log).read()[-2000:] if os.path.exists(log) else ''
            raise RuntimeError('%s failed (%d):\n%s%s\n%s' % (
                tool, done.returncode, done.stdout, done.stderr, tail))
        return done

    # -- databases -----------------------------------------------------------------------

    def url(self, database='postgres'):
        return 'postgresql+psycopg://%s@/%s?host=%s' % (SUPERUSER, database, self.root)

    def admin(self):
        """An autocommit engine on the `postgres` database, for CREATE/DROP DATABASE."""
        if self._admin is None:
            self._admin = sqlalchemy.create_engine(self.url(), isolation_level='AUTOCOMMIT',
                                                   poolclass=sqlalchemy.pool.NullPool)
        return self._admin

    def create_database(self, name, template=None):
        """A new, empty database (or a copy of `template`, which must have no sessions)."""
        sql = 'CREATE DATABASE "%s"' % name
        if template:
            sql += ' TEMPLATE "%s"' % template
        with self.admin().connect() as conn:
            conn.exec_driver_sql(sql)
        return self.url(name)

    def drop_database(self, name):
        """Drop it, ending any session still connected to it."""
        with self.admin().connect() as conn:
            conn.exec_driver_sql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)


class TemplateCopies:
    """Fresh copies of a template database, made ahead by a background thread: a copy costs
    about 0.1 s of the server's time, most of a small test's setup."""

    def __init__(self, server, template, ahead=2):
        self.server, self.template = server, template
        self._names = itertools.count(1)
        self._ready = queue.Queue()
        self._room = threading.Semaphore(ahead)
        self._closed = False
        self._maker = threading.Thread(target=self._make, name='template-copies', daemon=True)
        self._maker.start()

    def _make(self):
        while True:
            self._room.acquire()
            if self._closed:
                return
            name = '%s_%d' % (self.template, next(self._names))
            try:
                self.server.create_database(name, template=self.template)
            except Exception as error:   # handed to the next take(), where a test reports it
                self._ready.put((None, error))
                return
            self._ready.put((name, None))

    def take(self):
        """The name of a new copy, the caller's to use and drop."""
        name, error = self._ready.get(timeout=120)
        if error is not None:
            raise error
        self._room.release()
        return name

    def close(self):
        self._closed = True
        self._room.release()
        self._maker.join(30)


@contextlib.contextmanager
def running(bindir=None):
    """A started Server, stopped and removed on exit whatever happened inside."""
    server = Server(bindir)
    try:
        yield server.start()
    finally:
        server.stop()

