"""The city model: districts, the road graph and the address registry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantern.db import Base, UTCDateTime

# BIGINT on PostgreSQL; INTEGER on SQLite so the key is the rowid (fast, auto-assigned).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class City(Base):
    """The one city this deployment serves (a single row, id 1)."""

    __tablename__ = "city"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(500))
    attribution: Mapped[str] = mapped_column(String(500), default="")
    min_lat: Mapped[float] = mapped_column(Float)
    min_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class District(Base):
    """A policing district; geometry kept as GeoJSON (PostGIS mirrors it in a geometry column)."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    geojson: Mapped[str] = mapped_column(Text)
    area_m2: Mapped[float] = mapped_column(Float)
    centroid_lat: Mapped[float] = mapped_column(Float)
    centroid_lon: Mapped[float] = mapped_column(Float)


class RoadNode(Base):
    """A junction or shape point of the directed road graph."""

    __tablename__ = "road_nodes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    osm_id: Mapped[int | None] = mapped_column(BigInteger)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class RoadEdge(Base):
    """A directed road segment: two-way roads are two edges."""

    __tablename__ = "road_edges"
    __table_args__ = (Index("ix_road_edges_source_target", "source_id", "target_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("road_nodes.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("road_nodes.id", ondelete="CASCADE"))
    length_m: Mapped[float] = mapped_column(Float)
    road_class: Mapped[str] = mapped_column(String(40))
    speed_kmh: Mapped[float] = mapped_column(Float)
    name: Mapped[str] = mapped_column(String(200), default="")
    osm_way_id: Mapped[int | None] = mapped_column(BigInteger)
    # [[lon, lat], ...] as JSON text; short and readable by every backend.
    coordinates: Mapped[str] = mapped_column(Text)


class Address(Base):
    """An entry of the standard address registry."""

    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(300))
    normalised: Mapped[str] = mapped_column(String(300), index=True)
    street: Mapped[str] = mapped_column(String(200))
    housenumber: Mapped[str] = mapped_column(String(40))
    postcode: Mapped[str] = mapped_column(String(20), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    h3_cell: Mapped[str] = mapped_column(String(16), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(40))
