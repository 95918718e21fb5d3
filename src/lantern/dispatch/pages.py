"""HTML pages of command and dispatch: the desk with the live map, the officer view, KPIs."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from lantern.city import service as city_service
from lantern.dispatch import kpi
from lantern.dispatch import service as dispatch_service
from lantern.dispatch.schemas import CallCreate
from lantern.errors import DomainError
from lantern.incidents import service as incident_service
from lantern.resources import service as resource_service
from lantern.security import context
from lantern.security.policy import Principal
from lantern.web.auth import require, require_any
from lantern.web.deps import SessionDep
from lantern.web.params import IdPath
from lantern.web.templating import render

router = APIRouter(tags=["dispatch pages"], include_in_schema=False)
Reader = Annotated[Principal, require("incident:read")]
Intake = Annotated[Principal, require("dispatch:intake")]
Dispatcher = Annotated[Principal, require("dispatch:assign")]


def _panel(
    request: Request,
    session: SessionDep,
    principal: Principal,
    incident_id: int,
    message: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    scope = principal.row_scope()
    incident = incident_service.get_or_raise(session, scope, incident_id)
    recommendation = None
    if principal.can("dispatch:assign") and incident.status == "open":
        recommendation = dispatch_service.recommend(session, principal, incident_id)
    units = {u.id: u for u in resource_service.list_units(session)}
    return render(
        request,
        "_incident_panel.html",
        status_code=status_code,
        incident=incident,
        timeline=incident_service.timeline(session, scope, incident_id),
        calls=dispatch_service.calls_of(session, incident_id),
        assignments=dispatch_service.assignments_of(session, incident_id),
        units=units,
        available=[u for u in units.values() if u.status == "available"],
        recommendation=recommendation,
        warnings=dispatch_service.premise_warnings(session, incident.address_id),
        message=message,
    )


@router.get("/dispatch", response_class=HTMLResponse)
def desk(
    request: Request, session: SessionDep, principal: Reader, incident: int | None = Query(None, ge=1)
) -> HTMLResponse:
    city = city_service.get(session)
    types = sorted(dispatch_service.codes(session).types.values(), key=lambda t: (t.priority, t.label))
    return render(
        request,
        "dispatch.html",
        city=city,
        types=types,
        selected=incident,
        districts=city_service.list_districts(session) if city else [],
    )


@router.get("/dispatch/suggest", response_class=HTMLResponse)
def suggest(
    request: Request, session: SessionDep, principal: Intake, address: str = Query("", max_length=300)
) -> HTMLResponse:
    """<option>s for the address field's datalist."""
    return render(
        request, "_suggestions.html", suggestions=city_service.suggest(session, address, 8) if len(address) >= 2 else []
    )


@router.get("/dispatch/check", response_class=HTMLResponse)
def check(
    request: Request,
    session: SessionDep,
    principal: Intake,
    type_code: str = Query("", max_length=20),
    address: str = Query("", max_length=300),
    lat: str = Query("", max_length=30),
    lon: str = Query("", max_length=30),
) -> HTMLResponse:
    """Where the call is, what may duplicate it, and premise warnings (updates as the form changes)."""
    context_: dict[str, object] = {"duplicates": [], "warnings": [], "location": None, "problem": "", "candidates": []}
    if type_code and (address.strip() or (lat and lon)):
        try:
            call = CallCreate(
                type_code=type_code,
                address=address or None,
                lat=float(lat) if lat and not address else None,
                lon=float(lon) if lon and not address else None,
            )
            where = dispatch_service.locate(session, call)
            incident_type = dispatch_service.codes(session).type_or_raise(type_code)
            context_.update(
                location=where,
                duplicates=dispatch_service.duplicates(
                    session, principal.row_scope(), incident_type, where.lat, where.lon
                ),
                warnings=dispatch_service.premise_warnings(session, where.address_id),
            )
        except DomainError as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            context_.update(problem=exc.message, candidates=details.get("candidates", []))
        except (ValidationError, ValueError) as exc:
            context_.update(problem=str(exc).splitlines()[0])
    return render(request, "_check.html", **context_)


@router.post("/dispatch/calls", response_class=HTMLResponse)
def take_call(
    request: Request,
    session: SessionDep,
    principal: Intake,
    type_code: Annotated[str, Form(max_length=20)],
    address: Annotated[str, Form(max_length=300)] = "",
    lat: Annotated[str, Form(max_length=30)] = "",
    lon: Annotated[str, Form(max_length=30)] = "",
    priority: Annotated[str, Form(max_length=2)] = "",
    priority_reason: Annotated[str, Form(max_length=300)] = "",
    narrative: Annotated[str, Form(max_length=4000)] = "",
    caller_name: Annotated[str, Form(max_length=200)] = "",
    caller_phone: Annotated[str, Form(max_length=40)] = "",
    merge_into: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    try:
        call = CallCreate(
            type_code=type_code,
            address=address or None,
            lat=float(lat) if lat and not address else None,
            lon=float(lon) if lon and not address else None,
            priority=int(priority) if priority else None,
            priority_reason=priority_reason,
            narrative=narrative,
            caller_name=caller_name or None,
            caller_phone=caller_phone or None,
            merge_into=int(merge_into) if merge_into.isdigit() else None,
        )
        result = dispatch_service.take_call(session, principal, call)
    except DomainError as exc:
        return render(request, "_intake_error.html", status_code=exc.status_code, message=exc.message)
    except (ValidationError, ValueError) as exc:
        message = "; ".join(e["msg"] for e in exc.errors()) if isinstance(exc, ValidationError) else str(exc)
        return render(request, "_intake_error.html", status_code=422, message=message)
    response = Response(status_code=204)
    response.headers["HX-Redirect"] = f"/dispatch?incident={result.incident.id}"
    return response


@router.get("/dispatch/incidents/{incident_id}/panel", response_class=HTMLResponse)
def panel(request: Request, session: SessionDep, principal: Reader, incident_id: IdPath) -> HTMLResponse:
    return _panel(request, session, principal, incident_id)


@router.post("/dispatch/incidents/{incident_id}/assign", response_class=HTMLResponse)
def assign(
    request: Request,
    session: SessionDep,
    principal: Dispatcher,
    incident_id: IdPath,
    unit_id: Annotated[list[int], Form()],
    override_reason: Annotated[str, Form(max_length=300)] = "",
) -> HTMLResponse:
    try:
        dispatch_service.assign(session, principal, incident_id, unit_id, override_reason)
    except DomainError as exc:
        session.rollback()
        return _panel(request, session, principal, incident_id, message=exc.message, status_code=exc.status_code)
    return _panel(request, session, principal, incident_id, message="Units dispatched.")


@router.post("/dispatch/incidents/{incident_id}/close", response_class=HTMLResponse)
def close(
    request: Request,
    session: SessionDep,
    principal: Dispatcher,
    incident_id: IdPath,
    disposition: Annotated[str, Form(min_length=2, max_length=300)],
) -> HTMLResponse:
    try:
        dispatch_service.close_incident(session, principal, incident_id, disposition)
    except DomainError as exc:
        session.rollback()
        return _panel(request, session, principal, incident_id, message=exc.message, status_code=exc.status_code)
    return _panel(request, session, principal, incident_id, message="Incident closed.")


@router.post("/dispatch/units/{unit_id}/status", response_class=HTMLResponse)
def unit_status(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require_any("unit:update_own", "unit:update_any")],
    unit_id: IdPath,
    status: Annotated[str, Form(max_length=20)],
    back: Annotated[str, Form(max_length=200)] = "/officer",
) -> Response:
    try:
        dispatch_service.set_unit_status(session, principal, unit_id, status)
    except DomainError as exc:
        session.rollback()
        return render(request, "_intake_error.html", status_code=exc.status_code, message=exc.message)
    target = back if back.startswith("/") and not back.startswith("//") else "/officer"
    return RedirectResponse(target, status_code=303)


@router.get("/officer", response_class=HTMLResponse)
def officer(
    request: Request, session: SessionDep, principal: Annotated[Principal, require("unit:update_own")]
) -> HTMLResponse:
    """The officer's phone view: my unit, my incident, status buttons, a short report."""
    unit = resource_service.unit_of_officer(session, principal.user_id or 0)
    incident = None
    if unit is not None and unit.incident_id is not None:
        incident = incident_service.get_or_raise(session, principal.row_scope(), unit.incident_id)
    return render(
        request,
        "officer.html",
        unit=unit,
        incident=incident,
        units=[u for u in resource_service.list_units(session) if u.officer_user_id in (None, principal.user_id)],
        timeline=incident_service.timeline(session, principal.row_scope(), incident.id) if incident else [],
    )


@router.post("/officer/unit", include_in_schema=False)
def take_unit(
    session: SessionDep,
    principal: Annotated[Principal, require("unit:update_own")],
    callsign: Annotated[str, Form(max_length=40)],
) -> Response:
    dispatch_service.take_unit(session, principal, callsign)
    return RedirectResponse("/officer", status_code=303)


@router.post("/officer/report", include_in_schema=False)
def report(
    session: SessionDep,
    principal: Annotated[Principal, require("incident:write")],
    incident_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    text: Annotated[str, Form(min_length=1, max_length=4000)],
) -> Response:
    dispatch_service.field_report(session, principal, incident_id, text)
    return RedirectResponse("/officer", status_code=303)


@router.get("/kpi", response_class=HTMLResponse)
def kpi_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require("kpi:read")],
    days: int = Query(30, ge=1, le=366),
) -> HTMLResponse:
    end = context.now(session)
    tables = kpi.report(session, principal, end - timedelta(days=days), end)
    targets = context.setting(session, "response_targets", {})
    return render(
        request,
        "kpi.html",
        days=days,
        by_priority=tables["by_priority"].to_dicts(),
        by_district=tables["by_priority_district"].to_dicts(),
        within=tables["within_target"].to_dicts(),
        targets=targets,
    )
