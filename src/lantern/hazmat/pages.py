"""Hazardous-materials pages: the register of holders, one holder's ledger, reconcile now."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lantern.alerts import service as alert_service
from lantern.hazmat import service as hazmat_service
from lantern.security.policy import Principal
from lantern.web.auth import require
from lantern.web.deps import SessionDep
from lantern.web.templating import render

router = APIRouter(tags=["hazardous materials pages"], include_in_schema=False)
Reader = Annotated[Principal, require("hazmat:read")]
Manager = Annotated[Principal, require("hazmat:manage")]
HolderCode = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")]


def _alerts(session: SessionDep, principal: Principal) -> dict[str, Any]:
    """The queue's alert for each finding (its status: new, acknowledged, resolved), by dedupe key."""
    if not principal.can("alert:read"):
        return {}
    found = alert_service.list_alerts(session, principal, include_resolved=True, source="hazmat", limit=2000)
    return {a.dedupe_key: a for a in found}


@router.get("/hazmat", response_class=HTMLResponse)
def register_page(request: Request, session: SessionDep, principal: Reader, done: str = "") -> HTMLResponse:
    rows = hazmat_service.register(session, principal)
    findings = [f for row in rows for f in row["findings"]]
    order = {"critical": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda f: (order.get(f.severity, 3), f.holder, f.kind))
    return render(
        request, "hazmat.html", rows=rows, findings=findings, done=done[:200], alerts=_alerts(session, principal)
    )


@router.get("/hazmat/holders/{code}", response_class=HTMLResponse)
def holder_page(request: Request, session: SessionDep, principal: Reader, code: HolderCode) -> HTMLResponse:
    view = hazmat_service.holder_ledger(session, principal, code)
    return render(request, "hazmat_holder.html", **view, alerts=_alerts(session, principal))


@router.post("/hazmat/reconcile")
def reconcile_form(session: SessionDep, principal: Manager) -> Response:
    run = hazmat_service.reconcile(session, principal)
    return RedirectResponse(f"/hazmat?done={len(run.findings)}+findings,+{run.new_alerts}+new+alerts", status_code=303)
