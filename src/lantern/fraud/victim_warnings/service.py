"""Victim warnings: the urgent tasks a victim-pattern hit raises (``fraud.service`` creates them
while scoring), what triggered each, and how each ended.

A warning stays open until someone records its outcome. The outcome becomes a label for the
payment (``fraud_reports``, partner ``lantern:victim-warning``: ``fraud`` when the payer was
warned or the loss prevented, ``not_fraud`` for a false alarm), the ground truth the typologies
are evaluated against. "Could not reach the payer" closes the task without a label: nobody
learnt whether it was a scam, and a guess would bias the evaluation.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.errors import Conflict, NotFound
from lantern.fraud import repository
from lantern.fraud import service as fraud_service
from lantern.fraud.schemas import WARNING_OUTCOMES, WarningOutcome
from lantern.fraud.typologies import DEFAULT_TYPOLOGIES
from lantern.models import FraudHit, FraudReport, FraudTransaction, FraudWarning
from lantern.security import context
from lantern.security.access import audit, guard
from lantern.security.policy import Principal

WARNING_PARTNER = "lantern:victim-warning"
LABELS = {"warned": "fraud", "loss_prevented": "fraud", "false_alarm": "not_fraud", "could_not_reach": None}
HOLD_THRESHOLDS = {t.name: t.hold_threshold for t in DEFAULT_TYPOLOGIES}
SYSTEM = Principal.system("fraud-warnings")
OPEN_LIMIT = 200  # the demo has 7 open at once; 200 is hours of a bad day for one centre
RECORDED_LIMIT = 50


@dataclass(frozen=True)
class Contact:
    """A call from a flagged number to the payer's phone in the window before the payment."""

    number: str  # the flagged caller (pseudonym)
    at: datetime
    duration_s: int
    kind: str
    partner: str


@dataclass(frozen=True)
class WarningView:
    """One warning as fraud staff see it: pseudonyms only."""

    warning: FraudWarning
    transaction: FraudTransaction
    contacts: list[Contact]  # latest first
    hit: FraudHit | None  # the victim-pattern typology hit (score, hold or alert only)
    hold_threshold: float | None
    label: FraudReport | None
    remaining_s: int  # seconds until the deadline; negative once it has passed

    @property
    def overdue(self) -> bool:
        return not self.warning.outcome and self.remaining_s <= 0

    @property
    def hold(self) -> bool:
        return self.hit is not None and self.hit.action == "hold"

    @property
    def in_time(self) -> bool:
        """The outcome was recorded before the deadline."""
        return self.warning.outcome_at is not None and self.warning.outcome_at <= self.warning.due_at


@dataclass(frozen=True)
class Board:
    open: list[WarningView]  # the earliest deadline first
    recorded: list[WarningView]  # the latest outcome first
    now: datetime


def label_ref(warning_id: int) -> str:
    return f"warning:{warning_id}"


def board(session: Session, principal: Principal) -> Board:
    """Open warnings (most urgent first) with what triggered them, then recently recorded outcomes."""
    guard(principal, "fraud:read", "fraud_warning", "list")
    now = context.now(session)
    opened = repository.open_warnings(session, OPEN_LIMIT)
    recorded = repository.recorded_warnings(session, RECORDED_LIMIT)
    views = _views(session, [*opened, *recorded], now)
    return Board(open=views[: len(opened)], recorded=views[len(opened) :], now=now)


def open_counts(session: Session, principal: Principal) -> tuple[int, int]:
    """How many warnings wait for an outcome, and how many of them are past their deadline."""
    guard(principal, "fraud:read", "fraud_warning", "list")
    return repository.count_open_warnings(session, context.now(session))


def _views(session: Session, warnings: list[FraudWarning], now: datetime) -> list[WarningView]:
    if not warnings:
        return []
    txs = repository.transactions_by_id(session, [w.transaction_id for w in warnings])
    hits: dict[int, FraudHit] = {}
    for h in repository.hits_for(session, list(txs)):
        best = hits.get(h.transaction_id)
        if "victim_pattern" in h.rules and (best is None or h.score > best.score):
            hits[h.transaction_id] = h
    # The victim rule's contact, found again: a call of >= 180 s from a flagged number to the
    # payer's phone in the 24 h before the payment (one query for every warning on the page).
    params = fraud_service.ENGINE.params
    phones = sorted({t.payer_phone for t in txs.values() if t.payer_phone})
    times = [t.time for t in txs.values()]
    calls = repository.calls_to(session, phones, min(times) - params.call_window, max(times)) if phones else []
    flagged = repository.flagged_numbers(session)
    labels = repository.reports_by_ref(session, WARNING_PARTNER, [label_ref(w.id) for w in warnings])
    views = []
    for w in warnings:
        tx = txs[w.transaction_id]
        contacts = [
            Contact(c.from_number, c.time, c.duration_s, c.kind, c.partner)
            for c in calls
            if c.to_number == tx.payer_phone
            and c.from_number in flagged
            and c.duration_s >= params.victim_min_call_s
            and tx.time - params.call_window <= c.time <= tx.time
        ]
        hit = hits.get(tx.id)
        views.append(
            WarningView(
                warning=w,
                transaction=tx,
                contacts=sorted(contacts, key=lambda c: c.at, reverse=True),
                hit=hit,
                hold_threshold=HOLD_THRESHOLDS.get(hit.typology) if hit else None,
                label=labels.get(label_ref(w.id)),
                remaining_s=int((w.due_at - now).total_seconds()),
            )
        )
    return views


def record_outcome(session: Session, principal: Principal, warning_id: int, outcome_in: WarningOutcome) -> FraudWarning:
    """Record how a victim warning ended (once); it becomes a label for the payment and the task is resolved."""
    guard(principal, "fraud:manage", "fraud_warning", warning_id)
    warning = repository.warning(session, warning_id)
    if warning is None:
        raise NotFound(f"victim warning {warning_id} does not exist")
    if warning.outcome:
        ended = WARNING_OUTCOMES.get(warning.outcome, warning.outcome)
        raise Conflict(f"victim warning {warning_id} already ended as {ended} (recorded by {warning.outcome_by})")
    tx = repository.transaction(session, warning.transaction_id)
    assert tx is not None  # the foreign key cascades
    now = context.now(session)
    warning.outcome, warning.outcome_by, warning.outcome_at = outcome_in.outcome, principal.name, now
    warning.note = outcome_in.note
    label = LABELS[outcome_in.outcome]
    if label is not None:
        repository.add_all(
            session,
            [
                FraudReport(
                    partner=WARNING_PARTNER,
                    report_ref=label_ref(warning.id),
                    subject_type="transaction",
                    subject=f"{tx.partner}:{tx.tx_ref}"[:80],
                    label=label,
                    time=now,
                    received_at=now,
                )
            ],
        )
    if warning.alert_id is not None:
        resolution = f"victim warning: {WARNING_OUTCOMES[outcome_in.outcome]}, recorded by {principal.name}"
        with suppress(Conflict):  # resolved by hand from the queue already
            alert_service.resolve(session, SYSTEM, warning.alert_id, resolution)
    audit(session, principal, "alter", "fraud_warning", warning.id, details={"outcome": outcome_in.outcome})
    session.flush()
    return warning
