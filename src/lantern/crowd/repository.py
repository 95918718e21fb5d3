"""Every query of the crowd domain; flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lantern.models import CrowdCount, CrowdZone


def add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def zones(session: Session) -> Sequence[CrowdZone]:
    return session.scalars(select(CrowdZone).where(CrowdZone.active.is_(True)).order_by(CrowdZone.name)).all()


def zone(session: Session, zone_id: str) -> CrowdZone | None:
    return session.get(CrowdZone, zone_id)


def insert_counts(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(CrowdCount), rows)


def counts_after(session: Session, after_id: int, limit: int) -> list[Any]:
    query = (
        select(CrowdCount.id, CrowdCount.zone_id, CrowdCount.time, CrowdCount.count)
        .where(CrowdCount.id > after_id)
        .order_by(CrowdCount.id)
        .limit(limit)
    )
    return list(session.execute(query).all())


def counts_since(session: Session, zone_id: str, since: datetime) -> Sequence[CrowdCount]:
    query = select(CrowdCount).where(CrowdCount.zone_id == zone_id, CrowdCount.time >= since).order_by(CrowdCount.time)
    return session.scalars(query).all()
