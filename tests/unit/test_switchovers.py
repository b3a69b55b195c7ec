"""Switchover reports and a set's replication status (#17): the task manager's canary run
beside promote and eject (taskmanager/canary.py) on the in-memory driver, with guests and
canary writers that answer at once from a toy replication state; and the two GETs
(/instances/{id}/switchovers, /instances/{id}/replication) through the API in-process.
The engines' canaries have tests of their own (tests/functional/test_replication*.py)."""
import collections
import datetime
import logging
import threading
import time

import pytest
from sqlalchemy import event

from api_service.common import canary_writers
from api_service.db import models
from api_service.db import models_instances as m
from api_service.db import models_replication as r
from api_service.db import session as db_session
from api_service.db.session import session_scope
from api_service.domain import status
from api_service.domain import switchovers
from api_service.taskmanager import canary
from api_service.taskmanager import flows
from api_service.taskmanager import janitor
from api_service.taskmanager import owners
from api_service.taskmanager import replication
from tests.unit import test_replication_api as api_tests
from tests.unit import test_replication_flows as flow_tests
from tests.unit.conftest import OTHER_PROJECT, PROJECT
from tests.unit.test_replication_flows import CTX, begin, replica_set

PASSWORDS = []


# The flows' and the API's fixtures of the replication tests, shared.
@pytest.fixture
def world(conf, tmp_path, monkeypatch):
    yield from flow_tests.world.__wrapped__(conf, tmp_path, monkeypatch)


@pytest.fixture
def api(client, catalogue, conf, monkeypatch):
    yield from api_tests.api.__wrapped__(client, catalogue, conf, monkeypatch)


class Engines:
    """The members' canary rows: which member takes writes, the seq each holds, and how
    many of the source's last writes a replica misses when it is promoted."""

    def __init__(self):
        self.writable = set()
        self.seq = {}
        self.missing = 0
        self.refuse_all = False
        self.lock = threading.Lock()
        # member -> the run token that set its canary account last (the guest's scoping).
        self.account_run = {}
        self.runs = []


class CanaryGuest(flow_tests.ReplicationGuest):
    """The flows' toy guest with the canary account, and writes that follow its fence and
    promote."""

    engines = None

    def replication_canary_account(self, ctx, password, sources, timeout=30, run=None):
        self._called('canary_account', password is not None)
        PASSWORDS.append(password)
        with self.engines.lock:
            self.engines.runs.append(run)
            owner = self.engines.account_run.get(self.instance_id)
            if password is not None:
                self.engines.account_run[self.instance_id] = run
            elif run is None or owner in (None, run):
                self.engines.account_run.pop(self.instance_id, None)
        return {'user': 'os_canary', 'database': 'os_canary', 'target': 'os_canary.beat',
                'port': 3306}

    def replication_fence(self, ctx):
        answer = super().replication_fence(ctx)
        with self.engines.lock:
            self.engines.writable.discard(self.instance_id)
        return answer

    def replication_promote(self, ctx, replica_ids, sources):
        answer = super().replication_promote(ctx, replica_ids, sources)
        with self.engines.lock:
            had = max(self.engines.seq.values() or [0])
            self.engines.seq[self.instance_id] = max(0, had - self.engines.missing)
            self.engines.writable.add(self.instance_id)
        return answer


class Writer:
    def __init__(self, engines, instance_id):
        self.engines, self.instance_id = engines, instance_id

    def write(self, seq):
        with self.engines.lock:
            if self.engines.refuse_all or self.instance_id not in self.engines.writable:
                return False
            self.engines.seq[self.instance_id] = seq
            return True

    def swap(self, seq):
        with self.engines.lock:
            previous = self.engines.seq.get(self.instance_id)
        return self.write(seq), previous

    def read_seq(self):
        return self.engines.seq.get(self.instance_id)

    def close(self):
        pass


@pytest.fixture
def engines(world, monkeypatch):
    found = Engines()
    guest = type('Guest', (CanaryGuest,), {'engines': found})
    monkeypatch.setattr(flows, 'guest_of', lambda instance_id: guest(world, instance_id))
    by_address = {}

    def writer_for(manager, host, port, account, password):
        assert manager == 'mariadb' and account['user'] == 'os_canary' and password
        return Writer(found, by_address[host])

    monkeypatch.setattr(canary_writers, 'writer_for', writer_for)
    monkeypatch.setattr(canary, 'RESUME_DEADLINE', 2)
    found.by_address = by_address
    PASSWORDS.clear()
    return found


def the_set(world, engines):
    source, replicas = replica_set(world)
    with session_scope() as session:
        for instance_id in [source] + replicas:
            engines.by_address[session.get(m.Instance, instance_id).address] = instance_id
    engines.writable.add(source)
    return source, replicas


def report(instance_id, timeout=10):
    """The newest report naming the instance, once it is no longer running."""
    deadline = time.monotonic() + timeout
    while True:
        with session_scope() as session:
            found = session.query(r.Switchover).filter(
                (r.Switchover.old_source_id == instance_id)
                | (r.Switchover.new_source_id == instance_id)).order_by(
                r.Switchover.started.desc()).first()
            if found is not None and (found.status != 'running' or
                                      time.monotonic() > deadline):
                session.expunge(found)
                return found
        assert time.monotonic() < deadline, 'no report for %s' % instance_id
        time.sleep(0.02)


def wait_for(condition, timeout=5):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, 'condition not met'
        time.sleep(0.005)


def canary_calls(world, enabled=None):
    return [c[1] for c in world.calls if c[0] == 'canary_account'
            and (enabled is None or c[2] is enabled)]


# -- the task manager: promote -----------------------------------------------------------

def test_a_promote_reports_its_write_downtime_and_no_write_lost(world, engines, caplog,
                                                                 monkeypatch):
    caplog.set_level(logging.DEBUG)
    # The accounts each member has when the report's final status is written.
    at_the_end, updating = [], switchovers.update

    def update(report_id, **figures):
        if figures.get('status') in ('completed', 'failed'):
            at_the_end.append(dict(engines.account_run))
        return updating(report_id, **figures)
    monkeypatch.setattr(switchovers, 'update', update)
    source, (chosen, other) = the_set(world, engines)
    begin(chosen, 'promote_to_replica_source')
    replication.promote_to_replica_source(CTX, chosen)
    assert flow_tests.row(chosen) == (status.ACTIVE, None)
    found = report(chosen)
    assert (found.operation, found.status, found.old_source_id, found.new_source_id) == (
        'promote', 'completed', source, chosen)
    assert found.project_id == flow_tests.PROJECT
    assert found.started <= found.write_stopped_at < found.write_resumed_at <= found.finished
    assert found.write_downtime_seconds == pytest.approx(
        (found.write_resumed_at - found.write_stopped_at).total_seconds(), abs=0.05)
    assert 0 < found.write_downtime_seconds < 5
    assert found.transactions_lost == 0 and found.detection_seconds is None
    assert found.canary_writes >= 2
    assert found.message is None
    # The account: on the source first, then the others; removed from each before the
    # report says the run ended, by the run that made it.
    made = canary_calls(world, True)
    assert made[0] == source and sorted(made) == sorted([source, chosen, other])
    assert sorted(canary_calls(world, False)) == sorted(made)
    assert at_the_end == [{}]       # removed before the report said the run ended
    assert len(set(engines.runs)) == 1 and None not in engines.runs
    # Set up before the fence; the promote's own calls are unchanged.
    names = [c[0] for c in world.calls]
    assert names.index('canary_account') < names.index('fence')
    # One fresh password for the run, never stored or logged.
    secret = [p for p in PASSWORDS if p][0]
    assert len(set(p for p in PASSWORDS if p)) == 1 and len(secret) >= 24
    assert secret not in caplog.text
    assert secret not in repr({c.name: getattr(found, c.name)
                               for c in r.Switchover.__table__.columns})
    flow_tests.no_secret_anywhere()


def test_a_report_left_running_by_a_dead_task_manager_is_closed_by_anothers_janitor(
        world, engines, monkeypatch):
    source, (chosen, _other) = the_set(world, engines)
    begin(chosen, 'promote_to_replica_source')
    replication.promote_to_replica_source(CTX, chosen)
    assert report(chosen).task_owner == owners.ME      # the measuring task manager
    dead, alive = models.new_id(), models.new_id()
    left = stored(source, chosen, state='running', task_owner=dead)
    ours = stored(source, chosen, state='running', task_owner=alive)
    monkeypatch.setattr(owners, 'may_judge_others', lambda: True)
    monkeypatch.setattr(owners, 'is_gone', lambda session, owner: owner == dead)

    janitor.settle_orphaned()

    with session_scope() as session:
        closed, running = session.get(r.Switchover, left), session.get(r.Switchover, ours)
        assert (closed.status, closed.message) == ('failed', switchovers.ABANDONED)
        assert closed.finished is not None
        assert (running.status, running.finished) == ('running', None)


def test_a_new_source_missing_acknowledged_writes_reports_them_lost(world, engines):
    source, (chosen, _other) = the_set(world, engines)
    engines.missing = 3
    # The source takes a few canary writes before it is fenced.
    world.on_call['fence'] = lambda _id: wait_for(lambda: engines.seq.get(source, 0) > 5)
    begin(chosen, 'promote_to_replica_source')
    replication.promote_to_replica_source(CTX, chosen)
    assert report(chosen).transactions_lost == 3


def test_a_refused_promote_is_a_failed_report_in_the_faults_words(world, engines):
    source, (chosen, other) = the_set(world, engines)
    world.dead.add(other)
    begin(chosen, 'promote_to_replica_source')
    replication.promote_to_replica_source(CTX, chosen)
    found = report(chosen)
    assert found.status == 'failed' and found.finished is not None
    assert found.message == flow_tests.fault(chosen)
    assert 'does not answer' in found.message
    assert found.write_downtime_seconds is None and canary_calls(world) == []


def test_a_canary_that_cannot_start_never_stops_the_promote(world, engines, monkeypatch):
    source, (chosen, other) = the_set(world, engines)

    def refused(self, *args, **kwargs):
        raise RuntimeError('account refused: secret-text')
    monkeypatch.setattr(CanaryGuest, 'replication_canary_account', refused)
    begin(chosen, 'promote_to_replica_source')
    replication.promote_to_replica_source(CTX, chosen)
    assert flow_tests.row(chosen) == (status.ACTIVE, None)
    assert flow_tests.row(source) == (status.ACTIVE, chosen)
    found = report(chosen)
    assert found.status == 'completed' and found.message == canary.NOT_SET_UP
    assert (found.write_downtime_seconds, found.canary_writes, found.transactions_lost) == (
        None, None, None)


def test_a_new_source_that_never_takes_a_canary_write_leaves_the_downtime_unknown(
        world, engines):
    source, (chosen, _other) = the_set(world, engines)
    world.on_call['promote'] = lambda _id: setattr(engines, 'refuse_all', True)
    begin(chosen, 'promote_to_replica_source')
    replication.promote_to_replica_source(CTX, chosen)
    assert flow_tests.row(chosen) == (status.ACTIVE, None)
    found = report(chosen)
    assert found.status == 'completed' and found.message == canary.NO_RESUME
    assert found.write_resumed_at is None and found.write_downtime_seconds is None
    assert found.write_stopped_at is not None and found.canary_failures > 0


def status_of(report_id):
    with session_scope() as session:
        return session.get(r.Switchover, report_id).status


def test_an_earlier_run_ending_leaves_the_later_runs_accounts(world, engines):
    source, replicas = the_set(world, engines)
    members = [source] + replicas
    first = canary.promote(CTX, replicas[0], source)
    second = canary.promote(CTX, replicas[0], source)
    first.start(members, target=source)
    second.start(members, target=source)
    assert engines.account_run == {member: second.token for member in members}
    first.end()         # never switched: a failed run, its thread ends at once
    wait_for(lambda: status_of(first.report_id) != 'running')
    assert engines.account_run == {member: second.token for member in members}
    second.end()
    wait_for(lambda: status_of(second.report_id) != 'running')
    assert engines.account_run == {}


def test_a_member_that_did_not_answer_the_account_call_has_it_removed(
        world, engines, monkeypatch):
    source, (chosen, other) = the_set(world, engines)
    answering = CanaryGuest.replication_canary_account

    def late(self, ctx, password, sources, timeout=30, run=None):
        answer = answering(self, ctx, password, sources, timeout=timeout, run=run)
        if password is not None and self.instance_id == other:
            raise RuntimeError('no answer in time')     # made, but the answer was lost
        return answer
    monkeypatch.setattr(CanaryGuest, 'replication_canary_account', late)
    begin(chosen, 'promote_to_replica_source')
    replication.promote_to_replica_source(CTX, chosen)
    assert report(chosen).status == 'completed'
    assert engines.account_run == {}


def test_an_ejects_account_on_its_new_source_is_removed_after_it_is_made(
        world, engines, monkeypatch):
    source, (first, second) = the_set(world, engines)
    world.dead.add(source)
    answering = CanaryGuest.replication_canary_account
    made, finishing = threading.Event(), threading.Event()
    finish = canary.Run._finish

    def finishing_run(self):
        finishing.set()
        return finish(self)
    monkeypatch.setattr(canary.Run, '_finish', finishing_run)

    def slow_on_the_new_source(self, ctx, password, sources, timeout=30, run=None):
        if password is not None and self.instance_id in engines.writable:
            # The second call (after the promote) answers only once the run is ending:
            # its end must wait for it before removing the accounts.
            wait_for(finishing.is_set)
            answer = answering(self, ctx, password, sources, timeout=timeout, run=run)
            made.set()
            return answer
        return answering(self, ctx, password, sources, timeout=timeout, run=run)
    monkeypatch.setattr(CanaryGuest, 'replication_canary_account', slow_on_the_new_source)
    begin(source, 'eject_replica_source')
    replication.eject_replica_source(CTX, source)
    assert report(source).status == 'completed'
    assert made.is_set() and engines.account_run == {}


# -- the task manager: eject -------------------------------------------------------------

def test_an_eject_reports_detection_and_the_new_sources_first_write(world, engines):
    source, (first, second) = the_set(world, engines)
    world.dead.add(source)
    world.orders.update({first: 5, second: 9})
    heard = models.utcnow() - datetime.timedelta(seconds=12)
    with session_scope() as session:
        row = session.get(m.Instance, source)
        row.operating_status, row.service_status_updated = 'HEALTHY', heard
    begin(source, 'eject_replica_source')
    replication.eject_replica_source(CTX, source)
    assert flow_tests.row(second) == (status.ACTIVE, None)
    found = report(source)
    assert (found.operation, found.status, found.old_source_id, found.new_source_id) == (
        'eject', 'completed', source, second)
    assert found.detection_seconds == pytest.approx(12, abs=2)
    assert found.write_stopped_at is None and found.transactions_lost is None
    assert found.started < found.write_resumed_at
    assert found.write_downtime_seconds == pytest.approx(
        (found.write_resumed_at - found.started).total_seconds(), abs=0.05)
    assert found.message == canary.NO_LOSS_EJECT
    # Every replica's account while the source is probed; the chosen one's again once it
    # is a source (PostgreSQL makes the role there only then).
    assert collections.Counter(canary_calls(world, True)) == {first: 1, second: 2}


def test_an_eject_without_a_healthy_report_has_no_detection_time(world, engines):
    source, (first, second) = the_set(world, engines)
    world.dead.add(source)
    with session_scope() as session:
        session.get(m.Instance, source).operating_status = 'SHUTDOWN'
    begin(source, 'eject_replica_source')
    replication.eject_replica_source(CTX, source)
    found = report(source)
    assert found.status == 'completed' and found.detection_seconds is None


def test_an_eject_refused_while_the_source_answers_is_a_failed_report(world, engines):
    source, replicas = the_set(world, engines)
    begin(source, 'eject_replica_source')
    replication.eject_replica_source(CTX, source)
    found = report(source)
    assert (found.status, found.new_source_id) == ('failed', None)
    assert found.message == 'The source answers; promote a replica instead.'


# -- the API ------------------------------------------------------------------------------

def stored(old, new, operation='promote', started=None, state='completed', **figures):
    with session_scope() as session:
        row = r.Switchover(project_id=PROJECT, operation=operation, status=state,
                           old_source_id=old, new_source_id=new,
                           started=started or models.utcnow(), **figures)
        session.add(row)
        session.flush()
        return row.id


def test_an_instances_switchovers_newest_first_with_both_sources_named(api):
    source_id = api_tests.source(api)
    first, second = api_tests.replicas(api, source_id)
    loner = api_tests.source(api, name='alone')
    t0 = datetime.datetime(2026, 1, 2, 3, 4, 5, 123456)
    older = stored(source_id, first, started=t0, write_stopped_at=t0,
                   write_resumed_at=t0 + datetime.timedelta(seconds=0.25),
                   write_downtime_seconds=0.25, transactions_lost=0, canary_writes=40,
                   canary_failures=3)
    newer = stored(first, None, 'eject', started=t0 + datetime.timedelta(minutes=1),
                   detection_seconds=7.5)
    stored(loner, None, 'eject', started=t0)
    resp = api.get('/instances/%s/switchovers' % second)    # a replica: its source's reports
    assert resp.status_code == 200, resp.body
    shown = resp.json_body_or_none['switchovers']
    assert [s['id'] for s in shown] == [older]      # second's source is source_id
    shown = api.get('/instances/%s/switchovers' % first).json_body_or_none['switchovers']
    assert [s['id'] for s in shown] == [newer, older]
    assert shown[1] == {
        'id': older, 'operation': 'promote', 'status': 'completed',
        'started': '2026-01-02T03:04:05.123456Z', 'finished': None,
        'old_source': {'id': source_id, 'name': 'src'},
        'new_source': {'id': first, 'name': 'rep-1'},
        'detection_seconds': None, 'write_stopped_at': '2026-01-02T03:04:05.123456Z',
        'write_resumed_at': '2026-01-02T03:04:05.373456Z', 'write_downtime_seconds': 0.25,
        'transactions_lost': 0, 'canary_writes': 40, 'canary_failures': 3,
        'message': None}
    assert shown[0]['new_source'] is None and shown[0]['detection_seconds'] == 7.5
    # Paged as backups are.
    page = api.get('/instances/%s/switchovers?limit=1' % first).json_body_or_none
    assert [s['id'] for s in page['switchovers']] == [newer]
    assert 'marker=%s' % newer in page['links'][0]['href']
    page = api.get('/instances/%s/switchovers?limit=1&marker=%s' % (first, newer)
                   ).json_body_or_none
    assert [s['id'] for s in page['switchovers']] == [older] and page['links'] == []
    # Another project's instance is not found; a reader may read.
    assert api.get('/instances/%s/switchovers' % first,
                   project=OTHER_PROJECT).status_code == 404
    assert api.get('/instances/%s/switchovers' % first, roles='reader').status_code == 200
    assert api.get('/instances/%s/switchovers?limit=0' % first).status_code == 400


def test_reports_outlive_their_instances(api):
    source_id = api_tests.source(api)
    first, second = api_tests.replicas(api, source_id)
    kept = stored(source_id, first)
    with session_scope() as session:
        gone = session.get(m.Instance, first)
        gone.deleted, gone.replica_of_id = True, None
    shown = api.get('/instances/%s/switchovers' % source_id).json_body_or_none['switchovers']
    assert [(s['id'], s['new_source']) for s in shown] == [
        (kept, {'id': first, 'name': 'rep-1'})]


class StatusGuests:
    """replication_status answers by member id: a dict, an exception, or a delay first."""

    def __init__(self):
        self.answers, self.delay, self.asked = {}, {}, []

    def __call__(self, ctx, member):
        self.asked.append(member.id)
        time.sleep(self.delay.get(member.id, 0))
        answer = self.answers.get(member.id)
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def status_guests(monkeypatch):
    guests = StatusGuests()
    monkeypatch.setattr(switchovers, '_ask', guests)
    return guests


def test_a_sets_replication_asks_every_member_at_once(api, status_guests, monkeypatch):
    source_id = api_tests.source(api)
    first, second = api_tests.replicas(api, source_id)
    monkeypatch.setattr(switchovers, 'STATUS_TIMEOUT', 0.6)
    status_guests.answers = {
        source_id: {'role': 'source', 'lag_seconds': None, 'healthy': True},
        first: {'role': 'replica', 'lag_seconds': 2, 'healthy': True},
        second: {'role': 'replica', 'lag_seconds': 0.5, 'healthy': False}}
    status_guests.delay = {source_id: 0.3, first: 0.3, second: 5}     # second: too slow
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db_session.get_reader(), 'before_cursor_execute', listener)
    began = time.monotonic()
    try:
        resp = api.get('/instances/%s/replication' % first)
    finally:
        event.remove(db_session.get_reader(), 'before_cursor_execute', listener)
    took = time.monotonic() - began
    assert resp.status_code == 200, resp.body
    assert took < 1.5            # at once: not 0.3 + 0.3 + the slow one's timeout
    assert len(statements) <= 1, statements   # the set in one query (the reader's)
    assert resp.json_body_or_none == {'replication': {
        'source': {'id': source_id, 'name': 'src', 'status': 'ACTIVE'},
        'members': [
            {'id': source_id, 'name': 'src', 'role': 'source', 'status': 'ACTIVE',
             'lag_seconds': None, 'healthy': True, 'reason': None, 'problem': None},
            {'id': first, 'name': 'rep-1', 'role': 'replica', 'status': 'ACTIVE',
             'lag_seconds': 2.0, 'healthy': True, 'reason': None, 'problem': None},
            {'id': second, 'name': 'rep-2', 'role': 'replica', 'status': 'ACTIVE',
             'lag_seconds': None, 'healthy': None, 'reason': None, 'problem': None}]}}


def test_a_replica_whose_slot_is_lost_says_what_to_do_in_the_services_words(
        api, status_guests):
    source_id = api_tests.source(api)
    first, _ = api_tests.replicas(api, source_id)
    status_guests.answers = {
        source_id: {'role': 'source', 'healthy': True},
        first: {'role': 'replica', 'lag_seconds': None, 'healthy': False,
                'reason': 'slot_lost', 'message': 'engine text /var/lib/x'},
    }
    members = {m['id']: m for m in api.get('/instances/%s/replication' % source_id
                                           ).json_body_or_none['replication']['members']}
    assert members[first]['reason'] == 'slot_lost'
    assert members[first]['problem'].startswith("The source no longer keeps this replica's")
    assert 'create a new one' in members[first]['problem']
    assert '/var/lib' not in str(members)        # the guest's own text is not shown
    assert (members[source_id]['reason'], members[source_id]['problem']) == (None, None)


def test_a_member_that_fails_or_is_building_shows_nothing(api, status_guests):
    source_id = api_tests.source(api)
    first, second = api_tests.replicas(api, source_id)
    status_guests.answers = {source_id: RuntimeError('no'),
                             first: {'role': 'replica', 'lag_seconds': 1, 'healthy': True}}
    api_tests.settle(second, transition=lambda instance: None, status=status.BUILD)
    members = api.get('/instances/%s/replication' % source_id
                      ).json_body_or_none['replication']['members']
    assert [(s['lag_seconds'], s['healthy']) for s in members] == [
        (None, None), (1.0, True), (None, None)]
    assert second not in status_guests.asked


def test_a_standalone_instance_has_no_replication_and_others_see_nothing(
        api, status_guests):
    loner = api_tests.source(api, name='alone')
    resp = api.get('/instances/%s/replication' % loner)
    assert resp.status_code == 200 and resp.json_body_or_none == {'replication': None}
    assert status_guests.asked == []
    assert api.get('/instances/%s/replication' % loner,
                   project=OTHER_PROJECT).status_code == 404
    assert api.get('/instances/%s/replication' % loner, roles='reader').status_code == 200


# -- the migration ----------------------------------------------------------------------------

def test_the_migration_adds_and_removes_the_switchovers_table(database_url):
    import sqlalchemy as sa
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from api_service.db import migration

    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            cfg = migration._config(connection)
            if MigrationContext.configure(connection).get_current_revision() is None:
                command.upgrade(cfg, '0021')
            else:
                command.downgrade(cfg, '0021')
            assert 'switchovers' not in sa.inspect(connection).get_table_names()
            command.upgrade(cfg, '0022')
            inspector = sa.inspect(connection)
            columns = {c['name'] for c in inspector.get_columns('switchovers')}
            indexes = {i['name'] for i in inspector.get_indexes('switchovers')}
            command.upgrade(cfg, 'head')
    finally:
        engine.dispose()
    assert columns == {c.name for c in r.Switchover.__table__.columns}
    assert indexes == {'ix_switchovers_old_source', 'ix_switchovers_new_source',
                       'ix_switchovers_status'}
