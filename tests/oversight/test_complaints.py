"""Complaints: intake, assignment, investigation, finding and outcome, stage deadlines, the
complainant's view of the public timeline, and the indicators they feed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lantern.errors import Conflict, Forbidden, NotFound
from lantern.models import Alert, OfficerEvent
from lantern.oversight.complaints import service as complaint_service
from lantern.oversight.schemas import ComplaintCreate, ComplaintFinding
from tests.factories.security import principal_for
from tests.oversight.factories import OFFICER, SUPERVISOR

INVESTIGATOR = principal_for("investigator", "inv-kim")


def received(session, number: str = "C-2026-0001", officer: str = "off-zhao"):
    return complaint_service.receive(
        session,
        OFFICER,
        ComplaintCreate(
            number=number,
            source="portal",
            officer=officer,
            category="conduct",
            summary="rude at a traffic stop, refused a name",
        ),
    )


def indicators(session, officer: str) -> list[str]:
    return sorted(e.indicator for e in session.scalars(select(OfficerEvent).where(OfficerEvent.officer == officer)))


def test_a_complaint_runs_to_a_sustained_finding_and_the_complainant_follows_it(session, clock):
    r = received(session)
    c = r.complaint
    assert c.status == "received" and c.due_at == c.received_at + timedelta(days=5)
    assert indicators(session, "off-zhao") == ["complaint"]
    with pytest.raises(Conflict, match="cannot investigate"):
        complaint_service.assign(session, SUPERVISOR, c.id, "off-zhao")
    with pytest.raises(Forbidden):
        complaint_service.assign(session, OFFICER, c.id, "inv-kim")
    complaint_service.assign(session, SUPERVISOR, c.id, "inv-kim")
    assert c.due_at == c.received_at + timedelta(days=90)
    with pytest.raises(Forbidden):
        complaint_service.note(session, OFFICER, c.id, "I was there too")
    complaint_service.note(session, INVESTIGATOR, c.id, "body-camera footage reviewed; the officer's tone was hostile")
    complaint_service.note(session, INVESTIGATOR, c.id, "We have reviewed the recording of the stop.", public=True)
    clock.advance(days=20)
    complaint_service.record_finding(
        session,
        SUPERVISOR,
        c.id,
        ComplaintFinding(finding="sustained", outcome="words of advice and refresher training"),
    )
    assert indicators(session, "off-zhao") == ["complaint", "complaint_sustained"]
    with pytest.raises(Conflict, match="closed"):
        complaint_service.note(session, INVESTIGATOR, c.id, "one more thing")

    view = complaint_service.public_timeline(session, "C-2026-0001", r.access_code)
    assert view.status == "closed" and view.finding == "sustained"
    texts = [e.text for e in view.entries]
    assert [e.kind for e in view.entries] == ["received", "assigned", "note", "finding"]
    assert "We have reviewed the recording of the stop." in texts
    assert not any("hostile" in t for t in texts)  # internal notes stay internal
    with pytest.raises(NotFound):
        complaint_service.public_timeline(session, "C-2026-0001", "guessed-code")


def test_overdue_stages_alert_once_per_stage(session, clock):
    c = received(session, "C-2026-0002").complaint
    clock.advance(days=6)
    assert complaint_service.check_deadlines(session, SUPERVISOR) == 1
    assert complaint_service.check_deadlines(session, SUPERVISOR) == 0
    complaint_service.assign(session, SUPERVISOR, c.id, "inv-kim")
    assert complaint_service.check_deadlines(session, SUPERVISOR) == 0  # the finding is due in 90 days
    clock.advance(days=90)
    assert complaint_service.check_deadlines(session, SUPERVISOR) == 1
    keys = {a.dedupe_key for a in session.scalars(select(Alert).where(Alert.kind == "complaint_overdue"))}
    assert keys == {f"oversight:complaint:{c.id}:received", f"oversight:complaint:{c.id}:assigned"}
    with pytest.raises(Conflict, match="already exists"):
        received(session, "C-2026-0002")
