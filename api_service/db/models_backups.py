"""Backups (full and incremental chains) and per-project backup strategies."""
import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api_service.db.models import Base, new_id, utcnow


class Backup(Base):
    __tablename__ = 'backups'
    __table_args__ = (Index('ix_backups_project_live', 'project_id', 'deleted', 'created', 'id'),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(512), nullable=True)
    project_id: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    parent_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    datastore_version_id: Mapped[str] = mapped_column(String(36))
    # NEW, BUILDING, COMPLETED, FAILED; once deleted: DELETING, then DELETED or DELETE_FAILED
    status: Mapped[str] = mapped_column(String(32), default='NEW')
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    checksum: Mapped[str | None] = mapped_column(String(128), nullable=True)
    location: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    engine_metadata: Mapped[str] = mapped_column(Text, default='{}')
    fail_reason: Mapped[str | None] = mapped_column(String(255), nullable=True)
    schedule_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    updated: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # True once DELETED (its objects gone): hidden from its owner, kept as history.
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, nullable=True)
    # Failed attempts to delete the objects, and when the next is due (or, while one runs,
    # when it counts as lost): set while DELETING or DELETE_FAILED, else None.
    delete_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default='0')
    delete_next_attempt: Mapped[datetime.datetime | None] = mapped_column(
        DateTime, nullable=True, index=True)


class BackupStrategy(Base):
    """Where a project's (or one instance's) backups go: Trove's /backup_strategies."""

    __tablename__ = 'backup_strategies'
    __table_args__ = (Index('uq_backup_strategies_target', 'project_id', 'instance_id',
                            unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    instance_id: Mapped[str] = mapped_column(String(36), default='')
    backend: Mapped[str] = mapped_column(String(32), default='local')
    swift_container: Mapped[str] = mapped_column(String(255), default='database_backups')
