"""The oversight pages over HTTP: the supervisor's board, a flag with its drivers and the review
form, and an officer's own indicators."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from lantern.oversight import service as oversight_service
from lantern.oversight.eis import service as eis_service
from lantern.oversight.schemas import StepRecord
from tests.factories.security import csrf_from, make_user, sign_in
from tests.oversight.factories import OFFICER, SUPERVISOR, case


def seed(session, clock) -> int:
    c = case(session, "2026-0777")
    oversight_service.record_step(
        session, OFFICER, c.id, StepRecord(kind="detained", at=clock.now() - timedelta(hours=30))
    )
    for i, n in enumerate([1, 0, 2, 1, 0, 1, 2, 9]):
        officer = f"pg-{i}"
        eis_service.set_post(session, SUPERVISOR, officer, "north", "night", supervisor="sup-pages")
        for k in range(n):
            eis_service.record_event(
                session, SUPERVISOR, officer, "use_of_force", clock.now() - timedelta(days=k + 1), f"{officer}:{k}"
            )
    return eis_service.run_flags(session, SUPERVISOR).new_flags[0].id


def test_a_supervisor_sees_the_red_step_opens_the_flag_and_records_an_outcome(app, session, settings, clock):
    flag_id = seed(session, clock)
    account = make_user(session, settings, "sup-pages", ["supervisor"])
    with TestClient(app) as client:
        sign_in(client, account, session)
        board = client.get("/oversight")
        assert board.status_code == 200
        assert (
            'data-status="red"' in board.text and "family notified" in board.text and "CPL 2018 art. 85" in board.text
        )
        assert f'href="/oversight/flags/{flag_id}"' in board.text and "use-of-force reports" in board.text

        page = client.get(f"/oversight/flags/{flag_id}")
        assert page.status_code == 200 and 'id="flag-drivers"' in page.text and "use-of-force reports" in page.text
        short = client.post(
            f"/oversight/flags/{flag_id}/review",
            data={"to_status": "review", "reason": "no", "csrf_token": csrf_from(page.text)},
            follow_redirects=True,
        )
        assert "at least 10 characters" in short.text
        done = client.post(
            f"/oversight/flags/{flag_id}/review",
            data={"to_status": "review", "reason": "reading the nine reports", "csrf_token": csrf_from(page.text)},
            follow_redirects=True,
        )
        assert done.status_code == 200
        assert "sup-pages: new → review: reading the nine reports" in done.text


def test_an_officer_sees_their_own_indicators_but_not_the_queue_or_others_flags(app, session, settings, clock):
    flag_id = seed(session, clock)
    other = make_user(session, settings, "pg-1", ["officer"])
    with TestClient(app) as client:
        sign_in(client, other, session)
        mine = client.get("/oversight/me")
        assert mine.status_code == 200 and 'id="my-indicators"' in mine.text and "use-of-force reports" in mine.text
        assert 'id="eis-flags"' not in client.get("/oversight").text
        assert client.get(f"/oversight/flags/{flag_id}").status_code == 403
        assert (
            client.post(
                f"/oversight/flags/{flag_id}/review", data={"to_status": "review", "reason": "x" * 20}
            ).status_code
            == 403
        )
