"""Anti-fraud pages: the alert list with mule-ring candidates, the victim warnings with their
countdowns and outcomes, one alert with its account's network, opening a case, a case with its
timeline, lifecycle and identity-reveal requests, and the approvers' queue of reveal requests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote_plus

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from lantern.alerts import service as alert_service
from lantern.errors import Conflict, NotFound, ValidationFailed
from lantern.fraud import service as fraud_service
from lantern.fraud.cases import service as case_service
from lantern.fraud.reveal import service as reveal_service
from lantern.fraud.schemas import (
    OUTCOMES,
    WARNING_OUTCOMES,
    CaseClose,
    CaseReopen,
    RevealDecision,
    RevealRequestIn,
    WarningOutcome,
)
from lantern.fraud.victim_warnings import service as warning_service
from lantern.kit.ids import MAX_ID
from lantern.security.policy import Principal
from lantern.web.auth import require
from lantern.web.deps import SessionDep
from lantern.web.params import IdPath
from lantern.web.templating import render

router = APIRouter(tags=["anti-fraud pages"], include_in_schema=False)
Reader = Annotated[Principal, require("fraud:read")]
Manager = Annotated[Principal, require("fraud:manage")]
Requester = Annotated[Principal, require(reveal_service.REQUEST)]
Approver = Annotated[Principal, require(reveal_service.APPROVE)]
Reason = Annotated[str, Form(max_length=1000)]


def _attempt(target: str, action: Callable[[], Any]) -> Response:
    """Run a form's action; a mistake the user can fix comes back as a message on ``target``."""
    try:
        action()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        return RedirectResponse(f"{target}?problem={quote_plus(f'{where}: {message}'[:300])}", status_code=303)
    except (ValidationFailed, Conflict, NotFound) as exc:
        return RedirectResponse(f"{target}?problem={quote_plus(exc.message[:300])}", status_code=303)
    return RedirectResponse(target, status_code=303)


@router.get("/fraud", response_class=HTMLResponse)
def fraud_page(request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    alerts = []
    if principal.can("alert:read"):
        alerts = alert_service.list_alerts(session, principal, source="fraud", limit=300)
    rings = fraud_service.ring_candidates(session, principal)
    waiting, overdue = warning_service.open_counts(session, principal)
    return render(request, "fraud.html", alerts=alerts, rings=rings, warnings_open=waiting, warnings_overdue=overdue)


@router.get("/fraud/warnings", response_class=HTMLResponse)
def warnings_page(
    request: Request, session: SessionDep, principal: Reader, problem: Annotated[str, Query(max_length=300)] = ""
) -> HTMLResponse:
    board = warning_service.board(session, principal)
    return render(
        request,
        "fraud_warnings.html",
        board=board,
        outcomes=WARNING_OUTCOMES,
        labels=warning_service.LABELS,
        problem=problem,
    )


@router.post("/fraud/warnings/{warning_id}/outcome")
def warning_outcome_form(
    session: SessionDep,
    principal: Manager,
    warning_id: IdPath,
    outcome: Annotated[str, Form(max_length=30)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    fields = {"outcome": outcome, "note": note}
    return _attempt(
        "/fraud/warnings",
        lambda: warning_service.record_outcome(session, principal, warning_id, WarningOutcome.model_validate(fields)),
    )


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
def case_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    case_id: IdPath,
    show: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    problem: Annotated[str, Query(max_length=300)] = "",
) -> HTMLResponse:
    case = fraud_service.get_case(session, principal, case_id)
    requests = reveal_service.requests_of_case(session, principal, case_id)
    # Reading a revealed identity is an explicit, audited act (the "show" link), never a side
    # effect of opening the case.
    identity = None
    if show is not None:
        if show not in {r.id for r in requests}:
            raise NotFound(f"case {case_id} has no identity-reveal request {show}")
        identity = reveal_service.read_identity(session, principal, show)
    return render(
        request,
        "fraud_case.html",
        case=case,
        timeline=case_service.timeline(session, principal, case_id),
        reveals=requests,
        identity=identity,
        outcomes=OUTCOMES,
        purpose_ref=case_service.case_ref(case.id),
        problem=problem,
    )


@router.post("/fraud/cases/{case_id}/notes")
def note_form(
    session: SessionDep, principal: Manager, case_id: IdPath, text: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    return _attempt(f"/fraud/cases/{case_id}", lambda: fraud_service.add_note(session, principal, case_id, text))


@router.post("/fraud/cases/{case_id}/close")
def close_form(
    session: SessionDep,
    principal: Manager,
    case_id: IdPath,
    outcome: Annotated[str, Form(max_length=30)] = "",
    reason: Reason = "",
) -> Response:
    return _attempt(
        f"/fraud/cases/{case_id}",
        lambda: case_service.close_case(
            session, principal, case_id, CaseClose.model_validate({"outcome": outcome, "reason": reason})
        ),
    )


@router.post("/fraud/cases/{case_id}/reopen")
def reopen_form(session: SessionDep, principal: Manager, case_id: IdPath, reason: Reason = "") -> Response:
    return _attempt(
        f"/fraud/cases/{case_id}",
        lambda: case_service.reopen_case(session, principal, case_id, CaseReopen(reason=reason)),
    )


@router.post("/fraud/cases/{case_id}/reveals")
def reveal_form(
    session: SessionDep,
    principal: Requester,
    case_id: IdPath,
    subject_type: Annotated[str, Form(max_length=10)] = "account",
    subject: Annotated[str, Form(max_length=64)] = "",
    partner: Annotated[str, Form(max_length=120)] = "",
    reason: Reason = "",
) -> Response:
    fields = {"subject_type": subject_type, "subject": subject, "partner": partner, "reason": reason}
    return _attempt(
        f"/fraud/cases/{case_id}",
        lambda: reveal_service.request_reveal(session, principal, case_id, RevealRequestIn.model_validate(fields)),
    )


@router.get("/fraud/reveals", response_class=HTMLResponse)
def approvals_page(
    request: Request,
    session: SessionDep,
    principal: Approver,
    problem: Annotated[str, Query(max_length=300)] = "",
) -> HTMLResponse:
    pending = reveal_service.pending_approvals(session, principal)
    return render(request, "fraud_reveals.html", pending=pending, problem=problem)


@router.post("/fraud/reveals/{request_id}/decision")
def decision_form(
    session: SessionDep,
    principal: Approver,
    request_id: IdPath,
    decision: Annotated[str, Form(pattern="^(approve|refuse)$")],
    reason: Reason = "",
) -> Response:
    decision_in = {"approve": decision == "approve", "reason": reason}
    return _attempt(
        "/fraud/reveals",
        lambda: reveal_service.decide(session, principal, request_id, RevealDecision.model_validate(decision_in)),
    )
