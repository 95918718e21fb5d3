"""Stations and units: creation and listing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

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
