"""Traffic pages: the public traffic page, signal timing, and the operators' road-event desk."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from lantern.city import service as city_service
from lantern.errors import ValidationFailed
from lantern.kit.time import zone
from lantern.security.policy import Principal
from lantern.traffic import congestion
from lantern.traffic import service as traffic_service
from lantern.traffic.charts import index_chart
from lantern.traffic.schemas import PhaseIn, RoadEventCreate, WebsterIn
from lantern.web.auth import public, require
from lantern.web.deps import SessionDep, SettingsDep
from lantern.web.params import IdPath
from lantern.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, require("traffic:read")]
Manager = Annotated[Principal, require("traffic:manage")]
MAX_PHASES = 6


@router.get("/traffic", response_class=HTMLResponse, dependencies=[public()])
def traffic_page(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    index = congestion.city_index(session)
    points = [(datetime.fromisoformat(p["time"]), p["index"]) for p in index["series"][-96:]]
    return render(
        request,
        "traffic.html",
        index=index,
        chart=index_chart(points, settings.city_timezone, width=300, height=150),
        latest=datetime.fromisoformat(index["latest"]) if index["latest"] else None,
        events=traffic_service.public_events(session),
        city=city_service.get(session),
    )


@router.get("/traffic/signals", response_class=HTMLResponse, dependencies=[public()])
def signals_page(
    request: Request,
    name: Annotated[list[str], Query(max_length=MAX_PHASES)] = [],  # noqa: B006 - FastAPI reads the default
    flow: Annotated[list[str], Query(max_length=MAX_PHASES)] = [],  # noqa: B006
    saturation: Annotated[list[str], Query(max_length=MAX_PHASES)] = [],  # noqa: B006
    min_green: Annotated[list[str], Query(max_length=MAX_PHASES)] = [],  # noqa: B006
    lost_time: str = "",
    min_cycle: str = "30",
    max_cycle: str = "150",
) -> HTMLResponse:
    """Webster timing from a form (GET, so the result is a link an engineer can share)."""
    rows = [
        {"name": n, "flow": f, "saturation": s, "min_green": g}
        for n, f, s, g in zip(name, flow, saturation, min_green or [""] * len(name), strict=False)
        if n.strip() or f.strip()
    ]
    plan, error = None, None
    if rows:
        try:
            plan_in = WebsterIn(
                phases=[
                    PhaseIn(
                        name=r["name"].strip() or f"Phase {i + 1}",
                        flow_veh_h=float(r["flow"]),
                        saturation_veh_h=float(r["saturation"]),
                        min_green_s=float(r["min_green"] or 0),
                    )
                    for i, r in enumerate(rows)
                ],
                lost_time_s=float(lost_time or 0),
                min_cycle_s=float(min_cycle),
                max_cycle_s=float(max_cycle),
            )
            plan = traffic_service.signal_plan(plan_in)
        except (ValueError, ValidationError, ValidationFailed) as exc:
            error = _message(exc)
    while len(rows) < 4:
        rows.append({"name": "", "flow": "", "saturation": "", "min_green": ""})
    form = {"lost_time": lost_time, "min_cycle": min_cycle, "max_cycle": max_cycle}
    return render(request, "traffic_signals.html", rows=rows, plan=plan, error=error, form=form)


@router.get("/traffic/events", response_class=HTMLResponse)
def events_page(request: Request, session: SessionDep, principal: Reader, include_ended: bool = False) -> HTMLResponse:
    events = traffic_service.list_events(session, principal, include_ended=include_ended)
    return render(request, "traffic_events.html", events=events, include_ended=include_ended, error=None, form={})


@router.post("/traffic/events", response_class=HTMLResponse)
def create_event_form(
    request: Request,
    session: SessionDep,
    principal: Manager,
    settings: SettingsDep,
    kind: Annotated[str, Form()],
    road_name: Annotated[str, Form(max_length=200)],
    coordinates: Annotated[str, Form(max_length=4000)],
    start: Annotated[str, Form(max_length=40)],
    end: Annotated[str, Form(max_length=40)] = "",
    lanes_total: Annotated[str, Form(max_length=3)] = "",
    lanes_closed: Annotated[str, Form(max_length=60)] = "",
    description: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The desk form: times in the city's zone, coordinates as ``lat, lon`` pairs, one per line."""
    form = {
        "kind": kind,
        "road_name": road_name,
        "coordinates": coordinates,
        "start": start,
        "end": end,
        "lanes_total": lanes_total,
        "lanes_closed": lanes_closed,
        "description": description,
    }
    try:
        points = _points(coordinates)
        event_in = RoadEventCreate(
            kind=kind,
            geometry={
                "type": "Point" if len(points) == 1 else "LineString",
                "coordinates": points[0] if len(points) == 1 else points,
            },
            start_at=_local(start, settings.city_timezone),
            end_at=_local(end, settings.city_timezone) if end.strip() else None,
            name={"roadwork": "Road works", "closure": "Road closure", "accident": "Traffic accident"}.get(
                kind, "Traffic incident"
            ),
            description=description,
            road_names=[road_name] if road_name.strip() else [],
            lanes_total=int(lanes_total) if lanes_total.strip() else None,
            lanes_closed=[int(x) for x in lanes_closed.replace(" ", "").split(",") if x],
        )
        traffic_service.create_event(session, principal, event_in)
    except (ValueError, ValidationError, ValidationFailed) as exc:
        events = traffic_service.list_events(session, principal)
        return render(
            request,
            "traffic_events.html",
            status_code=422,
            events=events,
            include_ended=False,
            error=_message(exc),
            form=form,
        )
    return RedirectResponse("/traffic/events", status_code=303)


@router.post("/traffic/events/{event_id}/end")
def end_event_form(session: SessionDep, principal: Manager, event_id: IdPath) -> Response:
    traffic_service.end_event(session, principal, event_id)
    return RedirectResponse("/traffic/events", status_code=303)


def _points(text: str) -> list[list[float]]:
    """``lat, lon`` pairs, one per line (the order people read off a map), as GeoJSON ``[lon, lat]``."""
    points = []
    for number, line in enumerate((ln for ln in text.splitlines() if ln.strip()), start=1):
        parts = [p for p in line.replace(";", ",").split(",") if p.strip()]
        if len(parts) != 2:
            raise ValueError(f"coordinates line {number}: write one `lat, lon` pair per line, got {line.strip()!r}")
        lat, lon = float(parts[0]), float(parts[1])
        points.append([lon, lat])
    if not points:
        raise ValueError("give at least one `lat, lon` pair (two or more for a stretch of road)")
    return points


def _local(text: str, timezone: str) -> datetime:
    """A ``datetime-local`` value in the city's zone, as an aware datetime."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"time {text!r} is not of the form 2026-03-02T08:30") from exc
    return value if value.tzinfo else value.replace(tzinfo=zone(timezone))


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors())
    return str(exc)
