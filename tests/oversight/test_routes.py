"""The oversight JSON API: a case from opening to an extended deadline, evidence, footage, and
the auditor's findings; permissions and named errors."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.factories.security import make_user, sign_in

HASH = "c" * 64


def test_a_case_its_deadlines_an_extension_and_evidence_over_http(app, session, settings, clock):
    officer = make_user(session, settings, "api-officer", ["officer"])
    supervisor = make_user(session, settings, "api-sup", ["supervisor"])
    detained = (clock.now() - timedelta(hours=2)).isoformat()
    with TestClient(app) as client:
        sign_in(client, officer, session)
        body = {"number": "2026-A001", "kind": "criminal", "jurisdiction": "CN-CPL", "statute_version": "2018",
                "title": "assault outside a bar", "responsible_officer": "api-officer", "supervisor": "api-sup"}  # fmt: skip
        created = client.post("/api/cases", json=body)
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        assert (
            client.post("/api/cases", json={**body, "jurisdiction": "XX"})
            .json()["message"]
            .startswith("unknown jurisdiction XX")
        )
        steps = client.post(f"/api/cases/{case_id}/steps", json={"kind": "detained", "at": detained}).json()
        request = next(s for s in steps if s["kind"] == "arrest_approval_requested")
        assert request["status"] == "green" and request["source"].startswith("CPL 2018 art. 91")
        extension = {"kind": "special_circumstances", "reason": "three accomplices still at large"}
        assert client.post(f"/api/steps/{request['id']}/extensions", json=extension).status_code == 403
        evidence = client.post(
            f"/api/cases/{case_id}/evidence",
            json={"label": "BWC-1", "kind": "digital", "sha256": HASH, "place": "bar", "at": detained},
        )
        assert evidence.status_code == 201 and evidence.json()["sha256"] == HASH
        custody = client.post(
            f"/api/evidence/{evidence.json()['id']}/custody",
            json={
                "action": "transferred",
                "holder": "evidence room",
                "place": "station",
                "at": clock.now().isoformat(),
            },
        )
        assert custody.status_code == 201 and custody.json()["seq"] == 2
        action = client.post(
            "/api/enforcement", json={"kind": "stop_and_question", "officer": "api-officer", "at": detained}
        )
        footage = client.post(
            f"/api/enforcement/{action.json()['id']}/footage",
            json={"reference": "bwc://7/1.mp4", "sha256": HASH, "duration_s": 61},
        )
        assert footage.status_code == 200 and footage.json()["footage_retain_until"] is not None

    with TestClient(app) as client:
        sign_in(client, supervisor, session)
        extended = client.post(f"/api/steps/{request['id']}/extensions", json=extension)
        assert extended.status_code == 200, extended.text
        again = client.post(f"/api/steps/{request['id']}/extensions", json=extension)
        assert again.status_code == 422 and "already granted" in again.json()["message"]
        listed = client.get(f"/api/cases/{case_id}/steps").json()
        assert next(s for s in listed if s["id"] == request["id"])["extensions"] == [
            "special_circumstances by api-sup: three accomplices still at large"
        ]


def test_audit_review_is_for_auditors_and_needs_aware_times(app, session, settings, clock):
    auditor = make_user(session, settings, "api-auditor", ["auditor"])
    with TestClient(app) as client:
        sign_in(client, auditor, session)
        since, until = (clock.now() - timedelta(days=1)).isoformat(), (clock.now() + timedelta(minutes=1)).isoformat()
        found = client.get("/api/oversight/audit-review", params={"since": since, "until": until})
        assert found.status_code == 200 and isinstance(found.json(), list)
        naive = client.get("/api/oversight/audit-review", params={"since": "2026-01-01T00:00", "until": until})
        assert naive.status_code == 422
        assert client.get("/api/oversight/flags").status_code == 403


def test_complaints_over_http_from_intake_to_finding(app, session, settings):
    officer = make_user(session, settings, "api-officer-2", ["officer"])
    supervisor = make_user(session, settings, "api-sup-2", ["supervisor"])
    body = {"number": "C-API-1", "source": "staff", "officer": "api-officer-2", "category": "service",
            "summary": "did not come back about a stolen bike"}  # fmt: skip
    with TestClient(app) as client:
        sign_in(client, officer, session)
        taken = client.post("/api/complaints", json=body)
        assert taken.status_code == 201 and len(taken.json()["tracking_code"].replace("-", "")) == 12
        complaint_id = taken.json()["complaint"]["id"]
        assert client.post(f"/api/complaints/{complaint_id}/assign", json={"investigator": "x"}).status_code == 403
    with TestClient(app) as client:
        sign_in(client, supervisor, session)
        refused = client.post(f"/api/complaints/{complaint_id}/assign", json={"investigator": "api-officer-2"})
        assert refused.status_code == 409 and "cannot investigate" in refused.json()["message"]
        assert (
            client.post(f"/api/complaints/{complaint_id}/assign", json={"investigator": "api-sup-2"}).json()["status"]
            == "assigned"
        )
        done = client.post(
            f"/api/complaints/{complaint_id}/finding",
            json={"finding": "not_sustained", "outcome": "followed up by phone, apology given"},
        )
        assert (
            done.status_code == 200 and done.json()["status"] == "closed" and done.json()["finding"] == "not_sustained"
        )
