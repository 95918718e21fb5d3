"""Queries of stations and units; flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantern.models import Station, Unit


def add_stations(session: Session, stations: Sequence[Station]) -> list[Station]:
    session.add_all(stations)
    session.flush()
    return list(stations)


def add_units(session: Session, units: Sequence[Unit]) -> list[Unit]:
    session.add_all(units)
    session.flush()
    return list(units)


def list_stations(session: Session) -> list[Station]:
    return list(session.scalars(select(Station).order_by(Station.id)))


def list_units(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).order_by(Unit.callsign)))


def get_unit(session: Session, unit_id: int) -> Unit | None:
    return session.get(Unit, unit_id)


def lock_units(session: Session, unit_ids: list[int]) -> list[Unit]:
    """Units locked until commit, in id order (a fixed order avoids deadlocks between desks)."""
    query = select(Unit).where(Unit.id.in_(sorted(unit_ids))).order_by(Unit.id).with_for_update()
    return list(session.scalars(query.execution_options(populate_existing=True)))


def unit_by_callsign(session: Session, callsign: str) -> Unit | None:
    return session.scalars(select(Unit).where(Unit.callsign == callsign)).one_or_none()


def unit_of_officer(session: Session, user_id: int) -> Unit | None:
    return session.scalars(select(Unit).where(Unit.officer_user_id == user_id)).first()


def units_with_status(session: Session, statuses: list[str]) -> list[Unit]:
    return list(session.scalars(select(Unit).where(Unit.status.in_(statuses)).order_by(Unit.id)))
