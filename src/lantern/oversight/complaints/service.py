"""Complaints: intake from the portal or staff, assignment, investigation, finding and outcome,
with stage deadlines and a timeline whose public entries the complainant can follow.

Every complaint gets a public tracking code (12 random characters of Crockford's base 32, 60
bits, shown as ``7K3M-QX9D-2HPA``) given once to the complainant; only its SHA-256 is kept.
With the code, and nothing else, the complainant sees the status, the dates, the public
entries of the timeline and, once decided, the finding and outcome; never internal notes, the
officer complained about or who investigates. At a million complaints a guess succeeds once in
~10^12 tries.

A complaint about a named officer counts towards their ``complaint`` indicator, a sustained
finding towards ``complaint_sustained`` (early intervention compares them with peers).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.alerts.service import AlertIn
from lantern.errors import Conflict, Forbidden, NotFound
from lantern.models import Complaint, ComplaintEvent, OfficerEvent
from lantern.oversight import repository
from lantern.oversight.schemas import (
    ComplaintCreate,
    ComplaintFinding,
    PublicComplaintIn,
    PublicTimeline,
    TimelineEntry,
)
from lantern.oversight.service import SOURCE, oversight_settings
from lantern.security import context
from lantern.security.access import audit, guard
from lantern.security.policy import Principal

MANAGE = "complaint:manage"
PORTAL = "public-portal"


TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U to misread
TRACKING_LENGTH = 12
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def new_tracking_code() -> str:
    """A fresh random tracking code, grouped by four for reading aloud (``7K3M-QX9D-2HPA``)."""
    raw = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, TRACKING_LENGTH, 4))


def normalise_tracking_code(code: str) -> str | None:
    """The code as stored (upper case, no separators, O read as 0, I and L as 1); None if malformed."""
    compact = "".join(c for c in code.upper() if c not in " -").translate(_READ_AS)
    if len(compact) != TRACKING_LENGTH or any(c not in TRACKING_ALPHABET for c in compact):
        return None
    return compact


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
    tracking_code: str  # shown once to the complainant; only its hash is kept


def _store(session: Session, principal: Principal, complaint_in: ComplaintCreate, created_by: str) -> Received:
    now = context.now(session)
    code = new_tracking_code()
    complaint = repository.add(
        session,
        Complaint(
            **complaint_in.model_dump(),
            status="received",
            received_at=now,
            due_at=now + timedelta(days=oversight_settings(session).complaint_assign_days),
            access_hash=_hash(normalise_tracking_code(code) or ""),
            created_by=created_by,
        ),
    )
    _event(session, complaint, "received", created_by, f"Complaint received ({complaint_in.source}).", public=True)
    _indicator(session, complaint.officer, "complaint", f"complaint:{complaint.id}")
    audit(session, principal, "create", "complaint", complaint.number, details={"source": complaint_in.source})
    return Received(complaint, code)


def receive(session: Session, principal: Principal, complaint_in: ComplaintCreate) -> Received:
    """Take a complaint from staff; returns the tracking code to give the complainant (shown once)."""
    guard(principal, "case:write", "complaint")
    if repository.complaint_by_number(session, complaint_in.number) is not None:
        raise Conflict(f"complaint {complaint_in.number} already exists")
    return _store(session, principal, complaint_in, principal.name)


def file_public_complaint(session: Session, complaint_in: PublicComplaintIn, principal: Principal | None = None) -> str:
    """A complaint from the public portal (no account needed); returns its tracking code, shown once.

    ``principal`` is the portal's visitor (anonymous or a signed-in resident, with the request id
    and address): it goes into the audit entry only, never into the complaint, which records
    ``public-portal`` as its author. The complaint gets the number ``P-<year>-<id>`` and waits
    for assignment like any other.
    """
    visitor = principal or Principal.anonymous()
    year = context.now(session).year
    placeholder = f"P-{year}-new-{secrets.token_hex(6)}"  # the real number needs the row's id
    fields = {"number": placeholder, "source": "portal", **complaint_in.model_dump()}
    received = _store(session, visitor, ComplaintCreate.model_validate(fields), PORTAL)
    wanted = f"P-{year}-{received.complaint.id:06d}"
    if repository.complaint_by_number(session, wanted) is None:  # staff may have used the number by hand
        received.complaint.number = wanted
    session.flush()
    return received.tracking_code


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


UNKNOWN_CODE = (
    "no complaint has this tracking code; check the code you were given when you filed it "
    "(12 letters and digits, e.g. 7K3M-QX9D-2HPA)"
)


def public_timeline(session: Session, tracking_code: str) -> PublicTimeline:
    """What the complainant may see with their tracking code: status, dates, public entries, the decision.

    Never internal notes, who investigates or which officer the complaint is about.
    """
    compact = normalise_tracking_code(tracking_code)
    complaint = repository.complaint_by_access_hash(session, _hash(compact)) if compact else None
    if complaint is None:
        raise NotFound(UNKNOWN_CODE)
    events = repository.complaint_events(session, complaint.id, True)
    decided = complaint.status == "closed"
    decided_at = next((e.at for e in reversed(events) if e.kind == "finding"), None) if decided else None
    return PublicTimeline(
        number=complaint.number,
        status=complaint.status,
        received_at=complaint.received_at,
        due_at=None if decided else complaint.due_at,
        decided_at=decided_at,
        finding=complaint.finding if decided else "",
        outcome=complaint.outcome if decided else "",
        entries=[TimelineEntry(at=e.at, kind=e.kind, text=e.text) for e in events],
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
