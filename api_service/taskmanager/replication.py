"""The task manager's replication operations: replicas made from a source, promote (a
switchover while every member answers), eject (the source is gone), detach.

The guests do the engine's part (guestagent/replication: one strategy per engine); this
module decides the order, records each step on the instance acted on, and keeps the rows'
`replica_of_id` equal to what the engines now follow. A source_info (what a replica needs to
follow its source) holds the replication password: it only ever travels in sealed RPC and
is never logged or written to an event or a fault.
"""
import contextlib
import logging
import threading
import time

from sqlalchemy import select

from api_service.common import context
from api_service.common import exceptions
from api_service.common.config import CONF
from api_service.db import models
from api_service.db import models_backups as b
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import access
from api_service.domain import backup_deletes
from api_service.domain import backups as backups_domain
from api_service.domain import events
from api_service.domain import faults
from api_service.domain import replication as replication_domain
from api_service.domain import status
from api_service.drivers.compute import get_driver
from api_service.taskmanager import canary
from api_service.taskmanager import flows
from api_service.taskmanager import owners

LOG = logging.getLogger(__name__)

CREATE, PROMOTE, EJECT, DETACH = ('create', 'promote_to_replica_source',
                                  'eject_replica_source', 'detach_replica')
# A ping's wait, a replica's catch-up and eject's probe of the source: in the domain,
# which computes the operations' deadlines from them.
PING_TIMEOUT = replication_domain.PING_TIMEOUT
CATCH_UP_SECONDS = replication_domain.CATCH_UP_SECONDS
SOURCE_PROBE_TIMEOUT = replication_domain.SOURCE_PROBE_TIMEOUT
# How often rows are read again while waiting for a backup or the replicas' builds.
POLL_INTERVAL = 0.5
# How often the snapshot's row is read while the replicas wait for it (one row by its key:
# the replicas' build starts within this of the snapshot's end).
SNAPSHOT_POLL_INTERVAL = 0.1
# After the replicas' build deadline, the janitor fails them; this much later the wait ends
# whatever the rows say (the snapshot is removed then).
BUILD_GRACE_SECONDS = 30


def _request_context(ctx, project_id):
    """A context of the source's project for the domain's calls (a backup's quota and
    rows are the project's)."""
    user_id = ctx.get('user_id') if isinstance(ctx, dict) else getattr(ctx, 'user_id', None)
    return context.RequestContext(project_id=project_id, user_id=user_id or 'taskmanager',
                                  is_admin=False)


def _row(instance_id):
    """(name, address, replica_of_id, project_id, status), or None once deleted."""
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id)
        if instance is None or instance.deleted:
            return None
        return (instance.name, instance.address, instance.replica_of_id, instance.project_id,
                instance.status)


def _name(instance_id):
    row = _row(instance_id)
    return row[0] if row else instance_id


def _replicas_of(source_id):
    """The live replicas of a source, by id."""
    with session_scope() as session:
        return list(session.scalars(select(m.Instance.id).where(
            m.Instance.replica_of_id == source_id, m.Instance.deleted.is_(False))
            .order_by(m.Instance.id)))


def _sources_for(instance_ids):
    """What a source admits replication from: each member's address, and the service's
    own hosts (engines on one host connect from its loopback address)."""
    with session_scope() as session:
        addresses = [session.get(m.Instance, instance_id).address for instance_id in instance_ids]
    return access.collapse(['%s/32' % address for address in addresses if address]
                           + access.service_cidrs())


def _for_member(info, member_id):
    """The source_info one member follows: the source's, naming the member (PostgreSQL's
    slot on the source is the member's)."""
    return dict(info, replica_id=member_id)


def _token(position):
    """What wait_for takes, of what fence answered (a position, or the token itself)."""
    return position.get('token') if isinstance(position, dict) else position


@contextlib.contextmanager
def _step_on(instance_ids, operation, name, message=''):
    """One step recorded on several instances (a create's on each replica)."""
    event_ids = [events.start(instance_id, operation, name, message)
                 for instance_id in instance_ids]
    try:
        yield
    except Exception as error:
        for event_id in event_ids:
            events.finish(event_id, events.FAILED, events.readable(error))
        raise
    for event_id in event_ids:
        events.finish(event_id, events.SUCCESS)


def forget_on_source(ctx, source_id, replica_id):
    """Best effort: the source drops what it kept for a replica that is deleted or
    detached (PostgreSQL: its slot, which would otherwise hold WAL for ever). A source that
    does not answer is logged for admins; the caller's operation goes on."""
    if _row(source_id) is None:
        return False
    guest = flows.guest_of(source_id)
    try:
        guest.ping(ctx, timeout=PING_TIMEOUT)
        guest.replication_forget_replica(ctx, replica_id)
        return True
    except Exception as error:
        LOG.warning('instance %s: its source %s did not forget it (%s: %s); an administrator '
                    'may have to remove what the source kept for it (a replication slot)',
                    replica_id, source_id, type(error).__name__, events.readable(error))
        return False


# -- create -------------------------------------------------------------------------------

def create_replicas(ctx, source_id, replica_ids):
    """Make `replica_ids` (rows in BUILD) replicas of `source_id`: the source serves them,
    a snapshot backup of it seeds them (only for seed 'backup': replicas that copy the
    source themselves, 'stream' and 'sync', are prepared empty and take no snapshot), then
    each replica is built by the create flow, restored from the snapshot and following the
    source. The snapshot is deleted once every replica's build ended, never before."""
    replica_ids = list(replica_ids)
    snapshot_id, handed_over = None, False
    try:
        with _step_on(replica_ids, CREATE, 'source', 'replication enabled on the source'):
            replica_ids = _place(replica_ids)
            if not replica_ids:
                return
            info = flows.guest_of(source_id).replication_enable_source(
                ctx, replica_ids, _sources_for(replica_ids))
        chain = None
        if info.get('seed', 'backup') == 'backup':
            with _step_on(replica_ids, CREATE, 'snapshot', 'backup of the source'):
                # Known before it is awaited: removed below however the wait ends.
                snapshot_id = _start_snapshot(ctx, source_id, replica_ids)
                _await_snapshot(snapshot_id, replica_ids)
                source_row = _row(source_id)
                rctx = _request_context(ctx, source_row[3] if source_row else None)
                _, chain = backups_domain.restore_chain(rctx, snapshot_id)
        handed_over = True
        builds = [threading.Thread(target=flows.create, name='create_replica',
                                   args=(ctx, replica_id, [], [], chain,
                                         _for_member(info, replica_id)), daemon=True)
                  for replica_id in replica_ids]
        for build in builds:
            build.start()
        for build in builds:
            build.join()
        _await_builds(replica_ids)
    except Exception as error:
        if handed_over:
            LOG.exception('replicas of %s: waiting for their builds failed', source_id)
        else:
            _fail_replicas(ctx, source_id, replica_ids, error)
    finally:
        if snapshot_id:
            _remove_snapshot(ctx, source_id, snapshot_id)


def _place(replica_ids):
    """Place every replica first: the source admits replication from their addresses.
    Returns the ids still to build (a replica deleted meanwhile is left out)."""
    driver = get_driver()
    placed = []
    for replica_id in replica_ids:
        if _row(replica_id) is not None and driver.place(replica_id) is not None:
            placed.append(replica_id)
    return placed


def _fail_replicas(ctx, source_id, replica_ids, error):
    """Before the replicas' own builds: each fails with the reason in words, and the
    source forgets them; the source itself runs on as it was."""
    if isinstance(error, flows.Abandoned):
        return
    source = _name(source_id)
    what = "Preparing the replica's source %s failed" % source
    for replica_id in replica_ids:
        row = _row(replica_id)
        if row is None or row[4] != status.BUILD:
            continue
        flows._fail_with(replica_id, CREATE, what, error)
        forget_on_source(ctx, source_id, replica_id)


def _build_deadline(replica_ids):
    """The earliest build deadline of the replicas (a UTC datetime), or None."""
    with session_scope() as session:
        deadlines = [d for d in session.scalars(select(m.Instance.task_deadline).where(
            m.Instance.id.in_(replica_ids))) if d is not None]
    return min(deadlines) if deadlines else None


def _past(deadline):
    return deadline is not None and models.utcnow() >= deadline


def _start_snapshot(ctx, source_id, replica_ids):
    """A backup of the source through the backup path (the source goes BACKUP and back),
    started; returns its id (the caller removes it, whatever becomes of it). A StepFailed
    says why it could not start."""
    row = _row(source_id)
    if row is None:
        raise flows.StepFailed('The source was deleted.')
    rctx = _request_context(ctx, row[3])
    first = _name(replica_ids[0])
    body = {'instance': source_id, 'name': 'Replication snapshot for %s' % first,
            'description': 'Seeds the new replicas of %s; removed once they are built.'
                           % row[0]}
    deadline = _build_deadline(replica_ids)
    while True:
        try:
            backup, _ = backups_domain.create(rctx, body)
            break
        except exceptions.Conflict as error:
            # Busy for now (another backup, an engine restart enabling replication):
            # waited for while the replicas' builds have time; anything else is final.
            now = _row(source_id)
            if now is None or _past(deadline) or now[4] not in (
                    status.TRANSITIONAL | {status.SHUTDOWN}) or now[4] == status.DELETING:
                raise flows.StepFailed('The snapshot of the source could not start: %s'
                                       % error.message)
            time.sleep(POLL_INTERVAL)
    owners.claim(source_id)
    flows.create_backup(ctx, source_id, backup.id)
    return backup.id


def _await_snapshot(backup_id, replica_ids):
    """Until the snapshot is COMPLETED; a StepFailed when it failed or the replicas'
    build deadline passed first."""
    deadline = _build_deadline(replica_ids)
    while True:
        with session_scope() as session:
            made = session.get(b.Backup, backup_id)
            state, reason = made.status, made.fail_reason
        if state == backups_domain.COMPLETED:
            return
        if state not in (backups_domain.NEW, backups_domain.BUILDING):
            raise flows.StepFailed('The snapshot of the source failed: %s'
                                   % (reason or state))
        if _past(deadline):
            raise flows.StepFailed("The snapshot of the source did not complete within the "
                                   "replicas' build deadline.")
        time.sleep(SNAPSHOT_POLL_INTERVAL)


def _await_builds(replica_ids):
    """Until no replica is still in BUILD (ACTIVE, ERROR or deleted), or a while after their
    deadline (the janitor fails them then)."""
    deadline = _build_deadline(replica_ids)
    while True:
        with session_scope() as session:
            building = list(session.scalars(select(m.Instance.id).where(
                m.Instance.id.in_(replica_ids), m.Instance.deleted.is_(False),
                m.Instance.status == status.BUILD)))
        if not building:
            return
        if deadline is not None and (models.utcnow() - deadline).total_seconds() > \
                BUILD_GRACE_SECONDS:
            LOG.warning('replicas %s still building after their deadline', building)
            return
        time.sleep(POLL_INTERVAL)


def _remove_snapshot(ctx, source_id, snapshot_id):
    """The seeding snapshot goes (begin + delete_backups, as a user's delete): once it
    stopped being made, so a snapshot still building is waited for until its own deadline."""
    row = _row(source_id)
    with session_scope() as session:
        project_id = row[3] if row else session.get(b.Backup, snapshot_id).project_id
    rctx = _request_context(ctx, project_id)
    deadline = time.monotonic() + CONF.backup.deadline + BUILD_GRACE_SECONDS
    while True:
        try:
            ids = backup_deletes.begin(rctx, snapshot_id)
            break
        except exceptions.Conflict:
            if time.monotonic() > deadline:
                LOG.warning('backup %s (a replication snapshot) is still being made; it stays '
                            'until it is deleted', snapshot_id)
                return
            time.sleep(POLL_INTERVAL)
        except exceptions.NotFound:
            return
    flows.delete_backups(ctx, ids)


# -- detach -------------------------------------------------------------------------------

def detach_replica(ctx, instance_id):
    """The replica stops following and becomes a writable standalone instance; its source
    forgets it (best effort)."""
    row = _row(instance_id)
    if row is None:
        return
    source_id = row[2]
    try:
        with events.step(instance_id, DETACH, 'detach'):
            flows.guest_of(instance_id).replication_detach(ctx)
        if source_id:
            with events.step(instance_id, DETACH, 'forget on source'):
                forget_on_source(ctx, source_id, instance_id)
        flows._finish(instance_id, replica_of_id=None)
    except Exception as error:
        flows._fail_with(instance_id, DETACH, 'Detaching the replica failed', error)


# -- promote ------------------------------------------------------------------------------

class _Refused(flows.StepFailed):
    """Refused before anything changed: the members run as before."""


def promote_to_replica_source(ctx, replica_id):
    """A switchover: the source stops taking writes, every replica catches up, the chosen
    one becomes the source and every other member (the old source too) follows it. Refused,
    changing nothing, unless every member answers. Its switchover report (canary.py) is
    measured on the side: the canary never changes what the promote does."""
    row = _row(replica_id)
    if row is None:
        return
    run = canary.promote(ctx, replica_id, row[2]) if row[2] else canary.NotRun()
    try:
        _promote(ctx, replica_id, row, run)
    finally:
        run.end()


def _promote(ctx, replica_id, row, run):
    source_id = row[2]
    try:
        if not source_id:
            raise _Refused('Instance %s is not a replica.' % row[0])
        others = [r for r in _replicas_of(source_id) if r != replica_id]
        with events.step(replica_id, PROMOTE, 'check members'):
            for member in [source_id, replica_id] + others:
                _require_answer(ctx, member)
        run.start([source_id, replica_id] + others, source_id)
        with events.step(replica_id, PROMOTE, 'fence writes'):
            token = _token(flows.guest_of(source_id).replication_fence(ctx))
    except _Refused as refused:
        flows._fail(replica_id, PROMOTE, str(refused), end=status.abort)
        return
    except Exception as error:
        _unfence(ctx, source_id)
        flows._fail_with(replica_id, PROMOTE, 'Stopping writes on the source failed; the '
                         'promote changed nothing', error, end=status.abort)
        return
    try:
        with events.step(replica_id, PROMOTE, 'catch up'):
            for member in [replica_id] + others:
                if not flows.guest_of(member).replication_wait_for(ctx, token,
                                                                   CATCH_UP_SECONDS):
                    raise _Refused('Replica %s did not catch up with the source within %d s; '
                                   'the source takes writes again.'
                                   % (_name(member), CATCH_UP_SECONDS))
    except _Refused as refused:
        _unfence(ctx, source_id)
        flows._fail(replica_id, PROMOTE, str(refused), end=status.abort)
        return
    except Exception as error:
        _unfence(ctx, source_id)
        flows._fail_with(replica_id, PROMOTE, 'Waiting for the replicas to catch up failed; '
                         'the promote changed nothing', error, end=status.abort)
        return
    followers = others + [source_id]
    try:
        with events.step(replica_id, PROMOTE, 'promote'):
            info = flows.guest_of(replica_id).replication_promote(
                ctx, followers, _sources_for(followers))
    except Exception as error:
        _promote_failed(ctx, replica_id, source_id, error)
        return
    if not _record_source(replica_id, followers, PROMOTE, source_id):
        # The old source takes writes again: the one promoted is going.
        if _unfence(ctx, source_id):
            faults.record(source_id, 'Instance %s was deleted while it became the '
                          'replication source; this instance is still the source and takes '
                          'writes again.' % _name(replica_id))
        return
    run.switch(replica_id)
    missing = _repoint(ctx, replica_id, PROMOTE, info, others, [source_id])
    flows._finish(replica_id)
    _report_missing(replica_id, missing)


def _promote_failed(ctx, replica_id, source_id, error):
    """The replica's promote failed. Still a replica (its agent says so): the source takes
    writes again and the promote ends having changed nothing. Otherwise whether it takes
    writes is not known: the source stays fenced (two writable members would diverge), and
    both say so in a fault."""
    try:
        role = flows.guest_of(replica_id).replication_position(ctx).get('role')
    except Exception:
        role = None
    replica, source = _name(replica_id), _name(source_id)
    if role == 'replica':
        if _unfence(ctx, source_id):
            what = ('Promoting the replica failed; it is still a replica and its source %s '
                    'takes writes again' % source)
        else:
            what = ('Promoting the replica failed; it is still a replica, but its source %s '
                    'may still refuse writes (see its faults)' % source)
        flows._fail_with(replica_id, PROMOTE, what, error, end=status.abort)
        return
    flows._fail_with(replica_id, PROMOTE, 'Promoting the replica failed, and whether it '
                     'takes writes now is not known; its source %s still refuses writes'
                     % source, error)
    faults.record(source_id, 'A promote of replica %s failed and whether %s takes writes is '
                  'not known, so this source still refuses writes (writes on both would '
                  'diverge). Delete %s, then promote another replica (this source follows '
                  'it); with no other replica, ask an administrator to let this source take '
                  'writes again.' % (replica, replica, replica))


def _require_answer(ctx, instance_id):
    try:
        flows.guest_of(instance_id).ping(ctx, timeout=PING_TIMEOUT)
    except Exception:
        raise _Refused('Instance %s does not answer: promote needs every member; eject the '
                       'source if it is gone.' % _name(instance_id))


def _unfence(ctx, source_id):
    """Best effort: the source takes writes again after a switchover that changed nothing.
    False (and a fault on the source) when it did not answer."""
    try:
        flows.guest_of(source_id).replication_unfence(ctx)
        return True
    except Exception as error:
        LOG.warning('instance %s: taking writes again failed (%s: %s)', source_id,
                    type(error).__name__, events.readable(error))
        faults.record(source_id, 'A promote of one of its replicas failed and this source '
                      'may still refuse writes: restart it.')
        return False


def _record_source(new_source_id, follower_ids, operation, old_source_id=None):
    """The rows say what the engines now follow: the new source follows none, the others
    follow it. Rows are read again (a delete is accepted in every state): members being
    deleted are left out. When the new source itself is being deleted, nothing is
    recorded (the others still follow their old source, as their engines do), its
    followers learn so in a fault each, and False is returned."""
    with session_scope() as session:
        new_source = session.get(m.Instance, new_source_id, with_for_update=True,
                                 populate_existing=True)
        going = (new_source is None or new_source.deleted
                 or new_source.status == status.DELETING)
        if not going:
            new_source.replica_of_id = None
        for follower_id in follower_ids:
            follower = session.get(m.Instance, follower_id, with_for_update=True,
                                   populate_existing=True)
            if going or follower is None or follower.deleted \
                    or follower.status == status.DELETING:
                continue
            follower.replica_of_id = new_source_id
    if not going:
        return True
    LOG.warning('instance %s: deleted while it became the source (%s)', new_source_id,
                operation)
    for follower_id in follower_ids:
        if follower_id != old_source_id and _row(follower_id) is not None:
            faults.record(follower_id, 'Instance %s was deleted while it became the '
                          'replication source; this replica still follows its source.'
                          % _name(new_source_id))
    return False


def _repoint(ctx, new_source_id, operation, info, replica_ids, old_source_ids=(),
             recorded_on=None):
    """Every other member follows the new source (a former source rewinds first where its
    engine needs it); the steps are recorded on `recorded_on` (the instance acted on; the
    new source by default). Returns {instance id: why} of those that did not follow; the
    others go on."""
    missing = {}
    # The old source first: it is the one that must stop taking writes (a Redis fence
    # ends by itself after a while), then the replicas.
    for name, members, was_source in (('old source follows', old_source_ids, True),
                                      ('repoint replicas', replica_ids, False)):
        if not members:
            continue
        event_id = events.start(recorded_on or new_source_id, operation, name)
        failed = []
        for member in members:
            now = _row(member)
            if now is None or now[4] == status.DELETING:
                continue        # being deleted meanwhile: nothing to repoint
            try:
                flows.guest_of(member).replication_follow(ctx, _for_member(info, member),
                                                          was_source=was_source)
            except Exception as error:
                LOG.warning('instance %s: following %s failed (%s: %s)', member,
                            new_source_id, type(error).__name__, events.readable(error))
                missing[member] = flows._tenant_message(
                    'Following the new source %s failed' % _name(new_source_id), error)
                failed.append(missing[member])
        events.finish(event_id, events.FAILED if failed else events.SUCCESS,
                      '; '.join(failed) if failed else None)
    return missing


def _report_missing(new_source_id, missing):
    """Members that did not follow the new source learn it in a fault each, and the new
    source names them (they are still its replicas in the rows: detach or delete them)."""
    for member, message in missing.items():
        faults.record(member, message + ' Detach or delete this replica, or restart it.')
    if missing:
        faults.record(new_source_id, 'The source changed, but %s did not follow it; detach or '
                      'delete them.' % ', '.join(_name(member) for member in missing))


# -- eject --------------------------------------------------------------------------------

def eject_replica_source(ctx, source_id):
    """The source is gone: the most advanced replica (the highest position; ties: the
    first by id) becomes the source and the others follow it. The old source keeps no
    replicas and fails with a fault saying so. Refused while the source answers. Its
    switchover report (canary.py) is measured on the side, as a promote's."""
    row = _row(source_id)
    if row is None:
        return
    run = canary.eject(ctx, source_id)
    try:
        _eject(ctx, source_id, row, run)
    finally:
        run.end()


def _eject(ctx, source_id, row, run):
    try:
        replicas = _replicas_of(source_id)
        if not replicas:
            raise _Refused('Instance %s has no replicas to promote.' % row[0])
        with events.step(source_id, EJECT, 'check source'):
            answers = _answers(ctx, source_id)
            if answers is True:
                raise _Refused('The source answers; promote a replica instead.')
        fenced = answers == 'guest' and _fence_quietly(ctx, source_id)
        positions = _positions(ctx, source_id, replicas)
    except _Refused as refused:
        flows._fail(source_id, EJECT, str(refused), end=status.abort)
        return
    except Exception as error:
        flows._fail_with(source_id, EJECT, 'Ejecting the source failed', error)
        return
    chosen = sorted(positions, key=lambda r: (-int(positions[r].get('order') or 0), r))[0]
    others = [r for r in replicas if r != chosen and r in positions]
    silent = [r for r in replicas if r not in positions]
    run.chose(chosen)
    try:
        with events.step(source_id, EJECT, 'promote', 'promoting %s' % _name(chosen)):
            info = flows.guest_of(chosen).replication_promote(ctx, others, _sources_for(others))
    except Exception as error:
        flows._fail_with(source_id, EJECT, 'Promoting replica %s failed' % _name(chosen), error)
        return
    if not _record_source(chosen, others + silent, EJECT):
        flows._fail(source_id, EJECT, 'Instance %s was deleted while it became the '
                    'replication source; eject this source again to promote another '
                    'replica.' % _name(chosen))
        return
    run.switch(chosen)
    missing = _repoint(ctx, chosen, EJECT, info, others, recorded_on=source_id)
    missing.update({r: 'Instance %s did not answer while its source was ejected, so it does '
                       'not follow the new source %s.' % (_name(r), _name(chosen))
                    for r in silent})
    _report_missing(chosen, missing)
    if answers == 'guest':
        said = ('its guest answered but its engine did not; %s' % (
            'it was told to refuse writes' if fenced else
            'telling it to refuse writes failed, so it may take writes if its engine comes '
            'back: delete it or keep its clients away'))
    else:
        said = 'it did not answer'
    flows._fail(source_id, EJECT,
                'Instance %s was ejected as the replication source: %s. '
                'Instance %s (%s) is the source now.' % (row[0], said, _name(chosen), chosen))


def _answers(ctx, source_id):
    """True when the source's guest and engine answer (it pings and reads its position);
    'guest' when only its guest answers (its engine may come back, writable); False."""
    guest = flows.guest_of(source_id)
    try:
        guest.ping(ctx, timeout=SOURCE_PROBE_TIMEOUT)
    except Exception:
        return False
    try:
        guest.replication_position(ctx, timeout=SOURCE_PROBE_TIMEOUT)
    except Exception:
        return 'guest'
    return True


def _fence_quietly(ctx, source_id):
    """Best effort, before a replica is promoted: an ejected source whose guest answers
    refuses writes, if its engine comes back. True when it said it does."""
    try:
        flows.guest_of(source_id).replication_fence(ctx)
        return True
    except Exception as error:
        LOG.warning('instance %s: fencing the ejected source failed (%s: %s)', source_id,
                    type(error).__name__, events.readable(error))
        return False


def _positions(ctx, source_id, replica_ids):
    """{replica id: its position} of the replicas that answer; the step's message says
    each one's order (an admin's why for the choice). None answering fails the step."""
    event_id = events.start(source_id, EJECT, 'positions')
    found = {}
    for replica_id in replica_ids:
        try:
            found[replica_id] = flows.guest_of(replica_id).replication_position(ctx)
        except Exception as error:
            LOG.warning('instance %s: no replication position (%s: %s)', replica_id,
                        type(error).__name__, events.readable(error))
    said = ', '.join('%s at %s' % (_name(r), found[r].get('order')) for r in sorted(found))
    if not found:
        failure = flows.StepFailed('No replica of %s answers; none can become the source.'
                                   % _name(source_id))
        events.finish(event_id, events.FAILED, str(failure))
        raise failure
    events.finish(event_id, events.SUCCESS, said)
    return found
