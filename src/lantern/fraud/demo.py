"""The anti-fraud demo: a fortnight of simulated partner payments and calls, ingested and scored.

``lantern demo`` calls :func:`setup` so that the anti-fraud pages show typology alerts (mule
pass-through, structuring, cash-out, scam payments with hold recommendations), mule-ring
candidates and urgent victim-warning tasks out of the box. It is kept out of
``sim.service.build_demo``, which the test suite's database is built with: tests count the
fraud records they make.

The simulator is the one ``benchmarks/fraud.py`` measures (``lantern.fraud.simulator``), scaled
down to 300 accounts and shifted so that its last payment lands a few minutes before now.
Seeding takes 0.5-1.1 s (2,200 calls and 2,200 payments on SQLite, shared 2-core machine).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from sqlalchemy.orm import Session

from lantern.fraud import service as fraud_service
from lantern.fraud.schemas import CallIn, TransactionIn
from lantern.fraud.simulator import START, SimParams, simulate
from lantern.security import context
from lantern.security.policy import Principal

BANK, OPERATOR = "demo-bank", "demo-operator"
# Seed 1 at this size gives all four typologies (13 alerts), 3 hold recommendations, 7 victim
# warnings and 8 mule-ring candidates; seeds 2 and 3 give no hold recommendation.
PARAMS = SimParams(accounts=300, days=14, fan_in_rings=4, cycles=2, smurfs=2, scam_campaigns=2, seed=1)
LAST_PAYMENT_AGO = timedelta(minutes=10)


def setup(session: Session, params: SimParams = PARAMS) -> list[str]:
    """Ingest and score the simulated calls, then payments, as two partners would (idempotent)."""
    if fraud_service.has_records_from(session, BANK):
        return []
    sim = simulate(params)
    # The simulator pays salaries on day 24 whatever its length; past a shorter month they would
    # push the patterns out of the pages' two-week window.
    end = START + timedelta(days=params.days)
    payments = sim.transactions.filter(pl.col("time") < end)
    last: datetime = payments["time"].max()  # type: ignore[assignment]  # a Datetime column's max
    shift = (context.now(session) - LAST_PAYMENT_AGO) - last
    calls = sim.calls.filter(pl.col("time") < end).with_columns(pl.col("time") + shift).drop("label")
    payments = payments.with_columns(pl.col("time") + shift).drop("label")
    # Calls first: the mass-call rule flags the scam numbers the victim pattern then looks for.
    called = fraud_service.ingest_calls(
        session, Principal.system(OPERATOR), [CallIn.model_validate(r) for r in calls.iter_rows(named=True)]
    )
    paid = fraud_service.ingest_transactions(
        session, Principal.system(BANK), [TransactionIn.model_validate(r) for r in payments.iter_rows(named=True)]
    )
    return [
        f"anti-fraud: {called.created} simulated calls ({called.flagged_numbers} scam numbers flagged) and "
        f"{paid.created} payments scored: {paid.alerts} alerts, {len(paid.holds)} hold recommendations, "
        f"{paid.warnings} victim warnings"
    ]
