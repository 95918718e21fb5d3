"""The ledger over HTTP: holders' reports by token, named errors, idempotence, and the pages."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lantern.hazmat import demo as hazmat_demo
from lantern.models import Alert, HazmatEntry
from lantern.security import service as security_service
from lantern.security.policy import Principal
from tests.factories import hazmat as f
from tests.factories.security import bearer, make_user, sign_in


def token_for(session, scopes: list[str]) -> tuple[int, dict[str, str]]:
    token, plaintext = security_service.create_token(
        session, Principal.system("tests"), name="quarry-erp", scopes=scopes, days=30
    )
    return token.id, {"Authorization": f"Bearer {plaintext}"}


def entries(session) -> int:
    return session.scalar(select(func.count()).select_from(HazmatEntry))


def test_a_holder_reports_with_its_own_token_all_or_nothing_and_idempotently(app, session, clock):
    token_id, headers = token_for(session, ["hazmat:report"])
    f.holder(session, "H1", token_id=token_id)
    f.holder(session, "H2")
    f.licence(session, "H1", "EXP-1")
    f.licence(session, "H2", "EXP-2")
    now = clock.now()
    start = now - timedelta(days=30)
    good = [
        f.entry("EXP-1", "purchase", 300, start + timedelta(days=1)),
        f.entry("EXP-1", "count", 480, now - timedelta(days=1)),  # ledger 500: 20 kg short
    ]
    body = f.report_body("Q-1", "H1", start, now, good)
    with TestClient(app) as client:
        bad = f.report_body("Q-1", "H1", start, now, [good[0], {**good[1], "unit": "pieces"}])
        refused = client.post("/api/hazmat/reports", json=bad, headers=headers)
        assert refused.status_code == 422
        assert refused.json()["message"].startswith("report 1, entry 2, field `unit`: licence EXP-1 is kept in kg")
        malformed = client.post(
            "/api/hazmat/reports", json=[body, {**body, "entries": [{**good[0], "quantity": -1}]}], headers=headers
        )
        assert malformed.status_code == 422
        assert malformed.json()["message"].startswith("report 2, entry 1, field `quantity`"), malformed.json()
        no_reference = {**good[0], "kind": "transfer_out", "counterparty_licence": "EXP-2"}
        unreferenced = client.post(
            "/api/hazmat/reports", json=f.report_body("Q-1", "H1", start, now, [no_reference]), headers=headers
        )
        assert unreferenced.status_code == 422
        assert unreferenced.json()["message"] == (
            "report 1, entry 1, field `reference`: a transfer needs the waybill reference both sides report"
        )
        for raw in (b"\xff\xfe", b"[]", b"42", b'{"report_id": '):
            garbled = client.post(
                "/api/hazmat/reports", content=raw, headers={**headers, "Content-Type": "application/json"}
            )
            assert garbled.status_code == 422, (raw, garbled.text)
        assert entries(session) == 0, "nothing half-written"

        accepted = client.post("/api/hazmat/reports", json=body, headers=headers)
        assert accepted.status_code == 201, accepted.text
        assert accepted.json() == [
            {"report_id": "Q-1", "holder": "H1", "status": "accepted", "entries": 2, "new_alerts": 1}
        ]
        resent = client.post("/api/hazmat/reports", json=body, headers=headers)
        assert resent.status_code == 200 and resent.json()[0]["status"] == "duplicate"
        assert entries(session) == 2

        changed = client.post(
            "/api/hazmat/reports",
            json={**body, "period_start": (start - timedelta(days=1)).isoformat()},
            headers=headers,
        )
        assert changed.status_code == 409

        other_holder = client.post("/api/hazmat/reports", json={**body, "holder": "H2", "entries": []}, headers=headers)
        assert other_holder.status_code == 422  # an empty report is refused before anything else
        for_h2 = f.report_body("H2-1", "H2", start, now, [f.entry("EXP-2", "use", 1, now - timedelta(days=2))])
        assert client.post("/api/hazmat/reports", json=for_h2, headers=headers).status_code == 403
        wrong_scope = client.post("/api/hazmat/reports", json=body, headers=bearer(session, ["hazmat:read"]))
        assert wrong_scope.status_code == 403
    alerts = session.scalars(select(Alert).where(Alert.source == "hazmat")).all()
    assert [(a.kind, a.subject_id) for a in alerts] == [("stock_imbalance", "H1")]


def test_staff_register_holders_and_licences_and_read_the_ledger(app, session, settings):
    account = make_user(session, settings, "sup-hz", ["supervisor"])
    with TestClient(app) as client:
        sign_in(client, account, session)
        created = client.post(
            "/api/hazmat/holders",
            json={"code": "LAB-1", "organisation": "City Lab", "category": "toxic", "contact_role": "lab manager"},
        )
        assert created.status_code == 201, created.text
        person = client.post(
            "/api/hazmat/holders",
            json={"code": "LAB-2", "organisation": "X", "category": "toxic", "contact_role": "x", "contact_name": "A"},
        )
        assert person.status_code == 422, "no field for a person's name"
        licence = {
            "number": "TOX-1",
            "material": "sodium cyanide",
            "category": "toxic",
            "unit": "kg",
            "max_quantity": 50,
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_until": "2025-01-01T00:00:00Z",
        }
        backwards = client.post("/api/hazmat/holders/LAB-1/licences", json=licence)
        assert backwards.status_code == 422
        ok = client.post("/api/hazmat/holders/LAB-1/licences", json={**licence, "valid_until": "2027-12-31T00:00:00Z"})
        assert ok.status_code == 201, ok.text
        view = client.get("/api/hazmat/holders/LAB-1").json()
        assert view["holder"]["contact_role"] == "lab manager"
        assert [(x["number"], x["unit"], x["stock"]) for x in view["licences"]] == [("TOX-1", "kg", 0.0)]
        assert client.get("/api/hazmat/holders/NOPE").status_code == 404

        revoked = client.post("/api/hazmat/licences/TOX-1/revoke", json={"reason": "inspection found no safe store"})
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        assert client.post("/api/hazmat/licences/TOX-1/revoke", json={"reason": "again"}).status_code == 409
        assert client.post("/api/hazmat/licences/NOPE-1/revoke", json={"reason": "why"}).status_code == 404


def test_the_pages_list_holders_ledgers_and_discrepancies(app, session, settings):
    hazmat_demo.setup(session)
    supervisor = make_user(session, settings, "sup-hz-page", ["supervisor"])
    dispatcher = make_user(session, settings, "disp-hz-page", ["dispatcher"])
    with TestClient(app) as client:
        sign_in(client, supervisor, session)
        page = client.get("/hazmat")
        assert page.status_code == 200
        assert 'href="/hazmat"' in page.text, "the nav links the page"
        for text in ("Demo Quarry Oy", "Demo Tunnelling Oy", "Demo Fireworks Shop", 'data-kind="stock_imbalance"',
                     'data-kind="transfer_one_sided"', "counted 765 kg, ledger says 780 kg"):  # fmt: skip
            assert text in page.text, text
        assert "<script>" not in page.text, "no inline script (CSP)"
        shortfall = session.scalars(
            select(Alert).where(Alert.kind == "stock_imbalance", Alert.source == "hazmat")
        ).one()
        assert f'<a href="/alerts">#{shortfall.id}</a> new' in page.text, "each finding links its alert and status"
        holder = client.get("/hazmat/holders/HX-QUARRY")
        assert holder.status_code == 200
        assert "ledger 780, off by -15" in holder.text
        assert "WB-2026-0042" in holder.text
        done = client.post("/hazmat/reconcile", follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"].startswith("/hazmat?done=3+findings,+0+new")
    with TestClient(app) as client:
        sign_in(client, dispatcher, session)
        assert client.get("/hazmat").status_code == 403
        assert 'href="/hazmat"' not in client.get("/").text
