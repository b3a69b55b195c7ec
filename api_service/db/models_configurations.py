"""Configuration groups and the parameters a datastore version accepts."""
import datetime

from sqlalchemy import Boolean, DateTime, Index, String, Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api_service.db.models import Base, new_id, utcnow


class Configuration(Base):
    """A tenant's named set of parameter values for one datastore version."""

    __tablename__ = 'configurations'
    __table_args__ = (Index('ix_configurations_project_live', 'project_id', 'deleted', 'id'),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(512), nullable=True)
    datastore_version_id: Mapped[str] = mapped_column(String(36))
    # {name: value}, typed as the parameter's rule says (JSON text).
    values: Mapped[str] = mapped_column(Text, default='{}')
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    updated: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, nullable=True)


class ConfigurationParameter(Base):
    """One parameter a datastore version accepts: seeded from the engine's rule file when the
    version is registered, then the operator's to change (`/mgmt/.../parameters`)."""

    __tablename__ = 'configuration_parameters'
    __table_args__ = (UniqueConstraint('datastore_version_id', 'name'),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    datastore_version_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(128))
    # boolean, integer, float or string
    data_type: Mapped[str] = mapped_column(String(16))
    # Decimal text: MariaDB's unsigned maxima (up to 2**64 - 1) do not fit a BIGINT.
    min_size: Mapped[str | None] = mapped_column(String(40), nullable=True)
    max_size: Mapped[str | None] = mapped_column(String(40), nullable=True)
    restart_required: Mapped[bool] = mapped_column(Boolean, default=False)
    unit: Mapped[str | None] = mapped_column(String(16), nullable=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, nullable=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
