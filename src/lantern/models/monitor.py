"""Real-time monitoring: regulated vehicles and their terminals, positions, geofences, engine
checkpoints, and stolen-vehicle hotlists.

Hotlist reads that match nothing are never stored: only ``reader_counts`` (reads per reader per
hour) remembers that they happened.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantern.db import Base, UTCDateTime

# 64-bit on PostgreSQL (20,000 reports/s would exhaust 32 bits in 30 hours); SQLite's rowid is
# already 64-bit and only autoincrements on a column declared INTEGER.
PositionId = BigInteger().with_variant(Integer, "sqlite")


class MonitoredVehicle(Base):
    """A regulated vehicle (hazardous goods, coach, school bus ...); rules follow its class."""

    __tablename__ = "monitor_vehicles"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    plate: Mapped[str] = mapped_column(String(20), unique=True)
    vehicle_class: Mapped[str] = mapped_column(String(40))
    operator: Mapped[str] = mapped_column(String(120), default="")  # the transport company
    route: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # declared route, GeoJSON LineString
    route_width_m: Mapped[float] = mapped_column(Float, default=200.0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Terminal(Base):
    """A JT/T 808 terminal (keyed by its phone number) registered to a vehicle by an operator."""

    __tablename__ = "monitor_terminals"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("monitor_vehicles.id", ondelete="CASCADE"), index=True)
    auth_code: Mapped[str] = mapped_column(String(64), default="")
    protocol: Mapped[str] = mapped_column(String(8), default="")  # 2013 | 2019, seen at registration
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Position(Base):
    """An acknowledged position report: the engine's input log, read in id order.

    Deliberately indexed by id alone. With thousands of terminals reporting in turn, an index
    on (vehicle, time) puts every row on its own index page: it made each 1,000-row commit of
    the gateway ten times dearer (decision 0007, third addendum). A vehicle's history is read
    from :class:`VehicleTrack`, which the track stream fills from this log in batches.
    """

    __tablename__ = "monitor_positions"

    id: Mapped[int] = mapped_column(PositionId, primary_key=True)
    vehicle_id: Mapped[str] = mapped_column(String(40))
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    speed_kmh: Mapped[float] = mapped_column(Float)
    heading: Mapped[int] = mapped_column(Integer, default=0)
    altitude_m: Mapped[int] = mapped_column(Integer, default=0)
    valid: Mapped[bool] = mapped_column(Boolean, default=True)
    alarm_flags: Mapped[int] = mapped_column(BigInteger, default=0)  # 32 unsigned bits
    status_flags: Mapped[int] = mapped_column(BigInteger, default=0)
    extras: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(10))  # jt808 | http | replay
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VehicleTrack(Base):
    """One vehicle's positions from one UTC hour, as moved out of the input log in one batch.

    ``points`` holds the positions column-wise (``lantern.monitor.tracks`` reads and writes
    it), every field of the log row, so the log can be purged once its rows are here. A
    vehicle-hour has a row per batch until the hour is over, then one (sealed); a late upload
    into a sealed hour adds a row. ``first_position_id`` and ``last_position_id`` bound the log
    ids a row holds.
    """

    __tablename__ = "monitor_tracks"
    __table_args__ = (
        Index("ix_monitor_tracks_vehicle_hour", "vehicle_id", "hour"),
        Index("ix_monitor_tracks_hour", "hour"),
    )

    id: Mapped[int] = mapped_column(PositionId, primary_key=True)
    vehicle_id: Mapped[str] = mapped_column(String(40))
    hour: Mapped[datetime] = mapped_column(UTCDateTime)  # start of the UTC hour of the fixes' times
    first_position_id: Mapped[int] = mapped_column(BigInteger)
    last_position_id: Mapped[int] = mapped_column(BigInteger)
    count: Mapped[int] = mapped_column(Integer)
    points: Mapped[dict[str, Any]] = mapped_column(JSON)


class EngineCheckpoint(Base):
    """The engine's state and the last position id it has fully processed, written with its alerts."""

    __tablename__ = "monitor_checkpoints"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position_id: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Geofence(Base):
    """A polygon, circle or corridor the rules watch for entries and exits."""

    __tablename__ = "monitor_geofences"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    shape: Mapped[str] = mapped_column(String(10))  # polygon | circle | corridor
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)  # GeoJSON Polygon, Point or LineString
    size_m: Mapped[float] = mapped_column(Float, default=0.0)  # circle radius or corridor width
    alert_on: Mapped[str] = mapped_column(String(10), default="enter")
    classes: Mapped[list[str]] = mapped_column(JSON, default=list)
    severity: Mapped[str] = mapped_column(String(10), default="warning")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HotlistEntry(Base):
    """A stolen or wanted vehicle (plate) or motorcycle (RFID tag); needs a case and expires."""

    __tablename__ = "hotlist_entries"
    __table_args__ = (Index("ix_hotlist_entries_match", "kind", "match_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # plate | tag
    value: Mapped[str] = mapped_column(String(40))
    match_key: Mapped[str] = mapped_column(String(40))  # confusable characters folded
    case_ref: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(300), default="")
    added_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    removed_by: Mapped[str] = mapped_column(String(120), default="")
    removed_reason: Mapped[str] = mapped_column(String(300), default="")


class Reader(Base):
    """A fixed RFID reader or plate camera at a known place."""

    __tablename__ = "hotlist_readers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))  # plate | tag
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class HotlistHit(Base):
    """A read that matched a hotlist entry: kept, with the alert it raised."""

    __tablename__ = "hotlist_hits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("hotlist_entries.id", ondelete="CASCADE"), index=True)
    reader_id: Mapped[str] = mapped_column(ForeignKey("hotlist_readers.id", ondelete="CASCADE"))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_text: Mapped[str] = mapped_column(String(40))
    confidence: Mapped[float] = mapped_column(Float)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")


class ReaderCount(Base):
    """Reads per reader per hour: the only trace of reads that matched nothing."""

    __tablename__ = "reader_counts"

    reader_id: Mapped[str] = mapped_column(ForeignKey("hotlist_readers.id", ondelete="CASCADE"), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    reads: Mapped[int] = mapped_column(Integer, default=0)
    hits: Mapped[int] = mapped_column(Integer, default=0)
