"""Who is behind a pseudonym: a purpose-bound request to the partner, approved by a second person,
answered over the partner's token, stored encrypted and read only by the requester on the case
page, with every step in the audit log under the case's purpose."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lantern.errors import Conflict, Forbidden, NotFound, ValidationFailed
from lantern.fraud.cases import service as case_service
from lantern.fraud.reveal import service as reveal_service
from lantern.fraud.schemas import CaseClose, CaseReopen, RevealAnswer, RevealDecision, RevealRequestIn
from lantern.models import Alert, AuditEntry, FraudRevealRequest
from lantern.oversight.review import service as review_service
from lantern.security import service as security_service
from lantern.security.access import AuditedForbidden
from lantern.security.crypto import new_keyring
from lantern.security.policy import Principal
from tests.factories.security import make_user, principal_for, sign_in
from tests.fraud.factories import INVESTIGATOR, OTHER_INVESTIGATOR, SUPERVISOR, a_call, a_case, p

REASON = "mule account of the ring; need the holder to summon them"


def partner_token(session, name: str) -> tuple[Principal, dict[str, str]]:
    """A partner's machine token with the answering scope: its principal and its bearer header."""
    token, plaintext = security_service.create_token(
        session, Principal.system("tests"), name=name, scopes=["fraud:reveal_answer"], days=30
    )
    return security_service.principal_for_token(token), {"Authorization": f"Bearer {plaintext}"}


def ask(session, case_id: int, subject: str, **kw) -> FraudRevealRequest:
    fields = {"subject_type": "account", "subject": subject, "reason": REASON, **kw}
    return reveal_service.request_reveal(session, INVESTIGATOR, case_id, RevealRequestIn.model_validate(fields))


def audit_trail(session, request_id: int) -> list[tuple[str, str, str]]:
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "fraud_reveal_request", AuditEntry.object_id == str(request_id))
        .order_by(AuditEntry.seq)
    )
    return [(e.action, e.actor, e.purpose_ref) for e in rows]


def test_a_reveal_runs_from_request_to_the_requesters_audited_reading(app, session, settings, clock):
    case = a_case(session, clock.now())
    ref = f"case:fraud-{case.id}"
    investigator = make_user(session, settings, "inv-lee", ["investigator"])
    colleague = make_user(session, settings, "inv-park", ["investigator"])
    supervisor = make_user(session, settings, "sup-berg", ["supervisor"])
    _, bank = partner_token(session, "bank-a")
    _, other_bank = partner_token(session, "bank-b")

    with TestClient(app) as client:
        sign_in(client, investigator, session)
        short = client.post(
            f"/api/fraud/cases/{case.id}/reveals", json={"subject_type": "account", "subject": p("mule"), "reason": "x"}
        )
        assert short.status_code == 422 and "at least 5 characters" in short.json()["message"]
        filed = client.post(
            f"/api/fraud/cases/{case.id}/reveals",
            json={"subject_type": "account", "subject": p("mule"), "reason": REASON},
        )
        assert filed.status_code == 201, filed.json()
        request = filed.json()
        assert (request["status"], request["partner"], request["purpose_ref"]) == ("pending_approval", "bank-a", ref)
        assert (
            client.post(
                f"/api/fraud/reveals/{request['id']}/decision", json={"approve": True, "reason": "ok!"}
            ).status_code
            == 403
        )
    task = session.scalars(select(Alert).where(Alert.kind == "fraud_reveal_approval")).one()
    assert task.status == "new" and "awaits a second person" in task.title

    with TestClient(app) as partner:  # nothing to see before a second person approved it
        assert partner.get("/api/fraud/partner/reveal-requests", headers=bank).json() == []
        early = partner.post(
            f"/api/fraud/partner/reveal-requests/{request['id']}/answer", json={"name": "X"}, headers=bank
        )
        assert early.status_code == 404

    with TestClient(app) as client:
        sign_in(client, supervisor, session)
        queue = client.get("/fraud/reveals")
        assert f'id="reveal-{request["id"]}"' in queue.text and REASON in queue.text
        decided = client.post(
            f"/fraud/reveals/{request['id']}/decision",
            data={"decision": "approve", "reason": "proportionate: ring active"},
        )
        assert decided.status_code == 200 and "No request is waiting" in decided.text
    session.refresh(task)
    assert task.status == "resolved"

    with TestClient(app) as partner:
        assert partner.get("/api/fraud/partner/reveal-requests", headers=other_bank).json() == []
        listed = partner.get("/api/fraud/partner/reveal-requests", headers=bank).json()
        assert listed == [
            {
                "id": request["id"],
                "subject_type": "account",
                "subject": p("mule"),
                "purpose_ref": ref,
                "reason": REASON,
                "requested_at": listed[0]["requested_at"],
                "approved_at": listed[0]["approved_at"],
            }
        ]  # no staff names
        url = f"/api/fraud/partner/reveal-requests/{request['id']}/answer"
        assert partner.post(url, json={"name": "Anna Virtanen"}, headers=other_bank).status_code == 404
        nosy = partner.post(url, json={"name": "Anna Virtanen", "address": "Mannerheimintie 1"}, headers=bank)
        assert nosy.status_code == 422  # data minimisation: only name and holder reference for an account
        wrong = partner.post(url, json={"name": "Anna Virtanen", "phone": "+358 40 123 4567"}, headers=bank)
        assert wrong.status_code == 422 and "`phone`" in wrong.json()["message"]
        answered = partner.post(url, json={"name": "Anna Virtanen", "holder_ref": "CUST-0042"}, headers=bank)
        assert answered.json() == {"id": request["id"], "status": "answered"}
        assert partner.post(url, json={"name": "Someone Else"}, headers=bank).status_code == 409
        assert partner.get("/api/fraud/partner/reveal-requests", headers=bank).json() == []

    stored = session.get(FraudRevealRequest, request["id"])
    session.refresh(stored)
    assert stored.answer_enc.startswith("enc:v1:") and "Virtanen" not in stored.answer_enc

    clock.advance(seconds=30)  # a new authenticator step: the earlier code is not accepted twice
    with TestClient(app) as client:
        sign_in(client, investigator, session)
        page = client.get(f"/fraud/cases/{case.id}")
        assert "Show identity (audited)" in page.text and "Virtanen" not in page.text
        shown = client.get(f"/fraud/cases/{case.id}?show={request['id']}")
        assert 'id="identity-name">Anna Virtanen<' in shown.text and 'id="identity-holder">CUST-0042<' in shown.text
        assert [e["kind"] for e in client.get(f"/api/fraud/cases/{case.id}/timeline").json()] == [
            "opened",
            "reveal_requested",
            "reveal_approved",
            "reveal_answered",
        ]
    with TestClient(app) as client:
        sign_in(client, colleague, session)
        refused = client.get(f"/fraud/cases/{case.id}?show={request['id']}")
        assert refused.status_code == 403 and "only inv-lee" in refused.text
        assert "Show identity" not in client.get(f"/fraud/cases/{case.id}").text

    trail = audit_trail(session, request["id"])
    assert trail == [
        ("create", "inv-lee", ref),  # filed, with the case as purpose
        ("alter", "sup-berg", ref),  # approved
        ("disclose", trail[2][1], ref),  # fetched by the partner it is addressed to
        ("create", trail[2][1], ref),  # answered
        ("consult", "inv-lee", ref),  # read on the case page
        ("deny", "inv-park", ""),  # a colleague on another case's business is refused, and that is logged
    ]
    assert trail[2][1].endswith(":bank-a")


def test_the_requester_cannot_approve_their_own_request(session, clock):
    both = principal_for("investigator", "inv-lee")
    both = Principal(**{**both.__dict__, "permissions": both.permissions | {"fraud:reveal_approve"}})
    case = a_case(session, clock.now(), both)
    request = ask(session, case.id, p("mule"))
    with pytest.raises(AuditedForbidden, match="a second person must approve"):
        reveal_service.decide(session, both, request.id, RevealDecision(approve=True, reason="looks fine to me"))
    with pytest.raises(Forbidden):
        reveal_service.decide(
            session, OTHER_INVESTIGATOR, request.id, RevealDecision(approve=True, reason="looks fine to me")
        )
    with pytest.raises(ValidationFailed, match="reason for your decision"):
        reveal_service.decide(session, SUPERVISOR, request.id, RevealDecision(approve=False, reason="no"))
    refused = reveal_service.decide(
        session, SUPERVISOR, request.id, RevealDecision(approve=False, reason="not proportionate yet")
    )
    assert (refused.status, refused.decided_by) == ("refused", "sup-berg")
    partner, _ = partner_token(session, "bank-a")
    assert reveal_service.for_partner(session, partner) == []  # a refused request never reaches the partner
    with pytest.raises(NotFound):
        reveal_service.answer(session, partner, request.id, RevealAnswer(name="Anna Virtanen"))
    with pytest.raises(Conflict, match="already decided"):
        reveal_service.decide(session, SUPERVISOR, request.id, RevealDecision(approve=True, reason="changed my mind"))


def test_a_request_names_a_pseudonym_of_the_case_and_a_partner_that_sent_it(session, clock):
    case = a_case(session, clock.now())
    with pytest.raises(ValidationFailed, match="not one of case .* accounts"):
        ask(session, case.id, p("payer0"))  # in the network, not in the ring
    with pytest.raises(ValidationFailed, match="nobody to ask"):
        ask(session, case.id, p("never-seen"), subject_type="number")
    a_call(session, clock.now(), "scammer", "victim", partner="operator-a")
    a_call(session, clock.now(), "victim", "scammer", partner="operator-b")
    with pytest.raises(ValidationFailed, match="2 partners sent this number; choose .*operator-a, operator-b"):
        ask(session, case.id, p("scammer"), subject_type="number")
    with pytest.raises(ValidationFailed, match="has not sent this number"):
        ask(session, case.id, p("scammer"), subject_type="number", partner="bank-a")
    number = ask(session, case.id, p("scammer"), subject_type="number", partner="operator-b")
    assert (number.partner, number.purpose_ref) == ("operator-b", f"case:fraud-{case.id}")
    with pytest.raises(Conflict, match=f"request #{number.id} for this number is still pending_approval"):
        ask(session, case.id, p("scammer"), subject_type="number", partner="operator-b")
    # The payer's phone a bank sent counts too: the bank can be asked about its customer's number.
    assert ask(session, case.id, p("phone0"), subject_type="number").partner == "bank-a"


def test_closing_the_case_withdraws_waiting_requests_and_hides_answers_until_reopened(session, clock):
    case = a_case(session, clock.now())
    answered = ask(session, case.id, p("mule"))
    waiting = ask(session, case.id, p("collector"))
    reveal_service.decide(session, SUPERVISOR, answered.id, RevealDecision(approve=True, reason="ring still active"))
    partner, _ = partner_token(session, "bank-a")
    reveal_service.answer(session, partner, answered.id, RevealAnswer(name="Anna Virtanen", holder_ref="CUST-42"))
    assert reveal_service.read_identity(session, INVESTIGATOR, answered.id).name == "Anna Virtanen"

    case_service.close_case(session, INVESTIGATOR, case.id, CaseClose(outcome="referred", reason="sent to prosecutor"))
    assert waiting.status == "withdrawn"
    assert session.get(Alert, waiting.alert_id).status == "resolved"
    with pytest.raises(Conflict, match="reopen it to consult"):
        reveal_service.read_identity(session, INVESTIGATOR, answered.id)
    with pytest.raises(Conflict, match="reopen it before asking"):
        ask(session, case.id, p("collector"))
    case_service.reopen_case(session, INVESTIGATOR, case.id, CaseReopen(reason="prosecutor asks for more"))
    assert reveal_service.read_identity(session, INVESTIGATOR, answered.id).holder_ref == "CUST-42"
    kinds = [e.kind for e in case_service.timeline(session, INVESTIGATOR, case.id)]
    assert kinds.count("reveal_withdrawn") == 1 and kinds[-1] == "reopened"


def test_reads_under_a_fraud_case_are_linked_to_a_case_in_the_audit_review(session, clock):
    start = clock.now()
    case = a_case(session, start)
    request = ask(session, case.id, p("mule"))
    reveal_service.decide(session, SUPERVISOR, request.id, RevealDecision(approve=True, reason="ring still active"))
    partner, _ = partner_token(session, "bank-a")
    reveal_service.answer(session, partner, request.id, RevealAnswer(name="Anna Virtanen", holder_ref="CUST-42"))
    reveal_service.read_identity(session, INVESTIGATOR, request.id)
    clock.advance(minutes=1)
    findings = review_service.review(session, principal_for("auditor"), start, clock.now())
    assert not [f for f in findings if f.finding == "read_without_case" and f.actor == "inv-lee"]


def test_key_rotation_reencrypts_answers(session, clock):
    session.info["keyring"] = ring = new_keyring(None)
    case = a_case(session, clock.now())
    request = ask(session, case.id, p("mule"))
    reveal_service.decide(session, SUPERVISOR, request.id, RevealDecision(approve=True, reason="ring still active"))
    partner, _ = partner_token(session, "bank-a")
    reveal_service.answer(session, partner, request.id, RevealAnswer(name="Anna Virtanen", holder_ref="CUST-42"))
    old_key = ring.key_id_of(request.answer_enc)
    ring.add_primary()
    _, changed = reveal_service.reencrypt_batch(session, 0, 500)
    assert changed == 1 and ring.key_id_of(request.answer_enc) == ring.primary.id != old_key
    assert reveal_service.read_identity(session, INVESTIGATOR, request.id).name == "Anna Virtanen"
