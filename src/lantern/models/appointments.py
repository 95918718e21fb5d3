"""Appointments at service halls and 24-hour self-service points (portal, issue 10).

Capacity lives in the database: ``appt_slots.booked`` only ever changes through a conditional
``UPDATE ... SET booked = booked + 1 WHERE booked < capacity`` and a CHECK keeps it within
``[0, capacity]``; one person per slot is a unique (active_slot_id, person_hash) constraint.
See docs/portal.md, "Appointments".
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lantern.db import Base, UTCDateTime


class Hall(Base):
    """A service hall (staffed) or a 24-hour self-service point, with its booking rules."""

    __tablename__ = "appt_halls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # hall | self_service
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    address_zh: Mapped[str] = mapped_column(String(300))
    address_en: Mapped[str] = mapped_column(String(300))
    services: Mapped[list[str]] = mapped_column(JSON)  # codes of appointments.service.SERVICES
    slot_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)  # people per slot
    horizon_days: Mapped[int] = mapped_column(Integer)  # bookable this far ahead
    min_notice_minutes: Mapped[int] = mapped_column(Integer)  # no booking closer to the start than this
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class HallHours(Base):
    """Opening hours of a hall on one weekday, in the city's local time; several rows make breaks."""

    __tablename__ = "appt_hall_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("appt_halls.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday ... 6 = Sunday (date.weekday())
    opens_min: Mapped[int] = mapped_column(Integer)  # minutes after local midnight
    closes_min: Mapped[int] = mapped_column(Integer)


class HallClosedDay(Base):
    """A day a hall is closed although its weekday has hours (public holidays)."""

    __tablename__ = "appt_closed_days"
    __table_args__ = (UniqueConstraint("hall_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("appt_halls.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")


class Slot(Base):
    """One bookable time of one hall; created on its first booking. ``booked`` is the seat counter."""

    __tablename__ = "appt_slots"
    __table_args__ = (
        UniqueConstraint("hall_id", "starts_at"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("appt_halls.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)


class Booking(Base):
    """A resident's appointment. The ID number is kept only as a keyed hash (``person_hash``)."""

    __tablename__ = "appt_bookings"
    __table_args__ = (
        # One booking per person per slot; a cancelled booking sets active_slot_id to NULL and
        # NULLs never collide, so the person may book that slot again.
        UniqueConstraint("active_slot_id", "person_hash"),
        UniqueConstraint("hall_id", "queue_day", "queue_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)  # shown to the resident and in the QR code
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # keyed hash of the manage-link token
    hall_id: Mapped[int] = mapped_column(ForeignKey("appt_halls.id"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("appt_slots.id"), index=True)
    active_slot_id: Mapped[int | None] = mapped_column(Integer)
    service: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    person_hash: Mapped[str] = mapped_column(String(64), index=True)
    lang: Mapped[str] = mapped_column(String(5), default="zh")
    status: Mapped[str] = mapped_column(String(12), index=True)  # booked | cancelled | checked_in | no_show
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by: Mapped[str] = mapped_column(String(100), default="")
    queue_day: Mapped[date | None] = mapped_column(Date)
    queue_number: Mapped[int | None] = mapped_column(Integer)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    no_show_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reschedules: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Booking({self.code}, {self.status})"
