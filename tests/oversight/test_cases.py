"""Case records over a real database: steps open obligations with legal deadlines, the recompute
job alerts once, extensions need a supervisor and a reason, evidence keeps a chain of custody."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from lantern.errors import Conflict, Forbidden, NotFound, ValidationFailed
from lantern.models import Alert, AuditEntry, CustodyEvent, OfficerEvent
from lantern.oversight import service as oversight_service
from lantern.oversight.evidence import service as evidence_service
from lantern.oversight.schemas import CustodyIn, EvidenceCreate, ExtensionIn, StepRecord, WaiverIn
from tests.factories.security import principal_for
from tests.oversight.factories import OFFICER, SUPERVISOR, an_incident_id, case

SHANGHAI = ZoneInfo("Asia/Shanghai")
HASH = "a" * 64


@pytest.fixture
def friday_night(clock):
    """Friday 6 March 2026, 22:30 in Shanghai."""
    clock.current = datetime(2026, 3, 6, 22, 30, tzinfo=SHANGHAI).astimezone(UTC)
    return clock.current


def steps_by_kind(session, case_id):
    return {s.kind: s for s in oversight_service.list_steps(session, SUPERVISOR, case_id) if s.rule_id}


def deadline_alerts(session):
    return {a.dedupe_key: a for a in session.scalars(select(Alert).where(Alert.kind.like("deadline%")))}


def test_detention_opens_the_legal_obligations_and_the_recompute_alerts_once(session, clock, friday_night):
    c = case(session, incident_id=an_incident_id(session))
    oversight_service.record_step(session, OFFICER, c.id, StepRecord(kind="detained", at=friday_night))
    steps = steps_by_kind(session, c.id)
    assert {"transferred_to_detention_house", "family_notified", "arrest_approval_requested"} <= set(steps)
    family = steps["family_notified"]
    assert family.due_at == friday_night + timedelta(hours=24) and family.status == "green"
    assert family.source.startswith("CPL 2018 art. 85")
    # Day counting in Shanghai: the detention day is not counted; 3 days end at 24:00 Monday.
    assert steps["arrest_approval_requested"].due_at == datetime(2026, 3, 10, 0, 0, tzinfo=SHANGHAI)

    clock.advance(hours=20, minutes=30)  # Saturday 19:00: family notice is due within 4 h -> yellow
    oversight_service.record_step(
        session, OFFICER, c.id, StepRecord(kind="transferred_to_detention_house", at=clock.now())
    )
    run = oversight_service.recompute_deadlines(session, SUPERVISOR)
    assert (run.open_steps, run.yellow, run.red) == (2, 1, 0)

    clock.advance(hours=4)  # Saturday 23:00, past 22:30: red
    run = oversight_service.recompute_deadlines(session, SUPERVISOR)
    assert (run.yellow, run.red, run.new_alerts, run.new_officer_events) == (0, 1, 1, 1)
    alerts = deadline_alerts(session)
    red = alerts[f"oversight:deadline:{family.id}:red"]
    assert red.severity == "critical" and red.assignee == "off-li" and red.data["supervisor"] == "sup-wang"
    assert f"oversight:deadline:{family.id}:yellow" in alerts
    again = oversight_service.recompute_deadlines(session, SUPERVISOR)
    assert again.new_alerts == 0 and again.new_officer_events == 0
    assert steps_by_kind(session, c.id)["family_notified"].status == "red"

    oversight_service.record_step(session, OFFICER, c.id, StepRecord(kind="family_notified", at=clock.now()))
    assert steps_by_kind(session, c.id)["family_notified"].status == "done_late"
    events = session.scalars(select(OfficerEvent).where(OfficerEvent.officer == "off-li")).all()
    assert [(e.indicator, e.ref) for e in events] == [("overdue_step", f"step:{family.id}")]


def test_an_extension_needs_a_supervisor_who_is_not_responsible_and_moves_the_due_time(session, clock, friday_night):
    c = case(session)
    oversight_service.record_step(session, OFFICER, c.id, StepRecord(kind="detained", at=friday_night))
    step = steps_by_kind(session, c.id)["arrest_approval_requested"]
    reason = ExtensionIn(kind="special_circumstances", reason="accomplices still being identified")
    with pytest.raises(Forbidden):
        oversight_service.extend_step(session, OFFICER, step.id, reason)
    clock.advance(days=1)
    oversight_service.extend_step(session, SUPERVISOR, step.id, reason)
    extended = steps_by_kind(session, c.id)["arrest_approval_requested"]
    assert extended.due_at == datetime(2026, 3, 14, 0, 0, tzinfo=SHANGHAI)  # 7 days from Saturday
    assert extended.extensions == ["special_circumstances by sup-wang: accomplices still being identified"]
    with pytest.raises(ValidationFailed, match="already granted"):
        oversight_service.extend_step(session, SUPERVISOR, step.id, reason)
    family = steps_by_kind(session, c.id)["family_notified"]
    with pytest.raises(ValidationFailed, match="allows no extension"):
        oversight_service.extend_step(session, SUPERVISOR, family.id, reason)

    own = case(session, "2026-0002", officer="sup-wang")
    oversight_service.record_step(session, OFFICER, own.id, StepRecord(kind="detained", at=clock.now()))
    own_step = steps_by_kind(session, own.id)["arrest_approval_requested"]
    with pytest.raises(ValidationFailed, match="responsible"):
        oversight_service.extend_step(session, SUPERVISOR, own_step.id, reason)


def test_cases_check_jurisdiction_kind_incident_and_are_audited(session, friday_night):
    with pytest.raises(ValidationFailed, match="known: CN-CPL"):
        case(session, jurisdiction="FR-CPP", statute_version="2024")
    with pytest.raises(ValidationFailed, match="governs criminal cases"):
        case(session, kind="administrative")
    with pytest.raises(NotFound, match="incident"):
        case(session, incident_id=10**9)
    c = case(session, "2026-0100", kind="administrative", jurisdiction="CN-PSAPL", statute_version="2012")
    with pytest.raises(Conflict):
        case(session, "2026-0100", kind="administrative", jurisdiction="CN-PSAPL", statute_version="2012")
    oversight_service.record_step(session, OFFICER, c.id, StepRecord(kind="filed", at=friday_night))
    decision = steps_by_kind(session, c.id)["decision"]
    # 30 days from Saturday 7 March end on Sunday 5 April, which rolls over to Monday 6 April.
    assert decision.due_at == datetime(2026, 4, 7, 0, 0, tzinfo=SHANGHAI)
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "case", AuditEntry.object_id == "2026-0100")
    )
    assert {e.action for e in entries} >= {"create", "alter", "consult"}
    with pytest.raises(Forbidden):
        oversight_service.list_steps(session, principal_for("analyst"), c.id)


def test_evidence_keeps_a_hash_chained_custody_that_detects_tampering(session, clock):
    c = case(session)
    now = clock.now()
    with pytest.raises(ValidationFailed, match="SHA-256"):
        evidence_service.add_evidence(
            session, OFFICER, c.id, EvidenceCreate(label="CCTV-1", kind="digital", place="shop", at=now)
        )
    item = evidence_service.add_evidence(
        session, OFFICER, c.id, EvidenceCreate(label="CCTV-1", kind="digital", sha256=HASH, place="shop", at=now)
    )
    later = now + timedelta(hours=2)
    evidence_service.transfer_custody(
        session, OFFICER, item.id, CustodyIn(action="transferred", holder="evidence room", place="station 3", at=later)
    )
    with pytest.raises(ValidationFailed, match="before the previous link"):
        evidence_service.transfer_custody(
            session, OFFICER, item.id, CustodyIn(action="examined", holder="lab", place="lab", at=now)
        )
    evidence_service.transfer_custody(
        session, OFFICER, item.id, CustodyIn(action="disposed", holder="evidence room", place="station 3", at=later)
    )
    with pytest.raises(Conflict, match="disposed"):
        evidence_service.transfer_custody(
            session, OFFICER, item.id, CustodyIn(action="returned", holder="owner", place="shop", at=later)
        )
    assert evidence_service.verify_custody(session, item.id) == []
    link = session.scalars(select(CustodyEvent).where(CustodyEvent.evidence_id == item.id, CustodyEvent.seq == 2)).one()
    link.holder = "someone else"
    session.flush()
    assert evidence_service.verify_custody(session, item.id) == ["link 2 was altered"]


def test_a_supervisor_can_waive_an_obligation_an_exception_covers_and_it_stops_alerting(session, clock, friday_night):
    c = case(session)
    oversight_service.record_step(session, OFFICER, c.id, StepRecord(kind="detained", at=friday_night))
    family = steps_by_kind(session, c.id)["family_notified"]
    reason = WaiverIn(reason="no family can be reached: art. 85 exception, recorded with the attempts")
    with pytest.raises(Forbidden):
        oversight_service.waive_step(session, OFFICER, family.id, reason)
    oversight_service.waive_step(session, SUPERVISOR, family.id, reason)
    waived = steps_by_kind(session, c.id)["family_notified"]
    assert waived.status == "waived" and waived.waiver.startswith("sup-wang: no family can be reached")
    clock.advance(days=2)
    oversight_service.recompute_deadlines(session, SUPERVISOR)
    assert not any(key.startswith(f"oversight:deadline:{family.id}:") for key in deadline_alerts(session))
    with pytest.raises(Conflict, match="already closed"):
        oversight_service.waive_step(session, SUPERVISOR, family.id, reason)
