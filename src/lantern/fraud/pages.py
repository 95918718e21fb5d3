"""Anti-fraud pages: the alert list, one alert with its account's network, opening a case, a case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lantern.alerts import service as alert_service
from lantern.fraud import service as fraud_service
from lantern.kit.ids import MAX_ID
from lantern.security.policy import Principal
from lantern.web.auth import require
from lantern.web.deps import SessionDep
from lantern.web.params import IdPath
from lantern.web.templating import render

router = APIRouter(tags=["anti-fraud pages"], include_in_schema=False)
Reader = Annotated[Principal, require("fraud:read")]
Manager = Annotated[Principal, require("fraud:manage")]


@router.get("/fraud", response_class=HTMLResponse)
def fraud_page(request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    alerts = []
    if principal.can("alert:read"):
        alerts = alert_service.list_alerts(session, principal, source="fraud", limit=300)
    return render(request, "fraud.html", alerts=alerts)


@router.get("/fraud/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, session: SessionDep, principal: Reader, alert_id: IdPath) -> HTMLResponse:
    view = fraud_service.alert_view(session, principal, alert_id)
    return render(request, "fraud_alert.html", **view)


@router.post("/fraud/cases")
def open_case_form(
    session: SessionDep,
    principal: Manager,
    alert_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    title: Annotated[str, Form(min_length=3, max_length=200)],
) -> Response:
    case = fraud_service.open_case(session, principal, alert_id, title)
    return RedirectResponse(f"/fraud/cases/{case.id}", status_code=303)


@router.get("/fraud/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, session: SessionDep, principal: Reader, case_id: IdPath) -> HTMLResponse:
    return render(request, "fraud_case.html", case=fraud_service.get_case(session, principal, case_id))
