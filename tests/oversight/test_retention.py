"""Footage references: kept at least six months, permanently when they are evidence; the retention
job removes only the reference of the others (the enforcement action stays) and audits the count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lantern import retention
from lantern.errors import ValidationFailed
from lantern.models import AuditEntry, EnforcementAction
from lantern.oversight.evidence import service as evidence_service
from lantern.oversight.schemas import EnforcementCreate, EvidenceCreate, FootageIn
from tests.oversight.factories import OFFICER, SUPERVISOR, case


def filmed(session, at, n: int, *, evidence: bool = False) -> EnforcementAction:
    action = evidence_service.record_enforcement(
        session, OFFICER, EnforcementCreate(kind="stop_and_question", officer="off-li", at=at)
    )
    footage = FootageIn(
        reference=f"bwc://cam-17/{n:04d}.mp4", sha256=f"{n:064x}", duration_s=300.0, is_evidence=evidence
    )
    return evidence_service.attach_footage(session, OFFICER, action.id, footage)


def test_the_retention_job_purges_old_footage_references_but_never_evidence(session, settings, clock):
    start = clock.now()
    old = filmed(session, start, 1)
    old_evidence = filmed(session, start, 2, evidence=True)
    old_logged_as_evidence = filmed(session, start, 3)  # its hash is that of a digital evidence item
    evidence_service.add_evidence(
        session,
        OFFICER,
        case(session).id,
        EvidenceCreate(label="E1", kind="digital", sha256=f"{3:064x}", place="evidence room", at=start),
    )
    clock.advance(days=150)
    recent = filmed(session, clock.now(), 4)
    assert old.footage_retain_until == start + timedelta(days=183) and old_evidence.footage_retain_until is None

    clock.advance(days=30)  # 180 days: still inside the six months
    assert dict(retention.run(session, settings))["footage_references"] == 0
    assert old.footage_ref == "bwc://cam-17/0001.mp4"

    clock.advance(days=4)  # 184 days
    assert dict(retention.run(session, settings))["footage_references"] == 1
    assert (old.footage_ref, old.footage_sha256, old.footage_duration_s) == ("", "", None)
    assert old.footage_purged_at == clock.now()
    assert session.get(EnforcementAction, old.id) is not None  # the action itself stays
    for kept, ref in ((old_evidence, 2), (old_logged_as_evidence, 3), (recent, 4)):
        assert kept.footage_ref == f"bwc://cam-17/{ref:04d}.mp4" and kept.footage_purged_at is None
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "retention_purge", AuditEntry.object_id == "footage_references")
    ).all()[-1]
    assert entry.details == {"records": 1, "older_than_days": 183}

    clock.advance(days=3650)  # ten years on: evidence is still there, the recent one is gone
    assert dict(retention.run(session, settings))["footage_references"] == 1
    assert old_evidence.footage_ref and old_logged_as_evidence.footage_ref and not recent.footage_ref
    # A purged reference is not "missing footage": the action had it for its six months.
    run = evidence_service.check_completeness(session, SUPERVISOR, lookback_days=5000)
    missing = {action_id: gaps for action_id, _, gaps in run.incomplete}
    assert missing[old.id] == ["evidence log entry"]  # never logged, but it was filmed


def test_footage_cannot_be_kept_for_less_than_six_months(session, settings):
    shorter = settings.model_copy(update={"retention_days": {"footage_references": 90}})
    with pytest.raises(ValidationFailed, match="footage_references is set to 90 days, below its minimum of 183"):
        retention.run(session, shorter)
