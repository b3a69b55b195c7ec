"""An instance's recent metrics: a fixed-size ring of samples (domain/metrics.py)."""
import datetime

from sqlalchemy import BigInteger, DateTime, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api_service.db.models import Base


class InstanceMetric(Base):
    """One slot of an instance's ring: the last sample its heartbeats wrote there.

    The slot is the sample's time in [metrics] interval_seconds steps, modulo a day's worth
    of them, so a slot is overwritten a day later and an instance never has more rows than
    that. No index beyond the key: a read is one instance's rows, at most a day's slots.
    """

    __tablename__ = 'instance_metrics'

    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sampled_at: Mapped[datetime.datetime] = mapped_column(DateTime)
    # Each None when the guest could not read it (the engine stopped, a read failed).
    cpu_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    memory_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    connections: Mapped[int | None] = mapped_column(Integer, nullable=True)
    queries_per_second: Mapped[float | None] = mapped_column(Float, nullable=True)
    volume_used_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
