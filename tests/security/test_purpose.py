"""Purpose-bound reads of personal fields, pseudonyms for analysis, encryption at rest."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from lantern.models import AuditEntry, Incident, IncidentParty
from tests.factories.security import make_user, sign_in

PURPOSE = {"X-Lantern-Purpose-Ref": "incident:{id}", "X-Lantern-Purpose-Reason": "calling the witness back"}


@pytest.fixture
def incident(session) -> Incident:
    return session.scalars(select(Incident).where(Incident.restricted.is_(False)).limit(1)).one()


@pytest.fixture
def dispatcher(app, session, settings, incident):
    account = make_user(session, settings, "desk", ["dispatcher"])
    with TestClient(app) as client:
        sign_in(client, account, session)
        for name, phone in (("Aino Virtanen", "+358 40 111 2222"), ("Mikko Korhonen", "+358 50 333 4444")):
            created = client.post(
                f"/api/incidents/{incident.id}/parties", json={"role": "witness", "name": name, "phone": phone}
            )
            assert created.status_code == 201, created.text
        yield client


def test_reading_names_without_a_purpose_is_refused_with_advice_and_audited(dispatcher, session, incident):
    response = dispatcher.get(f"/api/incidents/{incident.id}/parties")
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "purpose_required"
    assert "X-Lantern-Purpose-Ref" in body["message"] and "X-Lantern-Purpose-Reason" in body["message"]
    refusal = session.scalars(select(AuditEntry).where(AuditEntry.actor == "desk", AuditEntry.action == "deny")).one()
    assert refusal.outcome == "purpose_missing"


def test_with_a_purpose_names_are_returned_and_the_read_is_audited(dispatcher, session, incident):
    headers = {k: v.format(id=incident.id) for k, v in PURPOSE.items()}
    response = dispatcher.get(f"/api/incidents/{incident.id}/parties", headers=headers)
    assert response.status_code == 200
    assert sorted(p["name"] for p in response.json()) == ["Aino Virtanen", "Mikko Korhonen"]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.actor == "desk", AuditEntry.action == "consult")).one()
    assert entry.purpose_ref == f"incident:{incident.id}"
    assert entry.purpose_reason == "calling the witness back"
    assert entry.object_type == "incident_parties"
    # references only: the audit entry never holds the personal data itself
    assert "Aino" not in str(entry.details) and "358" not in str(entry.details)


def test_a_malformed_purpose_is_a_clear_error(dispatcher, incident):
    response = dispatcher.get(
        f"/api/incidents/{incident.id}/parties",
        headers={"X-Lantern-Purpose-Ref": "because", "X-Lantern-Purpose-Reason": "just looking"},
    )
    assert response.status_code == 422
    assert "incident:42" in response.json()["message"]


def test_analysts_get_pseudonyms_without_a_purpose_and_never_names(app, dispatcher, session, settings, incident):
    analyst = make_user(session, settings, "ana", ["analyst"])
    with TestClient(app) as client:
        sign_in(client, analyst, session)
        rows = client.get(f"/api/incidents/{incident.id}/parties/pseudonymous").json()
        assert len(rows) == 2 and all(len(r["phone_pseudonym"]) == 64 for r in rows)
        assert "name" not in rows[0] and "phone" not in rows[0]
        headers = {k: v.format(id=incident.id) for k, v in PURPOSE.items()}
        assert client.get(f"/api/incidents/{incident.id}/parties", headers=headers).status_code == 403


def test_same_phone_gives_the_same_pseudonym_across_incidents(dispatcher, session, incident):
    other = session.scalars(
        select(Incident).where(Incident.id != incident.id, Incident.restricted.is_(False)).limit(1)
    ).one()
    dispatcher.post(
        f"/api/incidents/{other.id}/parties", json={"role": "caller", "name": "A. V.", "phone": "+35840 1112222"}
    )
    pseudonyms = session.scalars(select(IncidentParty.phone_pseudonym).order_by(IncidentParty.id)).all()
    assert pseudonyms[0] == pseudonyms[-1]  # '+358 40 111 2222' normalised to the same digits
    assert len(set(pseudonyms)) == 2


def test_names_and_numbers_are_encrypted_at_rest(dispatcher, session):
    raw = session.execute(text("SELECT name_enc, phone_enc FROM incident_parties")).all()
    assert raw and all(n.startswith("enc:v1:") and p.startswith("enc:v1:") for n, p in raw)
    assert not any("Aino" in n or "40111" in p.replace(" ", "") for n, p in raw)


def test_erasure_needs_the_right_role_and_a_purpose(app, dispatcher, session, settings, incident):
    party = session.scalars(select(IncidentParty).where(IncidentParty.incident_id == incident.id)).first()
    url = f"/api/incidents/{incident.id}/parties/{party.id}"
    assert dispatcher.delete(url).status_code == 403  # dispatchers may not erase
    investigator = make_user(session, settings, "inv", ["investigator"])
    with TestClient(app) as client:
        sign_in(client, investigator, session)
        assert client.delete(url).status_code == 403  # no purpose stated
        headers = {
            "X-Lantern-Purpose-Ref": "case:2026-0042",
            "X-Lantern-Purpose-Reason": "erasure request under art. 16",
        }
        assert client.delete(url, headers=headers).status_code == 204
    assert session.scalars(select(IncidentParty.id).where(IncidentParty.id == party.id)).first() is None
    erased = session.scalars(select(AuditEntry).where(AuditEntry.action == "erase")).one()
    assert erased.purpose_ref == "case:2026-0042" and erased.object_id == str(party.id)


def test_parties_of_an_incident_outside_the_readers_scope_look_absent(app, dispatcher, session, settings, incident):
    from lantern.models import District

    other = session.scalars(select(District).where(District.id != incident.district_id)).first()
    officer = make_user(session, settings, "beat2", ["officer"], district_id=other.id)
    with TestClient(app) as client:
        sign_in(client, officer, session)
        headers = {k: v.format(id=incident.id) for k, v in PURPOSE.items()}
        assert client.get(f"/api/incidents/{incident.id}/parties", headers=headers).status_code == 404
