"""Each step keeps what the deadlines job already did (colour alerted, overdue counted), so the
job raises one alert per step and colour and one overdue event per step, also after an upgrade
from a database whose earlier runs left only their alerts and events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantern.db import UTCDateTime, make_engine
from lantern.kit.time import FakeClock
from lantern.models import Alert, CaseStep, OfficerEvent
from lantern.oversight import service as oversight_service
from lantern.oversight.schemas import StepRecord
from lantern.store import upgrade
from tests.oversight.factories import OFFICER, SUPERVISOR, an_incident_id, case

SHANGHAI = ZoneInfo("Asia/Shanghai")
FAMILY_RULE = "cn-cpl-family-notice-detention"  # 24 h, yellow in the last 4 h


def progress(session: Session, step_id: int) -> tuple[str, bool]:
    row = session.execute(select(CaseStep.alerted_level, CaseStep.overdue_counted).where(CaseStep.id == step_id)).one()
    return row[0], bool(row[1])


def alert_keys(session: Session, step_id: int) -> list[str]:
    prefix = f"{oversight_service.ALERT_KEY}{step_id}:"
    return sorted(session.scalars(select(Alert.dedupe_key).where(Alert.dedupe_key.startswith(prefix))))


def overdue_events(session: Session, step_id: int) -> int:
    query = select(func.count()).where(OfficerEvent.indicator == "overdue_step", OfficerEvent.ref == f"step:{step_id}")
    return int(session.scalar(query) or 0)


def family_step(session: Session, clock: FakeClock) -> int:
    """A detention at Friday 22:30 Shanghai: the family notice is due 24 h later; the only other
    open obligation (arrest approval, 3 days) stays green."""
    clock.current = datetime(2026, 3, 6, 22, 30, tzinfo=SHANGHAI).astimezone(UTC)
    c = case(session, incident_id=an_incident_id(session))
    oversight_service.record_step(session, OFFICER, c.id, StepRecord(kind="detained", at=clock.now()))
    oversight_service.record_step(
        session, OFFICER, c.id, StepRecord(kind="transferred_to_detention_house", at=clock.now())
    )
    return next(s.id for s in oversight_service.list_steps(session, SUPERVISOR, c.id) if s.kind == "family_notified")


def test_yellow_then_red_raises_exactly_one_more_alert_and_the_step_remembers_both(session, clock):
    step_id = family_step(session, clock)
    assert progress(session, step_id) == ("none", False)

    clock.advance(hours=21)  # 3 h before the limit: yellow
    run = oversight_service.recompute_deadlines(session, SUPERVISOR)
    assert (run.yellow, run.red, run.new_alerts, run.new_officer_events) == (1, 0, 1, 0)
    assert progress(session, step_id) == ("yellow", False)
    assert oversight_service.recompute_deadlines(session, SUPERVISOR).new_alerts == 0

    clock.advance(hours=4)  # past the limit: red
    run = oversight_service.recompute_deadlines(session, SUPERVISOR)
    assert (run.yellow, run.red, run.new_alerts, run.new_officer_events) == (0, 1, 1, 1)
    assert progress(session, step_id) == ("red", True)
    again = oversight_service.recompute_deadlines(session, SUPERVISOR)
    assert (again.new_alerts, again.new_officer_events) == (0, 0)
    assert alert_keys(session, step_id) == [
        f"oversight:deadline:{step_id}:red",
        f"oversight:deadline:{step_id}:yellow",
    ]
    assert overdue_events(session, step_id) == 1


def test_the_alert_key_and_the_event_ref_still_guard_a_step_that_does_not_know_its_progress(session, clock):
    step_id = family_step(session, clock)
    clock.advance(hours=25)
    oversight_service.recompute_deadlines(session, SUPERVISOR)
    # As if the marks were lost (a restore, a hand edit): the alert and the event stay unique.
    session.execute(sa.update(CaseStep).where(CaseStep.id == step_id).values(alerted_level="none"))
    session.execute(sa.update(CaseStep).where(CaseStep.id == step_id).values(overdue_counted=False))
    run = oversight_service.recompute_deadlines(session, SUPERVISOR)
    assert (run.red, run.new_alerts, run.new_officer_events) == (1, 0, 0)
    assert progress(session, step_id) == ("red", True)
    assert alert_keys(session, step_id) == [f"oversight:deadline:{step_id}:red"]
    assert overdue_events(session, step_id) == 1


# --- an upgrade from 0012, whose deadline runs left only alerts and officer events ------------

T0 = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
CASES = sa.table(
    "oversight_cases",
    *(sa.column(c) for c in ("id", "number", "kind", "jurisdiction", "statute_version", "title")),
    *(sa.column(c) for c in ("responsible_officer", "supervisor", "status", "created_by")),
    sa.column("opened_at", UTCDateTime()),
)
STEPS_0012 = sa.table(  # the table as 0012 left it: no progress columns yet
    "oversight_case_steps",
    *(sa.column(c) for c in ("id", "case_id", "kind", "rule_id", "responsible_officer", "note", "waiver")),
    sa.column("recorded_by"),
    sa.column("started_at", UTCDateTime()),
    sa.column("due_at", UTCDateTime()),
)


def _seed_0012(conn: sa.Connection) -> None:
    conn.execute(
        sa.insert(CASES),
        [
            {
                "id": 1,
                "number": "2026-0001",
                "kind": "criminal",
                "jurisdiction": "CN-CPL",
                "statute_version": "2018",
                "title": "theft",
                "responsible_officer": "off-li",
                "supervisor": "sup-wang",
                "status": "open",
                "created_by": "off-li",
                "opened_at": T0,
            }
        ],
    )
    common = {"case_id": 1, "kind": "family_notified", "rule_id": FAMILY_RULE, "responsible_officer": "off-li"}
    common |= {"note": "", "waiver": "", "recorded_by": "off-li"}
    conn.execute(
        sa.insert(STEPS_0012),
        [
            # 10: a run alerted it yellow; 11: a run alerted it yellow, then red, and counted it; 12: green.
            {"id": 10, "started_at": T0, "due_at": T0 + timedelta(hours=24), **common},
            {"id": 11, "started_at": T0 - timedelta(days=2), "due_at": T0 - timedelta(days=1), **common},
            {"id": 12, "started_at": T0 + timedelta(hours=20), "due_at": T0 + timedelta(hours=44), **common},
        ],
    )
    alert = {"source": "oversight", "severity": "warning", "subject_type": "case", "subject_id": "1"}
    alert |= {"title": "t", "detail": "", "data": {}, "status": "new", "assignee": "off-li"}
    alert |= {"acknowledged_by": "", "resolved_by": "", "resolution": "", "created_at": T0}
    conn.execute(
        sa.insert(Alert.__table__),
        [
            {**alert, "kind": "deadline_due_soon", "dedupe_key": f"{oversight_service.ALERT_KEY}10:yellow"},
            {**alert, "kind": "deadline_due_soon", "dedupe_key": f"{oversight_service.ALERT_KEY}11:yellow"},
            {**alert, "kind": "deadline_overdue", "dedupe_key": f"{oversight_service.ALERT_KEY}11:red"},
        ],
    )
    conn.execute(
        sa.insert(OfficerEvent.__table__),
        [{"officer": "off-li", "indicator": "overdue_step", "at": T0, "ref": "step:11"}],
    )


def test_an_upgraded_database_does_not_alert_or_count_again_and_a_later_red_alerts_once(fresh_database):
    engine = make_engine(fresh_database)
    try:
        upgrade(engine, "0012")
        with engine.begin() as conn:
            _seed_0012(conn)
        upgrade(engine)
        clock = FakeClock(T0 + timedelta(hours=21))  # step 10 yellow, 11 red, 12 green
        with Session(engine, info={"clock": clock}) as session:
            assert [progress(session, i) for i in (10, 11, 12)] == [("yellow", False), ("red", True), ("none", False)]
            run = oversight_service.recompute_deadlines(session, SUPERVISOR)
            assert (run.yellow, run.red, run.new_alerts, run.new_officer_events) == (1, 1, 0, 0)

            clock.advance(hours=4)  # step 10 turns red
            run = oversight_service.recompute_deadlines(session, SUPERVISOR)
            assert (run.red, run.new_alerts, run.new_officer_events) == (2, 1, 1)
            assert alert_keys(session, 10) == ["oversight:deadline:10:red", "oversight:deadline:10:yellow"]
            assert alert_keys(session, 11) == ["oversight:deadline:11:red", "oversight:deadline:11:yellow"]
            assert (overdue_events(session, 10), overdue_events(session, 11)) == (1, 1)
            assert [progress(session, i) for i in (10, 11)] == [("red", True), ("red", True)]
            session.rollback()
    finally:
        engine.dispose()
