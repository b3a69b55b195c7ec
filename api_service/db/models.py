"""SQLAlchemy models: the catalogue (datastores, flavors, volume types) and quotas.

Later issues add their own model modules on the same Base, each with its migration.
"""
import datetime
import uuid

from sqlalchemy import (Boolean, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def new_id():
    return str(uuid.uuid4())


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base for every table of the service."""


class Datastore(Base):
    __tablename__ = 'datastores'

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    default_version_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    versions: Mapped[list['DatastoreVersion']] = relationship(
        back_populates='datastore', order_by='DatastoreVersion.name')


class DatastoreVersion(Base):
    """A version of a datastore. A deleted one keeps its row (marked deleted) while records
    of deleted instances, backups or groups name it; its name is free for a new version."""

    __tablename__ = 'datastore_versions'
    __table_args__ = (Index('uq_datastore_versions_live_name', 'datastore_id', 'name', 'version',
                            unique=True, sqlite_where=text('deleted = false'),
                            postgresql_where=text('deleted = false')),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    datastore_id: Mapped[str] = mapped_column(ForeignKey('datastores.id'), index=True)
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(255))
    manager: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    image_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    image_tags: Mapped[str | None] = mapped_column(String(255), nullable=True)
    packages: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Where the engine's binaries live for the local driver (e.g. /usr/lib/postgresql/15/bin).
    engine_path: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    # Declared by the version's guest manager, e.g. 'databases,users,root'.
    capabilities: Mapped[str] = mapped_column(String(255), default='')
    # public | private (members only) | unlisted (not listed, shown) | deprecated (admins only).
    visibility: Mapped[str] = mapped_column(String(16), default='public', server_default='public')
    # Declared by the version's guest manager: experimental | technical-preview | stable.
    maturity: Mapped[str] = mapped_column(String(32), default='experimental',
                                          server_default='stable')
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text('false'))
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, nullable=True)
    datastore: Mapped[Datastore] = relationship(back_populates='versions')


class DatastoreVersionMember(Base):
    """A project admitted to a private datastore version (datastore-visibility spec)."""

    __tablename__ = 'datastore_version_members'
    __table_args__ = (UniqueConstraint('version_id', 'tenant_id',
                                       name='uq_datastore_version_member'),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    version_id: Mapped[str] = mapped_column(ForeignKey('datastore_versions.id'))
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)


class Flavor(Base):
    """An operator-defined size: memory, vCPUs and root disk."""

    __tablename__ = 'flavors'

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    ram: Mapped[int] = mapped_column(Integer)
    vcpus: Mapped[int] = mapped_column(Integer)
    disk: Mapped[int] = mapped_column(Integer, default=0)
    ephemeral: Mapped[int] = mapped_column(Integer, default=0)


class VolumeType(Base):
    """An operator-defined class of volume; for the local driver a directory root."""

    __tablename__ = 'volume_types'

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(String(255), default='')
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    root_path: Mapped[str | None] = mapped_column(String(1024), nullable=True)


class DatastoreVersionFlavor(Base):
    """A flavor a datastore version is restricted to (none listed: all allowed)."""

    __tablename__ = 'datastore_version_flavors'

    version_id: Mapped[str] = mapped_column(ForeignKey('datastore_versions.id'), primary_key=True)
    flavor_id: Mapped[str] = mapped_column(ForeignKey('flavors.id'), primary_key=True)


class DatastoreVersionVolumeType(Base):
    """A volume type a datastore version allows (none listed: all allowed)."""

    __tablename__ = 'datastore_version_volume_types'

    version_id: Mapped[str] = mapped_column(ForeignKey('datastore_versions.id'), primary_key=True)
    volume_type_id: Mapped[str] = mapped_column(ForeignKey('volume_types.id'), primary_key=True)


class ServiceLock(Base):
    """A named row whose lock serialises a decision across processes (db/locks.py)."""

    __tablename__ = 'service_locks'

    name: Mapped[str] = mapped_column(String(64), primary_key=True)


class CatalogueGeneration(Base):
    """One row, counting changes to the catalogue: API workers keep the catalogue in memory
    and re-read it only when this number has moved (domain/catalogue_cache.py)."""

    __tablename__ = 'catalogue_generation'

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)


class Quota(Base):
    """A per-project override of a default quota."""

    __tablename__ = 'quotas'

    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource: Mapped[str] = mapped_column(String(64), primary_key=True)
    hard_limit: Mapped[int] = mapped_column(Integer)


class QuotaUsage(Base):
    """What a project uses of a resource and holds reserved for operations in flight."""

    __tablename__ = 'quota_usages'

    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource: Mapped[str] = mapped_column(String(64), primary_key=True)
    in_use: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
