"""Backup strategies (Trove's /backup_strategies): the Swift container a project's backups, or
one instance's, go to.

An instance's strategy wins over its project's, which wins over the deployment's
`[backup_swift] container`. A backup records the container it went to in its location, so
changing or deleting a strategy later never loses track of the backups already made.
Strategies only mean something when backups go to Swift (`[backup] storage_backend = swift`).
"""
from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api_service.common import exceptions
from api_service.common.config import CONF
from api_service.db import models_backups as b
from api_service.db.session import session_scope
from api_service.domain import instances
from api_service.drivers.storage import swift

SWIFT = 'swift'


def swift_configured():
    return CONF.backup.storage_backend == SWIFT


def _require_swift(what):
    if not swift_configured():
        raise exceptions.BadRequest(
            '%s: this deployment stores backups locally ([backup] storage_backend = %s), not '
            'in Swift.' % (what, CONF.backup.storage_backend))


def list_for(project_id, instance_id=None):
    """The project's strategies (only the one of `instance_id`, if given), project-wide first."""
    stmt = select(b.BackupStrategy).where(b.BackupStrategy.project_id == project_id)
    if instance_id is not None:
        stmt = stmt.where(b.BackupStrategy.instance_id == instance_id)
    with session_scope() as session:
        rows = list(session.scalars(stmt.order_by(b.BackupStrategy.instance_id,
                                                  b.BackupStrategy.id)))
        session.expunge_all()
        return rows


def create(ctx, project_id, instance_id, swift_container):
    """Create, or change the container of, the strategy of a project (instance_id '') or of one
    of its instances."""
    _require_swift('Backup strategies choose a Swift container')
    instance_id = instance_id or ''
    if instance_id and instances.get(ctx, instance_id).instance.project_id != project_id:
        raise exceptions.BadRequest('Instance %s does not belong to project %s.'
                                    % (instance_id, project_id))
    try:
        with session_scope() as session:
            strategy = session.scalars(select(b.BackupStrategy).where(
                b.BackupStrategy.project_id == project_id,
                b.BackupStrategy.instance_id == instance_id)).first()
            if strategy is None:
                strategy = b.BackupStrategy(project_id=project_id, instance_id=instance_id)
                session.add(strategy)
            strategy.backend = SWIFT
            strategy.swift_container = swift_container
            session.flush()
            session.expunge(strategy)
            return strategy
    except IntegrityError:
        # Another request created the same strategy at the same moment (unique index).
        raise exceptions.Conflict('The backup strategy was created by another request at the '
                                  'same time; retry to change its container.')


def delete(project_id, instance_id=''):
    """Forget the strategy of the project (instance_id '') or of one instance; the backups
    already made keep the container they went to."""
    with session_scope() as session:
        session.execute(sql_delete(b.BackupStrategy).where(
            b.BackupStrategy.project_id == project_id,
            b.BackupStrategy.instance_id == (instance_id or '')))


def _strategy_container(session, project_id, instance_id):
    rows = session.scalars(select(b.BackupStrategy).where(
        b.BackupStrategy.project_id == project_id,
        b.BackupStrategy.instance_id.in_([instance_id, '']))).all()
    chosen = sorted(rows, key=lambda row: (row.instance_id != instance_id, row.id))
    return chosen[0].swift_container if chosen else None


def backup_location(session, instance, body, key):
    """Where a new backup of `instance` is stored: `key` in the local store, or in the Swift
    container asked for (`swift_container`), else the strategy's, else the deployment's."""
    driver = body.get('storage_driver') or CONF.backup.storage_backend
    if driver != CONF.backup.storage_backend:
        raise exceptions.BadRequest(
            'storage_driver %s is not available: this deployment stores backups in %s.'
            % (driver, CONF.backup.storage_backend))
    container = body.get('swift_container')
    if container:
        _require_swift('swift_container %s cannot be used' % container)
    if not swift_configured():
        return key
    container = (container or _strategy_container(session, instance.project_id, instance.id)
                 or CONF.backup_swift.container)
    return swift.location(container, key)
