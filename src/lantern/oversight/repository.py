"""Queries of the oversight domain; flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

import polars as pl
from sqlalchemy import DateTime, Select, String, cast, exists, func, literal, or_, select, type_coerce
from sqlalchemy.orm import Session

from lantern.models import (
    Alert,
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
# Ids per IN (...) list: well under SQLite's 32,766 bound parameters, few round trips.
IN_CHUNK = 5_000


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


def _frame(session: Session, query: Select[Any], names: Sequence[str], times: Sequence[str]) -> pl.DataFrame:
    """Run ``query`` and build a Polars frame from the plain tuples; ``times`` become aware UTC.

    The time columns are read as plain ``DateTime`` (``type_coerce``), skipping the UTCDateTime
    decorator's per-value Python call; SQLite gives them back naive UTC, PostgreSQL aware.
    """
    rows = session.execute(query).all()
    frame = pl.DataFrame(rows, schema=list(names), orient="row", infer_schema_length=None)
    fixes = []
    for name in times:
        dtype = frame.schema[name]
        if not isinstance(dtype, pl.Datetime):
            fixes.append(pl.col(name).cast(pl.Datetime("us", "UTC")))
        elif dtype.time_zone is None:
            fixes.append(pl.col(name).dt.replace_time_zone("UTC").dt.cast_time_unit("us"))
        else:
            fixes.append(pl.col(name).dt.convert_time_zone("UTC").dt.cast_time_unit("us"))
    return frame.with_columns(fixes) if fixes else frame


def _as_time(column: Any) -> Any:
    return type_coerce(column, DateTime(timezone=True))


def open_obligation_frame(session: Session, alert_key_prefix: str, indicator: str) -> pl.DataFrame:
    """Open steps with a deadline as one frame, and what earlier runs already did for each.

    Columns: step_id, rule_id, started_at, period, responsible_officer; ``alerted_yellow`` and
    ``alerted_red`` (an alert keyed ``<alert_key_prefix><step>:<colour>`` exists) and
    ``counted`` (an ``indicator`` event with ref ``step:<step>`` exists). The dedupe checks run
    inside the one query, on the unique indexes: with 600,000 open steps, ORM rows and one
    dedupe query per step took ~85 s on SQLite; plain tuples with the checks in SQL take ~2 s.
    """
    step_text = cast(CaseStep.id, String)

    def alerted(colour: str) -> Any:
        key = literal(alert_key_prefix, String) + step_text + literal(f":{colour}", String)
        return exists().where(Alert.dedupe_key == key)

    counted = exists().where(
        OfficerEvent.indicator == indicator, OfficerEvent.ref == literal("step:", String) + step_text
    )
    query = select(
        CaseStep.id,
        CaseStep.rule_id,
        _as_time(CaseStep.started_at),
        CaseStep.period,
        CaseStep.responsible_officer,
        alerted("yellow"),
        alerted("red"),
        counted,
    ).where(CaseStep.rule_id != "", CaseStep.done_at.is_(None))
    names = (
        "step_id",
        "rule_id",
        "started_at",
        "period",
        "responsible_officer",
        "alerted_yellow",
        "alerted_red",
        "counted",
    )
    frame = _frame(session, query, names, ["started_at"])
    return frame.with_columns(
        pl.col("step_id").cast(pl.Int64),
        pl.col("rule_id").cast(pl.String),
        pl.col("period").cast(pl.Float64),
        pl.col("responsible_officer").cast(pl.String),
        *(pl.col(c).cast(pl.Boolean) for c in ("alerted_yellow", "alerted_red", "counted")),
    ).sort("step_id")


def obligation_details(session: Session, step_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """What an alert about each of these steps says: kind, due time, case number and supervisor."""
    found: dict[int, dict[str, Any]] = {}
    for i in range(0, len(step_ids), IN_CHUNK):
        query = (
            select(
                CaseStep.id.label("step_id"),
                CaseStep.rule_id,
                CaseStep.kind,
                CaseStep.due_at,
                CaseStep.responsible_officer,
                OversightCase.id.label("case_id"),
                OversightCase.number,
                OversightCase.supervisor,
            )
            .join(OversightCase, OversightCase.id == CaseStep.case_id)
            .where(CaseStep.id.in_(step_ids[i : i + IN_CHUNK]))
        )
        found.update({row["step_id"]: dict(row) for row in session.execute(query).mappings()})
    return found


def add_all(session: Session, rows: Sequence[Any]) -> None:
    """Add many rows with one flush."""
    session.add_all(rows)
    session.flush()


def posts_frame(session: Session) -> pl.DataFrame:
    """Every officer's post (officer, unit, shift) as a frame."""
    query = select(OfficerPost.officer, OfficerPost.unit, OfficerPost.shift)
    frame = pl.DataFrame(session.execute(query).all(), schema=["officer", "unit", "shift"], orient="row")
    return frame.cast(pl.String)


def officer_event_frame(session: Session, since: datetime) -> pl.DataFrame:
    """Indicator events after ``since`` (officer, indicator, at) as a frame, read as plain tuples."""
    query = select(OfficerEvent.officer, OfficerEvent.indicator, _as_time(OfficerEvent.at)).where(
        OfficerEvent.at > since
    )
    frame = _frame(session, query, ["officer", "indicator", "at"], ["at"])
    return frame.with_columns(pl.col("officer", "indicator").cast(pl.String))
