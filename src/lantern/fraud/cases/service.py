"""Anti-fraud case lifecycle: close with an outcome and a reason, reopen with a reason, and the
case's append-only timeline (opening, notes, closings, reopenings, identity-reveal requests).

A case's purpose reference is ``case:fraud-<id>``: identity-reveal requests are filed under it
and the audit review counts reads under it as linked to a case.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.errors import Conflict
from lantern.fraud import repository
from lantern.fraud import service as fraud_service
from lantern.fraud.schemas import OUTCOMES, CaseClose, CaseReopen
from lantern.models import FraudCase, FraudCaseEvent
from lantern.security import context
from lantern.security.access import audit, guard
from lantern.security.policy import Principal

WAITING = ("pending_approval", "approved")  # reveal requests a closing withdraws
SYSTEM = Principal.system("fraud-cases")


def case_ref(case_id: int) -> str:
    """The purpose reference of a case (``case:fraud-12``), as the security layer accepts it."""
    return f"case:fraud-{case_id}"


def case_refs(session: Session) -> list[str]:
    """Purpose references of every anti-fraud case (the audit review links reads to them)."""
    return [case_ref(i) for i in repository.all_case_ids(session)]


def add_event(session: Session, case_id: int, kind: str, actor: str, text: str = "") -> FraudCaseEvent:
    """Append to the case's timeline (never edited, never deleted)."""
    event = FraudCaseEvent(case_id=case_id, at=context.now(session), kind=kind, actor=actor, text=text[:2000])
    repository.add_all(session, [event])
    return event


def settle_alert(session: Session, alert_id: int | None, resolution: str) -> None:
    """Resolve a task of the queue this module raised, unless someone already resolved it."""
    if alert_id is None:
        return
    with suppress(Conflict):  # resolved by hand from the queue already
        alert_service.resolve(session, SYSTEM, alert_id, resolution)


def close_case(session: Session, principal: Principal, case_id: int, close_in: CaseClose) -> FraudCase:
    """Close a case with an outcome and a reason; reveal requests still waiting are withdrawn."""
    guard(principal, "fraud:manage", "fraud_case", case_id)
    case = fraud_service.get_case(session, principal, case_id)
    if case.status == "closed":
        outcome = OUTCOMES.get(case.outcome, case.outcome)
        raise Conflict(f"case {case_id} is already closed ({outcome}); reopen it first")
    now, reason = context.now(session), close_in.reason.strip()
    case.status, case.closed_at, case.closed_by = "closed", now, principal.name
    case.outcome, case.close_reason = close_in.outcome, reason
    add_event(session, case.id, "closed", principal.name, f"Closed: {OUTCOMES[close_in.outcome]}. {reason}")
    for request in repository.reveal_requests_of_case(session, case.id):
        if request.status in WAITING:
            request.status = "withdrawn"
            settle_alert(session, request.alert_id, f"withdrawn: case {case.id} was closed by {principal.name}")
            add_event(session, case.id, "reveal_withdrawn", principal.name, f"Request #{request.id} withdrawn.")
    audit(session, principal, "alter", "fraud_case", case.id, details={"status": "closed", "outcome": case.outcome})
    return case


def reopen_case(session: Session, principal: Principal, case_id: int, reopen_in: CaseReopen) -> FraudCase:
    """Reopen a closed case with a reason (the earlier closing stays in the timeline)."""
    guard(principal, "fraud:manage", "fraud_case", case_id)
    case = fraud_service.get_case(session, principal, case_id)
    if case.status != "closed":
        raise Conflict(f"case {case_id} is {case.status}; only a closed case can be reopened")
    reason = reopen_in.reason.strip()
    case.status, case.closed_at, case.closed_by, case.outcome, case.close_reason = "open", None, "", "", ""
    add_event(session, case.id, "reopened", principal.name, f"Reopened: {reason}")
    audit(session, principal, "alter", "fraud_case", case.id, details={"status": "open"})
    session.flush()
    return case


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    actor: str
    text: str


def timeline(session: Session, principal: Principal, case_id: int) -> list[TimelineEntry]:
    """The case's timeline, oldest first: its opening, notes and events."""
    case = fraud_service.get_case(session, principal, case_id)
    opened = f"Opened with {len(case.accounts)} account(s) and {len(case.alert_ids)} alert(s)."
    entries = [TimelineEntry(case.opened_at, "opened", case.investigator, opened)]
    entries += [TimelineEntry(datetime.fromisoformat(n["at"]), "note", n["by"], n["text"]) for n in case.notes]
    entries += [TimelineEntry(e.at, e.kind, e.actor, e.text) for e in repository.case_events(session, case.id)]
    return sorted(entries, key=lambda e: e.at)  # stable: same-time entries keep the order above
