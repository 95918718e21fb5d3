"""Hazardous-materials holders, licences and reports for tests (plain typed functions)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lantern.hazmat import service as hazmat_service
from lantern.hazmat.schemas import EntryIn, HolderCreate, LicenceCreate, ReportIn, ReportResult
from lantern.models import HazmatHolder, HazmatLicence
from lantern.security import context
from tests.factories.security import principal_for

SUPERVISOR = principal_for("supervisor", "sup-hazmat")


def holder(
    session: Session, code: str = "H1", *, token_id: int | None = None, report_every_days: int = 30
) -> HazmatHolder:
    return hazmat_service.create_holder(
        session,
        SUPERVISOR,
        HolderCreate(
            code=code,
            organisation=f"{code} Oy",
            category="explosives",
            contact_role="safety manager",
            contact_channel=f"safety@{code.lower()}.example",
            report_every_days=report_every_days,
            reporter_token_id=token_id,
        ),
    )


def licence(session: Session, code: str, number: str, **overrides: Any) -> HazmatLicence:
    now = context.now(session)
    fields: dict[str, Any] = {
        "number": number,
        "material": "emulsion explosive",
        "category": "explosives",
        "unit": "kg",
        "max_quantity": 1000,
        "opening_stock": 200,
        "tolerance_pct": 0.5,
        "valid_from": now - timedelta(days=365),
        "valid_until": now + timedelta(days=365),
    }
    return hazmat_service.add_licence(session, SUPERVISOR, code, LicenceCreate(**(fields | overrides)))


def entry(licence: str, kind: str, quantity: float, time: datetime, unit: str = "kg", **extra: str) -> dict[str, Any]:
    """One entry as a reporter would send it (JSON-shaped)."""
    return {"licence": licence, "kind": kind, "quantity": quantity, "unit": unit, "time": time.isoformat(), **extra}


def report_body(report_id: str, code: str, start: datetime, end: datetime, entries: list[dict[str, Any]]) -> dict:
    return {
        "report_id": report_id,
        "holder": code,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "entries": entries,
    }


def submit(session: Session, body: dict[str, Any]) -> ReportResult:
    """Submit one report through the service as staff keying it in."""
    report_in = ReportIn(**{**body, "entries": [EntryIn(**e) for e in body["entries"]]})
    (result,) = hazmat_service.submit_reports(session, SUPERVISOR, [report_in])
    return result
