"""The task manager's replication flows (taskmanager/replication.py) on the in-memory driver,
with guests that answer at once and keep a toy replication state: which calls go to which
member in which order, what the rows say afterwards, and what a tenant reads when a step
fails (never the replication password)."""
import json
import time

import oslo_messaging as messaging
import pytest

from api_service.common import exceptions
from api_service.common.context import RequestContext
from api_service.db import models_backups as b
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import backups
from api_service.domain import instances
from api_service.domain import status
from api_service.drivers import compute
from api_service.rpc import secure
from api_service.taskmanager import flows
from api_service.taskmanager import replication
from tests.unit import memory_driver

PROJECT = 'c' * 32
SECRET = 'repl-secret-pw'
CTX = {'project_id': PROJECT, 'user_id': 'u'}


class World:
    """What the fake guests share: every call in order, the members that do not answer,
    each member's replication position, and failures to raise once."""

    def __init__(self):
        self.calls = []
        self.dead = set()
        self.orders = {}
        self.failures = {}      # method -> exception raised by its next call
        self.answers = {}       # method -> what its next call answers
        self.roles = {}         # instance id -> the role its position says (else replica)
        self.on_call = {}       # method -> called (with the instance id) before it answers


class ReplicationGuest:
    """A guest that answers at once; prepare and backups end as the conductor would end
    them on the guest's report."""

    def __init__(self, world, instance_id):
        self.world, self.instance_id = world, instance_id

    def _called(self, method, *args):
        self.world.calls.append((method, self.instance_id) + args)
        if self.instance_id in self.world.dead:
            raise messaging.MessagingTimeout('no answer')
        if method in self.world.on_call:
            self.world.on_call.pop(method)(self.instance_id)
        if method in self.world.failures:
            raise self.world.failures.pop(method)

    def ping(self, ctx, timeout=2):
        self._called('ping')
        return 'pong'

    def prepare(self, ctx, databases, users, restore=None, replica_of=None, **kwargs):
        self._called('prepare', [link['id'] for link in restore or []], replica_of)
        with session_scope() as session:
            status.finish(session.get(m.Instance, self.instance_id))

    def create_backup(self, ctx, backup_id, location, parent):
        self._called('create_backup')
        if self.world.answers.pop('create_backup', None) == 'running':
            return      # still being made; the test ends it
        backups.complete(self.instance_id, backup_id, 10, 'sha256:x', {'gtid': '0-1-5'})

    def replication_enable_source(self, ctx, replica_ids, sources):
        self._called('enable_source', sorted(replica_ids), sorted(sources))
        return {'host': 'h', 'port': 1, 'user': 'os_repl', 'password': SECRET,
                'seed': self.world.answers.pop('seed', 'backup')}

    def replication_forget_replica(self, ctx, replica_id):
        self._called('forget_replica', replica_id)

    def replication_detach(self, ctx):
        self._called('detach')

    def replication_position(self, ctx, timeout=30):
        self._called('position')
        order = self.world.orders.get(self.instance_id, 0)
        role = self.world.roles.get(self.instance_id, 'replica')
        return {'role': role, 'order': order, 'token': str(order), 'running': True}

    def replication_fence(self, ctx):
        self._called('fence')
        return {'order': 7, 'token': '7'}

    def replication_unfence(self, ctx):
        self._called('unfence')

    def replication_wait_for(self, ctx, token, wait):
        self._called('wait_for', token)
        return self.world.answers.pop('wait_for', True)

    def replication_promote(self, ctx, replica_ids, sources):
        self._called('promote', sorted(replica_ids))
        return {'host': self.instance_id, 'password': SECRET, 'seed': 'backup'}

    def replication_follow(self, ctx, source_info, was_source=False):
        assert source_info['replica_id'] == self.instance_id     # its own slot, by its id
        self._called('follow', source_info['host'], was_source)


class PlacedOnceDriver(memory_driver.MemoryDriver):
    """Placing a placed instance again keeps its placement (as the local driver does)."""

    def place(self, instance_id):
        placed = self.describe(instance_id)
        return placed if placed and placed.address else super().place(instance_id)


@pytest.fixture
def world(conf, tmp_path, monkeypatch):
    conf.set_override('master_key', secure.new_key(), 'instance')
    conf.set_override('compute_driver', 'memory')
    conf.set_override('storage_root', str(tmp_path / 'backups'), 'backup')
    compute.register('memory', 'tests.unit.test_replication_flows:PlacedOnceDriver')
    compute.get_driver.cache_clear()
    from api_service.domain import catalogue_admin
    catalogue_admin.upsert_datastore_version('mariadb', '10.11', '10.11.19', 'mariadb',
                                             '/usr/sbin',
                                             capabilities='access,backups,replication')
    shared = World()
    monkeypatch.setattr(flows, '_guest', lambda instance_id: ReplicationGuest(shared,
                                                                              instance_id))
    monkeypatch.setattr(flows, 'guest_of', flows._guest)
    monkeypatch.setattr(replication, 'POLL_INTERVAL', 0.01)
    yield shared
    conf.clear_override('compute_driver')
    conf.clear_override('master_key', 'instance')
    conf.clear_override('storage_root', 'backup')
    compute.DRIVERS.pop('memory', None)
    compute.get_driver.cache_clear()


def new_instance(name, replica_of=None, build=True):
    ctx = RequestContext(project_id=PROJECT, user_id='u')
    view, plan = instances.create(ctx, {'name': name, 'flavorRef': '1', 'volume': {'size': 1},
                                        'datastore': {'type': 'mariadb', 'version': '10.11'}})
    instance_id = view.instance.id
    if replica_of:
        with session_scope() as session:
            session.get(m.Instance, instance_id).replica_of_id = replica_of
    if build:
        flows.create(CTX, instance_id, [], [], None)
    return instance_id


def row(instance_id):
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id)
        return instance.status, instance.replica_of_id


def fault(instance_id):
    with session_scope() as session:
        found = session.query(m.InstanceFault.message).filter_by(
            instance_id=instance_id).order_by(m.InstanceFault.created.desc()).first()
        return found[0] if found else None


def steps(instance_id, operation):
    with session_scope() as session:
        return [(e.step, e.outcome) for e in session.query(m.InstanceEvent).filter_by(
            instance_id=instance_id, operation=operation).order_by(m.InstanceEvent.started,
                                                                   m.InstanceEvent.id)]


def begin(instance_id, operation):
    with session_scope() as session:
        status.begin(session.get(m.Instance, instance_id), operation, 60)


def no_secret_anywhere():
    with session_scope() as session:
        texts = [json.dumps([e.message for e in session.query(m.InstanceEvent)]),
                 json.dumps([(f.message, f.details) for f in session.query(m.InstanceFault)]),
                 json.dumps([(x.name, x.description, x.fail_reason)
                             for x in session.query(b.Backup)])]
    assert not [text for text in texts if SECRET in text]


def replica_set(world):
    source = new_instance('src')
    replicas = sorted([new_instance('src-1', source), new_instance('src-2', source)])
    world.calls.clear()
    return source, replicas


def test_replicas_are_seeded_from_a_snapshot_that_goes_once_they_are_built(world):
    source = new_instance('src')
    replicas = [new_instance('rep-%d' % i, source, build=False) for i in (1, 2)]
    world.calls.clear()
    replication.create_replicas(CTX, source, replicas)
    assert [row(r) for r in replicas] == [(status.ACTIVE, source)] * 2
    assert row(source) == (status.ACTIVE, None)
    enabled = [c for c in world.calls if c[0] == 'enable_source']
    with session_scope() as session:
        addresses = sorted('%s/32' % session.get(m.Instance, r).address for r in replicas)
        snapshot = session.query(b.Backup).filter_by(instance_id=source).one()
    assert enabled == [('enable_source', source, sorted(replicas),
                        sorted(addresses + ['127.0.0.1/32']))]
    prepares = [c for c in world.calls if c[0] == 'prepare']
    assert sorted(c[1] for c in prepares) == sorted(replicas)
    assert {c[2][0] for c in prepares} == {snapshot.id}           # restored from it
    assert all(c[3]['password'] == SECRET for c in prepares)      # and told to follow
    assert all(c[3]['replica_id'] == c[1] for c in prepares)      # as itself
    assert snapshot.name == 'Replication snapshot for rep-1'
    assert 'removed once they are built' in snapshot.description
    assert snapshot.status == 'DELETED' and snapshot.deleted
    assert [s for s in steps(replicas[0], 'create')][:2] == [('source', 'SUCCESS'),
                                                            ('snapshot', 'SUCCESS')]
    no_secret_anywhere()


@pytest.mark.parametrize('seed', ['stream', 'sync'])
def test_replicas_that_copy_the_source_themselves_take_no_snapshot(world, seed):
    """A strategy whose replicas copy the source's data over replication (PostgreSQL's
    'stream', Redis's 'sync'): no backup of the source is taken, and each replica is
    prepared empty, told whom to follow."""
    world.answers['seed'] = seed
    source = new_instance('src')
    replicas = [new_instance('rep-%d' % i, source, build=False) for i in (1, 2)]
    world.calls.clear()
    replication.create_replicas(CTX, source, replicas)
    assert [row(r) for r in replicas] == [(status.ACTIVE, source)] * 2
    assert row(source) == (status.ACTIVE, None)
    with session_scope() as session:
        assert session.query(b.Backup).count() == 0
    assert not [c for c in world.calls if c[0] == 'create_backup']
    prepares = sorted(c for c in world.calls if c[0] == 'prepare')
    assert [(c[1], c[2]) for c in prepares] == [(r, []) for r in sorted(replicas)]
    assert all(c[3]['password'] == SECRET and c[3]['seed'] == seed for c in prepares)
    assert all(c[3]['replica_id'] == c[1] for c in prepares)
    assert [s for s in steps(replicas[0], 'create')][:1] == [('source', 'SUCCESS')]
    assert 'snapshot' not in [s[0] for s in steps(replicas[0], 'create')]
    no_secret_anywhere()


def test_a_source_that_cannot_serve_replicas_fails_them_in_words(world):
    source = new_instance('src')
    replicas = [new_instance('rep-%d' % i, source, build=False) for i in (1, 2)]
    world.failures['enable_source'] = exceptions.BadRequest(
        'The engine refused the replication account.')
    replication.create_replicas(CTX, source, replicas)
    assert [row(r)[0] for r in replicas] == [status.ERROR] * 2
    assert fault(replicas[0]) == ("Preparing the replica's source src failed: The engine "
                                  "refused the replication account.")
    assert row(source) == (status.ACTIVE, None)
    assert ('forget_replica', source, replicas[1]) in world.calls
    with session_scope() as session:
        assert session.query(b.Backup).count() == 0
    no_secret_anywhere()


def test_promote_fences_waits_promotes_and_repoints_every_member(world):
    source, (chosen, other) = replica_set(world)
    begin(chosen, 'promote_to_replica_source')
    replication.promote_to_replica_source(CTX, chosen)
    assert row(chosen) == (status.ACTIVE, None)
    assert row(other) == (status.ACTIVE, chosen) and row(source) == (status.ACTIVE, chosen)
    acts = [c for c in world.calls if c[0] != 'ping']
    assert acts == [('fence', source), ('wait_for', chosen, '7'), ('wait_for', other, '7'),
                    ('promote', chosen, sorted([other, source])),
                    # The old source first: its fence (Redis's pause) ends by itself.
                    ('follow', source, chosen, True), ('follow', other, chosen, False)]
    assert [s for s, _ in steps(chosen, 'promote_to_replica_source')] == [
        'check members', 'fence writes', 'catch up', 'promote', 'old source follows',
        'repoint replicas']
    no_secret_anywhere()


def test_promote_is_refused_unchanged_while_a_member_does_not_answer(world):
    source, (chosen, other) = replica_set(world)
    world.dead.add(source)
    begin(chosen, 'promote_to_replica_source')
    replication.promote_to_replica_source(CTX, chosen)
    assert row(chosen) == (status.ACTIVE, source) and row(other) == (status.ACTIVE, source)
    assert fault(chosen) == ('Instance src does not answer: promote needs every member; '
                             'eject the source if it is gone.')
    assert [c for c in world.calls if c[0] != 'ping'] == []


def test_a_replica_that_does_not_catch_up_gives_the_source_its_writes_back(world):
    source, (chosen, other) = replica_set(world)
    world.answers['wait_for'] = False
    begin(chosen, 'promote_to_replica_source')
    replication.promote_to_replica_source(CTX, chosen)
    assert row(chosen) == (status.ACTIVE, source)
    assert 'did not catch up with the source within 60 s' in fault(chosen)
    assert ('unfence', source) in world.calls
    assert not [c for c in world.calls if c[0] == 'promote']


def test_eject_is_refused_while_the_source_answers(world):
    source, replicas = replica_set(world)
    begin(source, 'eject_replica_source')
    replication.eject_replica_source(CTX, source)
    assert row(source) == (status.ACTIVE, None)
    assert fault(source) == 'The source answers; promote a replica instead.'
    assert not [c for c in world.calls if c[0] == 'promote']


def test_eject_promotes_the_most_advanced_replica_and_fails_the_old_source(world):
    source, (first, second) = replica_set(world)
    world.dead.add(source)
    world.orders.update({first: 5, second: 9})
    begin(source, 'eject_replica_source')
    replication.eject_replica_source(CTX, source)
    assert row(second) == (status.ACTIVE, None) and row(first) == (status.ACTIVE, second)
    assert row(source) == (status.ERROR, None)
    assert fault(source) == ('Instance src was ejected as the replication source: it did not '
                             'answer. Instance %s (%s) is the source now.'
                             % (replication._name(second), second))
    assert ('promote', second, [first]) in world.calls
    assert ('follow', first, second, False) in world.calls
    assert steps(source, 'eject_replica_source') == [
        ('check source', 'SUCCESS'), ('positions', 'SUCCESS'), ('promote', 'SUCCESS'),
        ('repoint replicas', 'SUCCESS')]
    with session_scope() as session:
        compared = session.query(m.InstanceEvent.message).filter_by(
            instance_id=source, step='positions').one()[0]
    assert set(compared.split(', ')) == {'%s at 5' % replication._name(first),
                                         '%s at 9' % replication._name(second)}


def test_eject_ties_go_to_the_first_replica_by_id(world):
    source, (first, second) = replica_set(world)
    world.dead.add(source)
    world.orders.update({first: 4, second: 4})
    begin(source, 'eject_replica_source')
    replication.eject_replica_source(CTX, source)
    assert row(first) == (status.ACTIVE, None) and row(second) == (status.ACTIVE, first)


def test_detach_makes_a_standalone_instance_and_the_source_forgets_it(world):
    source, (replica, _) = replica_set(world)
    begin(replica, 'detach_replica')
    replication.detach_replica(CTX, replica)
    assert row(replica) == (status.ACTIVE, None)
    assert [c for c in world.calls if c[0] != 'ping'] == [
        ('detach', replica), ('forget_replica', source, replica)]


def test_a_deleted_replica_is_forgotten_and_a_silent_source_never_stops_the_delete(world):
    source, (first, second) = replica_set(world)
    ctx = RequestContext(project_id=PROJECT, user_id='u')
    instances.mark_deleting(ctx, first)
    flows.delete(CTX, first)
    assert ('forget_replica', source, first) in world.calls
    world.dead.add(source)
    instances.mark_deleting(ctx, second)
    flows.delete(CTX, second)
    with session_scope() as session:
        assert session.get(m.Instance, second).deleted


class RecordingClient:
    """Stands in for the oslo.messaging client under GuestAPI: records what is sent."""

    def __init__(self, sent, answer):
        self.sent, self.answer, self.options = sent, answer, {}

    def prepare(self, **options):
        client = RecordingClient(self.sent, self.answer)
        client.options = dict(self.options, **options)
        return client

    def call(self, ctx, method, **kwargs):
        self.sent.append((method, self.options, kwargs))
        return self.answer

    def cast(self, ctx, method, **kwargs):
        self.sent.append((method, self.options, kwargs))


def test_the_guest_client_sends_replication_calls_as_1_3():
    from api_service.rpc import guest_client
    sent = []
    guest = guest_client.GuestAPI.__new__(guest_client.GuestAPI)
    guest._client = RecordingClient(sent, {'result': True})
    assert guest.replication_wait_for({}, '0-1-9', 60) is True
    assert sent[-1] == ('replication_wait_for', {'timeout': 75, 'version': '1.3'},
                        {'token': '0-1-9', 'timeout': 60})
    guest.prepare({}, [], [], None, replica_of={'password': SECRET})
    assert sent[-1][1] == {'version': '1.3'} and sent[-1][2]['replica_of'] == {
        'password': SECRET}
    guest.prepare({}, [], [], None)
    assert sent[-1][1] == {} and 'replica_of' not in sent[-1][2]
    guest._client = RecordingClient(sent, {'error': {'code': 409, 'message': 'Busy.'}})
    with pytest.raises(exceptions.Conflict, match='Busy.'):
        guest.replication_promote({}, ['r'], ['10.0.0.1/32'])


def test_a_failed_promote_of_a_replica_still_a_replica_gives_the_source_its_writes_back(world):
    source, (chosen, other) = replica_set(world)
    world.failures['promote'] = exceptions.Conflict('The engine refused.')
    begin(chosen, 'promote_to_replica_source')
    replication.promote_to_replica_source(CTX, chosen)
    assert ('position', chosen) in world.calls and ('unfence', source) in world.calls
    assert row(chosen) == (status.ACTIVE, source) and row(source) == (status.ACTIVE, None)
    assert fault(chosen) == ('Promoting the replica failed; it is still a replica and its '
                             'source src takes writes again: The engine refused.')
    assert fault(source) is None


def test_a_promote_that_failed_half_way_keeps_the_source_fenced_and_says_so(world):
    source, (chosen, other) = replica_set(world)
    world.failures['promote'] = exceptions.Conflict('The engine failed.')
    world.roles[chosen] = 'source'
    begin(chosen, 'promote_to_replica_source')
    replication.promote_to_replica_source(CTX, chosen)
    assert ('unfence', source) not in world.calls
    name = replication._name(chosen)
    assert row(chosen)[0] == status.ERROR
    assert 'its source src still refuses writes' in fault(chosen)
    assert fault(source).startswith('A promote of replica %s failed and whether %s takes '
                                    'writes is not known, so this source still refuses '
                                    'writes' % (name, name))
    assert 'Delete %s, then promote another replica' % name in fault(source)


def test_a_snapshot_that_failed_is_removed_and_the_replicas_fail(world):
    source = new_instance('src')
    replicas = [new_instance('rep-%d' % i, source, build=False) for i in (1, 2)]
    world.failures['create_backup'] = exceptions.Conflict('The disk is full.')
    replication.create_replicas(CTX, source, replicas)
    assert [row(r)[0] for r in replicas] == [status.ERROR] * 2
    assert 'The snapshot of the source failed' in fault(replicas[0])
    with session_scope() as session:
        snapshot = session.query(b.Backup).filter_by(instance_id=source).one()
        assert (snapshot.status, snapshot.deleted) == ('DELETED', True)


def test_a_snapshot_still_running_at_the_build_deadline_is_removed_once_it_ends(world):
    import datetime
    import threading
    from api_service.db import models
    source = new_instance('src')
    replicas = [new_instance('rep-%d' % i, source, build=False) for i in (1, 2)]
    world.answers['create_backup'] = 'running'

    def past_deadline(instance_id):     # the snapshot starts as the build deadline passes
        with session_scope() as session:
            for replica_id in replicas:
                session.get(m.Instance, replica_id).task_deadline = (
                    models.utcnow() - datetime.timedelta(seconds=1))
    world.on_call['create_backup'] = past_deadline
    flow = threading.Thread(target=replication.create_replicas, args=(CTX, source, replicas))
    flow.start()

    def snapshot():
        with session_scope() as session:
            return session.query(b.Backup).filter_by(instance_id=source).one_or_none()

    ended = False
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not ended:
        made = snapshot()
        if made is not None and made.status == backups.BUILDING and \
                row(replicas[0])[0] == status.ERROR:
            backups.fail(source, made.id, 'Ended by the test.')
            ended = True
        time.sleep(0.01)
    flow.join(10)
    assert ended and not flow.is_alive()
    assert "within the replicas' build deadline" in fault(replicas[0])
    assert (snapshot().status, snapshot().deleted) == ('DELETED', True)


def test_a_replica_deleted_while_it_is_promoted_leaves_the_set_as_its_engines_are(world):
    source, (chosen, other) = replica_set(world)
    ctx = RequestContext(project_id=PROJECT, user_id='u')
    world.on_call['promote'] = lambda _: instances.mark_deleting(ctx, chosen)
    begin(chosen, 'promote_to_replica_source')
    replication.promote_to_replica_source(CTX, chosen)
    assert row(other) == (status.ACTIVE, source) and row(source) == (status.ACTIVE, None)
    assert not [c for c in world.calls if c[0] == 'follow']
    assert ('unfence', source) in world.calls
    name = replication._name(chosen)
    assert fault(source) == ('Instance %s was deleted while it became the replication '
                             'source; this instance is still the source and takes writes '
                             'again.' % name)
    assert fault(other) == ('Instance %s was deleted while it became the replication source; '
                            'this replica still follows its source.' % name)


def test_a_replica_deleted_during_a_promote_is_not_repointed(world):
    source, (chosen, other) = replica_set(world)
    ctx = RequestContext(project_id=PROJECT, user_id='u')
    world.on_call['promote'] = lambda _: instances.mark_deleting(ctx, other)
    begin(chosen, 'promote_to_replica_source')
    replication.promote_to_replica_source(CTX, chosen)
    assert row(chosen) == (status.ACTIVE, None) and row(source) == (status.ACTIVE, chosen)
    assert row(other) == (status.DELETING, source)
    assert ('follow', other, chosen, False) not in world.calls


def test_an_ejected_source_whose_guest_answers_is_fenced_first(world):
    source, (first, second) = replica_set(world)
    world.failures['position'] = exceptions.Conflict('The engine does not answer.')
    world.orders.update({first: 5, second: 9})
    begin(source, 'eject_replica_source')
    replication.eject_replica_source(CTX, source)
    acts = [c[:2] for c in world.calls if c[0] in ('fence', 'promote')]
    assert acts == [('fence', source), ('promote', second)]
    assert row(source) == (status.ERROR, None) and row(second) == (status.ACTIVE, None)
    assert fault(source).startswith('Instance src was ejected as the replication source: its '
                                    'guest answered but its engine did not; it was told to '
                                    'refuse writes.')
