"""Drone pages: the airspace map with geozones and declared volumes, filing a declaration, live flights."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from lantern.city import service as city_service
from lantern.drones import service as drone_service
from lantern.drones.schemas import DeclarationIn
from lantern.errors import DomainError
from lantern.kit.time import zone
from lantern.security import context
from lantern.security.policy import Principal
from lantern.web.auth import require
from lantern.web.deps import SessionDep
from lantern.web.templating import render

router = APIRouter(tags=["drone pages"], include_in_schema=False)
Reader = Annotated[Principal, require("drones:read")]
Declarer = Annotated[Principal, require("drones:declare")]


@router.get("/drones", response_class=HTMLResponse)
def drones_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    declaration: Annotated[str | None, Query(max_length=20)] = None,
    error: str = "",
) -> HTMLResponse:
    city = city_service.get(session)
    decided = drone_service.get_declaration_or_raise(session, declaration) if declaration else None
    tz = zone(context.setting(session, "city_timezone", "UTC"))
    start = (datetime.now(tz) + timedelta(minutes=10)).replace(second=0, microsecond=0, tzinfo=None)
    return render(
        request,
        "drones.html",
        city=city,
        bounds=[city.min_lon, city.min_lat, city.max_lon, city.max_lat] if city else None,
        flights=drone_service.live_flights(session, principal),
        zones=drone_service.list_geozones(session, principal),
        decided=decided,
        error=error,
        default_start=start.isoformat(timespec="minutes"),
    )


@router.post("/drones/declarations")
def file_form(
    request: Request,
    session: SessionDep,
    principal: Declarer,
    operator: Annotated[str, Form(max_length=120)],
    aircraft: Annotated[str, Form(max_length=60)],
    purpose: Annotated[str, Form(max_length=300)],
    geometry: Annotated[str, Form(max_length=200_000)],
    floor_m: Annotated[float, Form(ge=0, le=5000)],
    ceiling_m: Annotated[float, Form(gt=0, le=5000)],
    start: Annotated[datetime, Form()],
    minutes: Annotated[int, Form(ge=1, le=1440)],
    police: Annotated[bool, Form()] = False,
    incident_id: Annotated[int | None, Form(ge=1, le=2_147_483_647)] = None,
) -> Response:
    tz = zone(context.setting(session, "city_timezone", "UTC"))
    begins = start.replace(tzinfo=tz) if start.tzinfo is None else start
    try:
        declaration_in = DeclarationIn(
            operator=operator,
            aircraft=aircraft,
            purpose=purpose,
            police=police,
            incident_id=incident_id,
            shape="polygon",
            geometry=json.loads(geometry or "null") or {},
            floor_m=floor_m,
            ceiling_m=ceiling_m,
            starts_at=begins,
            ends_at=begins + timedelta(minutes=minutes),
        )
        row = drone_service.file_declaration(session, principal, declaration_in)
    except (ValidationError, ValueError, DomainError) as exc:
        message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        session.rollback()
        return drones_page(request, session, principal, error=f"Not filed: {message}")
    return RedirectResponse(f"/drones?declaration={row.id}", status_code=303)
