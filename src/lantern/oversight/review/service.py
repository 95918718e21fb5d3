"""Audit review for auditors: findings over the audit log, each naming its entries.

The log is read only through the audit service (``audit_service.search``); the review itself
is recorded as an ``audit_read``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from lantern.audit import service as audit_service
from lantern.errors import ValidationFailed
from lantern.fraud.cases import service as fraud_case_service
from lantern.kit.time import ensure_utc
from lantern.oversight import repository
from lantern.oversight.analytics import audit_findings
from lantern.oversight.service import oversight_settings
from lantern.security.access import audit, guard
from lantern.security.policy import Principal

PAGE = 5_000
MAX_ENTRIES = 2_000_000


@dataclass(frozen=True)
class Finding:
    finding: str
    actor: str
    seqs: list[int]
    detail: str


def _rows(details: dict[str, Any] | None) -> int | None:
    details = details or {}
    for key in ("rows", "returned", "count"):
        if isinstance(details.get(key), int):
            return int(details[key])
    return None


def _filters(since: datetime | None, until: datetime | None) -> dict[str, Any]:
    return {"actor": None, "object_ref": None, "purpose": None, "action": None, "since": since, "until": until}


def entries_frame(session: Session, since: datetime, until: datetime) -> pl.DataFrame:
    """Audit entries in [since, until) as a frame, paged through the audit service."""
    seq, at, actor, role, action, otype, purpose, rows = [], [], [], [], [], [], [], []
    offset = 0
    while True:
        _, page = audit_service.search(session, limit=PAGE, offset=offset, **_filters(since, until))
        for e in page:
            seq.append(e.seq)
            at.append(e.at)
            actor.append(e.actor)
            role.append(e.actor_role)
            action.append(e.action)
            otype.append(e.object_type)
            purpose.append(e.purpose_ref)
            rows.append(_rows(e.details))
        offset += PAGE
        if len(page) < PAGE or offset >= MAX_ENTRIES:
            break
    return pl.DataFrame(
        {"seq": seq, "at": at, "actor": actor, "actor_role": role, "action": action, "object_type": otype,
         "purpose_ref": purpose, "rows": rows},
        schema={"seq": pl.Int64, "at": pl.Datetime("us", "UTC"), "actor": pl.String, "actor_role": pl.String,
                "action": pl.String, "object_type": pl.String, "purpose_ref": pl.String, "rows": pl.Int64},
    )  # fmt: skip


def review(session: Session, principal: Principal, since: datetime, until: datetime) -> list[Finding]:
    """Findings between ``since`` and ``until``: reads without a case, bulk exports, after hours, heavy readers."""
    guard(principal, "audit:read", "audit_log", "review")
    since, until = ensure_utc(since), ensure_utc(until)
    if until <= since:
        raise ValidationFailed("the review period must end after it starts")
    frame = entries_frame(session, since, until)
    # Anti-fraud cases count as cases: identity-reveal answers are read under case:fraud-<id>.
    linked = [*repository.linked_refs(session), *fraud_case_service.case_refs(session)]
    found = audit_findings(frame, linked, oversight_settings(session).audit_review)
    audit(
        session,
        principal,
        "audit_read",
        "audit_log",
        "review",
        details={"since": since.isoformat(), "until": until.isoformat(), "entries": frame.height},
    )
    return [Finding(r["finding"], r["actor"], list(r["seqs"]), r["detail"]) for r in found.iter_rows(named=True)]
