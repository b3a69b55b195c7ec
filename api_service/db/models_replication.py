"""Switchover reports (#17, an extension): what each promote or eject of a replica set cost.

A report is written by the task manager while the operation runs (taskmanager/canary.py)
and kept after its instances are deleted: it is the set's history. It never holds a
password (the canary's account is made for one run and removed afterwards).
"""
import datetime

from sqlalchemy import DateTime, Float, Index, Integer, String
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from api_service.db.models import Base, new_id, utcnow


# Sub-second times: MySQL's and MariaDB's DATETIME keeps whole seconds unless told.
PRECISE = DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')


class Switchover(Base):
    """One promote or eject: its figures, each None when it could not be measured."""

    __tablename__ = 'switchovers'
    # An instance's reports name it as the old or the new source, newest first.
    __table_args__ = (Index('ix_switchovers_old_source', 'old_source_id', 'started'),
                      Index('ix_switchovers_new_source', 'new_source_id', 'started'),
                      # The janitor's look for reports a dead task manager left running.
                      Index('ix_switchovers_status', 'status'))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(16))          # promote | eject
    status: Mapped[str] = mapped_column(String(16), default='running')
    old_source_id: Mapped[str] = mapped_column(String(36))
    # The replica promoted: known at once for a promote, once chosen for an eject.
    new_source_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    started: Mapped[datetime.datetime] = mapped_column(PRECISE, default=utcnow)
    finished: Mapped[datetime.datetime | None] = mapped_column(PRECISE, nullable=True)
    # Eject: from the source's last healthy report to the eject's start.
    detection_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The canary's last write the old source acknowledged (promote), and its first write
    # the new source acknowledged; the downtime is the time between them (promote) or
    # from the eject's start to the latter (eject).
    write_stopped_at: Mapped[datetime.datetime | None] = mapped_column(PRECISE,
                                                                       nullable=True)
    write_resumed_at: Mapped[datetime.datetime | None] = mapped_column(PRECISE,
                                                                       nullable=True)
    write_downtime_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Promote: canary writes the old source acknowledged that the new source lacks.
    transactions_lost: Mapped[int | None] = mapped_column(Integer, nullable=True)
    canary_writes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    canary_failures: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # The task manager measuring it (task_managers.id): a report it left running when it
    # died is closed by another's janitor (domain/switchovers.close_abandoned).
    task_owner: Mapped[str | None] = mapped_column(String(36), nullable=True)
