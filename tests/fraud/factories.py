"""A mule ring scored into alerts and a case opened from it (plain typed functions)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantern.fraud import service as fraud_service
from lantern.fraud.schemas import CallIn, TransactionIn
from lantern.models import Alert, FraudCase
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
