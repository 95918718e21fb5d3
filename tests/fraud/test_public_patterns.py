"""The public aggregate of typology hits: counts per typology only, small counts withheld."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta

from lantern.fraud import service as fraud_service
from lantern.models import FraudHit, FraudTransaction


def flag(session, clock, typology: str, count: int, *, days_ago: float) -> None:
    for n in range(count):
        at = clock.now() - timedelta(days=days_ago, minutes=n)
        tx = FraudTransaction(
            partner="bank-a",
            tx_ref=f"{typology}-{days_ago}-{n}",
            time=at,
            from_account="a" * 64,
            to_account="b" * 64,
            amount=100.0,
            currency="CNY",
            channel="mobile",
            received_at=at,
        )
        session.add(tx)
        session.flush()
        for account in ("c" * 64, "d" * 64):  # two hits on one payment count once
            session.add(
                FraudHit(
                    transaction_id=tx.id,
                    account=account,
                    typology=typology,
                    kind="fraud",
                    score=90.0,
                    action="alert",
                    rules=[],
                    created_at=at,
                )
            )
    session.flush()


def test_counts_per_typology_with_one_to_four_withheld(session, clock):
    flag(session, clock, "scam_payment", 5, days_ago=1)
    flag(session, clock, "scam_payment", 4, days_ago=31)
    flag(session, clock, "cash_out", 4, days_ago=29)
    flag(session, clock, "structuring", 1, days_ago=0.5)
    found = {p.typology: p for p in fraud_service.public_patterns(session)}
    assert (found["scam_payment"].count, found["scam_payment"].previous) == (5, None)
    assert found["cash_out"].count is None and found["cash_out"].withheld
    assert found["structuring"].count is None
    assert (found["mule_pass_through"].count, found["mule_pass_through"].previous) == (0, 0)
    # The result has nothing but the typology, its kind and the two counts.
    assert {f.name for f in fields(fraud_service.PublicPattern)} == {"typology", "kind", "count", "previous"}


def test_the_window_moves_with_the_clock(session, clock):
    flag(session, clock, "scam_payment", 6, days_ago=1)
    clock.advance(seconds=30 * 86400)
    [scam] = [p for p in fraud_service.public_patterns(session) if p.typology == "scam_payment"]
    assert (scam.count, scam.previous) == (0, 6)
