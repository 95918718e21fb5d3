"""Anti-fraud centre: partners' transactions and call records (pseudonyms only), typology hits,
reports of fraud (labels) and victim-warning tasks.

Accounts and phone numbers are stored only as the partners' keyed pseudonyms (64 hex
characters); no name, number or account number in clear is ever accepted. ``partner`` is the
machine token's name the record came with.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lantern.db import Base, UTCDateTime


class FraudTransaction(Base):
    """One payment a bank shared; ``tx_ref`` is the bank's own id, so a resend adds nothing."""

    __tablename__ = "fraud_transactions"
    __table_args__ = (
        UniqueConstraint("partner", "tx_ref"),
        Index("ix_fraud_transactions_from_account_time", "from_account", "time"),
        Index("ix_fraud_transactions_to_account_time", "to_account", "time"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner: Mapped[str] = mapped_column(String(120))
    tx_ref: Mapped[str] = mapped_column(String(80))
    time: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    from_account: Mapped[str] = mapped_column(String(64))
    to_account: Mapped[str] = mapped_column(String(64))
    amount: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(20))
    new_payee: Mapped[bool] = mapped_column(Boolean, default=False)
    payer_phone: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FraudCall(Base):
    """One call or SMS an operator shared; ``record_key`` hashes its fields, so a resend adds nothing."""

    __tablename__ = "fraud_calls"
    __table_args__ = (Index("ix_fraud_calls_to_number_time", "to_number", "time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner: Mapped[str] = mapped_column(String(120))
    record_key: Mapped[str] = mapped_column(String(64), unique=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    from_number: Mapped[str] = mapped_column(String(64), index=True)
    to_number: Mapped[str] = mapped_column(String(64))
    duration_s: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # voice | sms
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FraudReport(Base):
    """A report of fraud from a victim or a bank: a label for a number, an account or a payment."""

    __tablename__ = "fraud_reports"
    __table_args__ = (UniqueConstraint("partner", "report_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner: Mapped[str] = mapped_column(String(120))
    report_ref: Mapped[str] = mapped_column(String(80))
    subject_type: Mapped[str] = mapped_column(String(20))  # number | account | transaction
    subject: Mapped[str] = mapped_column(String(80), index=True)
    label: Mapped[str] = mapped_column(String(30))  # scam_number | mule | fraud | not_fraud
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FraudHit(Base):
    """A typology that reached its alert threshold on one transaction, about one account."""

    __tablename__ = "fraud_hits"
    __table_args__ = (UniqueConstraint("transaction_id", "typology", "account"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("fraud_transactions.id", ondelete="CASCADE"), index=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    typology: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))  # fraud | laundering
    score: Mapped[float] = mapped_column(Float)
    action: Mapped[str] = mapped_column(String(10))  # alert | hold (holds only for fraud typologies)
    rules: Mapped[list[Any]] = mapped_column(JSON, default=list)
    alert_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FraudWarning(Base):
    """An urgent task: warn the payer (and ask the bank to hold) before the money is gone."""

    __tablename__ = "fraud_warnings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("fraud_transactions.id", ondelete="CASCADE"), unique=True)
    alert_id: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(20), default="")  # warned | loss_prevented | false_alarm
    outcome_by: Mapped[str] = mapped_column(String(120), default="")
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FraudCase(Base):
    """Alerts grouped into a case: the accounts (pseudonyms) of a mule-ring candidate, an
    investigator, a status, notes, and the outcome and reason of its closing. Revealing who is
    behind a pseudonym goes through a :class:`FraudRevealRequest` to the partner."""

    __tablename__ = "fraud_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    investigator: Mapped[str] = mapped_column(String(120))
    accounts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    alert_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    notes: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"at", "by", "text"}], append-only
    flow: Mapped[float] = mapped_column(Float, default=0.0)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last closing (cleared on reopening; every closing and reopening stays in the timeline).
    outcome: Mapped[str] = mapped_column(String(30), default="")
    closed_by: Mapped[str] = mapped_column(String(120), default="")
    close_reason: Mapped[str] = mapped_column(String(1000), default="")


class FraudCaseEvent(Base):
    """One entry of a case's append-only timeline: closed, reopened, reveal requested / decided / answered ..."""

    __tablename__ = "fraud_case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("fraud_cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(String(2000), default="")


class FraudRevealRequest(Base):
    """A purpose-bound request to a partner institution for the identity behind one pseudonym.

    Filed by an investigator on a case, approved or refused by a second person with
    ``fraud:reveal_approve``, then fetched and answered by the partner over its token. The
    answer (name and phone number or account-holder reference, nothing else) is stored
    encrypted (``answer_enc``, AES-256-GCM bound to this column) and shown only to the requester
    on the case page, each reading audited.
    """

    __tablename__ = "fraud_reveal_requests"
    __table_args__ = (Index("ix_fraud_reveal_requests_partner_status", "partner", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("fraud_cases.id", ondelete="CASCADE"), index=True)
    subject_type: Mapped[str] = mapped_column(String(10))  # account | number
    subject: Mapped[str] = mapped_column(String(64))  # the pseudonym
    partner: Mapped[str] = mapped_column(String(120))  # the institution asked (a token's name)
    purpose_ref: Mapped[str] = mapped_column(String(80))  # case:fraud-<case id>
    reason: Mapped[str] = mapped_column(String(500))
    # pending_approval -> approved -> answered | not_held; or refused; or withdrawn (the case closed)
    status: Mapped[str] = mapped_column(String(20), default="pending_approval")
    requested_by: Mapped[str] = mapped_column(String(120))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str] = mapped_column(String(120), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(String(500), default="")
    answered_by: Mapped[str] = mapped_column(String(120), default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_enc: Mapped[str | None] = mapped_column(Text)
    alert_id: Mapped[int | None] = mapped_column(Integer)
