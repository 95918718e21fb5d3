"""JSON and GeoJSON endpoints for recorded incidents."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from lantern.errors import ValidationFailed
from lantern.incidents import service as incident_service
from lantern.incidents.schemas import IncidentPage, IncidentRead
from lantern.kit.time import within_supported_range
from lantern.security.policy import Principal
from lantern.web.auth import require
from lantern.web.deps import SessionDep
from lantern.web.params import IdPath, OffsetQuery, OptionalIdQuery

Reader = Annotated[Principal, require("incident:read")]

router = APIRouter(prefix="/api/incidents", tags=["incidents"])


def _window(since: datetime | None, until: datetime | None) -> tuple[datetime | None, datetime | None]:
    try:
        since = within_supported_range(since, "since") if since else None
        until = within_supported_range(until, "until") if until else None
    except ValueError as exc:
        raise ValidationFailed(f"{exc}; give an aware time such as 2026-11-01T08:00+08:00") from exc
    if since and until and until <= since:
        raise ValidationFailed(f"until ({until.isoformat()}) must be after since ({since.isoformat()})")
    return since, until


@router.get("", response_model=IncidentPage)
def list_incidents(
    session: SessionDep,
    principal: Reader,
    since: datetime | None = None,
    until: datetime | None = None,
    category: str | None = Query(None, max_length=100),
    district_id: OptionalIdQuery = None,
    limit: int = Query(100, ge=1, le=5000),
    offset: OffsetQuery = 0,
) -> Any:
    """Incidents newest first with filters and paging."""
    since, until = _window(since, until)
    filters: dict[str, Any] = {
        "since": since,
        "until": until,
        "category": category,
        "district_id": district_id,
    }
    scope = principal.row_scope()
    items = incident_service.list_incidents(session, scope, limit=limit, offset=offset, **filters)
    return IncidentPage(
        total=incident_service.count(session, scope, **filters),
        limit=limit,
        offset=offset,
        items=[IncidentRead.model_validate(i) for i in items],
    )


@router.get(".geojson")
def incidents_geojson(
    session: SessionDep,
    principal: Reader,
    days: int = Query(30, ge=1, le=3660, description="window length, ending at the newest incident"),
    until: datetime | None = None,
    category: str | None = Query(None, max_length=100),
    district_id: OptionalIdQuery = None,
    limit: int = Query(5000, ge=1, le=50000),
) -> dict[str, Any]:
    """Recent incidents as GeoJSON: the ``days`` before ``until`` (default: the newest incident)."""
    _, until = _window(None, until)
    scope = principal.row_scope()
    end = until or incident_service.latest_time(session, scope)
    if end is None:
        return {"type": "FeatureCollection", "features": []}
    end = end + timedelta(microseconds=1) if until is None else end
    return incident_service.geojson(
        session,
        scope,
        since=end - timedelta(days=days),
        until=end,
        category=category,
        district_id=district_id,
        limit=limit,
    )


@router.get("/{incident_id}", response_model=IncidentRead)
def read_incident(session: SessionDep, principal: Reader, incident_id: IdPath) -> Any:
    """One incident (404 when it is outside the reader's scope)."""
    return incident_service.get_or_raise(session, principal.row_scope(), incident_id)
