"""Who is behind a pseudonym: a purpose-bound, audited request to the partner institution.

Partners send keyed pseudonyms the centre cannot invert, so the identity can only come from
the partner that holds it. The path, every step through the security layer (permission,
purpose, audit entry in the same transaction):

1. an investigator on an open case files a request for one pseudonymous account (one of the
   case's) or number, under the case's purpose reference ``case:fraud-<id>`` and a reason
   (``fraud:reveal_request``); the request lands in the alert queue as a task;
2. a second person with ``fraud:reveal_approve`` (never the requester) approves or refuses it,
   with a reason;
3. the partner's token (``fraud:reveal_answer``) fetches the approved requests addressed to it
   and answers each once: a name with a phone number or an account-holder reference, or
   ``not_held``; the answer is encrypted at rest;
4. only the requester reads it, on the case page, while the case is open; each reading is
   audited as a consultation with the request's purpose.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.errors import Conflict, NotFound, ValidationFailed
from lantern.fraud import repository
from lantern.fraud import service as fraud_service
from lantern.fraud.cases import service as case_service
from lantern.fraud.schemas import RevealAnswer, RevealDecision, RevealRequestIn
from lantern.models import FraudCase, FraudRevealRequest
from lantern.security import context
from lantern.security.access import (
    MIN_REASON,
    AuditedForbidden,
    Purpose,
    audit,
    event,
    guard,
    parse_purpose,
    personal,
)
from lantern.security.policy import Principal

REQUEST, APPROVE, ANSWER = "fraud:reveal_request", "fraud:reveal_approve", "fraud:reveal_answer"
ANSWER_CONTEXT = "fraud_reveal_requests.answer"
INTERNAL = "lantern:"  # partners of the centre's own records (mass-call rule, warning outcomes)


def _short(pseudonym: str) -> str:
    return f"{pseudonym[:12]}…"


def _purpose(request: FraudRevealRequest) -> Purpose:
    return Purpose(request.purpose_ref, request.reason)


def _get(session: Session, request_id: int) -> FraudRevealRequest:
    found = repository.reveal_request(session, request_id)
    if found is None:
        raise NotFound(f"identity-reveal request {request_id} does not exist")
    return found


def _partner_for(session: Session, reveal_in: RevealRequestIn, case: FraudCase) -> str:
    """The partner to ask: the one named, among those that sent the identifier; else the only one."""
    if reveal_in.subject_type == "account":
        if reveal_in.subject not in case.accounts:
            raise ValidationFailed(
                f"account {_short(reveal_in.subject)} is not one of case {case.id}'s accounts; "
                "ask only about the accounts the case is about"
            )
        sent = repository.partners_of_account(session, reveal_in.subject)
    else:
        sent = repository.partners_of_number(session, reveal_in.subject)
    partners = sorted(p for p in sent if not p.startswith(INTERNAL))
    if not partners:
        raise ValidationFailed(
            f"no partner has sent {reveal_in.subject_type} {_short(reveal_in.subject)}, so there is nobody to ask"
        )
    if reveal_in.partner:
        if reveal_in.partner not in partners:
            raise ValidationFailed(
                f"partner {reveal_in.partner!r} has not sent this {reveal_in.subject_type}; ask one of: "
                + ", ".join(partners)
            )
        return reveal_in.partner
    if len(partners) > 1:
        raise ValidationFailed(
            f"{len(partners)} partners sent this {reveal_in.subject_type}; choose the one that holds it: "
            + ", ".join(partners)
        )
    return partners[0]


def request_reveal(
    session: Session, principal: Principal, case_id: int, reveal_in: RevealRequestIn
) -> FraudRevealRequest:
    """File a request for the identity behind one pseudonym of an open case; it then needs approval."""
    guard(principal, REQUEST, "fraud_case", case_id)
    case = fraud_service.get_case(session, principal, case_id)
    if case.status != "open":
        raise Conflict(f"case {case.id} is {case.status}; reopen it before asking for an identity")
    purpose = parse_purpose(case_service.case_ref(case.id), reveal_in.reason)
    assert purpose is not None  # the reference is always given
    partner = _partner_for(session, reveal_in, case)
    waiting = repository.open_reveal_request(session, case.id, reveal_in.subject)
    if waiting is not None:
        raise Conflict(f"request #{waiting.id} for this {reveal_in.subject_type} is still {waiting.status}")
    request = FraudRevealRequest(
        case_id=case.id,
        subject_type=reveal_in.subject_type,
        subject=reveal_in.subject,
        partner=partner,
        purpose_ref=purpose.ref,
        reason=purpose.reason,
        status="pending_approval",
        requested_by=principal.name,
        requested_at=context.now(session),
        decided_by="",
        decision_reason="",
        answered_by="",
    )
    repository.add_all(session, [request])
    personal(
        session,
        principal,
        purpose,
        action="create",
        permission=REQUEST,
        object_type="fraud_reveal_request",
        object_id=request.id,
        details={"case": case.id, "subject_type": request.subject_type, "partner": partner},
    )
    alert, _ = alert_service.raise_alert(
        session,
        alert_service.AlertIn(
            source="fraud",
            kind="fraud_reveal_approval",
            severity="warning",
            subject_type="fraud_reveal_request",
            subject_id=str(request.id),
            title=f"Identity-reveal request #{request.id} (anti-fraud case #{case.id}) awaits a second person",
            detail=f"asked of {partner} by {principal.name}; approve or refuse it at /fraud/reveals",
            dedupe_key=f"fraud:reveal:{request.id}",
            data={"restricted": True, "case_id": case.id},
        ),
    )
    request.alert_id = alert.id
    case_service.add_event(
        session,
        case.id,
        "reveal_requested",
        principal.name,
        f"Request #{request.id}: who holds {request.subject_type} {_short(request.subject)}, asked of {partner}. "
        f"Reason: {purpose.reason}",
    )
    return request


def decide(session: Session, principal: Principal, request_id: int, decision_in: RevealDecision) -> FraudRevealRequest:
    """Approve or refuse a pending request, with a reason; the requester may not decide their own."""
    guard(principal, APPROVE, "fraud_reveal_request", request_id)
    request = _get(session, request_id)
    if principal.name == request.requested_by:
        raise AuditedForbidden(
            f"you filed request #{request.id}; a second person must approve or refuse it",
            event(principal, "deny", "fraud_reveal_request", request.id, outcome="denied", details={"four_eyes": True}),
        )
    if request.status != "pending_approval":
        raise Conflict(f"request #{request.id} is {request.status.replace('_', ' ')}; it was already decided")
    if len(decision_in.reason.strip()) < MIN_REASON:
        raise ValidationFailed(f"give the reason for your decision (at least {MIN_REASON} characters)")
    purpose = parse_purpose(request.purpose_ref, decision_in.reason)
    verdict = "approved" if decision_in.approve else "refused"
    personal(
        session,
        principal,
        purpose,
        action="alter",
        permission=APPROVE,
        object_type="fraud_reveal_request",
        object_id=request.id,
        details={"decision": verdict, "case": request.case_id},
    )
    assert purpose is not None
    request.status, request.decided_by = verdict, principal.name
    request.decided_at, request.decision_reason = context.now(session), purpose.reason
    case_service.settle_alert(session, request.alert_id, f"{verdict} by {principal.name}")
    case_service.add_event(
        session,
        request.case_id,
        f"reveal_{verdict}",
        principal.name,
        f"Request #{request.id} {verdict}"
        + (f"; {request.partner} can now answer it" if decision_in.approve else "")
        + f". Reason: {purpose.reason}",
    )
    return request


@dataclass(frozen=True)
class PendingApproval:
    request: FraudRevealRequest
    case_title: str


def pending_approvals(session: Session, principal: Principal) -> list[PendingApproval]:
    """Requests waiting for a second person, with their case's title (for approvers)."""
    guard(principal, APPROVE, "fraud_reveal_request", "list")
    rows = repository.reveal_requests(session, ["pending_approval"])
    cases = repository.cases_by_id(session, sorted({r.case_id for r in rows}))
    return [PendingApproval(r, cases[r.case_id].title if r.case_id in cases else "") for r in rows]


def requests_of_case(session: Session, principal: Principal, case_id: int) -> list[FraudRevealRequest]:
    """A case's requests and where each stands (never the identity)."""
    case = fraud_service.get_case(session, principal, case_id)
    return repository.reveal_requests_of_case(session, case.id)


def for_partner(session: Session, principal: Principal) -> list[FraudRevealRequest]:
    """Approved requests addressed to the calling partner and not yet answered (each disclosure audited)."""
    guard(principal, ANSWER, "fraud_reveal_request", "list")
    partner = fraud_service.partner_of(principal)
    rows = repository.reveal_requests(session, ["approved"], partner)
    for request in rows:
        audit(
            session,
            principal,
            "disclose",
            "fraud_reveal_request",
            request.id,
            purpose=_purpose(request),
            details={"partner": partner, "subject_type": request.subject_type},
        )
    return rows


def answer(session: Session, principal: Principal, request_id: int, answer_in: RevealAnswer) -> FraudRevealRequest:
    """The partner's answer to an approved request addressed to it (once); stored encrypted."""
    guard(principal, ANSWER, "fraud_reveal_request", request_id)
    partner = fraud_service.partner_of(principal)
    request = repository.reveal_request(session, request_id)
    if request is None or request.partner != partner or request.decided_at is None or request.status == "refused":
        # Another partner's requests, and requests never approved, do not exist for this partner.
        raise NotFound(f"no approved identity-reveal request {request_id} is addressed to {partner}")
    if request.status != "approved":
        raise Conflict(f"request #{request.id} is {request.status.replace('_', ' ')}; it takes no answer now")
    if request.subject_type == "account" and answer_in.phone:
        raise ValidationFailed("field `phone`: the request is about an account; send `name` and `holder_ref`")
    if request.subject_type == "number" and answer_in.holder_ref:
        raise ValidationFailed("field `holder_ref`: the request is about a number; send `name` and `phone`")
    request.answered_by, request.answered_at = partner, context.now(session)
    if answer_in.not_held:
        request.status = "not_held"
    else:
        fields = {k: v for k, v in answer_in.model_dump(include={"name", "phone", "holder_ref"}).items() if v}
        request.answer_enc = context.keyring(session).encrypt(json.dumps(fields), ANSWER_CONTEXT)
        request.status = "answered"
    audit(
        session,
        principal,
        "create",
        "fraud_reveal_request",
        request.id,
        purpose=_purpose(request),
        details={"partner": partner, "answer": request.status},
    )
    text = f"Request #{request.id}: " + ("answered." if request.status == "answered" else "no such customer.")
    case_service.add_event(session, request.case_id, f"reveal_{request.status}", partner, text)
    session.flush()
    return request


@dataclass(frozen=True)
class RevealedIdentity:
    request_id: int
    subject_type: str
    subject: str
    partner: str
    answered_at: datetime
    name: str
    phone: str
    holder_ref: str


def read_identity(session: Session, principal: Principal, request_id: int) -> RevealedIdentity:
    """The identity a partner gave, for the requester only, on an open case; every reading is audited."""
    request = _get(session, request_id)
    case = fraud_service.get_case(session, principal, request.case_id)
    if principal.name != request.requested_by:
        raise AuditedForbidden(
            f"only {request.requested_by}, who asked for it, can read the answer to request #{request.id}",
            event(principal, "deny", "fraud_reveal_request", request.id, outcome="denied", details={"requester": 0}),
        )
    if case.status != "open":
        raise Conflict(f"case {case.id} is closed; reopen it to consult the identities revealed for it")
    if request.status != "answered" or request.answer_enc is None:
        raise Conflict(f"request #{request.id} is {request.status.replace('_', ' ')}; there is no identity to show")
    personal(
        session,
        principal,
        _purpose(request),
        action="consult",
        permission=REQUEST,
        object_type="fraud_reveal_request",
        object_id=request.id,
        details={"case": case.id},
    )
    fields = json.loads(context.keyring(session).decrypt(request.answer_enc, ANSWER_CONTEXT))
    assert request.answered_at is not None
    return RevealedIdentity(
        request.id,
        request.subject_type,
        request.subject,
        request.partner,
        request.answered_at,
        str(fields.get("name", "")),
        str(fields.get("phone", "")),
        str(fields.get("holder_ref", "")),
    )


def reencrypt_batch(session: Session, after_id: int, limit: int) -> tuple[int, int]:
    """Key rotation: re-encrypt answers not on the primary key; returns (last id, changed)."""
    ring = context.keyring(session)
    rows = repository.reencrypt_batch(session, after_id, limit)
    changed = 0
    for request in rows:
        assert request.answer_enc is not None
        if ring.key_id_of(request.answer_enc) != ring.primary.id:
            request.answer_enc = ring.encrypt(ring.decrypt(request.answer_enc, ANSWER_CONTEXT), ANSWER_CONTEXT)
            changed += 1
    session.flush()
    return (rows[-1].id if rows else after_id), changed
