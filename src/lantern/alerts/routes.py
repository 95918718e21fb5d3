"""The alert queue: JSON API and the page with acknowledge/resolve."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from lantern.alerts import service as alert_service
from lantern.security.policy import Principal
from lantern.web.auth import require
from lantern.web.deps import SessionDep
from lantern.web.params import IdPath
from lantern.web.templating import render

router = APIRouter(tags=["alerts"])
Reader = Annotated[Principal, require("alert:read")]
Manager = Annotated[Principal, require("alert:manage")]


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    kind: str
    severity: str
    subject_type: str
    subject_id: str
    title: str
    detail: str
    status: str
    created_at: Any
    acknowledged_by: str
    resolved_by: str
    resolution: str


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: str = Field(min_length=3, max_length=500)


@router.get("/api/alerts", response_model=list[AlertRead])
def list_alerts(
    session: SessionDep, principal: Reader, include_resolved: bool = False, source: str | None = None
) -> Any:
    """Open alerts (new and acknowledged), newest first."""
    return alert_service.list_alerts(session, principal, include_resolved=include_resolved, source=source)


@router.post("/api/alerts/{alert_id}/acknowledge", response_model=AlertRead)
def acknowledge(session: SessionDep, principal: Manager, alert_id: IdPath) -> Any:
    return alert_service.acknowledge(session, principal, alert_id)


@router.post("/api/alerts/{alert_id}/resolve", response_model=AlertRead)
def resolve(session: SessionDep, principal: Manager, alert_id: IdPath, resolve_in: ResolveIn) -> Any:
    return alert_service.resolve(session, principal, alert_id, resolve_in.resolution)


@router.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
def alerts_page(
    request: Request, session: SessionDep, principal: Reader, include_resolved: bool = False
) -> HTMLResponse:
    alerts = alert_service.list_alerts(session, principal, include_resolved=include_resolved)
    return render(request, "alerts.html", alerts=alerts, include_resolved=include_resolved)


def _back_to(next_page: str) -> str:
    """Where a form returns to: a local path only (never an open redirect)."""
    return (
        next_page
        if next_page.startswith("/") and not next_page.startswith("//") and "\\" not in next_page
        else "/alerts"
    )


@router.post("/alerts/{alert_id}/acknowledge", include_in_schema=False)
def acknowledge_form(
    session: SessionDep,
    principal: Manager,
    alert_id: IdPath,
    next_page: Annotated[str, Form(alias="next", max_length=300)] = "/alerts",
) -> Response:
    alert_service.acknowledge(session, principal, alert_id)
    return RedirectResponse(_back_to(next_page), status_code=303)


@router.post("/alerts/{alert_id}/resolve", include_in_schema=False)
def resolve_form(
    session: SessionDep,
    principal: Manager,
    alert_id: IdPath,
    resolution: Annotated[str, Form(min_length=3, max_length=500)],
    next_page: Annotated[str, Form(alias="next", max_length=300)] = "/alerts",
) -> Response:
    alert_service.resolve(session, principal, alert_id, resolution)
    return RedirectResponse(_back_to(next_page), status_code=303)
