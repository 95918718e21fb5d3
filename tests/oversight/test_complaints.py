"""Complaints: intake, assignment, investigation, finding and outcome, stage deadlines, the
complainant's view of the public timeline, and the indicators they feed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lantern.errors import Conflict, Forbidden, NotFound
from lantern.models import Alert, Complaint, OfficerEvent
from lantern.oversight.complaints import service as complaint_service
from lantern.oversight.schemas import ComplaintCreate, ComplaintFinding, PublicComplaintIn
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

    view = complaint_service.public_timeline(session, r.tracking_code)
    assert view.status == "closed" and view.finding == "sustained"
    assert view.outcome == "words of advice and refresher training" and view.decided_at == clock.now()
    texts = [e.text for e in view.entries]
    assert [e.kind for e in view.entries] == ["received", "assigned", "note", "finding"]
    assert "We have reviewed the recording of the stop." in texts
    assert not any("hostile" in t for t in texts)  # internal notes stay internal
    with pytest.raises(NotFound, match="no complaint has this tracking code"):
        complaint_service.public_timeline(session, "ABCD-EFGH-JKMN")


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


def test_the_public_portal_files_a_complaint_and_the_tracking_code_follows_it(session, clock):
    code = complaint_service.file_public_complaint(
        session, PublicComplaintIn(category="conduct", summary="the officer at the station shouted at my mother")
    )
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code)
    view = complaint_service.public_timeline(session, code)
    assert view.number == f"P-{clock.now().year}-{int(view.number.rsplit('-', 1)[1]):06d}"
    assert (view.status, view.received_at, view.due_at) == ("received", clock.now(), clock.now() + timedelta(days=5))
    assert (view.decided_at, view.finding, view.outcome) == (None, "", "")
    assert [(e.kind, e.text) for e in view.entries] == [("received", "Complaint received (portal).")]
    # Read aloud or typed by hand: lower case, no dashes, O for 0 and I or L for 1 still find it.
    typed = code.lower().replace("-", "").replace("0", "o").replace("1", "l")
    assert complaint_service.public_timeline(session, typed).number == view.number
    complaint = session.scalars(select(Complaint).where(Complaint.number == view.number)).one()
    assert (complaint.source, complaint.created_by, complaint.status) == ("portal", "public-portal", "received")
    assert code.replace("-", "") not in {complaint.access_hash, complaint.summary}  # only the hash is kept


def test_tracking_codes_are_random_and_a_guess_finds_nothing(session):
    codes = {complaint_service.new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000  # 60 random bits each
    for guess in ("", "12345", "ABCD-EFGH-JKMN", "C-2026-0001", "U" * 12):
        with pytest.raises(NotFound, match="no complaint has this tracking code"):
            complaint_service.public_timeline(session, guess)


def test_the_public_route_shows_the_decision_but_never_notes_or_officers(app, session, clock):
    r = received(session, "C-2026-0003", officer="off-zhao")
    complaint_service.assign(session, SUPERVISOR, r.complaint.id, "inv-kim")
    complaint_service.note(session, INVESTIGATOR, r.complaint.id, "off-zhao admits raising his voice")
    clock.advance(days=12)
    complaint_service.record_finding(
        session, SUPERVISOR, r.complaint.id, ComplaintFinding(finding="not_sustained", outcome="no misconduct found")
    )
    with TestClient(app) as client:  # nobody signed in
        got = client.get(f"/api/public/complaints/{r.tracking_code}")
        assert got.status_code == 200 and got.headers["cache-control"] == "no-store"
        body = got.json()
        assert set(body) == {"number", "status", "received_at", "due_at", "decided_at", "finding", "outcome", "entries"}
        assert (body["status"], body["finding"], body["outcome"], body["due_at"]) == (
            "closed",
            "not_sustained",
            "no misconduct found",
            None,
        )
        assert [e["kind"] for e in body["entries"]] == ["received", "assigned", "finding"]
        assert "off-zhao" not in got.text and "inv-kim" not in got.text and "raising his voice" not in got.text
        unknown = client.get("/api/public/complaints/ABCD-EFGH-JKMN")
        assert unknown.status_code == 404 and unknown.json()["message"].startswith(
            "no complaint has this tracking code"
        )
