"""Backup schedules (our extension) and their executions."""
import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api_service.db.models import Base, new_id, utcnow


class Schedule(Base):
    __tablename__ = 'backup_schedules'

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(512), nullable=True)
    pattern: Mapped[str] = mapped_column(String(128))
    incremental: Mapped[bool] = mapped_column(Boolean, default=False)
    retention: Mapped[int] = mapped_column(Integer, default=0)   # 0: keep everything
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_execution_time: Mapped[datetime.datetime] = mapped_column(DateTime, index=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    updated: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Execution(Base):
    """One due run of a schedule. The unique (schedule, time) row is the claim that makes
    each run happen once, however many task managers look at it."""

    __tablename__ = 'backup_schedule_executions'
    __table_args__ = (UniqueConstraint('schedule_id', 'scheduled_time'),
                      Index('ix_backup_schedule_executions_state_finished', 'state', 'finished'))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    schedule_id: Mapped[str] = mapped_column(String(36), index=True)
    scheduled_time: Mapped[datetime.datetime] = mapped_column(DateTime)
    started: Mapped[datetime.datetime | None] = mapped_column(DateTime, nullable=True)
    finished: Mapped[datetime.datetime | None] = mapped_column(DateTime, nullable=True)
    # RUNNING, SUCCESS, FAILED, MISSED, SKIPPED
    state: Mapped[str] = mapped_column(String(16))
    backup_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    output: Mapped[str] = mapped_column(String(255), default='')
