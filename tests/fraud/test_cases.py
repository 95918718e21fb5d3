"""Anti-fraud case lifecycle: closing with an outcome and a reason, reopening with a reason, both
on the case page and in its timeline; the mule-ring candidates on the alert list."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from lantern.errors import Conflict, Forbidden
from lantern.fraud import service as fraud_service
from lantern.fraud.cases import service as case_service
from lantern.fraud.schemas import CaseClose, CaseReopen
from lantern.models import AuditEntry
from tests.factories.security import make_user, principal_for, sign_in
from tests.fraud.factories import INVESTIGATOR, a_case, mule_ring, p


def test_a_case_closes_with_an_outcome_and_reopens_with_a_reason_all_in_its_timeline(session, clock):
    case = a_case(session, clock.now())
    fraud_service.add_note(session, INVESTIGATOR, case.id, "asked bank A for the accounts' ages")
    with pytest.raises(ValidationError, match="at least 10 characters"):
        CaseClose(outcome="disrupted", reason="done")
    with pytest.raises(ValidationError):
        CaseClose(outcome="solved", reason="the accounts were frozen by bank A")
    with pytest.raises(Forbidden):
        case_service.close_case(
            session, principal_for("analyst"), case.id, CaseClose(outcome="disrupted", reason="frozen by bank A")
        )

    clock.advance(hours=2)
    closed = case_service.close_case(
        session, INVESTIGATOR, case.id, CaseClose(outcome="disrupted", reason="bank A froze both accounts")
    )
    assert (closed.status, closed.outcome, closed.closed_by, closed.closed_at) == (
        "closed",
        "disrupted",
        "inv-lee",
        clock.now(),
    )
    with pytest.raises(Conflict, match="already closed"):
        case_service.close_case(session, INVESTIGATOR, case.id, CaseClose(outcome="duplicate", reason="same as #1 x"))
    with pytest.raises(Conflict, match="reopen it before adding notes"):
        fraud_service.add_note(session, INVESTIGATOR, case.id, "one more thing")

    clock.advance(days=3)
    reopened = case_service.reopen_case(
        session, INVESTIGATOR, case.id, CaseReopen(reason="the collector account received money again")
    )
    assert (reopened.status, reopened.outcome, reopened.closed_at) == ("open", "", None)
    with pytest.raises(Conflict, match="only a closed case"):
        case_service.reopen_case(session, INVESTIGATOR, case.id, CaseReopen(reason="open it once more, please"))

    entries = case_service.timeline(session, INVESTIGATOR, case.id)
    assert [e.kind for e in entries] == ["opened", "note", "closed", "reopened"]
    assert (
        entries[2].text
        == "Closed: ring disrupted (accounts closed or frozen by the partners). bank A froze both accounts"
    )
    assert entries[3].text == "Reopened: the collector account received money again" and entries[3].actor == "inv-lee"
    audited = session.scalars(
        select(AuditEntry.details).where(AuditEntry.object_type == "fraud_case", AuditEntry.object_id == str(case.id))
    ).all()
    assert [d["status"] for d in audited] == ["closed", "open"]


def test_the_case_page_closes_and_reopens_a_case_and_shows_the_outcome(app, session, settings, clock):
    case = a_case(session, clock.now())
    with TestClient(app) as client:
        sign_in(client, make_user(session, settings, "inv-pages", ["investigator"]), session)
        page = client.get(f"/fraud/cases/{case.id}")
        assert 'id="close-form"' in page.text and 'id="case-outcome"' not in page.text

        short = client.post(f"/fraud/cases/{case.id}/close", data={"outcome": "referred", "reason": "done"})
        assert short.status_code == 200 and "at least 10 characters" in short.text  # followed the redirect
        assert 'id="case-status">open<' in short.text

        closed = client.post(
            f"/fraud/cases/{case.id}/close",
            data={"outcome": "referred", "reason": "file sent to the prosecutor, ref PR-2026-118"},
        )
        assert 'id="case-status">closed<' in closed.text
        assert "referred for prosecution" in closed.text and "PR-2026-118" in closed.text
        assert 'id="reopen-form"' in closed.text and 'id="close-form"' not in closed.text
        assert 'data-kind="closed"' in closed.text

        reopened = client.post(
            f"/fraud/cases/{case.id}/reopen", data={"reason": "prosecutor asks for the cash-out trail"}
        )
        assert 'id="case-status">open<' in reopened.text and 'id="case-outcome"' not in reopened.text
        assert 'data-kind="reopened"' in reopened.text and "prosecutor asks for the cash-out trail" in reopened.text

        timeline = client.get(f"/api/fraud/cases/{case.id}/timeline").json()
        assert [e["kind"] for e in timeline] == ["opened", "closed", "reopened"]


def test_the_alert_list_shows_the_mule_ring_candidate_with_its_alert(app, session, settings, clock):
    alert_id = mule_ring(session, clock.now())
    rings = fraud_service.ring_candidates(session, INVESTIGATOR)
    assert [sorted(r["accounts"]) for r in rings] == [sorted([p("mule"), p("collector")])]
    assert rings[0]["alert_id"] == alert_id and rings[0]["flow"] == 4900.0
    with TestClient(app) as client:
        sign_in(client, make_user(session, settings, "inv-list", ["investigator"]), session)
        page = client.get("/fraud").text
        assert 'id="fraud-rings"' in page and f'href="/fraud/alerts/{alert_id}">alert #{alert_id}' in page
