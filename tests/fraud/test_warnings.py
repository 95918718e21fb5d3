"""Victim warnings on /fraud/warnings: open ones most urgent first with what triggered them and a
countdown; recording an outcome closes the task, resolves its alert and labels the payment."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lantern.errors import Conflict, Forbidden
from lantern.fraud.schemas import WarningOutcome
from lantern.fraud.victim_warnings import service as warning_service
from lantern.models import Alert, AuditEntry, FraudReport
from tests.factories.security import make_user, principal_for, sign_in
from tests.fraud.factories import INVESTIGATOR, a_victim_warning, p


def _card(html: str, warning_id: int) -> str:
    start = html.rindex("<article", 0, html.index(f'id="warning-{warning_id}"'))
    return html[start : html.index("</article>", start)]


def test_the_page_counts_down_an_open_warning_and_an_outcome_closes_it_as_a_label(app, session, settings, clock):
    warning = a_victim_warning(session, clock.now())
    with TestClient(app) as client:
        sign_in(client, make_user(session, settings, "inv-warn", ["investigator"]), session)
        assert 'href="/fraud/warnings"' in client.get("/fraud").text
        clock.advance(minutes=12, seconds=30)
        card = _card(client.get("/fraud/warnings").text, warning.id)
        assert 'data-remaining-s="1050"' in card and "17 min 30 s left" in card
        assert "overdue" not in card
        # What triggered it, in pseudonyms: the flagged caller, the 20-minute call, the payment.
        assert p("scam-number")[:12] in card and "20 min 0 s" in card and "60 min before" in card
        assert "4,000.00 EUR" in card and "new payee" in card and p("mule")[:12] in card
        assert "Hold recommended: ask bank-a to hold payment <code>S1</code>" in card
        assert 'name="csrf_token"' in card and 'value="could_not_reach"' in card

        clock.advance(minutes=20)
        card = _card(client.get("/fraud/warnings").text, warning.id)
        assert "warning-card overdue" in card and "Overdue by 2 min 30 s" in card
        assert 'id="fraud-warnings-summary"' in (summary := client.get("/fraud").text) and "1 overdue" in summary

        done = client.post(
            f"/fraud/warnings/{warning.id}/outcome", data={"outcome": "warned", "note": "payer hung up on the caller"}
        )
        assert done.status_code == 200  # followed the redirect back to the page
        assert f'id="warning-{warning.id}"' not in done.text and 'id="no-open-warnings"' in done.text
        row = done.text[done.text.index(f'id="recorded-{warning.id}"') :].split("</tr>")[0]
        assert "payer warned" in row and "by inv-warn" in row and "payer hung up on the caller" in row
        assert "after the deadline" in row and "recorded as label <code>fraud</code>" in row

        again = client.post(f"/fraud/warnings/{warning.id}/outcome", data={"outcome": "false_alarm"})
        assert "already ended as payer warned (recorded by inv-warn)" in again.text
    label = session.scalars(select(FraudReport).where(FraudReport.partner == "lantern:victim-warning")).one()
    assert (label.subject, label.label, label.report_ref) == ("bank-a:S1", "fraud", f"warning:{warning.id}")
    alert = session.get(Alert, warning.alert_id)
    assert alert is not None and alert.status == "resolved"
    assert alert.resolution == "victim warning: payer warned, recorded by inv-warn"


def test_could_not_reach_closes_the_warning_without_a_label_and_only_managers_record(session, clock):
    warning = a_victim_warning(session, clock.now())
    with pytest.raises(Forbidden):
        warning_service.record_outcome(session, principal_for("analyst"), warning.id, WarningOutcome(outcome="warned"))
    with pytest.raises(Forbidden):
        warning_service.board(session, principal_for("analyst"))

    warning_service.record_outcome(session, INVESTIGATOR, warning.id, WarningOutcome(outcome="could_not_reach"))
    board = warning_service.board(session, INVESTIGATOR)
    assert board.open == [] and [v.warning.outcome for v in board.recorded] == ["could_not_reach"]
    assert board.recorded[0].label is None and board.recorded[0].in_time
    assert session.scalars(select(FraudReport).where(FraudReport.partner == "lantern:victim-warning")).all() == []
    audited = session.scalars(select(AuditEntry.details).where(AuditEntry.object_type == "fraud_warning")).all()
    assert {"outcome": "could_not_reach"} in audited
    with pytest.raises(Conflict, match="could not reach the payer"):
        warning_service.record_outcome(session, INVESTIGATOR, warning.id, WarningOutcome(outcome="warned"))
