"""An AMLSim-style simulator with a telecom layer: background payments and calls, injected typologies.

Accounts and phone numbers are 64-hex pseudonyms, as partners send them. Injected patterns:

* ``fan_in`` — 8-15 placement accounts pay one mule within 48 h; the mule passes 90-98 % on to a
  collector within hours (members: placers, mule, collector);
* ``cycle`` — money goes round 4-7 accounts, a few hours per hop, shrinking 1-3 % per hop;
* ``structuring`` — one account pays 3-6 amounts just under the reporting threshold in five days;
* ``scam`` — a scam number calls 40-80 people briefly in one day and talks long with a few; each
  of those victims pays a large sum to a new payee (one of the campaign's two fresh mules) within
  hours, and the mule empties the account at a cash machine.

Labels: ``accounts.label`` is the pattern an account belongs to (victims are not labelled: they
are not fraudulent accounts), ``transactions.label`` the pattern of a payment (including the
victim's payment), ``calls.label`` is ``scam`` for the scam number's calls.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from lantern.fraud.rules import CALL_SCHEMA, CASH_ACCOUNT, TRANSACTION_SCHEMA, Params

START = datetime(2026, 1, 5, tzinfo=UTC)
CASH = CASH_ACCOUNT


@dataclass(frozen=True)
class SimParams:
    accounts: int = 4000
    days: int = 30
    payments_per_account_day: float = 0.5
    calls_per_account_day: float = 0.5
    employers_per_account: float = 0.01
    fan_in_rings: int = 20
    cycles: int = 20
    smurfs: int = 15
    scam_campaigns: int = 12
    seed: int = 7


@dataclass(frozen=True)
class Simulation:
    transactions: pl.DataFrame  # TRANSACTION_SCHEMA + label
    calls: pl.DataFrame  # CALL_SCHEMA + label
    accounts: pl.DataFrame  # account, phone, label


def pseudonym(seed: int, kind: str, n: int) -> str:
    """A stable 64-hex pseudonym (as a partner's keyed hash would look)."""
    return hashlib.blake2b(f"{seed}:{kind}:{n}".encode(), digest_size=32).hexdigest()


class _Builder:
    def __init__(self, p: SimParams) -> None:
        self.p = p
        self.rng = np.random.default_rng(p.seed)
        self.tx: list[tuple[str, datetime, str, str, float, str, str, bool, str | None, str]] = []
        self.calls: list[tuple[datetime, str, str, int, str]] = []
        self.labels: dict[str, str] = {}
        self.phones: dict[str, str] = {}
        self.pairs: set[tuple[str, str]] = set()
        self.extra = 0

    def account(self, n: int) -> str:
        acc = pseudonym(self.p.seed, "account", n)
        self.phones.setdefault(acc, pseudonym(self.p.seed, "phone", n))
        return acc

    def fresh(self, label: str) -> str:
        """A new account opened for a pattern (no background history)."""
        self.extra += 1
        acc = self.account(self.p.accounts + self.extra)
        self.labels[acc] = label
        return acc

    def pay(
        self, when: datetime, src: str, dst: str, amount: float, channel: str = "transfer", label: str = ""
    ) -> None:
        new_payee = channel != "atm" and (src, dst) not in self.pairs
        self.pairs.add((src, dst))
        phone = self.phones.get(src) if channel == "transfer" else None
        n = len(self.tx)
        self.tx.append((f"T{n:08d}", when, src, dst, round(amount, 2), "EUR", channel, new_payee, phone, label))

    def call(self, when: datetime, src: str, dst: str, seconds: int, label: str = "") -> None:
        self.calls.append((when, src, dst, seconds, label))

    def at(self, day: float) -> datetime:
        return START + timedelta(seconds=int(day * 86400))


def _background(b: _Builder) -> list[str]:
    p, rng = b.p, b.rng
    people = [b.account(i) for i in range(p.accounts)]
    # Scale-free-ish payees: a few accounts (shops) receive most payments.
    popularity = 1.0 / np.arange(1, p.accounts + 1) ** 1.1
    popularity /= popularity.sum()
    # Employers come from the quiet end of the popularity list: shops and employers are different businesses.
    employers = people[-max(1, int(p.accounts * p.employers_per_account)) :]
    for idx, person in enumerate(people):
        if person not in employers:
            employer = employers[idx % len(employers)]
            b.pay(b.at(24 + rng.random() * 0.3), employer, person, float(rng.uniform(2000, 4000)))
    total = int(p.accounts * p.days * p.payments_per_account_day)
    payers = rng.integers(0, p.accounts, total)
    payees = rng.choice(p.accounts, size=total, p=popularity)
    days = np.sort(rng.random(total) * p.days)
    amounts = rng.lognormal(np.log(60), 1.0, total)
    channels = rng.choice(["card", "transfer", "atm"], size=total, p=[0.6, 0.35, 0.05])
    for i in range(total):
        src = people[payers[i]]
        if channels[i] == "atm":
            b.pay(b.at(days[i]), src, CASH, float(amounts[i]), "atm")
        elif payers[i] != payees[i]:
            b.pay(b.at(days[i]), src, people[payees[i]], float(amounts[i]), str(channels[i]))
    n_calls = int(p.accounts * p.days * p.calls_per_account_day)
    a, c = rng.integers(0, p.accounts, n_calls), rng.integers(0, p.accounts, n_calls)
    call_days, seconds = rng.random(n_calls) * p.days, rng.lognormal(np.log(120), 1.0, n_calls)
    for i in range(n_calls):
        if a[i] != c[i]:
            b.call(b.at(call_days[i]), b.phones[people[a[i]]], b.phones[people[c[i]]], int(seconds[i]) + 1)
    return people


def _inject(b: _Builder, people: list[str]) -> None:
    p, rng = b.p, b.rng
    threshold = Params().report_threshold
    for _ in range(p.fan_in_rings):
        mule, collector = b.fresh("fan_in"), b.fresh("fan_in")
        start, total = rng.uniform(1, p.days - 4), 0.0
        for _k in range(int(rng.integers(8, 16))):
            amount = float(rng.uniform(900, 2000))
            b.pay(b.at(start + rng.uniform(0, 2)), b.fresh("fan_in"), mule, amount, label="fan_in")
            total += amount
        b.pay(b.at(start + 2 + rng.uniform(0.08, 0.5)), mule, collector, total * rng.uniform(0.9, 0.98), label="fan_in")
    for _ in range(p.cycles):
        members = [b.fresh("cycle") for _ in range(int(rng.integers(4, 8)))]
        when, amount = rng.uniform(1, p.days - 3), float(rng.uniform(3000, 8000))
        for k, src in enumerate(members):
            b.pay(b.at(when), src, members[(k + 1) % len(members)], amount, label="cycle")
            when += rng.uniform(2, 10) / 24
            amount *= 1 - rng.uniform(0.01, 0.03)
    for _ in range(p.smurfs):
        smurf = b.fresh("structuring")
        receivers = [b.fresh("structuring") for _ in range(int(rng.integers(2, 4)))]
        start = rng.uniform(1, p.days - 6)
        for k in range(int(rng.integers(3, 7))):
            amount = threshold * float(rng.uniform(0.9, 0.999))
            b.pay(b.at(start + rng.uniform(0, 5)), smurf, receivers[k % len(receivers)], amount, label="structuring")
    for campaign in range(p.scam_campaigns):
        scammer = pseudonym(p.seed, "scam-number", campaign)
        mules = [b.fresh("scam"), b.fresh("scam")]
        day = float(rng.uniform(1, p.days - 2))
        targets = rng.choice(len(people), size=int(rng.integers(40, 81)), replace=False)
        victims = targets[: int(rng.integers(2, 6))]
        for t in targets:
            b.call(b.at(day + rng.uniform(0, 0.4)), scammer, b.phones[people[t]], int(rng.integers(30, 90)), "scam")
        for v in victims:
            talk = day + 0.45 + rng.uniform(0, 0.3)
            b.call(b.at(talk), scammer, b.phones[people[v]], int(rng.integers(600, 1800)), "scam")
            mule = mules[int(rng.integers(0, 2))]
            b.pay(b.at(talk + rng.uniform(1, 6) / 24), people[v], mule, float(rng.uniform(2000, 15000)), label="scam")
        for mule in mules:
            received = sum(t[4] for t in b.tx if t[3] == mule)
            if received:
                last = max(t[1] for t in b.tx if t[3] == mule)
                cash_at = last + timedelta(hours=float(rng.uniform(1, 8)))
                b.pay(cash_at, mule, CASH, received * float(rng.uniform(0.9, 1.0)), "atm", label="scam")


def simulate(p: SimParams | None = None) -> Simulation:
    """Generate a labelled month of payments and calls (deterministic for a seed)."""
    p = p or SimParams()
    b = _Builder(p)
    people = _background(b)
    _inject(b, people)
    tx_schema = {**TRANSACTION_SCHEMA, "label": pl.String()}
    transactions = pl.DataFrame(b.tx, schema=tx_schema, orient="row").sort("time", "tx_id")
    calls = pl.DataFrame(b.calls, schema={**CALL_SCHEMA, "label": pl.String()}, orient="row").sort("time")
    accounts = pl.DataFrame(
        [(acc, phone, b.labels.get(acc, "")) for acc, phone in b.phones.items()],
        schema={"account": pl.String, "phone": pl.String, "label": pl.String},
        orient="row",
    )
    return Simulation(transactions, calls, accounts)
