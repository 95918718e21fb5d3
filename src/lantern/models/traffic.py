"""Traffic: detectors and their readings, probe speeds per road segment, road events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import true

from lantern.db import Base, UTCDateTime

# BIGINT on PostgreSQL; INTEGER on SQLite so the key is the rowid (fast, auto-assigned).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class TrafficDetector(Base):
    """A fixed detector (loop, radar, camera counter); ``code`` is its id in the source's files."""

    __tablename__ = "traffic_detectors"
    __table_args__ = (UniqueConstraint("source", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    h3_cell: Mapped[str] = mapped_column(String(16), default="")
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"))
    # Weight in network aggregation: the road length the detector stands for (None: equal weights).
    length_m: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TrafficReading(Base):
    """One detector interval: speed (km/h) and optionally flow (veh/h) and occupancy (0..1)."""

    __tablename__ = "traffic_readings"
    # One row per detector and interval: re-importing a file adds nothing.
    __table_args__ = (UniqueConstraint("detector_id", "time"), Index("ix_traffic_readings_time", "time"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    detector_id: Mapped[int] = mapped_column(ForeignKey("traffic_detectors.id", ondelete="CASCADE"))
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    speed_kmh: Mapped[float] = mapped_column(Float)
    flow_veh_h: Mapped[float | None] = mapped_column(Float)
    occupancy: Mapped[float | None] = mapped_column(Float)


class SegmentSpeed(Base):
    """Probe speed on one directed road segment over one slot, from map-matched vehicle positions."""

    __tablename__ = "traffic_segment_speeds"
    __table_args__ = (
        UniqueConstraint("edge_id", "time", "source"),
        Index("ix_traffic_segment_speeds_time", "time"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    edge_id: Mapped[int] = mapped_column(ForeignKey("road_edges.id", ondelete="CASCADE"))
    time: Mapped[datetime] = mapped_column(UTCDateTime)  # start of the slot
    slot_minutes: Mapped[int] = mapped_column(Integer)
    speed_kmh: Mapped[float] = mapped_column(Float)  # harmonic mean of the probe speeds (space-mean speed)
    samples: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(40))  # "probe", "probe-sim"


class RoadEvent(Base):
    """Road works, a closure, an accident or another incident on the road, recorded by an operator."""

    __tablename__ = "traffic_road_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stable public id used in the WZDx and CAP feeds (a UUID).
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # roadwork | closure | accident | incident
    name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # public text: published as is
    road_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    direction: Mapped[str] = mapped_column(String(20), default="unknown")
    lanes_total: Mapped[int | None] = mapped_column(Integer)
    lanes_closed: Mapped[list[int]] = mapped_column(JSON, default=list)
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)  # GeoJSON Point or LineString, WGS84
    lat: Mapped[float] = mapped_column(Float)  # representative point (first position)
    lon: Mapped[float] = mapped_column(Float)
    h3_cell: Mapped[str] = mapped_column(String(16))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)  # bumped on every change; CAP Update messages
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(120), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
