"""Oversight JSON API: cases, steps and extensions, evidence and custody, enforcement actions,
early-intervention flags and audit-review findings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from pydantic import AwareDatetime

from lantern.oversight import service as oversight_service
from lantern.oversight.complaints import service as complaint_service
from lantern.oversight.eis import service as eis_service
from lantern.oversight.evidence import service as evidence_service
from lantern.oversight.review import service as review_service
from lantern.oversight.schemas import (
    Assignment,
    CaseCreate,
    CaseRead,
    ComplaintCreate,
    ComplaintFinding,
    ComplaintRead,
    CustodyIn,
    CustodyRead,
    EnforcementCreate,
    EnforcementRead,
    EvidenceCreate,
    EvidenceRead,
    ExtensionIn,
    FindingRead,
    FlagRead,
    FootageIn,
    NoteIn,
    PublicTimeline,
    ReviewIn,
    SceneCreate,
    SceneRead,
    StepRead,
    StepRecord,
    WaiverIn,
)
from lantern.security.policy import Principal
from lantern.web.auth import public, require
from lantern.web.deps import SessionDep

router = APIRouter(prefix="/api", tags=["oversight"])
Reader = Annotated[Principal, require("case:read")]
Writer = Annotated[Principal, require("case:write")]
Extender = Annotated[Principal, require("case:extend")]
Reviewer = Annotated[Principal, require("oversight:eis_review")]
Auditor = Annotated[Principal, require("audit:read")]
ComplaintManager = Annotated[Principal, require(complaint_service.MANAGE)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
TrackingCode = Annotated[str, Path(min_length=1, max_length=40)]


@router.post("/cases", status_code=status.HTTP_201_CREATED)
def create_case(session: SessionDep, principal: Writer, case_in: CaseCreate) -> CaseRead:
    """Open a case under a jurisdiction and statute version of the rule table."""
    return CaseRead.model_validate(oversight_service.create_case(session, principal, case_in))


@router.get("/cases/{case_id}/steps")
def list_steps(session: SessionDep, principal: Reader, case_id: Id) -> list[StepRead]:
    """A case's steps with due times, status and legal source."""
    return oversight_service.list_steps(session, principal, case_id)


@router.post("/cases/{case_id}/steps", status_code=status.HTTP_201_CREATED)
def record_step(session: SessionDep, principal: Writer, case_id: Id, step_in: StepRecord) -> list[StepRead]:
    """Record a step; returns the case's steps, with any obligations it opened."""
    oversight_service.record_step(session, principal, case_id, step_in)
    return oversight_service.list_steps(session, principal, case_id)


@router.post("/steps/{step_id}/extensions")
def extend_step(session: SessionDep, principal: Extender, step_id: Id, extension_in: ExtensionIn) -> dict[str, Any]:
    """Extend an open step's deadline as its rule allows (the caller is the approver)."""
    step = oversight_service.extend_step(session, principal, step_id, extension_in)
    return {"step_id": step.id, "due_at": step.due_at, "period": step.period}


@router.post("/steps/{step_id}/waiver")
def waive_step(session: SessionDep, principal: Extender, step_id: Id, waiver_in: WaiverIn) -> dict[str, Any]:
    """Close an open step as not required because a statutory exception applies (with a reason)."""
    step = oversight_service.waive_step(session, principal, step_id, waiver_in)
    return {"step_id": step.id, "waiver": step.waiver, "closed_at": step.done_at}


@router.post("/cases/{case_id}/evidence", status_code=status.HTTP_201_CREATED)
def add_evidence(session: SessionDep, principal: Writer, case_id: Id, evidence_in: EvidenceCreate) -> EvidenceRead:
    """Log an evidence item (digital items with their SHA-256); opens its chain of custody."""
    return EvidenceRead.model_validate(evidence_service.add_evidence(session, principal, case_id, evidence_in))


@router.post("/evidence/{evidence_id}/custody", status_code=status.HTTP_201_CREATED)
def transfer_custody(session: SessionDep, principal: Writer, evidence_id: Id, custody_in: CustodyIn) -> CustodyRead:
    """Append a link to an item's chain of custody."""
    return CustodyRead.model_validate(evidence_service.transfer_custody(session, principal, evidence_id, custody_in))


@router.post("/cases/{case_id}/scenes", status_code=status.HTTP_201_CREATED)
def record_scene(session: SessionDep, principal: Writer, case_id: Id, scene_in: SceneCreate) -> SceneRead:
    """Store a scene-examination record; the answer lists what it lacks for its scene type."""
    return evidence_service.record_scene(session, principal, case_id, scene_in)


@router.post("/enforcement", status_code=status.HTTP_201_CREATED)
def record_enforcement(session: SessionDep, principal: Writer, action_in: EnforcementCreate) -> EnforcementRead:
    """Record an enforcement action that must be filmed and logged."""
    return EnforcementRead.model_validate(evidence_service.record_enforcement(session, principal, action_in))


@router.post("/enforcement/{action_id}/footage")
def attach_footage(session: SessionDep, principal: Writer, action_id: Id, footage_in: FootageIn) -> EnforcementRead:
    """Link body-worn-camera footage (reference, SHA-256, duration)."""
    return EnforcementRead.model_validate(evidence_service.attach_footage(session, principal, action_id, footage_in))


@router.post("/enforcement/{action_id}/evidence-log")
def log_evidence(session: SessionDep, principal: Writer, action_id: Id) -> EnforcementRead:
    """Record the action's evidence log entry now."""
    return EnforcementRead.model_validate(evidence_service.log_evidence(session, principal, action_id))


@router.get("/oversight/flags")
def list_flags(session: SessionDep, principal: Reviewer) -> list[FlagRead]:
    """Early-intervention flags waiting for review (new or in review)."""
    return [FlagRead.model_validate(f) for f in eis_service.list_flags(session, principal, ["new", "review"])]


@router.post("/oversight/flags/{flag_id}/review")
def review_flag(session: SessionDep, principal: Reviewer, flag_id: Id, review_in: ReviewIn) -> FlagRead:
    """Move a flag: new -> review -> intervention / no_action, with a reason."""
    return FlagRead.model_validate(eis_service.review_flag(session, principal, flag_id, review_in))


@router.get("/oversight/indicators")
def indicators(
    session: SessionDep, principal: Reader, officer: Annotated[str | None, Query(max_length=120)] = None
) -> list[dict[str, Any]]:
    """An officer's indicators against peers (one's own; anyone's with oversight:eis_review)."""
    return eis_service.indicators_of(session, principal, officer)


@router.get("/oversight/audit-review")
def audit_review(
    session: SessionDep,
    principal: Auditor,
    since: Annotated[AwareDatetime, Query()],
    until: Annotated[AwareDatetime, Query()],
) -> list[FindingRead]:
    """Audit-review findings in [since, until), each naming its audit entries."""
    return [FindingRead.model_validate(f) for f in review_service.review(session, principal, since, until)]


@router.post("/complaints", status_code=status.HTTP_201_CREATED)
def receive_complaint(session: SessionDep, principal: Writer, complaint_in: ComplaintCreate) -> dict[str, Any]:
    """Take a complaint; the answer holds the tracking code to give the complainant (shown once)."""
    got = complaint_service.receive(session, principal, complaint_in)
    return {"complaint": ComplaintRead.model_validate(got.complaint), "tracking_code": got.tracking_code}


@router.get("/public/complaints/{tracking_code}", dependencies=[public()])
def public_complaint(session: SessionDep, tracking_code: TrackingCode) -> PublicTimeline:
    """No sign-in: a complaint's status, dates, public timeline and, once decided, finding and outcome.

    Answers carry ``Cache-Control: no-store`` like every dynamic response (the code is the only key).
    """
    return complaint_service.public_timeline(session, tracking_code)


@router.post("/complaints/{complaint_id}/assign")
def assign_complaint(
    session: SessionDep, principal: ComplaintManager, complaint_id: Id, body: Assignment
) -> ComplaintRead:
    """Assign an investigator (never the officer complained about)."""
    return ComplaintRead.model_validate(complaint_service.assign(session, principal, complaint_id, body.investigator))


@router.post("/complaints/{complaint_id}/notes")
def add_note(session: SessionDep, principal: Reader, complaint_id: Id, body: NoteIn) -> ComplaintRead:
    """Add an investigation note (internal unless public)."""
    return ComplaintRead.model_validate(
        complaint_service.note(session, principal, complaint_id, body.text, public=body.public)
    )


@router.post("/complaints/{complaint_id}/finding")
def record_finding(
    session: SessionDep, principal: ComplaintManager, complaint_id: Id, finding_in: ComplaintFinding
) -> ComplaintRead:
    """Record the finding and outcome; closes the complaint."""
    return ComplaintRead.model_validate(complaint_service.record_finding(session, principal, complaint_id, finding_in))
