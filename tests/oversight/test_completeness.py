"""Enforcement completeness: footage (reference, hash, duration) and an evidence log within N hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from sqlalchemy import select

from lantern.errors import ValidationFailed
from lantern.models import Alert, OfficerEvent
from lantern.oversight.analytics import completeness
from lantern.oversight.evidence import service as evidence_service
from lantern.oversight.schemas import EnforcementCreate, FootageIn
from tests.oversight.factories import OFFICER, SUPERVISOR

HASH = "b" * 64


def test_completeness_statuses_from_the_pure_function():
    t0 = datetime(2026, 3, 6, 20, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "action_id": [1, 2, 3, 4],
            "officer": ["a", "a", "b", "b"],
            "kind": ["stop_and_question"] * 4,
            "at": [t0, t0, t0, t0 + timedelta(hours=20)],
            "has_footage": [True, False, True, False],
            "evidence_logged_at": [t0 + timedelta(hours=23), t0 + timedelta(hours=1), t0 + timedelta(hours=25), None],
        }
    )
    got = completeness(frame, t0 + timedelta(hours=30), 24).sort("action_id")
    assert got["status"].to_list() == ["complete", "incomplete", "incomplete", "pending"]
    assert got["missing"].to_list() == [
        [],
        ["body-worn camera footage"],
        ["evidence log entry"],  # logged, but after 24 h
        ["body-worn camera footage", "evidence log entry"],
    ]


def test_actions_past_the_window_remind_the_officer_once_and_count_for_early_intervention(session, clock):
    start = clock.now()
    with pytest.raises(ValidationFailed, match="not one of"):
        evidence_service.record_enforcement(
            session, OFFICER, EnforcementCreate(kind="coffee", officer="off-li", at=start)
        )
    filmed = evidence_service.record_enforcement(
        session, OFFICER, EnforcementCreate(kind="search_and_seizure", officer="off-li", at=start)
    )
    unfilmed = evidence_service.record_enforcement(
        session, OFFICER, EnforcementCreate(kind="on_scene_penalty", officer="off-li", at=start)
    )
    evidence_service.attach_footage(
        session, OFFICER, filmed.id, FootageIn(reference="bwc://cam-17/0001.mp4", sha256=HASH, duration_s=412.0)
    )
    assert filmed.footage_retain_until == start + timedelta(days=183)
    clock.advance(hours=2)
    evidence_service.log_evidence(session, OFFICER, filmed.id)
    evidence_service.log_evidence(session, OFFICER, unfilmed.id)
    assert evidence_service.check_completeness(session, SUPERVISOR).incomplete == []  # still within 24 h

    clock.advance(hours=23)
    run = evidence_service.check_completeness(session, SUPERVISOR)
    assert run.incomplete == [(unfilmed.id, "off-li", ["body-worn camera footage"])] and run.new_alerts == 1
    assert evidence_service.check_completeness(session, SUPERVISOR).new_alerts == 0
    alert = session.scalars(select(Alert).where(Alert.dedupe_key == f"oversight:completeness:{unfilmed.id}")).one()
    assert alert.assignee == "off-li" and "body-worn camera footage" in alert.title
    events = session.scalars(select(OfficerEvent).where(OfficerEvent.indicator == "missing_footage")).all()
    assert [e.ref for e in events] == [f"enforcement:{unfilmed.id}"]

    evidence_service.attach_footage(
        session,
        OFFICER,
        unfilmed.id,
        FootageIn(reference="bwc://cam-17/0002.mp4", sha256=HASH, duration_s=95.5, is_evidence=True),
    )
    assert unfilmed.footage_retain_until is None  # evidence: kept permanently
    assert evidence_service.check_completeness(session, SUPERVISOR).incomplete == []
