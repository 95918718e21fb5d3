"""Oversight pages: the supervisor's board (deadlines and the early-intervention queue), one flag
with its driving indicators and the review form, and an officer's own indicators."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import quote_plus, urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from lantern.errors import DomainError
from lantern.oversight import service as oversight_service
from lantern.oversight.eis import service as eis_service
from lantern.oversight.review import service as review_service
from lantern.oversight.schemas import ReviewIn
from lantern.security import context
from lantern.security.policy import Principal
from lantern.web.auth import require
from lantern.web.deps import SessionDep
from lantern.web.templating import render

router = APIRouter(tags=["oversight pages"], include_in_schema=False)
CaseReader = Annotated[Principal, require("case:read")]
Reviewer = Annotated[Principal, require("oversight:eis_review")]
Auditor = Annotated[Principal, require("audit:read")]
FlagId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/oversight", response_class=HTMLResponse)
def board(request: Request, session: SessionDep, principal: CaseReader) -> HTMLResponse:
    steps = oversight_service.open_steps(session, principal)
    flags = eis_service.list_flags(session, principal, ["new", "review"]) if principal.can(eis_service.REVIEW) else []
    return render(request, "oversight.html", steps=steps, flags=flags)


@router.get("/oversight/flags/{flag_id}", response_class=HTMLResponse)
def flag_page(
    request: Request, session: SessionDep, principal: CaseReader, flag_id: FlagId, problem: str = ""
) -> HTMLResponse:
    flag, reviews = eis_service.get_flag(session, principal, flag_id)
    nxt = sorted(eis_service.WORKFLOW[flag.status])
    return render(request, "oversight_flag.html", flag=flag, reviews=reviews, next_statuses=nxt, problem=problem[:300])


@router.post("/oversight/flags/{flag_id}/review")
def review_form(
    session: SessionDep,
    principal: Reviewer,
    flag_id: FlagId,
    to_status: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        eis_service.review_flag(session, principal, flag_id, ReviewIn(to_status=to_status, reason=reason))
    except ValidationError:
        return RedirectResponse(
            f"/oversight/flags/{flag_id}?problem=give+a+reason+of+at+least+10+characters", status_code=303
        )
    except DomainError as exc:
        if exc.status_code >= 500:
            raise
        return RedirectResponse(f"/oversight/flags/{flag_id}?problem={quote_plus(exc.message[:200])}", status_code=303)
    return RedirectResponse(f"/oversight/flags/{flag_id}", status_code=303)


@router.get("/oversight/me", response_class=HTMLResponse)
def my_indicators(request: Request, session: SessionDep, principal: CaseReader) -> HTMLResponse:
    rows = eis_service.indicators_of(session, principal)
    flags = eis_service.list_own_flags(session, principal)
    return render(request, "oversight_me.html", rows=rows, flags=flags)


ACTION_OF = {"read_without_case": "consult", "after_hours": "consult", "reads_far_above_peers": "consult"}


@router.get("/oversight/audit-review", response_class=HTMLResponse)
def audit_review_page(
    request: Request, session: SessionDep, principal: Auditor, days: Annotated[int, Query(ge=1, le=366)] = 7
) -> HTMLResponse:
    until = context.now(session)
    since = until - timedelta(days=days)
    findings = review_service.review(session, principal, since, until)
    rows = [
        {
            "finding": f,
            "link": "/audit?"
            + urlencode(
                {
                    "actor": f.actor,
                    "action": ACTION_OF.get(f.finding, "audit_export"),
                    "since": since.isoformat(),
                    "until": until.isoformat(),
                }
            ),
        }
        for f in findings
    ]
    return render(request, "oversight_audit.html", rows=rows, days=days, since=since, until=until)
