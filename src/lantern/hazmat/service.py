"""Hazardous-materials ledger: register holders and licences, take holders' reports, reconcile.

Reports are all-or-nothing: one bad entry refuses the whole request, naming the report, the
entry and the field, and nothing is written. A report id already received with the same
content is acknowledged again and adds nothing; with other content it is refused (corrections
go in a new report). Findings of reconciliation go to the common alert queue, each under a
deterministic key, so reconciling again raises nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.errors import Conflict, NotFound, ValidationFailed
from lantern.hazmat import reconcile as rec
from lantern.hazmat import repository
from lantern.hazmat.schemas import HolderCreate, LicenceCreate, ReportIn, ReportResult
from lantern.models import HazmatEntry, HazmatHolder, HazmatLicence, HazmatReport
from lantern.security import context
from lantern.security.access import AuditedForbidden, audit, event, guard
from lantern.security.policy import Principal

SOURCE = "hazmat"
FUTURE_SLACK = timedelta(minutes=5)  # reporters' clocks run a little fast


@dataclass(frozen=True)
class ReconcileRun:
    findings: list[rec.Finding]
    new_alerts: int


def _params(session: Session) -> rec.Params:
    # Deployment settings when the runtime has them; the defaults otherwise.
    return rec.Params(
        transfer_grace=timedelta(hours=float(context.setting(session, "hazmat_transfer_grace_hours", 72))),
        expiry_warning=timedelta(days=float(context.setting(session, "hazmat_expiry_warning_days", 30))),
        report_grace=timedelta(days=float(context.setting(session, "hazmat_report_grace_days", 5))),
    )


def create_holder(session: Session, principal: Principal, holder_in: HolderCreate) -> HazmatHolder:
    """Register a licensed organisation."""
    guard(principal, "hazmat:manage")
    if repository.holder_by_code(session, holder_in.code) is not None:
        raise Conflict(f"code: a holder {holder_in.code!r} is already registered")
    holder = repository.add(
        session,
        HazmatHolder(
            **holder_in.model_dump(),
            active=True,
            created_by=principal.name,
            created_at=context.now(session),
        ),
    )
    audit(session, principal, "create", "hazmat_holder", holder.code)
    return holder


def add_licence(session: Session, principal: Principal, code: str, licence_in: LicenceCreate) -> HazmatLicence:
    """Record a licence of a holder (one material, one unit)."""
    guard(principal, "hazmat:manage")
    holder = _holder_or_raise(session, code)
    if repository.licence_by_number(session, licence_in.number) is not None:
        raise Conflict(f"number: licence {licence_in.number!r} is already registered")
    licence = repository.add(
        session, HazmatLicence(**licence_in.model_dump(), holder_id=holder.id, created_at=context.now(session))
    )
    audit(session, principal, "create", "hazmat_licence", licence.number, details={"holder": holder.code})
    return licence


def revoke_licence(session: Session, principal: Principal, number: str, reason: str) -> HazmatLicence:
    """Revoke a licence from now on: later movements under it, and transfers to it, are flagged."""
    guard(principal, "hazmat:manage")
    licence = repository.licence_by_number(session, number)
    if licence is None:
        raise NotFound(f"no licence {number!r} is registered")
    if licence.revoked_at is not None:
        raise Conflict(f"licence {number} was already revoked on {licence.revoked_at.date().isoformat()}")
    if len(reason.strip()) < 3:
        raise ValidationFailed("reason: say why the licence is revoked (at least 3 characters)")
    licence.revoked_at = context.now(session)
    audit(session, principal, "alter", "hazmat_licence", number, details={"revoked": reason.strip()[:300]})
    return licence


def holder_exists(session: Session, code: str) -> bool:
    return repository.holder_by_code(session, code) is not None


def _holder_or_raise(session: Session, code: str) -> HazmatHolder:
    holder = repository.holder_by_code(session, code)
    if holder is None:
        raise NotFound(f"no hazardous-materials holder {code!r} is registered")
    return holder


def list_holders(session: Session, principal: Principal) -> list[HazmatHolder]:
    guard(principal, "hazmat:read")
    return list(repository.holders(session))


def _content_hash(report_in: ReportIn) -> str:
    canonical = json.dumps(report_in.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _may_report(principal: Principal, holder: HazmatHolder) -> bool:
    if principal.can("hazmat:manage"):
        return True  # staff keying in a paper report
    return (
        principal.can("hazmat:report")
        and principal.token_id is not None
        and principal.token_id == holder.reporter_token_id
    )


def submit_reports(session: Session, principal: Principal, reports_in: Sequence[ReportIn]) -> list[ReportResult]:
    """Store holders' reports (all or nothing) and reconcile the ledger at once."""
    guard(principal, "hazmat:report")
    now = context.now(session)
    results: list[ReportResult] = []
    stored = 0
    references: set[tuple[int, str, str]] = set()
    for position, report_in in enumerate(reports_in, start=1):
        where = f"report {position}"
        holder = repository.holder_by_code(session, report_in.holder)
        if holder is None or not holder.active:
            raise ValidationFailed(f"{where}, field `holder`: no active holder {report_in.holder!r} is registered")
        if not _may_report(principal, holder):
            raise AuditedForbidden(
                f"{where}: this token may not report for holder {holder.code}; each holder reports with its own token",
                event(
                    principal, "deny", "hazmat_holder", holder.code, outcome="denied", details={"needed": "reporter"}
                ),
            )
        digest = _content_hash(report_in)
        existing = repository.report(session, holder.id, report_in.report_id)
        if existing is not None:
            if existing.content_hash != digest:
                raise Conflict(
                    f"{where}: report {report_in.report_id!r} of {holder.code} was already received with other "
                    "content; send corrections as a new report with its own report_id"
                )
            results.append(
                ReportResult(
                    report_id=existing.report_id, holder=holder.code, status="duplicate", entries=existing.entries
                )
            )
            continue
        if report_in.period_end > now + FUTURE_SLACK:
            raise ValidationFailed(f"{where}, field `period_end`: {report_in.period_end.isoformat()} is in the future")
        licences = {lic.number: lic for lic in repository.licences(session, holder.id)}
        rows = []
        for line, entry_in in enumerate(report_in.entries, start=1):
            at = f"{where}, entry {line}"
            licence = licences.get(entry_in.licence)
            if licence is None:
                raise ValidationFailed(
                    f"{at}, field `licence`: {entry_in.licence!r} is not a licence of {holder.code} "
                    f"(its licences: {', '.join(sorted(licences)) or 'none'})"
                )
            if entry_in.unit != licence.unit:
                raise ValidationFailed(
                    f"{at}, field `unit`: licence {licence.number} is kept in {licence.unit}, not {entry_in.unit}; "
                    f"units are never converted or added together, report the quantity in {licence.unit}"
                )
            if not report_in.period_start <= entry_in.time <= report_in.period_end:
                raise ValidationFailed(
                    f"{at}, field `time`: {entry_in.time.isoformat()} is outside the report's period "
                    f"{report_in.period_start.isoformat()} to {report_in.period_end.isoformat()}"
                )
            if entry_in.kind in rec.TRANSFERS:
                if entry_in.counterparty_licence == licence.number:
                    raise ValidationFailed(f"{at}, field `counterparty_licence`: a licence cannot transfer to itself")
                key = (licence.id, entry_in.kind, entry_in.reference)
                if key in references or repository.transfer_references(
                    session, licence.id, entry_in.kind, [entry_in.reference]
                ):
                    raise ValidationFailed(
                        f"{at}, field `reference`: {entry_in.reference!r} is already used for a "
                        f"{entry_in.kind.replace('_', ' ')} under licence {licence.number}"
                    )
                references.add(key)
            rows.append((line, licence, entry_in))
        report = repository.add(
            session,
            HazmatReport(
                holder_id=holder.id,
                report_id=report_in.report_id,
                content_hash=digest,
                period_start=report_in.period_start,
                period_end=report_in.period_end,
                entries=len(rows),
                received_by=principal.name,
                received_at=now,
            ),
        )
        repository.add_all(
            session,
            [
                HazmatEntry(
                    report_pk=report.id,
                    licence_id=licence.id,
                    line=line,
                    kind=entry_in.kind,
                    quantity=entry_in.quantity,
                    unit=entry_in.unit,
                    occurred_at=entry_in.time,
                    counterparty_licence=entry_in.counterparty_licence.strip(),
                    counterparty=entry_in.counterparty.strip(),
                    reference=entry_in.reference.strip(),
                )
                for line, licence, entry_in in rows
            ],
        )
        audit(
            session,
            principal,
            "create",
            "hazmat_report",
            f"{holder.code}/{report.report_id}",
            details={"entries": len(rows)},
        )
        stored += 1
        results.append(
            ReportResult(report_id=report.report_id, holder=holder.code, status="accepted", entries=len(rows))
        )
    if stored:
        run = _reconcile(session, now)
        results = [r.model_copy(update={"new_alerts": run.new_alerts}) for r in results]
    return results


def _facts(session: Session) -> tuple[list[rec.Holder], list[rec.Licence], list[rec.Entry]]:
    holders = {h.id: h for h in repository.holders(session) if h.active}
    last = repository.last_period_ends(session)
    licences = {lic.id: lic for lic in repository.licences(session) if lic.holder_id in holders}
    return (
        [
            rec.Holder(h.code, h.organisation, h.report_every_days, h.created_at, last.get(h.id))
            for h in holders.values()
        ],
        [
            rec.Licence(
                number=lic.number,
                holder=holders[lic.holder_id].code,
                material=lic.material,
                unit=lic.unit,
                max_quantity=lic.max_quantity,
                valid_from=lic.valid_from,
                valid_until=lic.valid_until,
                opening_stock=lic.opening_stock,
                tolerance_abs=lic.tolerance_abs,
                tolerance_pct=lic.tolerance_pct,
                revoked_at=lic.revoked_at,
            )
            for lic in licences.values()
        ],
        [
            rec.Entry(
                id=e.id,
                licence=licences[e.licence_id].number,
                kind=e.kind,
                quantity=e.quantity,
                occurred_at=e.occurred_at,
                counterparty_licence=e.counterparty_licence,
                reference=e.reference,
                counterparty=e.counterparty,
            )
            for e in repository.entries(session, list(licences))
        ],
    )


def _alert_in(finding: rec.Finding) -> alert_service.AlertIn:
    return alert_service.AlertIn(
        source=SOURCE,
        kind=finding.kind,
        severity=finding.severity,
        subject_type="hazmat_holder",
        subject_id=finding.holder,
        title=finding.title,
        detail=finding.detail,
        dedupe_key=finding.dedupe_key,
        data={**finding.data, "holder": finding.holder, "licence": finding.licence},
    )


def _reconcile(session: Session, now: datetime) -> ReconcileRun:
    holders, licences, entries = _facts(session)
    findings = rec.reconcile(holders, licences, entries, now, _params(session))
    created = sum(alert_service.raise_alert(session, _alert_in(f))[1] for f in findings)
    return ReconcileRun(findings, created)


def reconcile(session: Session, principal: Principal) -> ReconcileRun:
    """Check every ledger and raise an alert for each finding not raised before."""
    guard(principal, "hazmat:manage")
    return _reconcile(session, context.now(session))


def findings(session: Session, principal: Principal) -> list[rec.Finding]:
    """The discrepancies as of now, without raising anything."""
    guard(principal, "hazmat:read")
    holders, licences, entries = _facts(session)
    return rec.reconcile(holders, licences, entries, context.now(session), _params(session))


def register(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Every holder with its licences, current ledger stock and open findings."""
    guard(principal, "hazmat:read")
    holders, licences, entries = _facts(session)
    now = context.now(session)
    found = rec.reconcile(holders, licences, entries, now, _params(session))
    rows = []
    for holder in repository.holders(session):
        mine = [lic for lic in licences if lic.holder == holder.code]
        rows.append(
            {
                "holder": holder,
                "licences": [
                    {"licence": lic, "stock": _stock(lic, entries), "in_force": lic.valid_at(now)} for lic in mine
                ],
                "findings": [f for f in found if f.holder == holder.code],
            }
        )
    return rows


def _stock(licence: rec.Licence, entries: Sequence[rec.Entry]) -> float:
    lines = rec.ledger(licence, entries)
    return lines[-1].after if lines else licence.opening_stock


def holder_ledger(session: Session, principal: Principal, code: str) -> dict[str, Any]:
    """One holder: its licences with every ledger line and running balance, its reports and findings."""
    guard(principal, "hazmat:read")
    holder = _holder_or_raise(session, code)
    holders, licences, entries = _facts(session)
    now = context.now(session)
    found = rec.reconcile(holders, licences, entries, now, _params(session))
    mine = [lic for lic in licences if lic.holder == holder.code]
    return {
        "holder": holder,
        "licences": [
            {
                "licence": lic,
                "lines": rec.ledger(lic, entries),
                "stock": _stock(lic, entries),
                "in_force": lic.valid_at(now),
            }
            for lic in mine
        ],
        "reports": list(repository.reports(session, holder.id)),
        # A one-sided transfer is the receiver's to answer, but the sender sees it too.
        "findings": [f for f in found if holder.code in (f.holder, f.data.get("reported_by"))],
    }
