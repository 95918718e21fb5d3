"""Partner intake over HTTP: tokens, privacy refusals, all-or-nothing, idempotence, holds vs alerts,
victim warnings and their outcomes as labels."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lantern.models import Alert, FraudCall, FraudHit, FraudReport, FraudTransaction, FraudWarning
from lantern.security import service as security_service
from lantern.security.policy import Principal
from tests.factories.security import make_user, sign_in

KEY = b"shared-partner-key"  # the key the partners share; the centre never sees what it hashes


def p(value: str) -> str:
    """A partner-keyed pseudonym, as the bank's or operator's system computes it."""
    return hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()


def token(session, name: str, scopes: list[str]) -> dict[str, str]:
    _, plaintext = security_service.create_token(session, Principal.system("tests"), name=name, scopes=scopes, days=30)
    return {"Authorization": f"Bearer {plaintext}"}


def tx(ref: str, when, src: str, dst: str, amount: float, **kw) -> dict:
    return {
        "tx_id": ref,
        "time": when.isoformat(),
        "from_account": p(src),
        "to_account": p(dst),
        "amount": amount,
        "currency": "EUR",
        "channel": kw.get("channel", "transfer"),
        "new_payee": kw.get("new_payee", False),
        **({"payer_phone": p(kw["phone"])} if "phone" in kw else {}),
    }


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def bank(session):
    return token(session, "bank-a", ["fraud:ingest"])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("from_account", "+358 40 123 4567", "looks like a phone number in clear"),
        ("to_account", "FI21 1234 5600 0007 85", "looks like an account number in clear"),
        ("to_account", "12345678901", "looks like an account number in clear"),
        ("payer_phone", "0401234567", "looks like"),
        ("from_account", "ABC", "must be the partner-keyed pseudonym"),
        ("to_account", p("a"), "is the same account as `from_account`"),
    ],
)
def test_identifiers_in_clear_are_refused_naming_record_and_field(app, session, clock, bank, field, value, message):
    now = clock.now()
    good = tx("T1", now, "alice", "bob", 10)
    with TestClient(app) as client:
        r = client.post(
            "/api/fraud/transactions", json=[good, {**tx("T2", now, "a", "b", 5), field: value}], headers=bank
        )
    assert r.status_code == 422
    assert r.json()["message"].startswith(f"record 2, field `{field}`: {message}"), r.json()
    assert count(session, FraudTransaction) == 0  # all or nothing


@pytest.mark.parametrize("key", ["name", "national_id", "phone_number", "iban"])
def test_personal_fields_are_refused_by_name(app, session, clock, bank, key):
    with TestClient(app) as client:
        r = client.post(
            "/api/fraud/transactions", json=[{**tx("T1", clock.now(), "a", "b", 5), key: "x"}], headers=bank
        )
    assert r.status_code == 422
    assert r.json()["message"].startswith(f"record 1, field `{key}`: personal data in clear is not accepted")


def test_call_records_refuse_numbers_in_clear(app, session, clock, bank):
    call = {"time": clock.now().isoformat(), "from_number": "+86 138 0013 8000", "to_number": p("x"), "duration_s": 5}
    with TestClient(app) as client:
        r = client.post("/api/fraud/calls", json=call, headers=bank)
    assert r.status_code == 422
    assert r.json()["message"].startswith("record 1, field `from_number`: looks like a phone number in clear")
    assert count(session, FraudCall) == 0


def test_a_token_without_the_intake_scope_is_refused(app, session, clock):
    headers = token(session, "other", ["incident:read"])
    with TestClient(app) as client:
        r = client.post("/api/fraud/transactions", json=[tx("T1", clock.now(), "a", "b", 5)], headers=headers)
    assert r.status_code == 403


def test_ndjson_batches_are_idempotent_and_all_or_nothing(app, session, clock, bank):
    now = clock.now()
    rows = [tx(f"T{k}", now + timedelta(minutes=k), "alice", f"shop{k}", 20 + k) for k in range(5)]
    body = "\n".join(__import__("json").dumps(r) for r in rows)
    headers = {**bank, "Content-Type": "application/x-ndjson"}
    with TestClient(app) as client:
        first = client.post("/api/fraud/transactions", content=body, headers=headers)
        assert first.status_code == 200, first.json()
        assert (first.json()["created"], first.json()["duplicates"]) == (5, 0)
        again = client.post("/api/fraud/transactions", content=body, headers=headers)
        assert (again.json()["created"], again.json()["duplicates"]) == (0, 5)
        repeated = client.post("/api/fraud/transactions", json=[rows[0], rows[0]], headers=bank)
        assert repeated.status_code == 422
        assert repeated.json()["message"] == "record 2, field `tx_id`: repeats record 1"
    assert count(session, FraudTransaction) == 5


def test_scam_payment_is_held_warned_and_its_outcome_becomes_a_label(app, session, settings, clock, bank):
    now = clock.now()
    telco = token(session, "telco-b", ["fraud:ingest"])
    scam_number = p("+44 7700 900123")
    with TestClient(app) as client:
        # Seen for a month already: the mule account below is new to the centre, not just unseen.
        client.post("/api/fraud/transactions", json=[tx("OLD", now - timedelta(days=30), "x", "y", 5)], headers=bank)
        reported = client.post(
            "/api/fraud/reports",
            json={"report_id": "R1", "subject_type": "number", "subject": scam_number, "label": "scam_number",
                  "time": (now - timedelta(days=1)).isoformat()},
            headers=bank,
        )  # fmt: skip
        assert reported.json()["created"] == 1
        call = {"time": (now - timedelta(hours=1)).isoformat(), "from_number": scam_number,
                "to_number": p("victim-phone"), "duration_s": 1200, "direction": "in"}  # fmt: skip
        assert client.post("/api/fraud/calls", json=[call], headers=telco).json()["created"] == 1
        feeders = [tx(f"F{k}", now - timedelta(hours=5 - k), f"other{k}", "mule", 900) for k in range(4)]
        client.post("/api/fraud/transactions", json=feeders, headers=bank)
        scam = tx("S1", now, "victim", "mule", 4000, new_payee=True, phone="victim-phone")
        r = client.post("/api/fraud/transactions", json=[scam], headers=bank)
        assert r.status_code == 200, r.json()
        body = r.json()
        assert body["holds"] == [{"tx_id": "S1", "typology": "scam_payment", "score": 100.0}]
        assert body["warnings"] == 1
        assert client.post("/api/fraud/transactions", json=[scam], headers=bank).json()["holds"] == []  # resent
        warning = session.scalars(select(FraudWarning)).one()
        assert warning.due_at == now + timedelta(minutes=30)
        alert = session.scalars(select(Alert).where(Alert.kind == "fraud_victim_warning")).one()
        assert (alert.severity, alert.due_at) == ("critical", warning.due_at)
        hold = session.scalars(select(Alert).where(Alert.kind == "fraud_scam_payment")).one()
        assert (hold.subject_id, hold.severity) == (p("mule"), "critical")
        assert p("victim") not in {a.subject_id for a in session.scalars(select(Alert))}

        url = f"/api/fraud/warnings/{warning.id}/outcome"
        assert client.post(url, json={"outcome": "warned"}, headers=bank).status_code == 403  # partners cannot
        sign_in(client, make_user(session, settings, "inv", ["investigator"]), session)
        done = client.post(url, json={"outcome": "loss_prevented"})
        assert done.status_code == 200, done.json()
        assert done.json()["outcome_by"] == "inv"
        again = client.post(url, json={"outcome": "false_alarm"})
        assert again.status_code == 409
    label = session.scalars(select(FraudReport).where(FraudReport.partner == "lantern:victim-warning")).one()
    assert (label.subject, label.label) == ("bank-a:S1", "fraud")


def test_laundering_only_alerts_never_holds(app, session, clock, bank):
    now = clock.now()
    feeders = [tx(f"F{k}", now - timedelta(hours=6 - k), f"payer{k}", "mule", 1000) for k in range(5)]
    onward = tx("OUT", now, "mule", "collector", 4900)
    with TestClient(app) as client:
        r = client.post("/api/fraud/transactions", json=[*feeders, onward], headers=bank)
    assert r.status_code == 200, r.json()
    assert r.json()["holds"] == []
    hits = session.scalars(select(FraudHit).where(FraudHit.typology == "mule_pass_through")).all()
    assert {(h.account, h.action, h.kind) for h in hits} == {(p("mule"), "alert", "laundering")}
    alert = session.scalars(select(Alert).where(Alert.kind == "fraud_mule_pass_through")).one()
    assert alert.dedupe_key == f"fraud:mule_pass_through:{p('mule')}:{onward['time'][:10]}"


def test_many_short_calls_flag_the_caller_once(app, session, clock, bank):
    now = clock.now()
    caller = p("+1 555 0100")
    calls = [
        {"time": (now + timedelta(minutes=k)).isoformat(), "from_number": caller, "to_number": p(f"n{k}"),
         "duration_s": 30}
        for k in range(30)
    ]  # fmt: skip
    with TestClient(app) as client:
        first = client.post("/api/fraud/calls", json=calls, headers=bank).json()
        again = client.post("/api/fraud/calls", json=calls, headers=bank).json()
    assert (first["flagged_numbers"], again["created"]) == (1, 0)
    assert session.scalars(select(FraudReport.subject)).all() == [caller]


def test_an_investigator_sees_the_network_and_opens_a_case_from_an_alert(app, session, settings, clock, bank):
    now = clock.now()
    feeders = [tx(f"F{k}", now - timedelta(hours=6 - k), f"payer{k}", "mule", 1000) for k in range(5)]
    rows = [
        *feeders,
        tx("OUT", now, "mule", "collector", 4900),
        tx("SHOP", now - timedelta(hours=10), "mule", "shop", 10),
    ]
    rows.append(tx("ELSE", now, "stranger", "elsewhere", 50))
    with TestClient(app) as client:
        assert client.post("/api/fraud/transactions", json=rows, headers=bank).status_code == 200
        alert = session.scalars(select(Alert).where(Alert.kind == "fraud_mule_pass_through")).one()
        analyst = make_user(session, settings, "ana", ["analyst"])
        sign_in(client, analyst, session)
        assert (
            client.get(f"/api/fraud/accounts/{p('mule')}/network", params={"around": now.isoformat()}).status_code
            == 403
        )
    with TestClient(app) as client:  # a fresh browser for the investigator
        sign_in(client, make_user(session, settings, "inv", ["investigator"]), session)
        graph = client.get(f"/api/fraud/accounts/{p('mule')}/network", params={"around": now.isoformat()}).json()
        nodes = {n["id"] for n in graph["nodes"]}
        assert nodes == {p(f"payer{k}") for k in range(5)} | {p("mule"), p("collector"), p("shop")}
        suspicious = {(e["source"], e["target"]) for e in graph["edges"] if e["suspicious"]}
        assert any(p("collector") in pair for pair in suspicious)
        assert not any(p("shop") in pair for pair in suspicious)
        opened = client.post("/api/fraud/cases", json={"alert_id": alert.id, "title": "Mule ring around one account"})
        assert opened.status_code == 200, opened.json()
        case = opened.json()
        assert (
            p("mule") in case["accounts"] and p("collector") in case["accounts"] and p("shop") not in case["accounts"]
        )
        assert (case["investigator"], case["status"], alert.id in case["alert_ids"]) == ("inv", "open", True)
        noted = client.post(f"/api/fraud/cases/{case['id']}/notes", json={"text": "asked bank A for account ages"})
        assert [n["text"] for n in noted.json()["notes"]] == ["asked bank A for account ages"]
        assert client.post("/api/fraud/cases", json={"alert_id": 999999, "title": "nothing"}).status_code == 404


def test_the_pages_show_an_alert_its_network_and_open_a_case(app, session, settings, clock, bank):
    now = clock.now()
    feeders = [tx(f"F{k}", now - timedelta(hours=6 - k), f"payer{k}", "mule", 1000) for k in range(5)]
    with TestClient(app) as client:
        client.post("/api/fraud/transactions", json=[*feeders, tx("OUT", now, "mule", "collector", 4900)], headers=bank)
        alert = session.scalars(select(Alert).where(Alert.kind == "fraud_mule_pass_through")).one()
        sign_in(client, make_user(session, settings, "inv", ["investigator"]), session)
        listing = client.get("/fraud")
        assert f'href="/fraud/alerts/{alert.id}"' in listing.text
        page = client.get(f"/fraud/alerts/{alert.id}")
        assert page.status_code == 200
        assert 'data-nodes="7"' in page.text and page.text.count("<circle") == 7
        assert "alert only" in page.text and "hold recommended" not in page.text
        opened = client.post(
            "/fraud/cases", data={"alert_id": alert.id, "title": "Ring A", "csrf_token": client.headers["X-CSRF-Token"]}
        )
        assert opened.status_code == 200 and "Case #" in opened.text and "Ring A" in opened.text
        assert client.get("/fraud/alerts/999999").status_code == 404
