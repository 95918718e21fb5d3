"""Ground truth kept by the simulator, for evaluating analysis methods; never shown as fact."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lantern.db import Base


class SimTruth(Base):
    """Which process generated a simulated incident."""

    __tablename__ = "sim_truth"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    process: Mapped[str] = mapped_column(String(20))  # background | hotspot | near_repeat
    hotspot: Mapped[int | None] = mapped_column(Integer)
    parent_incident_id: Mapped[int | None] = mapped_column(Integer)
