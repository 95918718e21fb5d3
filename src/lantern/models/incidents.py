"""Recorded incidents (imported, simulated or created at the dispatch desk) and import batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false

from lantern.db import Base, UTCDateTime


class ImportBatch(Base):
    """One accepted import of a file: what was read, added, skipped and quarantined."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    profile: Mapped[str] = mapped_column(String(100))
    rows_read: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer)
    duplicates_in_file: Mapped[int] = mapped_column(Integer)
    already_present: Mapped[int] = mapped_column(Integer)
    quarantined: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Incident(Base):
    """A recorded incident at a place and a time, or a from-to window when that is unknown.

    ``occurred_to`` equals ``occurred_from`` for exact times; for coarser times it is the
    exclusive end of the window (a day-precision record runs from midnight to midnight).
    """

    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("source", "natural_key"),
        Index("ix_incidents_category_occurred_from", "category", "occurred_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    # Stable key of the record within its source: the source's id, else a content hash plus
    # the ordinal of identical rows, so re-importing a file adds nothing.
    natural_key: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100))
    occurred_from: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    occurred_to: Mapped[datetime] = mapped_column(UTCDateTime)
    time_precision: Mapped[str] = mapped_column(String(10))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    # No index: analyses group whole windows by cell; an index on random cell ids cost 2.8 s
    # per million imported rows on SQLite and no query needs it.
    h3_cell: Mapped[str] = mapped_column(String(16))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"), index=True)
    source_district: Mapped[str] = mapped_column(String(100), default="")
    premise: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # Restricted incidents (e.g. domestic violence) are visible only to roles allowed to see them.
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Dispatch-desk incidents (source "cad"): open until closed, graded P1-P4.
    status: Mapped[str] = mapped_column(String(20), default="closed", server_default="closed", index=True)
    priority: Mapped[int | None] = mapped_column(Integer)
    type_code: Mapped[str | None] = mapped_column(String(20))
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
