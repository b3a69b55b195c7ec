"""Instances and what hangs off them: networks, server groups, faults, events, RPC keys."""
import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api_service.db.models import Base, new_id, utcnow


class ServerGroup(Base):
    """Instances placed together (affinity) or apart (anti-affinity)."""

    __tablename__ = 'server_groups'

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    policy: Mapped[str] = mapped_column(String(32))
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)


class Instance(Base):
    """A database instance: its requested shape, where it lives, and its stored state."""

    __tablename__ = 'instances'
    __table_args__ = (Index('ix_instances_project_live', 'project_id', 'deleted', 'id'),
                      Index('ix_instances_configuration', 'configuration_id', 'id'),
                      # The operator's list of every project's instances (mgmt_instances).
                      Index('ix_instances_deleted_id', 'deleted', 'id'),
                      Index('ix_instances_deleted_status', 'deleted', 'status', 'id'),
                      # A source's replicas, for its view and its delete (replication.py).
                      Index('ix_instances_replica_of', 'replica_of_id', 'deleted'))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # status is what the API reports (BUILD, ACTIVE, ERROR, REBOOT, RESIZE, SHUTDOWN, ...);
    # operating_status is what the guest last reported about the engine.
    status: Mapped[str] = mapped_column(String(32), default='BUILD')
    task: Mapped[str | None] = mapped_column(String(64), nullable=True)
    task_deadline: Mapped[datetime.datetime | None] = mapped_column(DateTime, nullable=True)
    # The task manager (task_managers.id) that runs the operation, if one does: another
    # settles it once that one is dead (taskmanager/owners.py).
    task_owner: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # The sizes a resize reserved quota for ({'ram': MB} or {'volumes': GB}, JSON) while
    # that reservation is outstanding: whoever ends the resize settles it against the
    # row's sizes and clears it (taskmanager/owners.settle_quota).
    task_quota: Mapped[str | None] = mapped_column(Text, nullable=True)
    operating_status: Mapped[str] = mapped_column(String(32), default='BUILD')
    service_status_updated: Mapped[datetime.datetime | None] = mapped_column(DateTime,
                                                                              nullable=True)
    datastore_version_id: Mapped[str] = mapped_column(ForeignKey('datastore_versions.id'))
    flavor_id: Mapped[str] = mapped_column(String(36))
    ram_mb: Mapped[int] = mapped_column(Integer)
    vcpus: Mapped[int] = mapped_column(Integer)
    volume_size: Mapped[int] = mapped_column(Integer)
    volume_type_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    volume_used_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    availability_zone: Mapped[str | None] = mapped_column(String(255), nullable=True)
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    # The network the instance attaches to, and the address its create asked for (nics);
    # `address` is what placement gave it.
    network_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    requested_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    server_group_id: Mapped[str | None] = mapped_column(ForeignKey('server_groups.id'),
                                                        nullable=True)
    locality: Mapped[str | None] = mapped_column(String(32), nullable=True)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    allowed_cidrs: Mapped[str] = mapped_column(Text, default='[]')
    # Set while an access change is applied (domain/instances.py): when that claim lapses.
    access_change_until: Mapped[datetime.datetime | None] = mapped_column(DateTime,
                                                                           nullable=True)
    # The configuration group attached (domain/configurations.py), if any.
    configuration_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    region: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # The source this instance replicates from (domain/replication.py), if it is a replica.
    # No foreign key: a source row is kept, marked deleted, after its delete.
    replica_of_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    updated: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, nullable=True)


class TaskManager(Base):
    """A running task manager: its heartbeat (seen_at) says it is alive (owners.py)."""

    __tablename__ = 'task_managers'

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    seen_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)


class InstanceKey(Base):
    """The per-instance key that encrypts RPC payloads to and from its guest."""

    __tablename__ = 'instance_keys'

    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    encrypted_key: Mapped[str] = mapped_column(Text)


class InstanceFault(Base):
    """Why an operation on an instance failed, in words for the tenant (details for admins)."""

    __tablename__ = 'instance_faults'

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    instance_id: Mapped[str] = mapped_column(String(36), index=True)
    message: Mapped[str] = mapped_column(String(255))
    details: Mapped[str] = mapped_column(Text, default='')
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class InstanceEvent(Base):
    """One step of one operation, so users see where a build stands or where it failed."""

    __tablename__ = 'instance_events'
    __table_args__ = (Index('ix_instance_events_backup', 'backup_id'),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    instance_id: Mapped[str] = mapped_column(String(36), index=True)
    operation: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    started: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    finished: Mapped[datetime.datetime | None] = mapped_column(DateTime, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16), default='RUNNING')
    message: Mapped[str] = mapped_column(String(255), default='')
    # The backup the step works on, as its message names it (events.backup_named): the
    # steps page joins it by equality (migration 0023).
    backup_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class RootEnabled(Base):
    """Root was enabled on an instance: by whom and when (the operator's root history).
    Kept after the instance is deleted, as its events and faults are."""

    __tablename__ = 'root_enabled_history'
    __table_args__ = (Index('ix_root_enabled_history_instance', 'instance_id', 'created'),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    instance_id: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)


class Network(Base):
    """An operator-defined network: one subnet that its instances' addresses come from."""

    __tablename__ = 'networks'

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    subnet_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    cidr: Mapped[str] = mapped_column(String(64), unique=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
