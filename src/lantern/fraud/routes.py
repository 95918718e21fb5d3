"""Anti-fraud JSON API: partner intake and identity-reveal answers by machine token; victim-warning
outcomes, cases and identity-reveal requests by staff."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Request
from pydantic import AwareDatetime, BaseModel, Field, TypeAdapter, ValidationError

from lantern.errors import ValidationFailed
from lantern.fraud import service as fraud_service
from lantern.fraud.cases import service as case_service
from lantern.fraud.reveal import service as reveal_service
from lantern.fraud.schemas import (
    PERSONAL_KEYS,
    CallIn,
    CaseClose,
    CaseReopen,
    ReportIn,
    RevealAnswer,
    RevealDecision,
    RevealRequestIn,
    TransactionIn,
    WarningOutcome,
)
from lantern.fraud.victim_warnings import service as warning_service
from lantern.kit.ids import MAX_ID
from lantern.models import FraudCase, FraudRevealRequest
from lantern.security.policy import Principal
from lantern.web.auth import require
from lantern.web.deps import SessionDep
from lantern.web.params import IdPath
from lantern.web.records import parse_records

router = APIRouter(prefix="/api/fraud", tags=["anti-fraud"])
Ingester = Annotated[Principal, require("fraud:ingest")]
Manager = Annotated[Principal, require("fraud:manage")]
Reader = Annotated[Principal, require("fraud:read")]
Requester = Annotated[Principal, require(reveal_service.REQUEST)]
Approver = Annotated[Principal, require(reveal_service.APPROVE)]
Answerer = Annotated[Principal, require(reveal_service.ANSWER)]
Account = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]
M = TypeVar("M", bound=BaseModel)


def validate_records(raw: list[Any], model: type[M]) -> list[M]:
    """Each record validated; personal data in clear is refused naming the record and field."""
    adapter = TypeAdapter(model)
    out = []
    for number, item in enumerate(raw, start=1):
        if isinstance(item, dict):
            personal = sorted(k for k in item if str(k).lower() in PERSONAL_KEYS)
            if personal:
                raise ValidationFailed(
                    f"record {number}, field `{personal[0]}`: personal data in clear is not accepted; "
                    "send only the fields of the format, identifiers as partner-keyed pseudonyms"
                )
        try:
            out.append(adapter.validate_python(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            message = str(first["msg"]).removeprefix("Value error, ")
            raise ValidationFailed(
                f"record {number}, " + (f"field `{where}`: {message}" if where else message)
            ) from exc
    return out


async def _records(request: Request, model: type[M]) -> list[M]:
    raw = parse_records(await request.body(), request.headers.get("content-type", ""))
    return validate_records(raw, model)


@router.post("/transactions")
async def post_transactions(request: Request, session: SessionDep, principal: Ingester) -> dict[str, Any]:
    """A bank's payments (JSON array or NDJSON): all or nothing; re-sent ones add nothing; holds come back."""
    records = await _records(request, TransactionIn)
    return asdict(fraud_service.ingest_transactions(session, principal, records))


@router.post("/calls")
async def post_calls(request: Request, session: SessionDep, principal: Ingester) -> dict[str, Any]:
    """An operator's call and SMS records (pseudonymous numbers only)."""
    records = await _records(request, CallIn)
    return asdict(fraud_service.ingest_calls(session, principal, records))


@router.post("/reports")
async def post_reports(request: Request, session: SessionDep, principal: Ingester) -> dict[str, Any]:
    """Reports of fraud from victims and banks (labels)."""
    records = await _records(request, ReportIn)
    return asdict(fraud_service.ingest_reports(session, principal, records))


@router.post("/warnings/{warning_id}/outcome")
def post_outcome(
    session: SessionDep, principal: Manager, warning_id: IdPath, outcome_in: WarningOutcome
) -> dict[str, Any]:
    """How a victim warning ended: warned, loss_prevented, false_alarm (these become labels) or could_not_reach."""
    warning = warning_service.record_outcome(session, principal, warning_id, outcome_in)
    return {"id": warning.id, "outcome": warning.outcome, "outcome_by": warning.outcome_by}


class CaseOpen(BaseModel):
    alert_id: int = Field(ge=1, le=MAX_ID)
    title: str = Field(min_length=3, max_length=200)


class NoteIn(BaseModel):
    text: str = Field(min_length=3, max_length=2000)


def case_json(case: FraudCase) -> dict[str, Any]:
    return {
        "id": case.id,
        "title": case.title,
        "status": case.status,
        "investigator": case.investigator,
        "accounts": case.accounts,
        "alert_ids": case.alert_ids,
        "notes": case.notes,
        "flow": case.flow,
        "opened_at": case.opened_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "outcome": case.outcome,
        "closed_by": case.closed_by,
        "close_reason": case.close_reason,
    }


def reveal_json(request: FraudRevealRequest) -> dict[str, Any]:
    """A reveal request as staff see it: where it stands, never the identity."""
    return {
        "id": request.id,
        "case_id": request.case_id,
        "subject_type": request.subject_type,
        "subject": request.subject,
        "partner": request.partner,
        "purpose_ref": request.purpose_ref,
        "reason": request.reason,
        "status": request.status,
        "requested_by": request.requested_by,
        "requested_at": request.requested_at.isoformat(),
        "decided_by": request.decided_by,
        "decided_at": request.decided_at.isoformat() if request.decided_at else None,
        "decision_reason": request.decision_reason,
        "answered_at": request.answered_at.isoformat() if request.answered_at else None,
    }


@router.get("/accounts/{account}/network")
def get_network(
    session: SessionDep, principal: Reader, account: Account, around: Annotated[AwareDatetime, Query()]
) -> dict[str, Any]:
    """The account's payment network two hops out, a week either side of ``around`` (pseudonyms only)."""
    when: datetime = around
    return fraud_service.account_network(session, principal, account, when)


@router.post("/cases")
def post_case(session: SessionDep, principal: Manager, case_in: CaseOpen) -> dict[str, Any]:
    """Open a case from an alert: the mule-ring candidate around its account, and that ring's alerts."""
    return case_json(fraud_service.open_case(session, principal, case_in.alert_id, case_in.title))


@router.get("/cases/{case_id}")
def get_case(session: SessionDep, principal: Reader, case_id: IdPath) -> dict[str, Any]:
    """One case."""
    return case_json(fraud_service.get_case(session, principal, case_id))


@router.post("/cases/{case_id}/notes")
def post_note(session: SessionDep, principal: Manager, case_id: IdPath, note_in: NoteIn) -> dict[str, Any]:
    """Append a note to an open case."""
    return case_json(fraud_service.add_note(session, principal, case_id, note_in.text))


@router.post("/cases/{case_id}/close")
def post_close(session: SessionDep, principal: Manager, case_id: IdPath, close_in: CaseClose) -> dict[str, Any]:
    """Close a case with an outcome and a reason (waiting identity-reveal requests are withdrawn)."""
    return case_json(case_service.close_case(session, principal, case_id, close_in))


@router.post("/cases/{case_id}/reopen")
def post_reopen(session: SessionDep, principal: Manager, case_id: IdPath, reopen_in: CaseReopen) -> dict[str, Any]:
    """Reopen a closed case with a reason."""
    return case_json(case_service.reopen_case(session, principal, case_id, reopen_in))


@router.get("/cases/{case_id}/timeline")
def get_timeline(session: SessionDep, principal: Reader, case_id: IdPath) -> list[dict[str, Any]]:
    """The case's timeline, oldest first: opening, notes, closings, reopenings, identity-reveal requests."""
    return [asdict(e) for e in case_service.timeline(session, principal, case_id)]


@router.post("/cases/{case_id}/reveals", status_code=201)
def post_reveal(
    session: SessionDep, principal: Requester, case_id: IdPath, reveal_in: RevealRequestIn
) -> dict[str, Any]:
    """Ask the partner who is behind a pseudonym of the case (purpose: the case); a second person approves."""
    return reveal_json(reveal_service.request_reveal(session, principal, case_id, reveal_in))


@router.get("/cases/{case_id}/reveals")
def get_case_reveals(session: SessionDep, principal: Reader, case_id: IdPath) -> list[dict[str, Any]]:
    """The case's identity-reveal requests and where each stands (the identity is shown only on the case page)."""
    return [reveal_json(r) for r in reveal_service.requests_of_case(session, principal, case_id)]


@router.get("/reveals")
def get_pending_reveals(session: SessionDep, principal: Approver) -> list[dict[str, Any]]:
    """Identity-reveal requests waiting for a second person's approval."""
    return [
        {**reveal_json(p.request), "case_title": p.case_title}
        for p in reveal_service.pending_approvals(session, principal)
    ]


@router.post("/reveals/{request_id}/decision")
def post_decision(
    session: SessionDep, principal: Approver, request_id: IdPath, decision_in: RevealDecision
) -> dict[str, Any]:
    """Approve or refuse a request filed by someone else, with a reason."""
    return reveal_json(reveal_service.decide(session, principal, request_id, decision_in))


def partner_json(request: FraudRevealRequest) -> dict[str, Any]:
    """What the partner is told: the pseudonym, the purpose and the reason; no staff names."""
    return {
        "id": request.id,
        "subject_type": request.subject_type,
        "subject": request.subject,
        "purpose_ref": request.purpose_ref,
        "reason": request.reason,
        "requested_at": request.requested_at.isoformat(),
        "approved_at": request.decided_at.isoformat() if request.decided_at else None,
    }


@router.get("/partner/reveal-requests")
def get_partner_requests(session: SessionDep, principal: Answerer) -> list[dict[str, Any]]:
    """Partners: the approved identity-reveal requests addressed to you, not yet answered."""
    return [partner_json(r) for r in reveal_service.for_partner(session, principal)]


@router.post("/partner/reveal-requests/{request_id}/answer")
def post_partner_answer(
    session: SessionDep, principal: Answerer, request_id: IdPath, answer_in: RevealAnswer
) -> dict[str, Any]:
    """Partners: answer once with `name` and `holder_ref` (accounts) or `phone` (numbers), or `not_held`."""
    request = reveal_service.answer(session, principal, request_id, answer_in)
    return {"id": request.id, "status": request.status}
