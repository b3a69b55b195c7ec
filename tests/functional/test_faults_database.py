"""The service database restarted (#15): the fault stack's PostgreSQL goes away under load.

A short outage (well inside [database] connect_retry_seconds, 10 s by default) is waited
out: every request fired while the server is down ends 2xx once it is back. A long outage
(past the window) answers 503 in Trove's envelope, in words. Never a 500; the task manager,
conductor and API keep running (no restart), guests' heartbeats are recorded again, a create
fired during the short outage reaches ACTIVE, and the rows are consistent afterwards.

The long outage starts once no build is in flight: a build step that needs the database
past the retry window fails the build (ERROR, its fault in words, the quota kept).
"""
import concurrent.futures
import json
import os
import time

import requests
import sqlalchemy as sa

from tests import stack_invariants
from tests.functional.instance_helpers import wait_gone, wait_status

RETRY_SECONDS = 10          # [database] connect_retry_seconds: the stack's default
UNREACHABLE = ('The service database is unreachable; the request may not have been '
               'done: try again shortly.')


class Caller:
    """Plain HTTP as demo (a token of its own from Keystone): every status code is seen."""

    def __init__(self, stack):
        token, project = stack.token('demo')
        self.base = stack.api(project)
        self.headers = {'X-Auth-Token': token, 'Content-Type': 'application/json'}

    def __call__(self, method, path, body=None):
        started = time.monotonic()
        resp = requests.request(method, self.base + path, headers=self.headers,
                                data=json.dumps(body) if body is not None else None,
                                timeout=90)
        return {'call': '%s %s' % (method, path), 'status': resp.status_code,
                'body': resp.json() if resp.content else None,
                'seconds': round(time.monotonic() - started, 2)}


def _service_pids(stack):
    children = stack.launcher_state()['children']
    return {name: children[name] for name in ('api', 'taskmanager', 'conductor')}


def _heartbeat_of(stack, instance_id):
    engine = sa.create_engine(stack.database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text('SELECT service_status_updated FROM instances '
                                        'WHERE id = :id'), {'id': instance_id}).scalar()
    finally:
        engine.dispose()


def _wait_for_log(path, words, since, timeout=30):
    """Wait until the log at `path` has `words` after byte offset `since`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, 'rb') as handle:
            handle.seek(since)
            if words.encode() in handle.read():
                return
        time.sleep(0.1)
    raise AssertionError('%r never appeared in %s' % (words, path))


def _fire(call, requests_):
    pool = concurrent.futures.ThreadPoolExecutor(len(requests_))
    return pool, [pool.submit(call, *args) for args in requests_]


def _create_body(name):
    return {'instance': {'name': name, 'flavorRef': '1', 'volume': {'size': 1},
                         'datastore': {'type': 'redis', 'version': '7.0'}}}


def test_a_restarted_service_database_costs_no_request_and_loses_nothing(fault_stack, fault_demo):
    call = Caller(fault_stack)
    watched = fault_demo.instances.create('db-restart-watched', flavor_id='1', volume={'size': 1},
                                    datastore='redis', datastore_version='7.0')
    created = [watched.id]
    try:
        wait_status(fault_demo, watched.id, 'ACTIVE', timeout=120)
        pids = _service_pids(fault_stack)
        api_log = os.path.join(fault_stack.root, 'logs', 'api.log')
        reads = [('GET', '/instances'), ('GET', '/instances/%s' % watched.id),
                 ('GET', '/flavors'), ('GET', '/backups'), ('GET', '/datastores')] * 2

        # -- a short outage: waited out ---------------------------------------------------
        since = os.path.getsize(api_log)
        fault_stack.pg.stop_postmaster()
        try:
            pool, futures = _fire(call, reads + [('POST', '/instances',
                                                  _create_body('db-restart-during'))])
            # Requests are waiting on the database now (the API says it retries).
            _wait_for_log(api_log, 'retrying for up to', since)
        finally:
            fault_stack.pg.start_postmaster()
        short = [f.result() for f in futures]
        pool.shutdown()
        assert [r for r in short if not 200 <= r['status'] < 300] == [], short
        during = short[-1]['body']['instance']['id']
        created.append(during)
        # Built after the restart: the task manager and conductor went on.
        wait_status(fault_demo, during, 'ACTIVE', timeout=120)

        # -- a long outage: 503 in words, never 500 -------------------------------------
        fault_stack.pg.stop_postmaster()
        try:
            pool, futures = _fire(call, reads[:5] + [('POST', '/instances',
                                                      _create_body('db-restart-refused'))])
            long = [f.result() for f in futures]
            pool.shutdown()
        finally:
            fault_stack.pg.start_postmaster()
        assert [r for r in long if r['status'] != 503 and not 200 <= r['status'] < 300] \
            == [], long
        if 200 <= long[-1]['status'] < 300:      # served once the server was back
            created.append(long[-1]['body']['instance']['id'])
        refused = [r for r in long if r['status'] == 503]
        assert refused, 'no request outlasted the retry window: %s' % long
        for r in refused:
            assert r['body'] == {'serviceUnavailable': {'code': 503, 'message': UNREACHABLE}}
            assert r['seconds'] >= RETRY_SECONDS - 1, r

        # -- afterwards: the same processes, heartbeats, the create done, rows right --
        assert _service_pids(fault_stack) == pids, 'a service was restarted (it died)'
        first = _heartbeat_of(fault_stack, watched.id)
        deadline = time.monotonic() + 30
        while _heartbeat_of(fault_stack, watched.id) <= first:
            assert time.monotonic() < deadline, 'no heartbeat recorded since the restart'
            time.sleep(0.2)
        assert call('GET', '/instances')['status'] == 200
    finally:
        for instance_id in created:
            fault_demo.instances.delete(instance_id)
        for instance_id in created:
            wait_gone(fault_demo, instance_id, timeout=90)
    stack_invariants.wait_settled(fault_stack, timeout=60)
    assert stack_invariants.check(fault_stack) == []
