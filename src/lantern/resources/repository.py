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
