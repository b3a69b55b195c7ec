"""The API killed mid-request (#15): kill -9 of the API's gunicorn (master and workers at
once) while clients create and delete instances and create users and databases.

Afterwards nothing is half written: every instance row is counted in its project's quota,
no quota is left reserved, every instance ends in a final state (one whose build was never
sent to the task manager fails by its build deadline), every create the API answered exists,
every user it answered exists, and the invariants of tests/stack_invariants.py hold. The
launcher starts the API again (its supervision) and it serves.

A client that got no answer to its DELETE sends it again (a delete works in every status);
one whose create got no answer finds what it made in the list.
"""
import itertools
import os
import signal
import threading
import time

import requests
import sqlalchemy as sa

from tests import stack_invariants
from tests.conftest import alive
from tests.functional.instance_helpers import wait_gone, wait_status

PREFIX = 'api-kill-'
CLIENTS = 12
MAX_CREATES = 5              # with the three set up, within demo's 10 instances
ANSWERS_BEFORE_KILL = 8      # requests keep coming: many are in flight at the kill


class Load:
    """CLIENTS threads sending a mix of writes until told to stop; every outcome kept."""

    def __init__(self, stack, maria_id, victims):
        token, project = stack.token('demo')
        self.base, self.headers = stack.api(project), {'X-Auth-Token': token}
        self.maria_id, self.victims = maria_id, list(victims)
        self.outcomes, self.lock = [], threading.Lock()
        self.answered = threading.Semaphore(0)
        self.stop = threading.Event()
        self.numbers = itertools.count(1)
        self.creates = 0

    def _next(self):
        """(kind, method, path, body) of the next request, or None when nothing is left."""
        with self.lock:
            n = next(self.numbers)
            if self.victims and n % 4 == 0:
                victim = self.victims.pop()
                return 'delete', 'DELETE', '/instances/%s' % victim, None, victim
            if self.creates < MAX_CREATES and n % 4 == 1:
                self.creates += 1
                return 'create', 'POST', '/instances', {'instance': {
                    'name': '%s%d' % (PREFIX, n), 'flavorRef': '1', 'volume': {'size': 1},
                    'datastore': {'type': 'redis', 'version': '7.0'}}}, None
        if n % 2:
            name = 'killuser%d' % n
            return 'user', 'POST', '/instances/%s/users' % self.maria_id, {'users': [
                {'name': name, 'password': 'pw-%d-secret' % n}]}, name
        name = 'killdb%d' % n
        return 'database', 'POST', '/instances/%s/databases' % self.maria_id, {
            'databases': [{'name': name}]}, name

    def _client(self):
        while not self.stop.is_set():
            kind, method, path, body, subject = self._next()
            try:
                resp = requests.request(method, self.base + path, json=body,
                                        headers=self.headers, timeout=60)
                outcome = {'status': resp.status_code,
                           'body': resp.json() if resp.content else None}
            except requests.ConnectionError as error:
                # Refused: sent after the kill. Cut: the API died while it had the request.
                refused = 'refused' in str(error) or 'NewConnectionError' in str(error)
                outcome = {'status': 'refused' if refused else 'cut'}
            outcome.update(kind=kind, subject=subject, path=path)
            with self.lock:
                self.outcomes.append(outcome)
            self.answered.release()

    def start(self):
        self.threads = [threading.Thread(target=self._client, daemon=True)
                        for _ in range(CLIENTS)]
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(90)
        return self.outcomes


def _kill_api(stack):
    """SIGKILL to the API's process group: gunicorn's master and its workers at once."""
    master = stack.launcher_state()['children']['api']
    os.killpg(master, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while alive(master):
        assert time.monotonic() < deadline, 'the API master outlived SIGKILL'
        time.sleep(0.05)
    return master


def _wait_api_back(stack, old_pid, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = stack.launcher_state()
        if state['children']['api'] != old_pid:
            try:
                if requests.get(stack.urls['api'] + '/', timeout=5).status_code == 200:
                    return state
            except requests.RequestException:    # bound, its workers still loading
                pass
        time.sleep(0.2)
    raise AssertionError('the API was not started again within %d s' % timeout)


def _sql(stack, query):
    engine = sa.create_engine(stack.database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(query)).all()
    finally:
        engine.dispose()


def _summary(outcomes):
    """'create: 200 x2, cut x1; user: ...' for the log of a run."""
    counted = {}
    for o in outcomes:
        kinds = counted.setdefault(o['kind'], {})
        kinds[o['status']] = kinds.get(o['status'], 0) + 1
    return '; '.join('%s: %s' % (kind, ', '.join('%s x%d' % item for item in sorted(
        statuses.items(), key=str))) for kind, statuses in sorted(counted.items()))


def _ours(fault_demo):
    return [i for i in fault_demo.instances.list() if i.name.startswith(PREFIX)]


def test_the_api_killed_mid_request_leaves_nothing_half_written(fault_stack, fault_demo):
    maria = fault_demo.instances.create(PREFIX + 'maria', flavor_id='1', volume={'size': 1},
                                  datastore='mariadb', datastore_version='10.11')
    victims = [fault_demo.instances.create('%svictim%d' % (PREFIX, n), flavor_id='1',
                                     volume={'size': 1}, datastore='redis',
                                     datastore_version='7.0') for n in (1, 2)]
    try:
        for instance in [maria] + victims:
            wait_status(fault_demo, instance.id, 'ACTIVE', timeout=120)
        restarts_before = fault_stack.restarts('api')

        load = Load(fault_stack, maria.id, [v.id for v in victims])
        load.start()
        for _ in range(ANSWERS_BEFORE_KILL):
            assert load.answered.acquire(timeout=60), 'the load got no answers'
        killed = _kill_api(fault_stack)
        load.stop.set()                 # what is in flight now is what the kill cut
        state = _wait_api_back(fault_stack, killed)
        outcomes = load.finish()

        assert state.get('restarts', {}).get('api', 0) == restarts_before + 1
        print('\nAPI killed: %s' % _summary(outcomes))
        answers = [o for o in outcomes if o['status'] not in ('cut', 'refused')]
        assert [o for o in answers if o['status'] >= 500] == []
        cut = [o for o in outcomes if o['status'] == 'cut']
        assert cut, 'no request was in flight when the API was killed: %s' % outcomes

        # A client whose DELETE got no answer sends it again.
        for o in outcomes:
            if o['kind'] == 'delete' and o['status'] in ('cut', 'refused'):
                fault_demo.instances.delete(o['subject'])
        stack_invariants.wait_settled(fault_stack, timeout=120)
        print('after it: %s' % sorted((i.name, i.status) for i in _ours(fault_demo)))

        # Nothing half written: counted, nothing reserved, keys, final states.
        assert stack_invariants.check(fault_stack) == []
        assert _sql(fault_stack, 'SELECT project_id, resource, reserved FROM quota_usages '
                                 'WHERE reserved <> 0 OR in_use < 0') == []
        assert _sql(fault_stack, "SELECT id, status FROM instances WHERE deleted = false AND "
                                 "status NOT IN ('ACTIVE', 'ERROR', 'SHUTDOWN')") == []
        # What the API answered was done.
        for o in outcomes:
            if o['kind'] == 'create' and o['status'] == 200:
                wait_status(fault_demo, o['body']['instance']['id'], ('ACTIVE',), timeout=120)
            if o['kind'] == 'delete' and o['status'] == 202:
                wait_gone(fault_demo, o['subject'], timeout=90)
        users = {u.name for u in fault_demo.users.list(maria.id)}
        answered = {o['subject'] for o in outcomes if o['kind'] == 'user' and o['status'] == 202}
        assert answered <= users, 'users the API answered for are missing: %s' % (
            answered - users)
        databases = {d.name for d in fault_demo.databases.list(maria.id)}
        answered = {o['subject'] for o in outcomes
                    if o['kind'] == 'database' and o['status'] == 202}
        assert answered <= databases
    finally:
        for instance in _ours(fault_demo):
            fault_demo.instances.delete(instance.id)
        for instance in _ours(fault_demo):
            wait_gone(fault_demo, instance.id, timeout=120)
    stack_invariants.wait_settled(fault_stack, timeout=60)
    assert stack_invariants.check(fault_stack) == []
