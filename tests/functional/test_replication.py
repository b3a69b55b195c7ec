"""Replication end to end on the shared stack, one test per engine (MariaDB 10.11,
PostgreSQL 15, Redis 7.0), the members shared across the steps: a source with data and two
replicas made at once (replica_count=2) hold its data and receive its writes, and refuse
writes of their own (the engine says so); the views name the source and the replicas; the
source cannot be deleted while it has replicas; a promote swaps the roles and every member
keeps the same data; a detached replica is a writable standalone instance that no longer
receives writes; once the source's host is gone (its agent and engine killed), eject makes a
replica the source and the old source fails with a fault naming the new one. Redis's
accounts are per member: root is enabled on its source first, and every replica refuses a
client without the source's root password, a new one too once root is enabled again.

python-troveclient's calls drive MariaDB and Redis; the `openstack database instance`
commands (create --replica-of, promote, eject, detach) drive PostgreSQL.
"""
import collections
import os
import signal
import time

import psutil
import psycopg
import pymysql
import pytest
import redis as redis_py
import sqlalchemy as sa
from troveclient import exceptions

from tests import stack_invariants
from tests.functional.instance_helpers import (processes_mentioning, project_member, raw,
                                              trove, wait_gone, wait_status)
from tests.functional.test_cli import backups_limit, osc, set_backups_limit

APP_PASSWORD = 'app-repl-pw-1'
REPLICATION_WAIT = 30


@pytest.fixture(scope='module')
def demo(stack):
    return trove(stack, 'demo')


@pytest.fixture(scope='module')
def stranger(stack):
    """A member of another project: the set's reports and status are not theirs."""
    with project_member(stack, 'repl-stranger') as member:
        yield member.client


@pytest.fixture(scope='module', autouse=True)
def room_for_snapshots(stack):
    """A MariaDB replica is seeded from a backup of its source, which counts
    in the demo project's backups quota; the shared stack's other tests may have used it up.
    The limit is given room for the module's snapshots and restored afterwards."""
    before = backups_limit(stack)
    set_backups_limit(stack, 1000)
    yield
    set_backups_limit(stack, before)


# -- each engine's reads and writes, as a tenant's client does them -------------------------

class MariaDB:
    datastore, version = 'mariadb', '10.11'
    launch_kwargs = {'databases': [{'name': 'shop'}],
                     'users': [{'name': 'app', 'password': APP_PASSWORD,
                                'databases': [{'name': 'shop'}]}]}

    @staticmethod
    def _connect(ip):
        return pymysql.connect(host=ip, user='app', password=APP_PASSWORD, database='shop',
                               connect_timeout=5, autocommit=True)

    def setup(self, ip):
        with self._connect(ip) as conn, conn.cursor() as cur:
            cur.execute('CREATE TABLE kv (k VARCHAR(40) PRIMARY KEY)')

    def write(self, ip, key):
        with self._connect(ip) as conn, conn.cursor() as cur:
            cur.execute('INSERT INTO kv VALUES (%s)', (key,))

    def keys(self, ip):
        with self._connect(ip) as conn, conn.cursor() as cur:
            cur.execute('SELECT k FROM kv ORDER BY k')
            return [row[0] for row in cur.fetchall()]

    def assert_refused(self, ip):
        with pytest.raises(pymysql.MySQLError) as refused:
            self.write(ip, 'refused')
        assert refused.value.args[0] == 1290, refused.value      # --read-only


class PostgreSQL:
    datastore, version = 'postgresql', '15'
    launch_kwargs = MariaDB.launch_kwargs

    @staticmethod
    def _connect(ip):
        return psycopg.connect('host=%s dbname=shop user=app password=%s connect_timeout=5'
                               % (ip, APP_PASSWORD), autocommit=True)

    def setup(self, ip):
        with self._connect(ip) as conn:
            conn.execute('CREATE TABLE kv (k text PRIMARY KEY)')

    def write(self, ip, key):
        with self._connect(ip) as conn:
            conn.execute('INSERT INTO kv VALUES (%s)', (key,))

    def keys(self, ip):
        with self._connect(ip) as conn:
            return [row[0] for row in conn.execute('SELECT k FROM kv ORDER BY k')]

    def assert_refused(self, ip):
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            self.write(ip, 'refused')


class Redis:
    """Root is enabled on the source before its replicas are made: every member's default
    user has the source's root password (Redis keeps accounts per member; the service sets
    the source's on its replicas)."""
    datastore, version = 'redis', '7.0'
    launch_kwargs = {}

    def __init__(self):
        self.root_passwords = []

    def _connect(self, ip, password=None):
        return redis_py.Redis(host=ip, socket_timeout=5, decode_responses=True,
                              password=password or (self.root_passwords or [None])[-1])

    def enable_root(self, demo, source_id):
        self.root_passwords.append(demo.root.create_instance_root(source_id)[1])

    def check_root(self, demo, source_id, replica_ids, ips):
        """A replica refuses a client without its source's root password, takes one with
        it, and says root is enabled; root enabled again on the source (a new password)
        reaches the replicas: the old one is refused there."""
        for replica in replica_ids:
            with pytest.raises(redis_py.exceptions.AuthenticationError):
                redis_py.Redis(host=ips[replica], socket_timeout=5).get('k-before')
            assert self._connect(ips[replica]).get('k-before') == '1'
            assert demo.root.is_instance_root_enabled(replica).rootEnabled is True
        old = self.root_passwords[-1]
        self.enable_root(demo, source_id)
        for replica in replica_ids:
            with pytest.raises(redis_py.exceptions.AuthenticationError):
                self._connect(ips[replica], password=old).get('k-before')
            assert self._connect(ips[replica]).get('k-before') == '1'

    def setup(self, ip):
        pass

    def write(self, ip, key):
        self._connect(ip).set(key, '1')

    def keys(self, ip):
        return sorted(self._connect(ip).keys('k-*'))

    def assert_refused(self, ip):
        with pytest.raises(redis_py.exceptions.ReadOnlyError):
            self.write(ip, 'k-refused')


ENGINES = {'mariadb': (MariaDB(), 'sdk'), 'postgresql': (PostgreSQL(), 'cli'),
           'redis': (Redis(), 'sdk')}


# -- the service's calls, through troveclient or the CLI ------------------------------------

Calls = collections.namedtuple('Calls', 'create_replicas promote eject detach')


def sdk_calls(demo):
    def create_replicas(name, source_id, count):
        first = demo.instances.create(name, replica_of=source_id,
                                      **({'replica_count': count} if count > 1 else {}))
        return first.id

    return Calls(create_replicas, demo.instances.promote_to_replica_source,
                 demo.instances.eject_replica_source,
                 lambda instance_id: demo.instances.update(instance_id,
                                                           detach_replica_source=True))


def cli_calls(stack):
    def create_replicas(name, source_id, count):
        return osc(stack, 'database', 'instance', 'create', name, '--replica-of', source_id,
                   '--replica-count', str(count))['id']

    def action(verb):
        return lambda instance_id: osc(stack, 'database', 'instance', verb, instance_id,
                                       as_json=False)
    return Calls(create_replicas, action('promote'), action('eject'), action('detach'))


def eventually(check, what, timeout=REPLICATION_WAIT, interval=0.2):
    """Poll `check` until it is true (replication is asynchronous); the last error or
    value is in the failure."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as error:       # an engine restarting: asked again
            last = error
        time.sleep(interval)
    raise AssertionError('%s: never true (last: %r)' % (what, last))


def ip_of(demo, instance_id):
    return demo.instances.get(instance_id).ip[0]


def replica_ids(demo, source_id):
    return sorted(r['id'] for r in getattr(demo.instances.get(source_id), 'replicas', []))


def source_of(demo, instance_id):
    replica_of = getattr(demo.instances.get(instance_id), 'replica_of', None)
    return replica_of['id'] if replica_of else None


def kill_host_of(instance_id):
    """The instance's host is gone: its agent and engine die at once (no clean stop)."""
    pids = processes_mentioning(instance_id)
    assert pids, 'no process of %s to kill' % instance_id
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    psutil.wait_procs([p for p in map(_process, pids) if p], timeout=10)


def _process(pid):
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None


def replication_secret(stack, instance_id):
    """The replication account's password a source keeps in its run directory (every
    engine's strategy keeps it in replication.secret)."""
    with open(os.path.join(stack.instance_root, 'instances', instance_id,
                           'replication.secret')) as handle:
        return handle.read().strip()


def logs_of(stack, instance_id, tail=2000):
    """The end of each log in an instance's run directory: what a failure shows."""
    directory = os.path.join(stack.instance_root, 'instances', instance_id)
    found = []
    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        if name.endswith('.log'):
            with open(os.path.join(directory, name), errors='replace') as handle:
                found.append('--- %s:\n%s' % (name, handle.read()[-tail:]))
    return '\n'.join(found)


def assert_never_logged(stack, demo, secrets, instance_ids):
    """No replication password in the service's logs, the members' guest logs, their
    events or their faults."""
    assert secrets and all(secrets)
    paths = [os.path.join(stack.root, 'logs', name)
             for name in os.listdir(os.path.join(stack.root, 'logs'))]
    for instance_id in instance_ids:
        directory = os.path.join(stack.instance_root, 'instances', instance_id)
        paths += [os.path.join(directory, name) for name in os.listdir(directory)
                  if name.endswith('.log')] if os.path.isdir(directory) else []
    for path in paths:
        with open(path, errors='replace') as handle:
            text = handle.read()
        assert not [s for s in secrets if s in text], 'a replication password is in %s' % path
    for instance_id in instance_ids:
        shown = raw(demo, 'GET', '/instances/%s/events' % instance_id).text
        shown += raw(demo, 'GET', '/instances/%s' % instance_id).text
        assert not [s for s in secrets if s in shown]


# -- switchover reports and replication status (extensions) ---------------------------------

def switchovers(demo, instance_id):
    resp = raw(demo, 'GET', '/instances/%s/switchovers' % instance_id)
    assert resp.status_code == 200, resp.text
    return resp.json()['switchovers']


def finished_report(demo, instance_id, operation, old_source):
    """The newest report of `operation` from `old_source` naming the instance, once its
    canary has finished (it completes its figures just after the operation ends)."""
    def found():
        reports = [r for r in switchovers(demo, instance_id) if r['operation'] == operation
                   and r['old_source']['id'] == old_source]
        return reports[0] if reports and reports[0]['status'] != 'running' else None
    return eventually(found, 'the %s report of %s' % (operation, instance_id))


def assert_promote_report(demo, old_source, new_source):
    """A switchover with every member answering: completed, writes stopped on the old source
    and resumed on the new one well within 5 s, and the new source has every write the old
    one acknowledged."""
    report = finished_report(demo, new_source, 'promote', old_source)
    assert report['status'] == 'completed', report
    assert report['new_source']['id'] == new_source, report
    assert isinstance(report['write_downtime_seconds'], float), report
    assert 0 < report['write_downtime_seconds'] < 5, report
    assert report['transactions_lost'] == 0, report
    assert report['write_stopped_at'].endswith('Z') and report['write_resumed_at'] > \
        report['write_stopped_at'], report
    assert report['canary_writes'] > 0 and report['detection_seconds'] is None, report
    # The old source's reports are the same (it is a member of the set now).
    assert report in switchovers(demo, old_source)
    return report


def assert_eject_report(demo, old_source, new_source):
    report = finished_report(demo, new_source, 'eject', old_source)
    assert report['status'] == 'completed', report
    assert report['new_source']['id'] == new_source, report
    assert report['detection_seconds'] is not None and report['detection_seconds'] >= 0, report
    assert report['write_stopped_at'] is None and report['transactions_lost'] is None, report
    return report


def assert_replication_shown(demo, stranger, source_id, replica_ids):
    """Every member of the set, source first, with a lag on each replica once it follows;
    another project's member finds nothing."""
    def shown():
        resp = raw(demo, 'GET', '/instances/%s/replication' % replica_ids[0])
        assert resp.status_code == 200, resp.text
        found = resp.json()['replication']
        replicas = [m for m in found['members'] if m['role'] == 'replica']
        if all(isinstance(m['lag_seconds'], (int, float)) and m['healthy'] for m in replicas):
            return found
        return None
    found = eventually(shown, 'a lag on every replica of %s' % source_id, timeout=60)
    assert found['source']['id'] == source_id
    assert [m['id'] for m in found['members']][0] == source_id
    assert sorted(m['id'] for m in found['members'][1:]) == sorted(replica_ids)
    assert all(m['lag_seconds'] >= 0 for m in found['members'][1:])
    for path in ('replication', 'switchovers'):
        assert raw(stranger, 'GET', '/instances/%s/%s' % (source_id, path)).status_code == 404


def delete_all(demo, instance_ids):
    """Replicas first (a source with replicas is refused), then whatever is left."""
    pending = list(instance_ids)
    for _ in range(len(pending) + 1):
        for instance_id in list(pending):
            try:
                demo.instances.delete(instance_id)
                wait_gone(demo, instance_id)
                pending.remove(instance_id)
            except exceptions.NotFound:
                pending.remove(instance_id)
            except exceptions.Conflict:
                continue
        if not pending:
            return
    raise AssertionError('instances left: %s' % pending)


# -- the test -----------------------------------------------------------------------------

@pytest.mark.parametrize('engine_name', sorted(ENGINES))
def test_replicas_promote_detach_and_eject(stack, demo, stranger, engine_name):
    engine, via = ENGINES[engine_name]
    calls = sdk_calls(demo) if via == 'sdk' else cli_calls(stack)
    made = []
    try:
        _scenario(stack, demo, stranger, engine, calls, engine_name, made)
    finally:
        delete_all(demo, reversed(made))
    # The reports outlive the set's instances: they are its history.
    _assert_reports_kept(stack, made)


def _assert_reports_kept(stack, made):
    # The stack's service database, where its config says it is.
    engine = sa.create_engine(stack_invariants.Places(stack).database_url,
                              poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            kept = conn.execute(sa.text('SELECT operation, status FROM switchovers WHERE '
                                        'old_source_id IN :ids').bindparams(
                sa.bindparam('ids', expanding=True)), {'ids': list(made)}).all()
    finally:
        engine.dispose()
    assert sorted(map(tuple, kept)) == [('eject', 'completed'), ('eject', 'failed'),
                                        ('promote', 'completed')]


def _scenario(stack, demo, stranger, engine, calls, name, made):
    # A source with data.
    source = demo.instances.create('%s-src' % name, flavor_id='1', volume={'size': 1},
                                   datastore=engine.datastore,
                                   datastore_version=engine.version, **engine.launch_kwargs)
    made.append(source.id)
    source = wait_status(demo, source.id, 'ACTIVE')
    source_ip = source.ip[0]
    if hasattr(engine, 'enable_root'):          # Redis: root per member
        engine.enable_root(demo, source.id)
    engine.setup(source_ip)
    engine.write(source_ip, 'k-before')
    # A standalone instance is in no replica set.
    assert raw(demo, 'GET', '/instances/%s/replication' % source.id).json() == {
        'replication': None}

    # Two replicas at once: the source's data is on both, the views name both sides.
    first = calls.create_replicas('%s-rep' % name, source.id, 2)
    replicas = replica_ids(demo, source.id)
    made.extend(replicas)
    assert first in replicas and len(replicas) == 2
    for replica in replicas:
        shown = wait_status(demo, replica, 'ACTIVE', timeout=120)
        assert shown.replica_of['id'] == source.id
        assert {link['rel'] for link in shown.replica_of['links']} >= {'self'}
        assert shown.datastore['version'] == engine.version
    assert sorted(demo.instances.get(r).name for r in replicas) == ['%s-rep-1' % name,
                                                                   '%s-rep-2' % name]
    r1, r2 = replicas
    secrets = [replication_secret(stack, source.id)]
    ips = {r: ip_of(demo, r) for r in replicas}
    for replica in replicas:
        assert engine.keys(ips[replica]) == ['k-before']
    if hasattr(engine, 'check_root'):
        engine.check_root(demo, source.id, replicas, ips)

    # Writes flow from the source; a replica refuses its own.
    engine.write(source_ip, 'k-flows')
    for replica in replicas:
        eventually(lambda: 'k-flows' in engine.keys(ips[replica]), 'k-flows on a replica')
        engine.assert_refused(ips[replica])
    # The snapshot that seeded them goes once they are built.
    eventually(lambda: not [b for b in demo.backups.list()
                            if b.name.startswith('Replication snapshot for %s' % name)],
               'the replication snapshot deleted')

    # The set shows every member's lag, asked through any member.
    assert raw(demo, 'GET', '/instances/%s/replication' % r1).json()['replication'][
        'source']['id'] == source.id
    assert_replication_shown(demo, stranger, source.id, replicas)

    # The source cannot go while it has replicas.
    with pytest.raises(exceptions.Conflict) as refused:
        demo.instances.delete(source.id)
    assert 'has replicas' in str(refused.value)

    # Promote r1: the roles swap, every member has the same data, writes go from r1.
    calls.promote(r1)
    wait_status(demo, r1, 'ACTIVE', timeout=180)
    assert source_of(demo, r1) is None
    assert replica_ids(demo, r1) == sorted([source.id, r2])
    assert source_of(demo, source.id) == r1 and source_of(demo, r2) == r1
    secrets.append(replication_secret(stack, r1))
    assert_promote_report(demo, source.id, r1)
    assert_replication_shown(demo, stranger, r1, [source.id, r2])
    engine.write(ips[r1], 'k-after-promote')
    everything = engine.keys(ips[r1])
    assert everything == ['k-after-promote', 'k-before', 'k-flows']
    for member in (source_ip, ips[r2]):
        eventually(lambda: engine.keys(member) == everything, 'the same data on every member')
        engine.assert_refused(member)

    # Detach r2: writable on its own, and r1's writes no longer reach it.
    calls.detach(r2)
    eventually(lambda: demo.instances.get(r2).status == 'ACTIVE' and source_of(demo, r2) is None,
               'r2 detached', timeout=120)
    assert replica_ids(demo, r1) == [source.id]
    engine.write(ips[r2], 'k-standalone')
    engine.write(ips[r1], 'k-not-for-r2')
    eventually(lambda: 'k-not-for-r2' in engine.keys(source_ip), 'the old source follows r1')
    assert 'k-not-for-r2' not in engine.keys(ips[r2])
    assert 'k-standalone' in engine.keys(ips[r2])
    assert raw(demo, 'GET', '/instances/%s/replication' % r2).json() == {'replication': None}

    # A third replica of r1, then r1's host goes: eject makes a replica the source.
    r3 = calls.create_replicas('%s-late' % name, r1, 1)
    made.append(r3)
    wait_status(demo, r3, 'ACTIVE', timeout=120)
    ips[r3] = ip_of(demo, r3)
    engine.write(ips[r1], 'k-last')
    for member in (source_ip, ips[r3]):
        eventually(lambda: 'k-last' in engine.keys(member), 'k-last on every replica')
    expected = engine.keys(ips[r1])
    # Refused, changing nothing, while the source answers.
    calls.eject(r1)
    eventually(lambda: demo.instances.get(r1).status == 'ACTIVE' and 'promote a replica '
               'instead' in (demo.instances.get(r1).fault or {}).get('message', ''),
               'the eject refused while the source answers', timeout=60)
    refused = finished_report(demo, r1, 'eject', r1)
    assert refused['status'] == 'failed' and 'promote a replica instead' in refused['message']
    kill_host_of(r1)
    calls.eject(r1)
    ejected = wait_status(demo, r1, 'ERROR', timeout=180)
    new_source, follower = ((source.id, r3) if source_of(demo, source.id) is None
                            else (r3, source.id))
    assert 'was ejected' in ejected.fault['message'] and new_source in ejected.fault['message']
    assert source_of(demo, new_source) is None and source_of(demo, follower) == new_source
    assert replica_ids(demo, r1) == []
    assert_eject_report(demo, r1, new_source)
    new_ip = source_ip if new_source == source.id else ips[r3]
    follower_ip = ips[r3] if new_source == source.id else source_ip
    assert engine.keys(new_ip) == expected
    engine.write(new_ip, 'k-after-eject')
    try:
        eventually(lambda: 'k-after-eject' in engine.keys(follower_ip), 'writes after the eject')
    except AssertionError as error:
        raise AssertionError('%s\n%s' % (error, logs_of(stack, follower)))
    engine.assert_refused(follower_ip)
    secrets.append(replication_secret(stack, new_source))
    secrets += getattr(engine, 'root_passwords', [])
    assert_never_logged(stack, demo, secrets, made)

