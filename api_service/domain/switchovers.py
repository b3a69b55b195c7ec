"""Switchover reports and a replica set's replication status, as users read them (#17).

A report (models_replication.Switchover) is written by the task manager while a promote or
an eject runs (taskmanager/canary.py: `begin`, `set_new_source`, `end` here) and kept after
its instances are deleted: it is the set's history. Reads are one query each: a page of an
instance's reports with the members' names, and a set's rows with their RPC keys (the
members' guests are then asked at once, each with a short timeout).
"""
import collections
import concurrent.futures
import logging

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import aliased

from api_service.db import models
from api_service.db import models_instances as m
from api_service.db import models_replication as r
from api_service.db import pages
from api_service.db.session import read_scope, session_scope
from api_service.domain import instances
from api_service.domain import status
from api_service.rpc import guest_client
from api_service.rpc import secure

LOG = logging.getLogger(__name__)

PROMOTE, EJECT = 'promote', 'eject'
RUNNING, COMPLETED, FAILED = 'running', 'completed', 'failed'
# The replication status asks every member's guest at once, each this long at most: a
# member that does not answer by then shows no lag and no health (the dashboard polls).
STATUS_TIMEOUT = 3.0
# More guests than this are asked a few at a time (a set has at most 11 members).
MAX_PARALLEL = 12
# Members whose guest is not there to ask (still building, being deleted).
NOT_ASKED = frozenset({status.BUILD, status.DELETING})

_S = r.Switchover.__table__
_OLD = aliased(m.Instance.__table__, name='old_source')
_NEW = aliased(m.Instance.__table__, name='new_source')
_I = m.Instance.__table__
_K = m.InstanceKey.__table__


# -- the task manager's writes ------------------------------------------------------------

def begin(project_id, operation, old_source_id, new_source_id=None, detection_seconds=None,
          task_owner=None):
    """A report of an operation starting now (status running), measured by the task
    manager `task_owner`; returns its id."""
    with session_scope() as session:
        report = r.Switchover(project_id=project_id, operation=operation, status=RUNNING,
                              old_source_id=old_source_id, new_source_id=new_source_id,
                              started=models.utcnow(), detection_seconds=detection_seconds,
                              task_owner=task_owner)
        session.add(report)
        session.flush()
        return report.id


def update(report_id, **figures):
    """Store figures of a report (the task manager's canary run)."""
    with session_scope() as session:
        report = session.get(r.Switchover, report_id)
        if report is None:
            return
        for name, value in figures.items():
            setattr(report, name, value)


ABANDONED = ('The task manager measuring this switchover stopped before the measurement '
             'ended; its figures are incomplete (see the instance for how the operation '
             'ended).')


def close_abandoned(is_gone):
    """Reports left running by a task manager that died (`is_gone(session, owner)`, the
    janitor's judgement) end failed, saying so; returns how many."""
    with session_scope() as session:
        running = session.execute(select(_S.c.id, _S.c.task_owner).where(
            _S.c.status == RUNNING).with_for_update(skip_locked=True)).all()
        abandoned = [report_id for report_id, owner in running if is_gone(session, owner)]
        if abandoned:
            session.execute(_S.update().where(_S.c.id.in_(abandoned)).values(
                status=FAILED, finished=models.utcnow(), message=ABANDONED))
    return len(abandoned)


def started(report_id):
    with session_scope() as session:
        return session.get(r.Switchover, report_id).started


def last_healthy(instance_id):
    """When the instance was last known healthy: its last heartbeat, if that heartbeat said
    its engine ran (HEALTHY); None otherwise (a report saying the engine had stopped tells
    nothing of when it last ran)."""
    with session_scope() as session:
        instance = session.get(m.Instance, instance_id)
        if instance is None or instance.operating_status != 'HEALTHY':
            return None
        return instance.service_status_updated


def fault_since(instance_ids, since):
    """The newest fault recorded on one of `instance_ids` since `since` (a tenant's words),
    or None."""
    with session_scope() as session:
        return session.scalars(
            select(m.InstanceFault.message)
            .where(m.InstanceFault.instance_id.in_(list(instance_ids)),
                   m.InstanceFault.created >= since.replace(microsecond=0))
            .order_by(m.InstanceFault.created.desc()).limit(1)).first()


# -- reads --------------------------------------------------------------------------------

def _page_stmt(with_marker):
    """An instance's reports (it, or its source, as old or new source), newest first,
    keyset-paged on (started, id), with both sources' names: one query a page."""
    stmt = (select(_S, _OLD.c.name.label('old_source_name'),
                   _NEW.c.name.label('new_source_name'))
            .outerjoin(_OLD, _OLD.c.id == _S.c.old_source_id)
            .outerjoin(_NEW, _NEW.c.id == _S.c.new_source_id)
            .where(_S.c.project_id == bindparam('project'),
                   or_(_S.c.old_source_id.in_(bindparam('ids', expanding=True)),
                       _S.c.new_source_id.in_(bindparam('ids', expanding=True))))
            .order_by(_S.c.started.desc(), _S.c.id.desc()).limit(bindparam('limit')))
    if with_marker:
        marker = select(_S.c.started).where(_S.c.id == bindparam('marker')).scalar_subquery()
        stmt = stmt.where(_S.c.started <= marker,
                          or_(_S.c.started < marker, _S.c.id < bindparam('marker')))
    return stmt


_PAGES = {flag: _page_stmt(flag) for flag in (False, True)}


def list_page(instance, limit, marker=None):
    """A page of the reports naming `instance` (a row the caller may see) or its current
    source; (rows, the next page's marker or None)."""
    ids = sorted({instance.id, instance.replica_of_id} - {None})
    return pages.read_page(_PAGES, {'project': instance.project_id, 'ids': ids}, limit,
                           marker)


Member = collections.namedtuple('Member', 'id name status role key')

_SET = (select(_I.c.id, _I.c.name, _I.c.status, _I.c.replica_of_id, _K.c.encrypted_key)
        .outerjoin(_K, _K.c.instance_id == _I.c.id)
        .where(or_(_I.c.id == bindparam('source'), _I.c.replica_of_id == bindparam('source')),
               _I.c.deleted.is_(False))
        .order_by(_I.c.name, _I.c.id))


def members(instance):
    """The set `instance` (a row) belongs to, source first, in one query; [] for a
    standalone instance (no source and no replicas)."""
    source_id = instance.replica_of_id or instance.id
    with read_scope() as conn:
        rows = conn.execute(_SET, {'source': source_id}).all()
    if len(rows) < 2 or source_id not in {row.id for row in rows}:
        return []
    master_key = instances._master_key()
    found = [Member(row.id, row.name, row.status,
                    'source' if row.id == source_id else 'replica',
                    secure.decrypt_key_at_rest(master_key, row.encrypted_key)
                    if row.encrypted_key else None) for row in rows]
    return sorted(found, key=lambda member: member.role != 'source')


def _ask(ctx, member):
    guest = guest_client.GuestAPI(member.id, member.key, timeout=STATUS_TIMEOUT)
    return guest.replication_status(ctx, timeout=STATUS_TIMEOUT)


def ask_members(ctx, set_members):
    """{member id: its guest's replication_status answer} of the members that answered
    within STATUS_TIMEOUT, all asked at once."""
    asked = [member for member in set_members
             if member.key and member.status not in NOT_ASKED]
    if not asked:
        return {}
    pool = concurrent.futures.ThreadPoolExecutor(min(MAX_PARALLEL, len(asked)))
    try:
        futures = {pool.submit(_ask, ctx, member): member.id for member in asked}
        done, _ = concurrent.futures.wait(futures, timeout=STATUS_TIMEOUT + 0.2)
    finally:
        # A guest still being asked is not waited for: its call ends at its own timeout.
        pool.shutdown(wait=False)
    answers = {}
    for future in done:
        try:
            answer = future.result()
        except Exception as error:     # noqa: BLE001 - a member that fails shows nothing
            LOG.info('instance %s: no replication status (%s)', futures[future],
                     type(error).__name__)
            continue
        if isinstance(answer, dict):
            answers[futures[future]] = answer
    return answers
