"""Every query of appointments; flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Row, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from lantern.models.appointments import Booking, Hall, HallClosedDay, HallHours, Slot


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


def hall_by_code(session: Session, code: str) -> Hall | None:
    return session.scalars(select(Hall).where(Hall.code == code)).one_or_none()


def halls(session: Session, active_only: bool = True) -> Sequence[Hall]:
    query = select(Hall).order_by(Hall.kind, Hall.code)
    if active_only:
        query = query.where(Hall.active.is_(True))
    return session.scalars(query).all()


def hours(session: Session, hall_id: int) -> Sequence[HallHours]:
    return session.scalars(
        select(HallHours).where(HallHours.hall_id == hall_id).order_by(HallHours.weekday, HallHours.opens_min)
    ).all()


def closed_days(session: Session, hall_id: int, first: date, last: date) -> set[date]:
    return set(
        session.scalars(
            select(HallClosedDay.day).where(
                HallClosedDay.hall_id == hall_id, HallClosedDay.day >= first, HallClosedDay.day <= last
            )
        )
    )


def booked_counts(session: Session, hall_id: int, start: datetime, end: datetime) -> dict[datetime, int]:
    """Seats taken per slot start (plain rows, never stale ORM objects: the counter moves under us)."""
    rows = session.execute(
        select(Slot.starts_at, Slot.booked).where(
            Slot.hall_id == hall_id, Slot.starts_at >= start, Slot.starts_at < end
        )
    ).all()
    return {row.starts_at: row.booked for row in rows}


def ensure_slot(session: Session, hall_id: int, starts_at: datetime, ends_at: datetime, capacity: int) -> int:
    """The slot's id, creating its row if this is its first booking (safe when two do so at once)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(Slot)
        .values(hall_id=hall_id, starts_at=starts_at, ends_at=ends_at, capacity=capacity, booked=0)
        .on_conflict_do_nothing(index_elements=["hall_id", "starts_at"])
    )
    session.execute(statement)
    slot_id: int = session.execute(
        select(Slot.id).where(Slot.hall_id == hall_id, Slot.starts_at == starts_at)
    ).scalar_one()
    return slot_id


def take_seat(session: Session, slot_id: int) -> bool:
    """Take one seat if one is free: a single conditional UPDATE, so the database decides.

    On PostgreSQL a concurrent UPDATE of the same row waits for the other transaction and then
    re-checks ``booked < capacity`` against the committed value; on SQLite writers are serialised.
    """
    result = session.execute(
        update(Slot.__table__)
        .where(Slot.__table__.c.id == slot_id, Slot.__table__.c.booked < Slot.__table__.c.capacity)
        .values(booked=Slot.__table__.c.booked + 1)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def release_seat(session: Session, slot_id: int) -> None:
    session.execute(
        update(Slot.__table__)
        .where(Slot.__table__.c.id == slot_id, Slot.__table__.c.booked > 0)
        .values(booked=Slot.__table__.c.booked - 1)
    )


def slot_times(session: Session, slot_id: int) -> Row[datetime, datetime]:
    return session.execute(select(Slot.starts_at, Slot.ends_at).where(Slot.id == slot_id)).one()


def booking_by_token_hash(session: Session, token_hash: str) -> Booking | None:
    return session.scalars(select(Booking).where(Booking.token_hash == token_hash)).one_or_none()


def booking_by_code(session: Session, hall_id: int, code: str) -> Booking | None:
    return session.scalars(select(Booking).where(Booking.hall_id == hall_id, Booking.code == code)).one_or_none()


def code_taken(session: Session, code: str) -> bool:
    return session.scalar(select(func.count()).select_from(Booking).where(Booking.code == code)) != 0


def bookings_between(
    session: Session, hall_id: int, start: datetime, end: datetime
) -> Sequence[Row[Booking, datetime, datetime]]:
    """A hall's bookings whose slot starts in [start, end), with the slot's times, by start then queue."""
    return session.execute(
        select(Booking, Slot.starts_at, Slot.ends_at)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.hall_id == hall_id, Slot.starts_at >= start, Slot.starts_at < end)
        .order_by(Slot.starts_at, Booking.queue_number, Booking.id)
    ).all()


def last_queue_number(session: Session, hall_id: int, day: date) -> int:
    found = session.scalar(
        select(func.max(Booking.queue_number)).where(Booking.hall_id == hall_id, Booking.queue_day == day)
    )
    return int(found or 0)


def no_show_times(session: Session, person_hash: str, since: datetime) -> list[datetime]:
    """When this person's missed appointments ended, oldest first."""
    return list(
        session.scalars(
            select(Slot.ends_at)
            .join(Booking, Booking.slot_id == Slot.id)
            .where(Booking.person_hash == person_hash, Booking.status == "no_show", Slot.ends_at >= since)
            .order_by(Slot.ends_at)
        )
    )


def overdue_bookings(session: Session, ended_before: datetime) -> Sequence[Booking]:
    """Bookings still open whose slot ended before the cut-off (candidates for no-show)."""
    return session.scalars(
        select(Booking)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.status == "booked", Slot.ends_at < ended_before)
        .order_by(Booking.id)
    ).all()


def reminders_due(
    session: Session, now: datetime, starts_before: datetime
) -> Sequence[Row[Booking, datetime, datetime]]:
    """Open bookings with an e-mail address, not yet reminded, whose slot starts in (now, starts_before]."""
    return session.execute(
        select(Booking, Slot.starts_at, Slot.ends_at)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(
            Booking.status == "booked",
            Booking.reminder_sent_at.is_(None),
            Booking.email != "",
            Slot.starts_at > now,
            Slot.starts_at <= starts_before,
        )
        .order_by(Slot.starts_at, Booking.id)
    ).all()
