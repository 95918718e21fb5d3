"""Every query of the drone domain; flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from lantern.models import DroneTelemetry, FlightDeclaration, Geozone


def add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def geozones(session: Session, active_only: bool = True) -> Sequence[Geozone]:
    query = select(Geozone).order_by(Geozone.name)
    if active_only:
        query = query.where(Geozone.active.is_(True))
    return session.scalars(query).all()


def geozone(session: Session, zone_id: str) -> Geozone | None:
    return session.get(Geozone, zone_id)


def declaration(session: Session, declaration_id: str) -> FlightDeclaration | None:
    return session.get(FlightDeclaration, declaration_id)


def declarations(session: Session, since: datetime | None = None, limit: int = 200) -> Sequence[FlightDeclaration]:
    query = select(FlightDeclaration).order_by(FlightDeclaration.created_at.desc()).limit(limit)
    if since is not None:
        query = query.where(FlightDeclaration.ends_at >= since)
    return session.scalars(query).all()


def approved_between(session: Session, start: datetime, end: datetime) -> Sequence[FlightDeclaration]:
    query = select(FlightDeclaration).where(
        FlightDeclaration.state == "approved", FlightDeclaration.starts_at < end, FlightDeclaration.ends_at > start
    )
    return session.scalars(query).all()


def next_number(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(FlightDeclaration)) or 0) + 1


def insert_telemetry(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(DroneTelemetry), rows)


def telemetry_after(session: Session, after_id: int, limit: int) -> list[Any]:
    query = (
        select(
            DroneTelemetry.id,
            DroneTelemetry.declaration_id,
            DroneTelemetry.time,
            DroneTelemetry.lat,
            DroneTelemetry.lon,
            DroneTelemetry.alt_m,
        )
        .where(DroneTelemetry.id > after_id)
        .order_by(DroneTelemetry.id)
        .limit(limit)
    )
    return list(session.execute(query).all())


def last_telemetry(session: Session, declaration_ids: Sequence[str]) -> dict[str, Any]:
    """The newest point of each flight."""
    newest = (
        select(DroneTelemetry.declaration_id, func.max(DroneTelemetry.id).label("id"))
        .where(DroneTelemetry.declaration_id.in_(list(declaration_ids)))
        .group_by(DroneTelemetry.declaration_id)
        .subquery()
    )
    rows = session.execute(select(DroneTelemetry).join(newest, DroneTelemetry.id == newest.c.id)).scalars().all()
    return {r.declaration_id: r for r in rows}
