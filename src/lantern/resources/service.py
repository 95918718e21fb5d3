"""Stations and units: creation and listing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from lantern.errors import NotFound
from lantern.models import Station, Unit
from lantern.resources import repository


def create_stations(session: Session, stations: Sequence[Station]) -> list[Station]:
    """Add stations."""
    return repository.add_stations(session, stations)


def create_units(session: Session, units: Sequence[Unit]) -> list[Unit]:
    """Add units."""
    return repository.add_units(session, units)


def list_stations(session: Session) -> list[Station]:
    """All stations."""
    return repository.list_stations(session)


def list_units(session: Session) -> list[Unit]:
    """All units by call sign."""
    return repository.list_units(session)


def get_or_raise(session: Session, unit_id: int) -> Unit:
    """One unit or NotFound."""
    unit = repository.get_unit(session, unit_id)
    if unit is None:
        raise NotFound(f"unit {unit_id} does not exist")
    return unit


def by_callsign_or_raise(session: Session, callsign: str) -> Unit:
    unit = repository.unit_by_callsign(session, callsign)
    if unit is None:
        raise NotFound(f"no unit with call sign {callsign!r}")
    return unit


def lock(session: Session, unit_ids: list[int]) -> list[Unit]:
    """Units locked for update until commit; NotFound names any that do not exist."""
    units = repository.lock_units(session, unit_ids)
    missing = sorted(set(unit_ids) - {u.id for u in units})
    if missing:
        raise NotFound(f"unit(s) {missing} do not exist")
    return units


def with_status(session: Session, statuses: list[str]) -> list[Unit]:
    return repository.units_with_status(session, statuses)


def unit_of_officer(session: Session, user_id: int) -> Unit | None:
    return repository.unit_of_officer(session, user_id)


def move(unit: Unit, lat: float, lon: float, at: datetime) -> None:
    """Record a unit's position."""
    unit.lat, unit.lon, unit.position_at = lat, lon, at
