"""Every query of the city domain; takes a session, flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from lantern.models import Address, City, District, RoadEdge, RoadNode

BULK_CHUNK = 20_000  # rows per executemany; larger chunks gain nothing on SQLite or PostgreSQL


def get_city(session: Session) -> City | None:
    return session.get(City, 1)


def delete_city(session: Session) -> None:
    for model in (Address, RoadEdge, RoadNode, District, City):
        session.execute(delete(model))
    session.flush()


def add_city(session: Session, city: City) -> None:
    session.add(city)
    session.flush()


def bulk_insert(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> int:
    for start in range(0, len(rows), BULK_CHUNK):
        session.execute(insert(model), list(rows[start : start + BULK_CHUNK]))
    session.flush()
    return len(rows)


def add_districts(session: Session, districts: Sequence[District]) -> list[District]:
    session.add_all(districts)
    session.flush()
    return list(districts)


def list_districts(session: Session) -> list[District]:
    return list(session.scalars(select(District).order_by(District.code)))


def get_district(session: Session, district_id: int) -> District | None:
    return session.get(District, district_id)


def list_addresses(session: Session) -> list[Address]:
    return list(session.scalars(select(Address).order_by(Address.id)))


def get_address(session: Session, address_id: int) -> Address | None:
    return session.get(Address, address_id)


def list_nodes(session: Session) -> Sequence[Any]:
    return session.execute(select(RoadNode.id, RoadNode.lat, RoadNode.lon).order_by(RoadNode.id)).all()


def list_edges(session: Session, road_classes: Sequence[str] | None = None) -> Sequence[Any]:
    query = select(
        RoadEdge.id,
        RoadEdge.source_id,
        RoadEdge.target_id,
        RoadEdge.length_m,
        RoadEdge.road_class,
        RoadEdge.speed_kmh,
        RoadEdge.name,
        RoadEdge.coordinates,
    ).order_by(RoadEdge.id)
    if road_classes:
        query = query.where(RoadEdge.road_class.in_(road_classes))
    return session.execute(query).all()


def counts(session: Session) -> dict[str, int]:
    return {
        name: int(session.scalar(select(func.count()).select_from(model)) or 0)
        for name, model in (
            ("districts", District),
            ("road_nodes", RoadNode),
            ("road_edges", RoadEdge),
            ("addresses", Address),
        )
    }
