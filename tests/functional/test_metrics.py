"""Instance metrics on real engines: the guest's heartbeats leave samples in the ring, and
the connections and queries per second they report follow real load (connections opened and
statements run with each engine's client library), read back through
GET /instances/{id}/metrics. The test stack samples every 5 s ([metrics] interval_seconds)
and its guests beat every second; a deleted instance leaves no samples behind."""
import os
import sqlite3
import threading
import time

import psycopg
import pymysql
import pytest
import redis as redis_py

from tests.functional.instance_helpers import raw, trove, wait_gone, wait_status

CONNECTIONS = 6
# Statements per second a tight loop of trivial ones runs far above, on any engine here.
LOAD_QPS = 50
WAIT = 45       # seconds: a few heartbeats, with room for a loaded machine


@pytest.fixture(scope='module')
def demo(stack):
    return trove(stack, 'demo')


class MariaDB:
    datastore, version = 'mariadb', '10.11'
    create = {'databases': [{'name': 'shop'}],
              'users': [{'name': 'app', 'password': 'app-pw-1', 'databases': [{'name': 'shop'}]}]}

    def connect(self, client, instance, ip):
        return pymysql.connect(host=ip, port=3306, user='app', password='app-pw-1',
                               database='shop', connect_timeout=5, autocommit=True)

    def query(self, conn):
        with conn.cursor() as cursor:
            cursor.execute('SELECT 1')


class PostgreSQL(MariaDB):
    datastore, version = 'postgresql', '15'

    def connect(self, client, instance, ip):
        return psycopg.connect('host=%s port=5432 dbname=shop user=app password=app-pw-1 '
                               'connect_timeout=5' % ip, autocommit=True)

    def query(self, conn):
        conn.execute('SELECT 1')


class Redis:
    datastore, version, create = 'redis', '7.0', {}

    def connect(self, client, instance, ip):
        if not hasattr(self, 'password'):
            self.password = client.root.create(instance.id)[1]
        conn = redis_py.Redis(host=ip, port=6379, password=self.password, socket_timeout=5)
        conn.ping()          # connected now, not at the first command
        return conn

    def query(self, conn):
        conn.ping()


def samples(client, instance_id, since=None):
    path = '/instances/%s/metrics' % instance_id + ('?since=%s' % since if since else '')
    resp = raw(client, 'GET', path)
    assert resp.status_code == 200, resp.text
    return resp.json()['metrics']


def wait_for_series(client, instance_id, condition, what):
    """The samples once `condition` holds for them (polled until WAIT passes)."""
    deadline = time.monotonic() + WAIT
    found = []
    while time.monotonic() < deadline:
        found = samples(client, instance_id)['samples']
        if condition(found):
            return found
        time.sleep(0.5)
    raise AssertionError('no samples showed %s in %d s; the newest: %s'
                         % (what, WAIT, found[-1] if found else None))


def wait_for_sample(client, instance_id, condition, what):
    """The newest sample once `condition` holds for it (polled until WAIT passes)."""
    return wait_for_series(client, instance_id, lambda found: found and condition(found[-1]),
                           what)[-1]


def stored_rows(stack, instance_id):
    with sqlite3.connect(os.path.join(stack.root, 'dbaas.sqlite')) as db:
        return db.execute('SELECT count(*) FROM instance_metrics WHERE instance_id = ?',
                          (instance_id,)).fetchone()[0]


def keep_querying(engine, conn, stop):
    while not stop.is_set():
        engine.query(conn)


@pytest.mark.parametrize('engine', [MariaDB(), PostgreSQL(), Redis()],
                         ids=['mariadb', 'postgresql', 'redis'])
def test_samples_follow_real_connections_and_queries(stack, demo, engine):
    instance = demo.instances.create('metrics-%s' % engine.datastore, flavor_id='1',
                                     volume={'size': 1}, datastore=engine.datastore,
                                     datastore_version=engine.version, **engine.create)
    opened = []
    try:
        instance = wait_status(demo, instance.id, 'ACTIVE')
        ip = instance.ip[0]
        first = wait_for_sample(demo, instance.id, lambda s: s['connections'] is not None
                                and s['memory_bytes'] and s['volume_used_bytes'] is not None,
                                'the idle engine')
        assert samples(demo, instance.id)['interval'] == 5
        # The guest's own connections are all there is: fewer than what the test opens.
        idle = first['connections']
        assert idle < CONNECTIONS

        opened = [engine.connect(demo, instance, ip) for _ in range(CONNECTIONS)]
        wait_for_sample(demo, instance.id, lambda s: (s['connections'] or 0) >= idle + CONNECTIONS,
                        '%d more connections than %d' % (CONNECTIONS, idle))

        stop = threading.Event()
        load = threading.Thread(target=keep_querying, args=(engine, opened[0], stop))
        load.start()
        try:
            loaded = wait_for_sample(demo, instance.id, lambda s: (s['queries_per_second'] or 0)
                                     >= LOAD_QPS, 'at least %d queries per second' % LOAD_QPS)
        finally:
            stop.set()
            load.join(10)
        assert loaded['cpu_percent'] is not None and loaded['cpu_percent'] > 0

        for conn in opened:
            conn.close()
        opened = []
        wait_for_sample(demo, instance.id, lambda s: s['connections'] is not None
                        and s['connections'] < idle + CONNECTIONS, 'the connections closed')

        # The series grows, a sample per 5 s slot (the steps above may all fit in one slot on
        # a quick machine, so the next slot is awaited), and `since` answers only what is newer.
        every = wait_for_series(demo, instance.id, lambda found: len(found) >= 2,
                                'a second slot')
        times = [s['time'] for s in every]
        assert times == sorted(times) and len(set(times)) == len(times)
        newer = samples(demo, instance.id, every[-2]['time'])['samples']
        # The newest slot may have been written again since: newer, never older.
        assert newer and all(s['time'] >= every[-1]['time'] for s in newer)
        assert stored_rows(stack, instance.id) >= len(every)
    finally:
        for conn in opened:
            conn.close()
        demo.instances.delete(instance.id)
    wait_gone(demo, instance.id)
    assert stored_rows(stack, instance.id) == 0
