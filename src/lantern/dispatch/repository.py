"""Queries of the dispatch desk; flushes, never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lantern.models import Assignment, Call, Incident, PremiseWarning, UnitStatusEvent


def add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def calls_of(session: Session, incident_id: int) -> list[Call]:
    return list(session.scalars(select(Call).where(Call.incident_id == incident_id).order_by(Call.received_at)))


def first_call_times(session: Session, incident_ids: list[int]) -> dict[int, datetime]:
    if not incident_ids:
        return {}
    query = select(Call.incident_id, func.min(Call.received_at)).where(Call.incident_id.in_(incident_ids))
    rows = session.execute(query.group_by(Call.incident_id)).all()
    return {int(i): t for i, t in rows}


def active_assignments(
    session: Session, incident_id: int | None = None, unit_id: int | None = None
) -> list[Assignment]:
    query = select(Assignment).where(Assignment.cleared_at.is_(None))
    if incident_id is not None:
        query = query.where(Assignment.incident_id == incident_id)
    if unit_id is not None:
        query = query.where(Assignment.unit_id == unit_id)
    return list(session.scalars(query.order_by(Assignment.id)))


def assignments_of(session: Session, incident_id: int) -> list[Assignment]:
    return list(
        session.scalars(select(Assignment).where(Assignment.incident_id == incident_id).order_by(Assignment.id))
    )


def dispatched_incident_ids(session: Session, incident_ids: list[int]) -> set[int]:
    if not incident_ids:
        return set()
    query = select(Assignment.incident_id).where(Assignment.incident_id.in_(incident_ids)).distinct()
    return {int(i) for i in session.scalars(query)}


def last_status_event(session: Session, unit_id: int) -> UnitStatusEvent | None:
    query = (
        select(UnitStatusEvent).where(UnitStatusEvent.unit_id == unit_id).order_by(UnitStatusEvent.id.desc()).limit(1)
    )
    return session.scalars(query).first()


def warnings_for(session: Session, address_ids: list[int], now: datetime) -> list[PremiseWarning]:
    if not address_ids:
        return []
    query = select(PremiseWarning).where(
        PremiseWarning.address_id.in_(address_ids),
        or_(PremiseWarning.expires_at.is_(None), PremiseWarning.expires_at > now),
    )
    return list(session.scalars(query.order_by(PremiseWarning.created_at)))


def kpi_rows(session: Session, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """One row per incident with its first call and first unit's timestamps."""
    first_call = (
        select(Call.incident_id.label("incident_id"), func.min(Call.received_at).label("received_at"))
        .group_by(Call.incident_id)
        .subquery()
    )
    first_assignment = (
        select(
            Assignment.incident_id.label("incident_id"),
            func.min(Assignment.assigned_at).label("assigned_at"),
            func.min(Assignment.enroute_at).label("enroute_at"),
            func.min(Assignment.onscene_at).label("onscene_at"),
        )
        .group_by(Assignment.incident_id)
        .subquery()
    )
    query = (
        select(
            Incident.id,
            Incident.priority,
            Incident.district_id,
            first_call.c.received_at,
            first_assignment.c.assigned_at,
            first_assignment.c.enroute_at,
            first_assignment.c.onscene_at,
        )
        .join(first_call, first_call.c.incident_id == Incident.id)
        .outerjoin(first_assignment, first_assignment.c.incident_id == Incident.id)
        .where(first_call.c.received_at >= since, first_call.c.received_at < until)
    )
    return [dict(r._mapping) for r in session.execute(query)]
