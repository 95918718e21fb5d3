"""Closing a case that still has open steps: refused with the list of them, unless each is done or
the closer marks it not needed with a reason, which the case's steps then show."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from lantern.errors import Conflict, ValidationFailed
from lantern.oversight import service as oversight_service
from lantern.oversight.schemas import NotNeeded, StepRecord
from tests.factories.security import make_user, sign_in
from tests.oversight.factories import OFFICER, SUPERVISOR, case

RELEASED = "suspect released on bail the same night; no detention follows"


def open_steps(session, case_id: int) -> dict[str, int]:
    return {
        s.kind: s.id
        for s in oversight_service.list_steps(session, SUPERVISOR, case_id)
        if s.rule_id and s.status in ("green", "yellow", "red")
    }


def test_closing_lists_the_open_steps_and_closes_once_each_is_done_or_not_needed(session, clock):
    c = case(session)
    detained = clock.now() - timedelta(hours=3)
    oversight_service.record_step(session, OFFICER, c.id, StepRecord(kind="detained", at=detained))
    oversight_service.record_step(session, OFFICER, c.id, StepRecord(kind="family_notified", at=clock.now()))
    still_open = open_steps(session, c.id)
    assert set(still_open) == {"transferred_to_detention_house", "arrest_approval_requested"}

    with pytest.raises(Conflict) as refused:
        oversight_service.record_step(session, OFFICER, c.id, StepRecord(kind="closed", at=clock.now()))
    message = refused.value.message
    assert message.startswith("case 2026-0001 still has 2 open step(s): ")
    assert f"#{still_open['transferred_to_detention_house']} transferred to detention house (due " in message
    assert f"#{still_open['arrest_approval_requested']} arrest approval requested (due " in message
    assert message.endswith("or list each under `not_needed` with the reason it is no longer needed")
    assert {s["kind"] for s in refused.value.details["open_steps"]} == set(still_open)

    one = [NotNeeded(step_id=still_open["arrest_approval_requested"], reason=RELEASED)]
    with pytest.raises(Conflict, match=r"still has 1 open step\(s\): #\d+ transferred to detention house"):
        oversight_service.record_step(session, OFFICER, c.id, StepRecord(kind="closed", at=clock.now(), not_needed=one))
    with pytest.raises(ValidationFailed, match=r"names step\(s\) #999999, which are not open steps"):
        oversight_service.record_step(
            session,
            OFFICER,
            c.id,
            StepRecord(kind="closed", at=clock.now(), not_needed=[*one, NotNeeded(step_id=999999, reason=RELEASED)]),
        )
    with pytest.raises(ValidationError):
        NotNeeded(step_id=1, reason="no")  # a reason says why, in at least 10 characters

    oversight_service.record_step(
        session, OFFICER, c.id, StepRecord(kind="transferred_to_detention_house", at=clock.now())
    )
    oversight_service.record_step(session, OFFICER, c.id, StepRecord(kind="closed", at=clock.now(), not_needed=one))
    steps = {s.kind: s for s in oversight_service.list_steps(session, SUPERVISOR, c.id) if s.rule_id}
    assert steps["arrest_approval_requested"].status == "not_needed"
    assert steps["arrest_approval_requested"].not_needed == f"off-li: {RELEASED}"
    assert steps["transferred_to_detention_house"].status == "done"
    assert oversight_service.get_case_or_raise(session, SUPERVISOR, c.id).status == "closed"
    # Nothing left to chase: no deadline alerts for the case, even long after.
    clock.advance(days=10)
    assert oversight_service.recompute_deadlines(session, SUPERVISOR).open_steps == 0


def test_not_needed_is_only_for_closing_and_a_case_without_open_steps_closes_at_once(session, clock):
    c = case(session)
    with pytest.raises(ValidationFailed, match="only for closing"):
        oversight_service.record_step(
            session,
            OFFICER,
            c.id,
            StepRecord(kind="summoned", at=clock.now(), not_needed=[NotNeeded(step_id=1, reason=RELEASED)]),
        )
    oversight_service.record_step(session, OFFICER, c.id, StepRecord(kind="closed", at=clock.now()))
    assert oversight_service.get_case_or_raise(session, SUPERVISOR, c.id).status == "closed"


def test_closing_over_http_answers_409_with_the_open_steps(app, session, settings, clock):
    officer = make_user(session, settings, "close-officer", ["officer"])
    c = case(session, "2026-C001", officer="close-officer")
    oversight_service.record_step(
        session, OFFICER, c.id, StepRecord(kind="detained", at=clock.now() - timedelta(hours=1))
    )
    with TestClient(app) as client:
        sign_in(client, officer, session)
        refused = client.post(f"/api/cases/{c.id}/steps", json={"kind": "closed", "at": clock.now().isoformat()})
        assert refused.status_code == 409
        body = refused.json()
        assert body["message"].startswith("case 2026-C001 still has 3 open step(s)")
        assert {s["kind"] for s in body["details"]["open_steps"]} == {
            "transferred_to_detention_house",
            "family_notified",
            "arrest_approval_requested",
        }
        not_needed = [{"step_id": s["id"], "reason": RELEASED} for s in body["details"]["open_steps"]]
        closed = client.post(
            f"/api/cases/{c.id}/steps",
            json={"kind": "closed", "at": clock.now().isoformat(), "not_needed": not_needed},
        )
        assert closed.status_code == 201
        statuses = {s["kind"]: s["status"] for s in closed.json() if s["rule_id"]}
        assert set(statuses.values()) == {"not_needed"}
