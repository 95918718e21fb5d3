"""Hazardous-materials JSON API: the register (staff) and holders' reports (machine tokens)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from lantern.errors import ValidationFailed
from lantern.hazmat import service as hazmat_service
from lantern.hazmat.reconcile import LedgerLine
from lantern.hazmat.schemas import (
    EntryIn,
    HolderCreate,
    HolderRead,
    LicenceCreate,
    LicenceRead,
    ReportHeader,
    ReportIn,
    ReportResult,
)
from lantern.security.policy import Principal
from lantern.web.auth import require
from lantern.web.deps import SessionDep
from lantern.web.records import RawBody

router = APIRouter(prefix="/api/hazmat", tags=["hazardous materials"])
Reader = Annotated[Principal, require("hazmat:read")]
Manager = Annotated[Principal, require("hazmat:manage")]
Reporter = Annotated[Principal, require("hazmat:report")]
HolderCode = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")]
LicenceNumberPath = Annotated[str, Path(min_length=3, max_length=60, pattern=r"^[A-Za-z0-9_\-.]+$")]
MAX_REPORTS = 100
_HEADER = TypeAdapter(ReportHeader)
_ENTRY = TypeAdapter(EntryIn)


def _field_error(error: ValidationError) -> str:
    first = error.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    where = ".".join(str(p) for p in first["loc"])
    # Checks across fields (a transfer without its reference) name their field in the message.
    return f"field `{where}`: {message}" if where else message


def parse_reports(body: bytes) -> list[ReportIn]:
    """One report object or an array of them, validated; an error names the report, entry and field."""
    try:
        data = json.loads(body.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(f"body is not JSON: {exc}") from exc
    data = [data] if isinstance(data, dict) else data
    if not isinstance(data, list) or not data:
        raise ValidationFailed("body must be a report object or a non-empty array of report objects")
    if len(data) > MAX_REPORTS:
        raise ValidationFailed(f"{len(data)} reports in one request; send at most {MAX_REPORTS}")
    reports = []
    for number, item in enumerate(data, start=1):
        try:
            header = _HEADER.validate_python(item)
        except ValidationError as exc:
            raise ValidationFailed(f"report {number}, {_field_error(exc)}") from exc
        entries = []
        for line, raw in enumerate(header.entries, start=1):
            try:
                entries.append(_ENTRY.validate_python(raw))
            except ValidationError as exc:
                raise ValidationFailed(f"report {number}, entry {line}, {_field_error(exc)}") from exc
        reports.append(
            ReportIn(
                report_id=header.report_id,
                holder=header.holder,
                period_start=header.period_start,
                period_end=header.period_end,
                entries=entries,
            )
        )
    return reports


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=300)


class ReconcileResult(BaseModel):
    findings: int
    new_alerts: int


def _line(line: LedgerLine) -> dict[str, Any]:
    e = line.entry
    return {
        "entry_id": e.id,
        "kind": e.kind,
        "quantity": e.quantity,
        "time": e.occurred_at.isoformat(),
        "counterparty_licence": e.counterparty_licence,
        "counterparty": e.counterparty,
        "reference": e.reference,
        "balance_before": line.before,
        "balance_after": line.after,
        "expected": line.expected,
        "difference": line.difference,
        "balanced": line.balanced,
    }


@router.get("/holders", response_model=list[HolderRead])
def holders(session: SessionDep, principal: Reader) -> Any:
    return hazmat_service.list_holders(session, principal)


@router.post("/holders", response_model=HolderRead, status_code=status.HTTP_201_CREATED)
def create_holder(session: SessionDep, principal: Manager, holder_in: HolderCreate) -> Any:
    return hazmat_service.create_holder(session, principal, holder_in)


@router.get("/holders/{code}")
def holder(session: SessionDep, principal: Reader, code: HolderCode) -> dict[str, Any]:
    """A holder's licences with every ledger line and running balance, and its open findings."""
    view = hazmat_service.holder_ledger(session, principal, code)
    return {
        "holder": HolderRead.model_validate(view["holder"]).model_dump(mode="json"),
        "licences": [
            {
                "number": item["licence"].number,
                "material": item["licence"].material,
                "unit": item["licence"].unit,
                "max_quantity": item["licence"].max_quantity,
                "valid_until": item["licence"].valid_until.isoformat(),
                "in_force": item["in_force"],
                "stock": item["stock"],
                "ledger": [_line(line) for line in item["lines"]],
            }
            for item in view["licences"]
        ],
        "findings": [asdict(f) for f in view["findings"]],
    }


@router.post("/holders/{code}/licences", response_model=LicenceRead, status_code=status.HTTP_201_CREATED)
def add_licence(session: SessionDep, principal: Manager, code: HolderCode, licence_in: LicenceCreate) -> Any:
    return hazmat_service.add_licence(session, principal, code, licence_in)


@router.post("/licences/{number}/revoke", response_model=LicenceRead)
def revoke_licence(session: SessionDep, principal: Manager, number: LicenceNumberPath, revoke_in: RevokeIn) -> Any:
    """Revoke a licence from now on (later movements under it and transfers to it are flagged)."""
    return hazmat_service.revoke_licence(session, principal, number, revoke_in.reason)


@router.post("/reports", response_model=list[ReportResult], status_code=status.HTTP_201_CREATED)
def post_reports(session: SessionDep, principal: Reporter, body: RawBody, response: Response) -> Any:
    """A holder's report (or an array of reports): purchases, uses, transfers and stock counts.

    The body is a ``ReportIn`` object: ``report_id`` (the holder's own), ``holder`` (its code),
    ``period_start``, ``period_end`` and ``entries``, each with ``licence``, ``kind`` (purchase,
    use, transfer_out, transfer_in, count), ``quantity``, ``unit`` (the licence's own), ``time``
    and, for transfers, ``counterparty_licence`` and ``reference``.

    All-or-nothing: one bad entry rejects the request, naming the report, entry and field.
    Sending a report id again with the same content answers 200 and adds nothing.
    """
    results = hazmat_service.submit_reports(session, principal, parse_reports(body))
    if all(r.status == "duplicate" for r in results):
        response.status_code = status.HTTP_200_OK
    return results


@router.get("/findings")
def findings(session: SessionDep, principal: Reader) -> list[dict[str, Any]]:
    """Every discrepancy as of now (stock, licences, transfers, overdue reports)."""
    return [asdict(f) for f in hazmat_service.findings(session, principal)]


@router.post("/reconcile", response_model=ReconcileResult)
def reconcile(session: SessionDep, principal: Manager) -> Any:
    """Reconcile now; each finding raises one alert, ever."""
    run = hazmat_service.reconcile(session, principal)
    return {"findings": len(run.findings), "new_alerts": run.new_alerts}
