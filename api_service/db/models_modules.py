"""Modules (Trove's /modules): sealed payloads the guest places for an engine or its tooling,
and which instance has which module at which md5."""
import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api_service.db.models import Base, new_id, utcnow


class Module(Base):
    """One module. NULL project, datastore or version means "all" (Trove's 'all')."""

    __tablename__ = 'modules'
    __table_args__ = (Index('ix_modules_project_live', 'project_id', 'deleted', 'id'),
                      Index('ix_modules_auto_apply', 'auto_apply', 'deleted'))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(512), nullable=True)
    datastore_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    datastore_version_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # The plaintext sealed with [modules] key (Fernet token text); never in a CRUD view.
    contents: Mapped[str] = mapped_column(Text)
    # md5 of the plaintext, as Trove reports it.
    md5: Mapped[str] = mapped_column(String(32))
    auto_apply: Mapped[bool] = mapped_column(Boolean, default=False)
    visible: Mapped[bool] = mapped_column(Boolean, default=True)
    live_update: Mapped[bool] = mapped_column(Boolean, default=False)
    priority_apply: Mapped[bool] = mapped_column(Boolean, default=False)
    apply_order: Mapped[int] = mapped_column(Integer, default=5)
    # Set by the server: an admin made it (or turned an admin-only option on); only admins
    # may change it then. full_access=True clears it, False sets it (Trove's rule).
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    updated: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, nullable=True)


class InstanceModule(Base):
    """A module applied to an instance, with the md5 it had when applied."""

    __tablename__ = 'instance_modules'
    __table_args__ = (Index('ix_instance_modules_instance', 'instance_id', 'deleted'),
                      Index('ix_instance_modules_module', 'module_id', 'deleted', 'md5'))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    instance_id: Mapped[str] = mapped_column(String(36))
    module_id: Mapped[str] = mapped_column(String(36))
    md5: Mapped[str] = mapped_column(String(32))
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    updated: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, nullable=True)
