"""Complaints: intake from the portal or staff, assignment, investigation, finding and outcome,
with stage deadlines and a timeline whose public entries the complainant can follow.

A complaint about a named officer counts towards their ``complaint`` indicator, a sustained
finding towards ``complaint_sustained`` (early intervention compares them with peers).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.alerts.service import AlertIn
from lantern.errors import Conflict, Forbidden, NotFound
from lantern.models import Complaint, ComplaintEvent, OfficerEvent
from lantern.oversight import repository
from lantern.oversight.schemas import ComplaintCreate, ComplaintFinding, PublicTimeline, TimelineEntry
from lantern.oversight.service import SOURCE, oversight_settings
from lantern.security import context
from lantern.security.access import audit, guard
from lantern.security.policy import Principal

MANAGE = "complaint:manage"


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _event(session: Session, complaint: Complaint, kind: str, actor: str, text: str = "", *, public: bool) -> None:
    repository.add(
        session,
        ComplaintEvent(
            complaint_id=complaint.id, at=context.now(session), kind=kind, text=text, public=public, actor=actor
        ),
    )


def _indicator(session: Session, officer: str, indicator: str, ref: str) -> None:
    if officer and not repository.officer_event_exists(session, indicator, ref):
        repository.add(session, OfficerEvent(officer=officer, indicator=indicator, at=context.now(session), ref=ref))


@dataclass(frozen=True)
class Received:
    complaint: Complaint
    access_code: str  # shown once to the complainant; only its hash is kept


def receive(session: Session, principal: Principal, complaint_in: ComplaintCreate) -> Received:
    """Take a complaint; returns the access code the complainant uses to follow the timeline."""
    guard(principal, "case:write", "complaint")
    if repository.complaint_by_number(session, complaint_in.number) is not None:
        raise Conflict(f"complaint {complaint_in.number} already exists")
    now = context.now(session)
    code = secrets.token_urlsafe(12)
    complaint = repository.add(
        session,
        Complaint(
            **complaint_in.model_dump(),
            status="received",
            received_at=now,
            due_at=now + timedelta(days=oversight_settings(session).complaint_assign_days),
            access_hash=_hash(code),
            created_by=principal.name,
        ),
    )
    _event(session, complaint, "received", principal.name, f"Complaint received ({complaint_in.source}).", public=True)
    _indicator(session, complaint.officer, "complaint", f"complaint:{complaint.id}")
    audit(session, principal, "create", "complaint", complaint.number)
    return Received(complaint, code)


def _get(session: Session, complaint_id: int) -> Complaint:
    complaint = repository.complaint(session, complaint_id)
    if complaint is None:
        raise NotFound(f"complaint {complaint_id} does not exist")
    return complaint


def assign(session: Session, principal: Principal, complaint_id: int, investigator: str) -> Complaint:
    """Assign an investigator (never the officer complained about); the finding is then due."""
    guard(principal, MANAGE, "complaint", complaint_id)
    complaint = _get(session, complaint_id)
    if complaint.status == "closed":
        raise Conflict(f"complaint {complaint.number} is closed")
    if investigator and investigator == complaint.officer:
        raise Conflict("the officer complained about cannot investigate the complaint")
    complaint.assignee, complaint.status = investigator, "assigned"
    complaint.due_at = complaint.received_at + timedelta(days=oversight_settings(session).complaint_finding_days)
    _event(session, complaint, "assigned", principal.name, "An investigator has been assigned.", public=True)
    audit(session, principal, "alter", "complaint", complaint.number, details={"assignee": investigator})
    return complaint


def note(session: Session, principal: Principal, complaint_id: int, text: str, *, public: bool = False) -> Complaint:
    """Add an investigation note (internal unless ``public``); by the investigator or a manager."""
    complaint = _get(session, complaint_id)
    if principal.name != complaint.assignee and not principal.can(MANAGE):
        raise Forbidden("only the assigned investigator or a complaints manager may add to the investigation")
    if complaint.status == "closed":
        raise Conflict(f"complaint {complaint.number} is closed")
    complaint.status = "investigating"
    _event(session, complaint, "note", principal.name, text[:4000], public=public)
    audit(
        session, principal, "alter", "complaint", complaint.number, details={"note": "public" if public else "internal"}
    )
    return complaint


def record_finding(
    session: Session, principal: Principal, complaint_id: int, finding_in: ComplaintFinding
) -> Complaint:
    """Record the finding and outcome and close the complaint; the complainant sees both."""
    guard(principal, MANAGE, "complaint", complaint_id)
    complaint = _get(session, complaint_id)
    if complaint.status not in ("assigned", "investigating"):
        raise Conflict(f"complaint {complaint.number} is {complaint.status}; assign and investigate it first")
    complaint.finding, complaint.outcome, complaint.status = finding_in.finding, finding_in.outcome, "closed"
    _event(
        session,
        complaint,
        "finding",
        principal.name,
        f"Finding: {finding_in.finding.replace('_', ' ')}. {finding_in.outcome}",
        public=True,
    )
    if finding_in.finding == "sustained":
        _indicator(session, complaint.officer, "complaint_sustained", f"complaint:{complaint.id}")
    audit(session, principal, "alter", "complaint", complaint.number, details={"finding": finding_in.finding})
    return complaint


def public_timeline(session: Session, number: str, access_code: str) -> PublicTimeline:
    """What the complainant may see, given the access code they received (no account needed)."""
    complaint = repository.complaint_by_number(session, number)
    if complaint is None or not hmac.compare_digest(complaint.access_hash, _hash(access_code)):
        raise NotFound("no complaint with this number and access code")
    entries = [
        TimelineEntry(at=e.at, kind=e.kind, text=e.text)
        for e in repository.complaint_events(session, complaint.id, True)
    ]
    return PublicTimeline(
        number=complaint.number,
        status=complaint.status,
        due_at=complaint.due_at,
        finding=complaint.finding,
        entries=entries,
    )


def check_deadlines(session: Session, principal: Principal) -> int:
    """Alert once per complaint and stage that is past its due time; returns new alerts."""
    guard(principal, MANAGE, "complaint")
    created = 0
    for complaint in repository.overdue_complaints(session, context.now(session)):
        _, new = alert_service.raise_alert(
            session,
            AlertIn(
                source=SOURCE,
                kind="complaint_overdue",
                severity="warning",
                subject_type="complaint",
                subject_id=str(complaint.id),
                title=f"complaint {complaint.number}: {complaint.status} past its due time",
                dedupe_key=f"oversight:complaint:{complaint.id}:{complaint.status}",
                due_at=complaint.due_at,
                assignee=complaint.assignee,
            ),
        )
        created += new
    return created
