"""Anti-fraud JSON API: partner intake by machine token, victim-warning outcomes by staff."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Request
from pydantic import AwareDatetime, BaseModel, Field, TypeAdapter, ValidationError

from lantern.errors import ValidationFailed
from lantern.fraud import service as fraud_service
from lantern.fraud.schemas import PERSONAL_KEYS, CallIn, ReportIn, TransactionIn, WarningOutcome
from lantern.kit.ids import MAX_ID
from lantern.models import FraudCase
from lantern.security.policy import Principal
from lantern.web.auth import require
from lantern.web.deps import SessionDep
from lantern.web.params import IdPath
from lantern.web.records import parse_records

router = APIRouter(prefix="/api/fraud", tags=["anti-fraud"])
Ingester = Annotated[Principal, require("fraud:ingest")]
Manager = Annotated[Principal, require("fraud:manage")]
Reader = Annotated[Principal, require("fraud:read")]
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
    """How a victim warning ended: warned, loss_prevented or false_alarm (becomes a label)."""
    warning = fraud_service.record_outcome(session, principal, warning_id, outcome_in)
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
