"""Monitoring pages: vehicles and alerts on a map, a vehicle's day, the geofence editor, hotlists."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from lantern.alerts import service as alert_service
from lantern.city import service as city_service
from lantern.errors import DomainError, ValidationFailed
from lantern.kit.time import zone
from lantern.monitor import hotlist_service
from lantern.monitor import service as monitor_service
from lantern.monitor.analytics import speed_polyline
from lantern.monitor.schemas import GeofenceIn, HotlistEntryIn
from lantern.security import context
from lantern.security.policy import Principal
from lantern.web.auth import require
from lantern.web.deps import SessionDep
from lantern.web.params import IdPath
from lantern.web.templating import render

router = APIRouter(tags=["monitoring pages"], include_in_schema=False)
Reader = Annotated[Principal, require("monitor:read")]
Manager = Annotated[Principal, require("monitor:manage")]
HotlistReader = Annotated[Principal, require("hotlist:read")]
HotlistManager = Annotated[Principal, require("hotlist:manage")]
CHART_W, CHART_H = 960.0, 180.0


def _bounds(session: SessionDep) -> list[float] | None:
    city = city_service.get(session)
    return [city.min_lon, city.min_lat, city.max_lon, city.max_lat] if city else None


@router.get("/monitor", response_class=HTMLResponse)
def monitor_page(request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    vehicles = monitor_service.vehicle_statuses(session, principal)
    alerts = []
    if principal.can("alert:read"):
        alerts = [
            a for a in alert_service.list_alerts(session, principal, limit=300) if a.source in ("monitor", "hotlist")
        ]
    return render(
        request,
        "monitor.html",
        vehicles=vehicles,
        alerts=alerts,
        bounds=_bounds(session),
        engine=monitor_service.engine_status(session, principal),
        city=city_service.get(session),
    )


@router.get("/monitor/vehicles/{vehicle_id}", response_class=HTMLResponse)
def vehicle_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    vehicle_id: str,
    day: Annotated[date | None, Query()] = None,
) -> HTMLResponse:
    tz = zone(context.setting(session, "city_timezone", "UTC"))
    local_day = day or datetime.now(tz).date()
    start = datetime.combine(local_day, datetime.min.time(), tz)
    timeline = monitor_service.vehicle_day(session, principal, vehicle_id, start)
    times = [datetime.fromisoformat(p["time"]) for p in timeline["positions"]]
    speeds = [p["speed_kmh"] for p in timeline["positions"]]
    limit = timeline["speed_limit_kmh"] or 100
    top = max([limit * 1.3, *speeds])
    bars = [
        {
            **p,
            "x": (datetime.fromisoformat(p["start"]) - start).total_seconds() / 86400 * CHART_W,
            "w": max(1.0, p["minutes"] * 60 / 86400 * CHART_W),
        }
        for p in timeline["periods"]
    ]
    return render(
        request,
        "monitor_vehicle.html",
        t=timeline,
        day=local_day,
        prev_day=local_day - timedelta(days=1),
        next_day=local_day + timedelta(days=1),
        points=speed_polyline(times, speeds, start, CHART_W, CHART_H, top),
        limit_y=CHART_H - limit / top * CHART_H,
        chart_w=CHART_W,
        chart_h=CHART_H,
        bars=bars,
        hours=[(h, h / 24 * CHART_W) for h in range(0, 25, 3)],
    )


@router.get("/monitor/geofences", response_class=HTMLResponse)
def geofences_page(request: Request, session: SessionDep, principal: Reader, error: str = "") -> HTMLResponse:
    fences = monitor_service.list_geofences(session, principal)
    return render(
        request,
        "monitor_geofences.html",
        fences=fences,
        bounds=_bounds(session),
        classes=monitor_service.classes(session),
        error=error,
        vehicles=monitor_service.vehicle_statuses(session, principal),
        city=city_service.get(session),
    )


@router.post("/monitor/geofences")
def save_geofence_form(
    request: Request,
    session: SessionDep,
    principal: Manager,
    id: Annotated[str, Form(max_length=40)],
    name: Annotated[str, Form(max_length=120)],
    shape: Annotated[str, Form(max_length=10)],
    geometry: Annotated[str, Form(max_length=200_000)],
    size_m: Annotated[float, Form(ge=0, le=50_000)] = 0.0,
    alert_on: Annotated[str, Form(max_length=10)] = "enter",
    severity: Annotated[str, Form(max_length=10)] = "warning",
    classes: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        fence_in = GeofenceIn(
            id=id,
            name=name,
            shape=shape,
            geometry=json.loads(geometry or "null") or {},
            size_m=size_m,  # type: ignore[arg-type]
            alert_on=alert_on,
            severity=severity,
            classes=classes or [],
        )  # type: ignore[arg-type]
        monitor_service.save_geofence(session, principal, fence_in)
    except (ValidationError, ValueError, DomainError) as exc:
        message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        session.rollback()
        return geofences_page(request, session, principal, error=f"Not saved: {message}")
    return RedirectResponse("/monitor/geofences", status_code=303)


@router.post("/monitor/geofences/{fence_id}/delete")
def delete_geofence_form(session: SessionDep, principal: Manager, fence_id: str) -> Response:
    monitor_service.delete_geofence(session, principal, fence_id)
    return RedirectResponse("/monitor/geofences", status_code=303)


@router.post("/monitor/vehicles/{vehicle_id}/route")
def route_form(
    session: SessionDep,
    principal: Manager,
    vehicle_id: str,
    geometry: Annotated[str, Form(max_length=200_000)],
    width_m: Annotated[float, Form(gt=0, le=5000)] = 200.0,
) -> Response:
    try:
        parsed: dict[str, Any] | None = json.loads(geometry) if geometry.strip() else None
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"route: not GeoJSON ({exc.msg})") from exc
    monitor_service.set_route(session, principal, vehicle_id, parsed, width_m)
    return RedirectResponse("/monitor/geofences", status_code=303)


@router.get("/monitor/hotlist", response_class=HTMLResponse)
def hotlist_page(request: Request, session: SessionDep, principal: HotlistReader, error: str = "") -> HTMLResponse:
    entries = hotlist_service.list_entries(session, principal, include_inactive=True)
    hits = hotlist_service.recent_hits(session, principal)
    default_expiry = (context.now(session) + timedelta(days=90)).date()
    return render(
        request,
        "monitor_hotlist.html",
        entries=entries,
        hits=hits,
        error=error,
        default_expiry=default_expiry,
        now=context.now(session),
    )


@router.post("/monitor/hotlist")
def add_entry_form(
    request: Request,
    session: SessionDep,
    principal: HotlistManager,
    kind: Annotated[str, Form(max_length=10)],
    value: Annotated[str, Form(max_length=40)],
    case_ref: Annotated[str, Form(max_length=60)],
    expires: Annotated[date, Form()],
    description: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    tz = zone(context.setting(session, "city_timezone", "UTC"))
    try:
        entry_in = HotlistEntryIn(
            kind=kind,
            value=value,
            case_ref=case_ref,
            description=description,  # type: ignore[arg-type]
            expires_at=datetime.combine(expires, datetime.max.time().replace(microsecond=0), tz),
        )
        hotlist_service.add_entry(session, principal, entry_in)
    except (ValidationError, DomainError) as exc:
        message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        session.rollback()
        return hotlist_page(request, session, principal, error=f"Not added: {message}")
    return RedirectResponse("/monitor/hotlist", status_code=303)


@router.post("/monitor/hotlist/{entry_id}/remove")
def remove_entry_form(
    session: SessionDep,
    principal: HotlistManager,
    entry_id: IdPath,
    reason: Annotated[str, Form(min_length=3, max_length=300)],
) -> Response:
    hotlist_service.remove_entry(session, principal, entry_id, reason)
    return RedirectResponse("/monitor/hotlist", status_code=303)
