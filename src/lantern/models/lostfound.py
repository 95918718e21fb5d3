"""Lost and found: items handed in (registered by staff) and residents' lost-item reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lantern.db import Base, UTCDateTime


class FoundItem(Base):
    """An item handed in to the police, kept at ``storage_place`` until handed over."""

    __tablename__ = "lf_found_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # label on the item's bag
    category: Mapped[str] = mapped_column(String(30), index=True)
    description: Mapped[str] = mapped_column(Text)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    found_place: Mapped[str] = mapped_column(String(300))
    district_code: Mapped[str] = mapped_column(String(40), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    storage_place: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), index=True)  # stored | handed_over
    registered_by: Mapped[str] = mapped_column(String(100))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handed_to_name: Mapped[str] = mapped_column(String(100), default="")
    id_checked: Mapped[bool | None] = mapped_column(Boolean)
    handed_over_by: Mapped[str] = mapped_column(String(100), default="")
    unclaimed_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class LostReport(Base):
    """A resident's report of a lost item, followed by its tracking code."""

    __tablename__ = "lf_lost_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    category: Mapped[str] = mapped_column(String(30), index=True)
    description: Mapped[str] = mapped_column(Text)
    lost_from: Mapped[datetime] = mapped_column(UTCDateTime)
    lost_to: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    lost_place: Mapped[str] = mapped_column(String(300))
    district_code: Mapped[str] = mapped_column(String(40), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    email: Mapped[str] = mapped_column(String(254))
    lang: Mapped[str] = mapped_column(String(5), default="zh")
    status: Mapped[str] = mapped_column(String(12), index=True)  # open | likely_match | returned | closed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    matched_item_id: Mapped[int | None] = mapped_column(ForeignKey("lf_found_items.id"))
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LostFoundMatch(Base):
    """A pair staff marked as a likely match (the resident is told) or ruled out."""

    __tablename__ = "lf_matches"
    __table_args__ = (UniqueConstraint("lost_id", "found_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lost_id: Mapped[int] = mapped_column(ForeignKey("lf_lost_reports.id", ondelete="CASCADE"), index=True)
    found_id: Mapped[int] = mapped_column(ForeignKey("lf_found_items.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(12))  # likely | ruled_out
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
