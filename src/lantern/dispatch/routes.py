"""JSON API of the dispatch desk: intake, recommendation, assignment, unit status, KPIs, EIDO."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from lantern.dispatch import eido, kpi, timers
from lantern.dispatch import service as dispatch_service
from lantern.dispatch.schemas import (
    AssignIn,
    CallCreate,
    CloseIn,
    DuplicateRead,
    EventRead,
    FieldReportIn,
    IncidentSummary,
    IntakeRead,
    PositionIn,
    RecommendationRead,
    RecommendationsRead,
    StatusIn,
    UnitRead,
)
from lantern.errors import ValidationFailed
from lantern.incidents import service as incident_service
from lantern.kit.time import within_supported_range
from lantern.resources import service as resource_service
from lantern.security import context
from lantern.security.access import audit
from lantern.security.policy import Principal
from lantern.web.auth import require, require_any
from lantern.web.deps import SessionDep
from lantern.web.params import IdPath

router = APIRouter(prefix="/api/dispatch", tags=["dispatch"])
Intake = Annotated[Principal, require("dispatch:intake")]
Dispatcher = Annotated[Principal, require("dispatch:assign")]
Reader = Annotated[Principal, require("incident:read")]
UnitReader = Annotated[Principal, require("unit:read")]


@router.get("/types")
def incident_types(session: SessionDep, principal: Intake) -> list[dict[str, Any]]:
    """The incident type code table with default priorities."""
    table = dispatch_service.codes(session)
    return [
        {"code": t.code, "label": t.label, "apco": t.apco, "family": t.family, "priority": t.priority}
        for t in sorted(table.types.values(), key=lambda t: (t.priority, t.label))
    ]


@router.get("/check")
def check_location(
    session: SessionDep,
    principal: Intake,
    type_code: str = Query(max_length=20),
    address: str | None = Query(None, max_length=300),
    lat: float | None = Query(None, ge=-90, le=90),
    lon: float | None = Query(None, ge=-180, le=180),
) -> dict[str, Any]:
    """Before saving a call: where it is, open incidents it may duplicate, premise warnings."""
    call = CallCreate(type_code=type_code, address=address, lat=lat, lon=lon)
    where = dispatch_service.locate(session, call)
    incident_type = dispatch_service.codes(session).type_or_raise(type_code)
    found = dispatch_service.duplicates(session, principal.row_scope(), incident_type, where.lat, where.lon)
    return {
        "location": {"lat": where.lat, "lon": where.lon, "address_id": where.address_id, "text": where.text},
        "duplicates": [d.model_dump() for d in found],
        "premise_warnings": dispatch_service.premise_warnings(session, where.address_id),
        "priority": incident_type.priority,
    }


@router.post("/calls", response_model=IntakeRead, status_code=status.HTTP_201_CREATED)
def take_call(session: SessionDep, principal: Intake, call_in: CallCreate) -> Any:
    """Record a call: a new incident, or (with merge_into) joined to an open one."""
    result = dispatch_service.take_call(session, principal, call_in)
    return IntakeRead(
        incident=IncidentSummary.model_validate(result.incident),
        call_id=result.call.id,
        merged=result.merged,
        duplicates=[DuplicateRead.model_validate(d) for d in result.duplicates],
        premise_warnings=result.premise_warnings,
    )


@router.get("/incidents.geojson")
def open_incidents(session: SessionDep, principal: Reader) -> dict[str, Any]:
    """Open incidents in the reader's scope as GeoJSON."""
    features = [
        {
            "type": "Feature",
            "id": i.id,
            "geometry": {"type": "Point", "coordinates": [i.lon, i.lat]},
            "properties": dispatch_service.incident_event(i),
        }
        for i in incident_service.open_incidents(session, principal.row_scope())
    ]
    return {"type": "FeatureCollection", "features": features}


@router.get("/incidents/{incident_id}")
def incident_detail(session: SessionDep, principal: Reader, incident_id: IdPath) -> dict[str, Any]:
    """An incident with its calls (without personal data), units and timeline."""
    scope = principal.row_scope()
    incident = incident_service.get_or_raise(session, scope, incident_id)
    units = {u.id: u.callsign for u in resource_service.list_units(session)}
    return {
        "incident": IncidentSummary.model_validate(incident).model_dump(mode="json"),
        "calls": [
            {
                "id": c.id,
                "received_at": c.received_at.isoformat(),
                "type_code": c.type_code,
                "priority": c.priority,
                "location": c.location_text,
                "narrative": c.narrative,
                "merged": c.merged,
                "taken_by": c.taken_by,
                "has_caller": c.caller_party_id is not None,
            }
            for c in dispatch_service.calls_of(session, incident_id)
        ],
        "assignments": [
            {
                "unit": units.get(a.unit_id),
                "assigned_at": a.assigned_at.isoformat(),
                "recommended": a.recommended,
                "override_reason": a.override_reason,
                "travel_seconds": a.travel_seconds,
                "enroute_at": a.enroute_at.isoformat() if a.enroute_at else None,
                "onscene_at": a.onscene_at.isoformat() if a.onscene_at else None,
                "cleared_at": a.cleared_at.isoformat() if a.cleared_at else None,
            }
            for a in dispatch_service.assignments_of(session, incident_id)
        ],
        "timeline": [
            EventRead.model_validate(e).model_dump(mode="json")
            for e in incident_service.timeline(session, scope, incident_id)
        ],
    }


@router.get("/incidents/{incident_id}/recommendations", response_model=RecommendationsRead)
def recommendations(session: SessionDep, principal: Dispatcher, incident_id: IdPath) -> Any:
    """Nearest available suitable units by road travel time, per the response plan."""
    result = dispatch_service.recommend(session, principal, incident_id)
    note = ""
    if any(r.straight_line for r in result.recommendations):
        note = "some times are straight-line estimates: the road graph offers no route"
    if result.missing:
        note = (
            (note + "; " if note else "")
            + "not enough available units: "
            + ", ".join(f"{n} {k}" for k, n in result.missing.items())
        )
    return RecommendationsRead(
        incident_id=incident_id,
        plan=result.plan,
        missing=result.missing,
        note=note,
        recommendations=[RecommendationRead(**r.__dict__) for r in result.recommendations],
    )


@router.post("/incidents/{incident_id}/assign")
def assign(session: SessionDep, principal: Dispatcher, incident_id: IdPath, assign_in: AssignIn) -> dict[str, Any]:
    """Send units (the recommendation, or others with a reason)."""
    made = dispatch_service.assign(session, principal, incident_id, assign_in.unit_ids, assign_in.override_reason)
    return {"incident_id": incident_id, "assigned": [a.unit_id for a in made]}


@router.post("/incidents/{incident_id}/close")
def close(session: SessionDep, principal: Dispatcher, incident_id: IdPath, close_in: CloseIn) -> dict[str, Any]:
    incident = dispatch_service.close_incident(session, principal, incident_id, close_in.disposition)
    return {"incident_id": incident.id, "status": incident.status}


@router.post("/incidents/{incident_id}/reports", status_code=status.HTTP_201_CREATED)
def field_report(
    session: SessionDep,
    principal: Annotated[Principal, require("incident:write")],
    incident_id: IdPath,
    report: FieldReportIn,
) -> dict[str, Any]:
    """A short report from the field, added to the timeline."""
    dispatch_service.field_report(session, principal, incident_id, report.text)
    return {"incident_id": incident_id}


@router.get("/units", response_model=list[UnitRead])
def units(session: SessionDep, principal: UnitReader) -> Any:
    return resource_service.list_units(session)


@router.get("/units.geojson")
def units_geojson(session: SessionDep, principal: UnitReader) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "id": u.id,
            "geometry": {"type": "Point", "coordinates": [u.lon, u.lat]},
            "properties": dispatch_service.unit_event(u),
        }
        for u in resource_service.list_units(session)
        if u.lat is not None and u.lon is not None
    ]
    return {"type": "FeatureCollection", "features": features}


@router.post("/units/{unit_id}/status", response_model=UnitRead)
def unit_status(
    session: SessionDep,
    principal: Annotated[Principal, require_any("unit:update_own", "unit:update_any")],
    unit_id: IdPath,
    status_in: StatusIn,
) -> Any:
    """Move a unit through its statuses (illegal transitions answer 409 with the options)."""
    return dispatch_service.set_unit_status(session, principal, unit_id, status_in.status, status_in.reason)


@router.post("/units/{unit_id}/position", response_model=UnitRead)
def unit_position(
    session: SessionDep,
    principal: Annotated[Principal, require("unit:report_position")],
    unit_id: IdPath,
    position: PositionIn,
) -> Any:
    """A vehicle terminal reporting the unit's position."""
    return dispatch_service.report_position(session, unit_id, position.lat, position.lon)


def _period(since: datetime | None, until: datetime | None, session: SessionDep) -> tuple[datetime, datetime]:
    try:
        end = within_supported_range(until, "until") if until else context.now(session)
        start = within_supported_range(since, "since") if since else end - timedelta(days=30)
    except ValueError as exc:
        raise ValidationFailed(f"{exc}; give an aware time such as 2026-11-01T08:00+08:00") from exc
    if end <= start:
        raise ValidationFailed("until must be after since")
    return start, end


@router.get("/kpi")
def kpi_json(
    session: SessionDep,
    principal: Annotated[Principal, require("kpi:read")],
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """p50/p90 seconds per stage, by priority and by priority and district."""
    start, end = _period(since, until, session)
    tables = kpi.report(session, principal, start, end)
    return {
        "since": start.isoformat(),
        "until": end.isoformat(),
        **{name: table.to_dicts() for name, table in tables.items()},
    }


@router.get("/kpi.csv")
def kpi_csv(
    session: SessionDep,
    principal: Annotated[Principal, require("kpi:read")],
    since: datetime | None = None,
    until: datetime | None = None,
) -> Response:
    """The per priority and district table as CSV."""
    start, end = _period(since, until, session)
    buffer = io.StringIO()
    kpi.report(session, principal, start, end)["by_priority_district"].write_csv(buffer)
    return Response(
        buffer.getvalue(),
        media_type="text/csv",
        headers={"content-disposition": 'attachment; filename="response-times.csv"'},
    )


@router.get("/incidents/{incident_id}/eido")
def eido_export(
    session: SessionDep, principal: Annotated[Principal, require("eido:export")], incident_id: IdPath
) -> dict[str, Any]:
    """The incident as a NENA-STA-021 EIDO document (no caller identity: that needs a purpose)."""
    document = eido.export_incident(session, principal, incident_id)
    audit(session, principal, "disclose", "incident", incident_id, details={"format": "eido"})
    return document


@router.post("/eido", status_code=status.HTTP_201_CREATED)
def eido_import(
    session: SessionDep, principal: Annotated[Principal, require("eido:import")], document: dict[str, Any]
) -> dict[str, Any]:
    """Create an incident from an EIDO document received from another agency."""
    incident = eido.import_document(session, principal, document)
    return {"incident_id": incident.id, "number": incident.natural_key}


@router.post("/timers/check", include_in_schema=False)
def run_timers(session: SessionDep, principal: Dispatcher) -> dict[str, int]:
    """Evaluate the dispatch timers now (the scheduler does this every 10 s)."""
    return {"new_alerts": timers.check(session)}
