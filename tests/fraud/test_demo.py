"""``lantern demo`` seeds the anti-fraud centre: alerts, mule-ring candidates and victim warnings
show out of the box, fast, once."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lantern.fraud import demo as fraud_demo
from lantern.fraud import service as fraud_service
from lantern.models import Alert, FraudCall, FraudTransaction, FraudWarning
from tests.factories.security import make_user, sign_in
from tests.fraud.factories import INVESTIGATOR

BUDGET_S = 5.0  # what seeding may add to the demo build


def test_the_demo_seeds_alerts_rings_and_victim_warnings_within_budget_and_once(app, session, settings, clock):
    started = time.perf_counter()
    done = fraud_demo.setup(session)
    elapsed = time.perf_counter() - started
    assert elapsed < BUDGET_S, f"seeding took {elapsed:.1f} s"
    assert len(done) == 1 and "victim warnings" in done[0]

    kinds = set(session.scalars(select(Alert.kind).where(Alert.source == "fraud")))
    assert {"fraud_scam_payment", "fraud_mule_pass_through", "fraud_victim_warning"} <= kinds
    warnings = session.scalars(select(FraudWarning)).all()
    assert warnings and all(w.due_at > clock.now() and not w.outcome for w in warnings)  # countdown running
    rings = fraud_service.ring_candidates(session, INVESTIGATOR)
    assert len(rings) >= 3 and all(r["alert_id"] and len(r["accounts"]) >= 2 for r in rings)
    latest = session.scalar(select(func.max(FraudTransaction.time)))
    assert clock.now() - latest < fraud_demo.LAST_PAYMENT_AGO * 2  # shifted to end now, so the pages show it

    counts = (session.scalar(select(func.count(FraudTransaction.id))), session.scalar(select(func.count(FraudCall.id))))
    assert fraud_demo.setup(session) == []  # a second `lantern demo` adds nothing
    assert (
        session.scalar(select(func.count(FraudTransaction.id))),
        session.scalar(select(func.count(FraudCall.id))),
    ) == counts

    with TestClient(app) as client:
        sign_in(client, make_user(session, settings, "inv-demo", ["investigator"]), session)
        page = client.get("/fraud").text
        assert page.count('<a href="/fraud/alerts/') >= len(rings)  # each ring links to an alert to open
        assert "Warn a likely scam victim now" in page and "Mule account" in page
