"""Evidence with a hash-chained chain of custody, enforcement actions with body-worn-camera
footage and their completeness check, and scene-examination records with their quality check."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.alerts.service import AlertIn
from lantern.errors import Conflict, NotFound, ValidationFailed
from lantern.kit.time import ensure_utc
from lantern.models import CustodyEvent, EnforcementAction, EvidenceItem, OfficerEvent, SceneExamination
from lantern.oversight import repository, scenes
from lantern.oversight.analytics import completeness
from lantern.oversight.schemas import (
    CustodyIn,
    EnforcementCreate,
    EvidenceCreate,
    FootageIn,
    SceneCreate,
    SceneRead,
)
from lantern.oversight.service import SOURCE, oversight_settings
from lantern.security import context
from lantern.security.access import audit, guard
from lantern.security.policy import Principal

GENESIS = "0" * 64


# --- evidence and chain of custody ----------------------------------------------------------


def _custody_hash(prev: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev + payload).encode()).hexdigest()


def _custody_fields(row: CustodyEvent) -> dict[str, Any]:
    return {
        "evidence_id": row.evidence_id,
        "seq": row.seq,
        "action": row.action,
        "holder": row.holder,
        "place": row.place,
        "at": ensure_utc(row.at).isoformat(),
        "note": row.note,
    }


def _append_custody(session: Session, item: EvidenceItem, **fields: Any) -> CustodyEvent:
    chain = repository.custody_chain(session, item.id)
    prev = chain[-1].entry_hash if chain else GENESIS
    if chain and chain[-1].action == "disposed":
        raise Conflict(f"evidence {item.label} was disposed of; its chain of custody is closed")
    if chain and ensure_utc(fields["at"]) < chain[-1].at:
        raise ValidationFailed(f"custody time {fields['at'].isoformat()} is before the previous link")
    row = CustodyEvent(evidence_id=item.id, seq=len(chain) + 1, prev_hash=prev, entry_hash="", **fields)
    row.entry_hash = _custody_hash(prev, _custody_fields(row))
    return repository.add(session, row)


def add_evidence(session: Session, principal: Principal, case_id: int, evidence_in: EvidenceCreate) -> EvidenceItem:
    """Log an evidence item; digital items need their SHA-256. Opens the chain of custody."""
    guard(principal, "case:write", "case", case_id)
    case = repository.case_by_id(session, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    if evidence_in.kind == "digital" and not evidence_in.sha256:
        raise ValidationFailed("a digital evidence item needs its SHA-256 (64 lower-case hex digits)")
    item = repository.add(
        session,
        EvidenceItem(
            case_id=case.id,
            label=evidence_in.label,
            kind=evidence_in.kind,
            description=evidence_in.description,
            sha256=evidence_in.sha256,
            collected_by=principal.name,
            collected_at=ensure_utc(evidence_in.at),
        ),
    )
    _append_custody(
        session,
        item,
        action="collected",
        holder=principal.name,
        place=evidence_in.place,
        at=ensure_utc(evidence_in.at),
        note="",
    )
    audit(session, principal, "create", "evidence", item.id, details={"case": case.number})
    return item


def transfer_custody(session: Session, principal: Principal, evidence_id: int, custody_in: CustodyIn) -> CustodyEvent:
    """Append a link to the chain of custody (who holds it, when, where)."""
    guard(principal, "case:write", "evidence", evidence_id)
    item = repository.evidence(session, evidence_id)
    if item is None:
        raise NotFound(f"evidence {evidence_id} does not exist")
    row = _append_custody(session, item, **{**custody_in.model_dump(), "at": ensure_utc(custody_in.at)})
    audit(session, principal, "alter", "evidence", item.id, details={"custody": custody_in.action})
    return row


def verify_custody(session: Session, evidence_id: int) -> list[str]:
    """Problems in an item's chain of custody (empty when intact)."""
    problems = []
    prev = GENESIS
    for i, row in enumerate(repository.custody_chain(session, evidence_id), start=1):
        if row.seq != i:
            problems.append(f"link {i} is missing (found {row.seq})")
        if row.prev_hash != prev or row.entry_hash != _custody_hash(prev, _custody_fields(row)):
            problems.append(f"link {row.seq} was altered")
        prev = row.entry_hash
    return problems


# --- enforcement completeness ---------------------------------------------------------------


def record_enforcement(session: Session, principal: Principal, action_in: EnforcementCreate) -> EnforcementAction:
    """Record an enforcement action of a kind that must be filmed and logged."""
    guard(principal, "case:write", "enforcement")
    kinds = oversight_settings(session).enforcement_kinds
    if action_in.kind not in kinds:
        raise ValidationFailed(f"enforcement kind {action_in.kind!r} is not one of {', '.join(kinds)}")
    if action_in.incident_id is not None and not repository.incident_exists(session, action_in.incident_id):
        raise NotFound(f"incident {action_in.incident_id} does not exist")
    return repository.add(
        session,
        EnforcementAction(**{**action_in.model_dump(), "at": ensure_utc(action_in.at)}, recorded_by=principal.name),
    )


def attach_footage(session: Session, principal: Principal, action_id: int, footage_in: FootageIn) -> EnforcementAction:
    """Link body-worn-camera footage; kept ``retain_days`` (>= 6 months), permanently when evidence."""
    guard(principal, "case:write", "enforcement", action_id)
    action = repository.enforcement(session, action_id)
    if action is None:
        raise NotFound(f"enforcement action {action_id} does not exist")
    action.footage_ref = footage_in.reference
    action.footage_sha256 = footage_in.sha256
    action.footage_duration_s = footage_in.duration_s
    action.footage_is_evidence = footage_in.is_evidence
    days = max(oversight_settings(session).retain_days, 183)
    action.footage_retain_until = None if footage_in.is_evidence else action.at + timedelta(days=days)
    action.footage_purged_at = None
    session.flush()
    return action


def purge_footage_references(session: Session, before: datetime) -> int:
    """Retention: forget footage references of actions before ``before`` that are not evidence.

    Only the reference (reference, SHA-256, duration) goes; the enforcement action stays, marked
    with when its reference was purged. A reference is never purged before its own retain-until
    time, and never when it is evidence: marked so, or with the SHA-256 of a digital evidence item.
    """
    now = context.now(session)
    actions = repository.footage_to_purge(session, before, now)
    for action in actions:
        action.footage_ref, action.footage_sha256, action.footage_duration_s = "", "", None
        action.footage_retain_until, action.footage_purged_at = None, now
    session.flush()
    return len(actions)


def log_evidence(session: Session, principal: Principal, action_id: int) -> EnforcementAction:
    """Record the evidence log entry of an enforcement action (now)."""
    guard(principal, "case:write", "enforcement", action_id)
    action = repository.enforcement(session, action_id)
    if action is None:
        raise NotFound(f"enforcement action {action_id} does not exist")
    action.evidence_logged_at = context.now(session)
    session.flush()
    return action


@dataclass(frozen=True)
class CompletenessRun:
    checked: int
    incomplete: list[tuple[int, str, list[str]]]
    new_alerts: int


def check_completeness(session: Session, principal: Principal, lookback_days: int = 30) -> CompletenessRun:
    """Alert the officer (and, through the queue, the supervisor) for actions past N hours without footage or log."""
    guard(principal, "case:extend", "enforcement")
    settings = oversight_settings(session)
    now = context.now(session)
    actions = repository.enforcement_since(session, now - timedelta(days=lookback_days))
    frame = pl.DataFrame(
        {
            "action_id": [a.id for a in actions],
            "officer": [a.officer for a in actions],
            "kind": [a.kind for a in actions],
            "at": [a.at for a in actions],
            "has_footage": [
                a.footage_purged_at is not None  # it had footage until retention removed the reference
                or bool(a.footage_ref and a.footage_sha256 and (a.footage_duration_s or 0) > 0)
                for a in actions
            ],
            "evidence_logged_at": [a.evidence_logged_at for a in actions],
        },
        schema={
            "action_id": pl.Int64,
            "officer": pl.String,
            "kind": pl.String,
            "at": pl.Datetime("us", "UTC"),
            "has_footage": pl.Boolean,
            "evidence_logged_at": pl.Datetime("us", "UTC"),
        },
    )
    result = completeness(frame, now, settings.within_hours).filter(pl.col("status") == "incomplete")
    incomplete, new_alerts = [], 0
    for row in result.iter_rows(named=True):
        missing = list(row["missing"])
        incomplete.append((int(row["action_id"]), str(row["officer"]), missing))
        _, created = alert_service.raise_alert(
            session,
            AlertIn(
                source=SOURCE,
                kind="enforcement_incomplete",
                severity="warning",
                subject_type="enforcement",
                subject_id=str(row["action_id"]),
                title=f"{row['kind'].replace('_', ' ')} by {row['officer']}: missing {' and '.join(missing)}",
                dedupe_key=f"oversight:completeness:{row['action_id']}",
                data={"missing": missing},
                assignee=str(row["officer"]),
            ),
        )
        new_alerts += created
        if not repository.officer_event_exists(session, "missing_footage", f"enforcement:{row['action_id']}"):
            repository.add(
                session,
                OfficerEvent(
                    officer=row["officer"],
                    indicator="missing_footage",
                    at=row["due_at"],
                    ref=f"enforcement:{row['action_id']}",
                ),
            )
    return CompletenessRun(frame.height, incomplete, new_alerts)


# --- scene examinations ---------------------------------------------------------------------


def _scene_read(session: Session, scene: SceneExamination) -> SceneRead:
    spec = oversight_settings(session).scene(scene.scene_type)
    assert spec is not None  # checked when recorded; a removed type is reported below
    photos = [
        scenes.Photo(
            str(p["kind"]),
            datetime.fromisoformat(p["taken_at"]) if p.get("taken_at") else None,
            str(p.get("sha256", "")),
        )
        for p in scene.photos
    ]
    gaps = scenes.missing(spec, list(scene.items), photos, scene.started_at, scene.ended_at)
    return SceneRead(
        id=scene.id, case_id=scene.case_id, scene_type=scene.scene_type, examiner=scene.examiner, missing=gaps
    )


def record_scene(session: Session, principal: Principal, case_id: int, scene_in: SceneCreate) -> SceneRead:
    """Store a scene-examination record and return what it lacks for its scene type."""
    guard(principal, "case:write", "case", case_id)
    if repository.case_by_id(session, case_id) is None:
        raise NotFound(f"case {case_id} does not exist")
    settings = oversight_settings(session)
    if settings.scene(scene_in.scene_type) is None:
        known = ", ".join(s.type for s in settings.scenes)
        raise ValidationFailed(f"unknown scene type {scene_in.scene_type!r} (known: {known})")
    scene = repository.add(
        session,
        SceneExamination(
            case_id=case_id,
            scene_type=scene_in.scene_type,
            examiner=principal.name,
            started_at=scene_in.started_at and ensure_utc(scene_in.started_at),
            ended_at=scene_in.ended_at and ensure_utc(scene_in.ended_at),
            items=list(dict.fromkeys(scene_in.items)),
            photos=[
                {"kind": p.kind, "taken_at": p.taken_at and ensure_utc(p.taken_at).isoformat(), "sha256": p.sha256}
                for p in scene_in.photos
            ],
            recorded_by=principal.name,
            recorded_at=context.now(session),
        ),
    )
    return _scene_read(session, scene)
