"""The auditor's page, JSON search and CSV export. Every read of the log is itself audited."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from lantern.audit import service as audit_service
from lantern.errors import ValidationFailed
from lantern.kit.time import within_supported_range
from lantern.security.access import audit
from lantern.security.policy import Principal
from lantern.web.auth import require
from lantern.web.deps import SessionDep
from lantern.web.params import OffsetQuery
from lantern.web.templating import render

router = APIRouter(tags=["audit"])
Auditor = Annotated[Principal, require("audit:read")]
Exporter = Annotated[Principal, require("audit:export")]


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor: str
    actor_role: str
    action: str
    object_type: str
    object_id: str
    purpose_ref: str
    purpose_reason: str
    outcome: str
    request_id: str
    client_address: str
    details: dict[str, Any]


class AuditPage(BaseModel):
    total: int
    items: list[AuditEntryRead]


def _filters(
    actor: str | None,
    object_ref: str | None,
    purpose: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
) -> dict[str, Any]:
    try:
        return {
            "actor": actor or None,
            "object_ref": object_ref or None,
            "purpose": purpose or None,
            "action": action or None,
            "since": within_supported_range(since, "since") if since else None,
            "until": within_supported_range(until, "until") if until else None,
        }
    except ValueError as exc:
        raise ValidationFailed(f"{exc}; give an aware time such as 2026-11-01T08:00+08:00") from exc


def _search(
    session: Session,
    principal: Principal,
    filters: dict[str, Any],
    limit: int,
    offset: int,
    action: str = "audit_read",
) -> tuple[int, list[Any]]:
    total, items = audit_service.search(session, limit=limit, offset=offset, **filters)
    shown = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in filters.items() if v}
    audit(session, principal, action, "audit_log", "search", details={"filters": shown, "returned": len(items)})
    return total, items


@router.get("/api/audit", response_model=AuditPage)
def search_api(
    session: SessionDep,
    principal: Auditor,
    actor: str | None = Query(None, max_length=120),
    object_ref: str | None = Query(
        None, max_length=180, description="type or type:id, e.g. incident_parties:incident:42"
    ),
    purpose: str | None = Query(None, max_length=120),
    action: str | None = Query(None, max_length=40),
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: OffsetQuery = 0,
) -> Any:
    """Search the audit log (this search is itself recorded)."""
    total, items = _search(
        session, principal, _filters(actor, object_ref, purpose, action, since, until), limit, offset
    )
    return AuditPage(total=total, items=[AuditEntryRead.model_validate(e) for e in items])


@router.get("/audit", response_class=HTMLResponse, include_in_schema=False)
def audit_page(
    request: Request,
    session: SessionDep,
    principal: Auditor,
    actor: str | None = Query(None, max_length=120),
    object_ref: str | None = Query(None, max_length=180),
    purpose: str | None = Query(None, max_length=120),
    action: str | None = Query(None, max_length=40),
    since: datetime | None = None,
    until: datetime | None = None,
    offset: OffsetQuery = 0,
) -> HTMLResponse:
    filters = _filters(actor, object_ref, purpose, action, since, until)
    total, items = _search(session, principal, filters, 100, offset)
    query = {k: v for k, v in request.query_params.items() if k != "offset"}
    return render(
        request,
        "audit.html",
        total=total,
        items=items,
        filters=filters,
        query=query,
        offset=offset,
        actions=sorted(audit_service.ACTIONS),
    )


@router.get("/audit/export.csv")
def export_csv(
    session: SessionDep,
    principal: Exporter,
    actor: str | None = Query(None, max_length=120),
    object_ref: str | None = Query(None, max_length=180),
    purpose: str | None = Query(None, max_length=120),
    action: str | None = Query(None, max_length=40),
    since: datetime | None = None,
    until: datetime | None = None,
) -> Response:
    """Matching entries as CSV (at most 100,000; the export is recorded)."""
    _, items = _search(
        session,
        principal,
        _filters(actor, object_ref, purpose, action, since, until),
        100_000,
        0,
        action="audit_export",
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = list(AuditEntryRead.model_fields)
    writer.writerow(columns)
    for entry in items:
        row = AuditEntryRead.model_validate(entry).model_dump(mode="json")
        writer.writerow([row[c] for c in columns])
    return Response(
        buffer.getvalue(),
        media_type="text/csv",
        headers={"content-disposition": 'attachment; filename="audit-export.csv"'},
    )
