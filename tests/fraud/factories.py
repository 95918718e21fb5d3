"""A mule ring scored into alerts and a case opened from it (plain typed functions)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantern.fraud import service as fraud_service
from lantern.fraud.schemas import CallIn, ReportIn, TransactionIn
from lantern.models import Alert, FraudCase, FraudWarning
from lantern.security.policy import Principal
from tests.factories.security import principal_for

KEY = b"shared-partner-key"
INVESTIGATOR = principal_for("investigator", "inv-lee")
OTHER_INVESTIGATOR = principal_for("investigator", "inv-park")
SUPERVISOR = principal_for("supervisor", "sup-berg")


def p(value: str) -> str:
    """A partner-keyed pseudonym, as the bank's or operator's system computes it."""
    return hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()


def mule_ring(session: Session, now: datetime, partner: str = "bank-a") -> int:
    """Five payers pay one mule, who passes the money on within hours; returns the mule's alert id."""
    rows = [
        {"tx_id": f"F{k}", "time": now - timedelta(hours=6 - k), "from_account": p(f"payer{k}"),
         "to_account": p("mule"), "amount": 1000, "currency": "EUR", "channel": "transfer",
         "payer_phone": p(f"phone{k}")}
        for k in range(5)
    ]  # fmt: skip
    rows.append({"tx_id": "OUT", "time": now, "from_account": p("mule"), "to_account": p("collector"),
                 "amount": 4900, "currency": "EUR", "channel": "transfer"})  # fmt: skip
    fraud_service.ingest_transactions(
        session, Principal.system(partner), [TransactionIn.model_validate(r) for r in rows]
    )
    return int(session.scalars(select(Alert.id).where(Alert.kind == "fraud_mule_pass_through")).one())


def a_case(session: Session, now: datetime, investigator: Principal = INVESTIGATOR) -> FraudCase:
    """The mule ring's case, opened by ``investigator``."""
    return fraud_service.open_case(session, investigator, mule_ring(session, now), "Mule ring around one account")


def a_call(session: Session, now: datetime, caller: str, callee: str, partner: str = "operator-a") -> None:
    """One call record from an operator."""
    call = CallIn(time=now, from_number=p(caller), to_number=p(callee), duration_s=60)
    fraud_service.ingest_calls(session, Principal.system(partner), [call])


def a_victim_warning(session: Session, now: datetime, partner: str = "bank-a") -> FraudWarning:
    """A reported scam number talks to a payer for 20 min, who then pays 4,000 to a new account."""
    bank = Principal.system(partner)
    # Seen for a month already: the payee below is new to the centre, not just unseen.
    old = {"tx_id": "OLD", "time": now - timedelta(days=30), "from_account": p("x"), "to_account": p("y"),
           "amount": 5, "currency": "EUR", "channel": "transfer"}  # fmt: skip
    fraud_service.ingest_transactions(session, bank, [TransactionIn.model_validate(old)])
    report = {"report_id": "R1", "subject_type": "number", "subject": p("scam-number"), "label": "scam_number",
              "time": now - timedelta(days=1)}  # fmt: skip
    fraud_service.ingest_reports(session, bank, [ReportIn.model_validate(report)])
    call = CallIn(
        time=now - timedelta(hours=1), from_number=p("scam-number"), to_number=p("victim-phone"), duration_s=1200
    )
    fraud_service.ingest_calls(session, Principal.system("operator-a"), [call])
    scam = {"tx_id": "S1", "time": now, "from_account": p("victim"), "to_account": p("mule"), "amount": 4000,
            "currency": "EUR", "channel": "transfer", "new_payee": True, "payer_phone": p("victim-phone")}  # fmt: skip
    fraud_service.ingest_transactions(session, bank, [TransactionIn.model_validate(scam)])
    return session.scalars(select(FraudWarning)).one()
