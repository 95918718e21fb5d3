"""Drones and crowds: no-fly geozones, flight declarations, drone telemetry, crowd zones and counts.

Telemetry and counts are input logs for the shared monitoring engine (read in id order, checkpointed
in ``monitor_checkpoints``). Counts are anonymous numbers: no identities, images or device ids.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantern.db import Base, UTCDateTime

InputId = BigInteger().with_variant(Integer, "sqlite")  # 64-bit on PostgreSQL, rowid on SQLite


class Geozone(Base):
    """A UAS geographical zone (ED-269 style): where drones may not fly, or only with authorisation."""

    __tablename__ = "airspace_geozones"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # airport | prison | event | hospital | other
    restriction: Mapped[str] = mapped_column(String(20))  # prohibited | authorisation
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)  # GeoJSON Polygon
    lower_m: Mapped[float] = mapped_column(Float, default=0.0)  # metres above ground
    upper_m: Mapped[float] = mapped_column(Float, default=120.0)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: permanent
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FlightDeclaration(Base):
    """A 4D volume an operator asks to fly in, approved or rejected with the reason."""

    __tablename__ = "drone_declarations"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    operator: Mapped[str] = mapped_column(String(120))  # organisation or registered operator id
    aircraft: Mapped[str] = mapped_column(String(60))  # aircraft registration or serial
    purpose: Mapped[str] = mapped_column(String(300))
    police: Mapped[bool] = mapped_column(Boolean, default=False)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    shape: Mapped[str] = mapped_column(String(10))  # polygon | corridor
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)
    width_m: Mapped[float] = mapped_column(Float, default=0.0)
    floor_m: Mapped[float] = mapped_column(Float)
    ceiling_m: Mapped[float] = mapped_column(Float)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    state: Mapped[str] = mapped_column(String(12), index=True)  # approved | rejected | cancelled
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DroneTelemetry(Base):
    """A telemetry point of a declared flight: the conformance stream's input log."""

    __tablename__ = "drone_telemetry"
    __table_args__ = (Index("ix_drone_telemetry_flight_time", "declaration_id", "time"),)

    id: Mapped[int] = mapped_column(InputId, primary_key=True)
    declaration_id: Mapped[str] = mapped_column(String(20))
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    alt_m: Mapped[float] = mapped_column(Float)  # above ground
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CrowdZone(Base):
    """A place with a known usable area, for density in persons per square metre."""

    __tablename__ = "crowd_zones"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    area_m2: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    levels: Mapped[list[float]] = mapped_column(JSON)  # thresholds of watch, warning, critical (persons/m²)
    rise_per_min: Mapped[float] = mapped_column(Float)  # rate-of-rise alert (persons/m² per minute)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CrowdCount(Base):
    """An anonymous people count for a zone at a time: the density stream's input log."""

    __tablename__ = "crowd_counts"
    __table_args__ = (Index("ix_crowd_counts_zone_time", "zone_id", "time"),)

    id: Mapped[int] = mapped_column(InputId, primary_key=True)
    zone_id: Mapped[str] = mapped_column(ForeignKey("crowd_zones.id", ondelete="CASCADE"))
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))  # counter | operator | demo
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
