"""Queries of the oversight domain; flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lantern.models import (
    CaseStep,
    Complaint,
    ComplaintEvent,
    CustodyEvent,
    EisFlag,
    EisReview,
    EnforcementAction,
    EvidenceItem,
    Incident,
    OfficerEvent,
    OfficerPost,
    OversightCase,
    StepExtension,
)

T = TypeVar("T")


def add(session: Session, row: T) -> T:
    session.add(row)
    session.flush()
    return row


def case_by_id(session: Session, case_id: int) -> OversightCase | None:
    return session.get(OversightCase, case_id)


def case_by_number(session: Session, number: str) -> OversightCase | None:
    return session.scalars(select(OversightCase).where(OversightCase.number == number)).one_or_none()


def incident_exists(session: Session, incident_id: int) -> bool:
    return session.scalar(select(func.count()).select_from(Incident).where(Incident.id == incident_id)) == 1


def steps_of(session: Session, case_id: int) -> Sequence[CaseStep]:
    return session.scalars(
        select(CaseStep).where(CaseStep.case_id == case_id).order_by(CaseStep.started_at, CaseStep.id)
    ).all()


def step(session: Session, step_id: int) -> CaseStep | None:
    return session.get(CaseStep, step_id)


def open_obligations(session: Session, case_id: int, kind: str) -> Sequence[CaseStep]:
    return session.scalars(
        select(CaseStep).where(
            CaseStep.case_id == case_id, CaseStep.kind == kind, CaseStep.rule_id != "", CaseStep.done_at.is_(None)
        )
    ).all()


def open_steps_of(session: Session, case_id: int) -> Sequence[CaseStep]:
    """A case's obligations not yet done, waived or marked not needed."""
    return session.scalars(
        select(CaseStep)
        .where(CaseStep.case_id == case_id, CaseStep.rule_id != "", CaseStep.done_at.is_(None))
        .order_by(CaseStep.due_at, CaseStep.id)
    ).all()


def all_open_obligations(session: Session) -> Sequence[tuple[CaseStep, OversightCase]]:
    rows = session.execute(
        select(CaseStep, OversightCase)
        .join(OversightCase, OversightCase.id == CaseStep.case_id)
        .where(CaseStep.rule_id != "", CaseStep.done_at.is_(None))
        .order_by(CaseStep.id)
    ).all()
    return [(s, c) for s, c in rows]


def extensions_of(session: Session, step_ids: Sequence[int]) -> dict[int, list[StepExtension]]:
    found: dict[int, list[StepExtension]] = {i: [] for i in step_ids}
    if not step_ids:
        return found
    for ext in session.scalars(
        select(StepExtension)
        .where(StepExtension.step_id.in_(step_ids))
        .order_by(StepExtension.granted_at, StepExtension.id)
    ):
        found[ext.step_id].append(ext)
    return found


def evidence(session: Session, evidence_id: int) -> EvidenceItem | None:
    return session.get(EvidenceItem, evidence_id)


def custody_chain(session: Session, evidence_id: int) -> Sequence[CustodyEvent]:
    return session.scalars(
        select(CustodyEvent).where(CustodyEvent.evidence_id == evidence_id).order_by(CustodyEvent.seq)
    ).all()


def enforcement(session: Session, action_id: int) -> EnforcementAction | None:
    return session.get(EnforcementAction, action_id)


def enforcement_since(session: Session, since: datetime) -> Sequence[EnforcementAction]:
    return session.scalars(
        select(EnforcementAction).where(EnforcementAction.at >= since).order_by(EnforcementAction.id)
    ).all()


def footage_to_purge(session: Session, before: datetime, now: datetime) -> Sequence[EnforcementAction]:
    """Actions before ``before`` whose footage reference may go: past its own retain-until and not evidence.

    Evidence is footage marked so when linked, or whose SHA-256 is that of a digital evidence item.
    """
    evidence_hashes = select(EvidenceItem.sha256).where(EvidenceItem.sha256 != "")
    return session.scalars(
        select(EnforcementAction)
        .where(
            EnforcementAction.footage_ref != "",
            EnforcementAction.at < before,
            EnforcementAction.footage_is_evidence.is_(False),
            or_(EnforcementAction.footage_retain_until.is_(None), EnforcementAction.footage_retain_until <= now),
            EnforcementAction.footage_sha256.not_in(evidence_hashes),
        )
        .order_by(EnforcementAction.id)
    ).all()


def posts(session: Session) -> Sequence[OfficerPost]:
    return session.scalars(select(OfficerPost).order_by(OfficerPost.officer)).all()


def post(session: Session, officer: str) -> OfficerPost | None:
    return session.get(OfficerPost, officer)


def officer_event_exists(session: Session, indicator: str, ref: str) -> bool:
    query = (
        select(func.count())
        .select_from(OfficerEvent)
        .where(OfficerEvent.indicator == indicator, OfficerEvent.ref == ref)
    )
    return bool(session.scalar(query))


def officer_events_since(
    session: Session, since: datetime, officers: Sequence[str] | None = None
) -> Sequence[OfficerEvent]:
    query = select(OfficerEvent).where(OfficerEvent.at > since)
    if officers is not None:
        query = query.where(OfficerEvent.officer.in_(officers))
    return session.scalars(query).all()


def flag(session: Session, flag_id: int) -> EisFlag | None:
    return session.get(EisFlag, flag_id)


def flag_for(session: Session, officer: str, period: str) -> EisFlag | None:
    return session.scalars(select(EisFlag).where(EisFlag.officer == officer, EisFlag.period == period)).one_or_none()


def flags(session: Session, statuses: Sequence[str] | None = None, officer: str | None = None) -> Sequence[EisFlag]:
    query = select(EisFlag).order_by(EisFlag.created_at.desc(), EisFlag.id.desc())
    if statuses:
        query = query.where(EisFlag.status.in_(statuses))
    if officer:
        query = query.where(EisFlag.officer == officer)
    return session.scalars(query).all()


def reviews_of(session: Session, flag_id: int) -> Sequence[EisReview]:
    return session.scalars(
        select(EisReview).where(EisReview.flag_id == flag_id).order_by(EisReview.at, EisReview.id)
    ).all()


def linked_refs(session: Session) -> list[str]:
    """Purpose references that belong to a case: case:NUMBER and incident:ID of linked incidents."""
    refs = [f"case:{n}" for n in session.scalars(select(OversightCase.number))]
    refs += [
        f"incident:{i}"
        for i in session.scalars(select(OversightCase.incident_id).where(OversightCase.incident_id.is_not(None)))
    ]
    return refs


def complaint(session: Session, complaint_id: int) -> Complaint | None:
    return session.get(Complaint, complaint_id)


def complaint_by_number(session: Session, number: str) -> Complaint | None:
    return session.scalars(select(Complaint).where(Complaint.number == number)).one_or_none()


def complaint_by_access_hash(session: Session, access_hash: str) -> Complaint | None:
    return session.scalars(select(Complaint).where(Complaint.access_hash == access_hash)).one_or_none()


def complaint_events(session: Session, complaint_id: int, public_only: bool = False) -> Sequence[ComplaintEvent]:
    query = select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id)
    if public_only:
        query = query.where(ComplaintEvent.public.is_(True))
    return session.scalars(query.order_by(ComplaintEvent.at, ComplaintEvent.id)).all()


def overdue_complaints(session: Session, now: datetime) -> Sequence[Complaint]:
    return session.scalars(
        select(Complaint).where(Complaint.status != "closed", Complaint.due_at < now).order_by(Complaint.id)
    ).all()


def open_obligation_rows(session: Session) -> list[dict[str, Any]]:
    """Open steps with a deadline as plain rows (no ORM objects: a million of them must stay cheap)."""
    query = (
        select(
            CaseStep.id.label("step_id"),
            CaseStep.rule_id,
            CaseStep.kind,
            CaseStep.started_at,
            CaseStep.period,
            CaseStep.due_at,
            CaseStep.responsible_officer,
            OversightCase.id.label("case_id"),
            OversightCase.number,
            OversightCase.supervisor,
        )
        .join(OversightCase, OversightCase.id == CaseStep.case_id)
        .where(CaseStep.rule_id != "", CaseStep.done_at.is_(None))
        .order_by(CaseStep.id)
    )
    return [dict(row) for row in session.execute(query).mappings()]


def existing_event_refs(session: Session, indicator: str, refs: Sequence[str]) -> set[str]:
    """Which of ``refs`` already have an event of ``indicator`` (queried in chunks of 500)."""
    found: set[str] = set()
    for i in range(0, len(refs), 500):
        chunk = list(refs[i : i + 500])
        found.update(
            session.scalars(
                select(OfficerEvent.ref).where(OfficerEvent.indicator == indicator, OfficerEvent.ref.in_(chunk))
            )
        )
    return found
