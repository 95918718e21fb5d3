"""Ledger reconciliation as pure functions: licences, entries and holders in, findings out.

No session and no clock: the caller passes ``now``, so the scheduled job, the report intake
and the tests run the same code. Every finding carries a deterministic ``dedupe_key`` built
from natural keys (licence numbers, transfer references, entry ids, due dates), so running
reconciliation again raises nothing new.

Quantities are only ever added within one licence, and a licence has one unit: the intake
refuses an entry in another unit, so kilograms are never added to pieces here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

INFLOW = frozenset({"purchase", "transfer_in"})
OUTFLOW = frozenset({"use", "transfer_out"})
TRANSFERS = frozenset({"transfer_in", "transfer_out"})
COUNT = "count"
KINDS = (*sorted(INFLOW), *sorted(OUTFLOW), COUNT)
# Float sums of three-decimal quantities drift by ~1e-12; anything below this is equality.
EPSILON = 1e-6


@dataclass(frozen=True)
class Licence:
    number: str
    holder: str  # the holder's code
    material: str
    unit: str
    max_quantity: float
    valid_from: datetime
    valid_until: datetime
    opening_stock: float = 0.0
    tolerance_abs: float = 0.0
    tolerance_pct: float = 0.0
    revoked_at: datetime | None = None

    def valid_at(self, when: datetime) -> bool:
        """In force at ``when``: inside its validity and not yet revoked."""
        revoked = self.revoked_at is not None and self.revoked_at <= when
        return self.valid_from <= when <= self.valid_until and not revoked

    def tolerance(self, expected: float) -> float:
        """How far a count may differ from the ledger before it is a discrepancy."""
        return max(self.tolerance_abs, abs(expected) * self.tolerance_pct / 100.0)


@dataclass(frozen=True)
class Entry:
    id: int
    licence: str  # licence number
    kind: str  # purchase | use | transfer_out | transfer_in | count
    quantity: float
    occurred_at: datetime
    counterparty_licence: str = ""
    reference: str = ""
    counterparty: str = ""


@dataclass(frozen=True)
class Holder:
    code: str
    organisation: str
    report_every_days: int
    registered_at: datetime
    last_period_end: datetime | None = None


@dataclass(frozen=True)
class Params:
    transfer_grace: timedelta = timedelta(hours=72)  # the receiver has this long to report its side
    expiry_warning: timedelta = timedelta(days=30)
    report_grace: timedelta = timedelta(days=5)


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str  # info | warning | critical
    holder: str
    licence: str
    title: str
    detail: str
    dedupe_key: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LedgerLine:
    """An entry with the ledger balance before and after it; counts also carry the comparison."""

    entry: Entry
    before: float
    after: float
    expected: float | None = None
    difference: float | None = None
    tolerance: float | None = None

    @property
    def balanced(self) -> bool | None:
        if self.difference is None or self.tolerance is None:
            return None
        return abs(self.difference) <= self.tolerance + EPSILON


def _order(entry: Entry) -> tuple[datetime, int, int]:
    # A count taken at the same instant as a movement counts the stock after it.
    return entry.occurred_at, entry.kind == COUNT, entry.id


def _when(value: datetime) -> str:
    # Finding texts are stored in alerts; they say UTC explicitly (pages show the city's zone).
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _q(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def ledger(licence: Licence, entries: Iterable[Entry]) -> list[LedgerLine]:
    """The licence's entries in time order with running balances.

    The balance starts at the opening stock; purchases and receipts add, uses and transfers out
    subtract; a count compares the balance with what was counted and then resets it to the count
    (the physical stock is the truth from then on).

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> lic = Licence("L1", "H1", "ANFO", "kg", 500, t, t.replace(year=2027), opening_stock=100)
    >>> lines = ledger(lic, [Entry(1, "L1", "use", 30, t), Entry(2, "L1", "count", 69, t)])
    >>> [(line.after, line.difference) for line in lines]
    [(70.0, None), (69.0, -1.0)]
    """
    balance = float(licence.opening_stock)
    lines = []
    for entry in sorted((e for e in entries if e.licence == licence.number), key=_order):
        before = balance
        if entry.kind == COUNT:
            difference = round(entry.quantity - before, 6)
            counted = float(entry.quantity)
            lines.append(LedgerLine(entry, before, counted, before, difference, licence.tolerance(before)))
            balance = counted
            continue
        balance = before + entry.quantity if entry.kind in INFLOW else before - entry.quantity
        lines.append(LedgerLine(entry, before, round(balance, 6)))
    return lines


def check_ledger(licence: Licence, lines: Sequence[LedgerLine]) -> list[Finding]:
    """Counts that do not balance, and the moments the stock went above the licence limit."""
    found = []
    over = licence.opening_stock > licence.max_quantity + EPSILON
    for line in lines:
        entry = line.entry
        if line.balanced is False and line.difference is not None and line.expected is not None:
            missing = line.difference < 0
            found.append(
                Finding(
                    kind="stock_imbalance",
                    severity="critical" if missing else "warning",
                    holder=licence.holder,
                    licence=licence.number,
                    title=f"{licence.material} ({licence.number}): counted {_q(entry.quantity)} {licence.unit}, "
                    f"ledger says {_q(line.expected)} {licence.unit}",
                    detail=f"count of {_when(entry.occurred_at)}: "
                    f"{'short' if missing else 'over'} by {_q(abs(line.difference))} {licence.unit} "
                    f"(tolerance {_q(line.tolerance or 0)} {licence.unit})",
                    dedupe_key=f"hazmat:imbalance:{licence.number}:{entry.id}",
                    data={
                        "expected": line.expected,
                        "counted": entry.quantity,
                        "difference": line.difference,
                        "tolerance": line.tolerance,
                        "unit": licence.unit,
                        "entry_id": entry.id,
                    },
                )
            )
        now_over = line.after > licence.max_quantity + EPSILON
        if now_over and not over:
            found.append(
                Finding(
                    kind="over_licence_limit",
                    severity="critical",
                    holder=licence.holder,
                    licence=licence.number,
                    title=f"{licence.material} ({licence.number}): {_q(line.after)} {licence.unit} held, "
                    f"licence allows {_q(licence.max_quantity)} {licence.unit}",
                    detail=f"after the {entry.kind.replace('_', ' ')} of {_when(entry.occurred_at)}",
                    dedupe_key=f"hazmat:over-limit:{licence.number}:{entry.id}",
                    data={
                        "held": line.after,
                        "limit": licence.max_quantity,
                        "unit": licence.unit,
                        "entry_id": entry.id,
                    },
                )
            )
        over = now_over
    return found


def check_validity(licences: dict[str, Licence], entries: Iterable[Entry]) -> list[Finding]:
    """Movements outside the holder's own licence, and transfers with a party not licensed for the material."""
    found = []
    for entry in entries:
        own = licences.get(entry.licence)
        if own is None or entry.kind == COUNT:
            continue
        if not own.valid_at(entry.occurred_at):
            found.append(
                Finding(
                    kind="licence_not_valid",
                    severity="critical",
                    holder=own.holder,
                    licence=own.number,
                    title=f"{entry.kind.replace('_', ' ')} of {_q(entry.quantity)} {own.unit} {own.material} "
                    f"while licence {own.number} was not in force",
                    detail=f"on {_when(entry.occurred_at)}; the licence runs {own.valid_from.date()} to "
                    f"{own.valid_until.date()}" + (f", revoked {own.revoked_at.date()}" if own.revoked_at else ""),
                    dedupe_key=f"hazmat:licence-not-valid:{own.number}:{entry.id}",
                    data={"entry_id": entry.id},
                )
            )
        if entry.kind not in TRANSFERS:
            continue
        reason = _counterparty_problem(own, licences.get(entry.counterparty_licence), entry)
        if reason:
            direction = "to" if entry.kind == "transfer_out" else "from"
            party = entry.counterparty or "a party"
            found.append(
                Finding(
                    kind="unlicensed_counterparty",
                    severity="critical",
                    holder=own.holder,
                    licence=own.number,
                    title=f"Transfer {direction} {party} without a valid licence: "
                    f"{_q(entry.quantity)} {own.unit} {own.material}",
                    detail=f"reference {entry.reference!r} on {_when(entry.occurred_at)}: {reason}",
                    dedupe_key=f"hazmat:unlicensed:{own.number}:{entry.id}",
                    data={"entry_id": entry.id, "counterparty_licence": entry.counterparty_licence, "reason": reason},
                )
            )
    return found


def _counterparty_problem(own: Licence, other: Licence | None, entry: Entry) -> str:
    number = entry.counterparty_licence
    if other is None:
        return f"licence {number!r} is not on the register" if number else "no counterparty licence was given"
    if not other.valid_at(entry.occurred_at):
        return f"licence {number} was not in force on {entry.occurred_at.date()}"
    if other.material.casefold() != own.material.casefold() or other.unit != own.unit:
        return f"licence {number} covers {other.material} ({other.unit}), not {own.material} ({own.unit})"
    return ""


def match_transfers(
    licences: dict[str, Licence], entries: Iterable[Entry], now: datetime, params: Params
) -> list[Finding]:
    """Every transfer between two registered holders must be reported by both, with the same quantity.

    A side is keyed by (sender licence, receiver licence, reference). One side alone is flagged
    once the oldest of its lines is older than the grace period; both sides with different
    totals are flagged at once.
    """
    sent: dict[tuple[str, str, str], list[Entry]] = defaultdict(list)
    received: dict[tuple[str, str, str], list[Entry]] = defaultdict(list)
    for entry in entries:
        if entry.kind == "transfer_out":
            sent[(entry.licence, entry.counterparty_licence, entry.reference)].append(entry)
        elif entry.kind == "transfer_in":
            received[(entry.counterparty_licence, entry.licence, entry.reference)].append(entry)
    found = []
    for key in sorted(set(sent) | set(received)):
        sender, receiver, reference = key
        if sender not in licences or receiver not in licences:
            continue  # a party off the register: check_validity has flagged it
        out, into = sent.get(key, []), received.get(key, [])
        unit = licences[sender].unit
        material = licences[sender].material
        label = f"Transfer {reference!r} of {material} from {sender} to {receiver}"
        if out and into:
            sent_q, got_q = sum(e.quantity for e in out), sum(e.quantity for e in into)
            if abs(sent_q - got_q) > EPSILON:
                found.append(
                    Finding(
                        kind="transfer_mismatch",
                        severity="critical",
                        holder=licences[receiver].holder,
                        licence=receiver,
                        title=f"{label}: {_q(sent_q)} {unit} sent, {_q(got_q)} {unit} received",
                        detail=f"difference {_q(sent_q - got_q)} {unit}",
                        dedupe_key=f"hazmat:transfer-mismatch:{sender}:{receiver}:{reference}",
                        data={"sent": sent_q, "received": got_q, "unit": unit, "reference": reference},
                    )
                )
            continue
        side = out or into
        first = min(e.occurred_at for e in side)
        if now - first <= params.transfer_grace:
            continue
        quantity = sum(e.quantity for e in side)
        missing_holder = licences[receiver].holder if out else licences[sender].holder
        missing_licence = receiver if out else sender
        said = "sent, receipt" if out else "received, dispatch"
        found.append(
            Finding(
                kind="transfer_one_sided",
                severity="critical",
                holder=missing_holder,
                licence=missing_licence,
                title=f"{label}: {_q(quantity)} {unit} {said} not reported by {missing_holder}",
                detail=f"reported by {licences[sender if out else receiver].holder} for {_when(first)}; the other "
                f"side has {params.transfer_grace.total_seconds() / 3600:g} h to report its part",
                dedupe_key=f"hazmat:transfer-one-sided:{sender}:{receiver}:{reference}",
                data={
                    "reported_by": licences[sender if out else receiver].holder,
                    "quantity": quantity,
                    "unit": unit,
                    "reference": reference,
                },
            )
        )
    return found


def check_expiry(licences: Iterable[Licence], stock: dict[str, float], now: datetime, params: Params) -> list[Finding]:
    """Licences that run out soon, and expired licences under which stock is still held."""
    found = []
    for licence in licences:
        if licence.revoked_at is not None and licence.revoked_at <= now:
            continue
        left = licence.valid_until - now
        until = licence.valid_until.date().isoformat()
        if timedelta(0) <= left <= params.expiry_warning:
            found.append(
                Finding(
                    kind="licence_expiring",
                    severity="warning",
                    holder=licence.holder,
                    licence=licence.number,
                    title=f"Licence {licence.number} ({licence.material}) expires on {until}",
                    detail=f"{left.days} days left; renew it or plan disposal of the stock",
                    dedupe_key=f"hazmat:licence-expiring:{licence.number}:{until}",
                    data={"valid_until": licence.valid_until.isoformat()},
                )
            )
        held = stock.get(licence.number, licence.opening_stock)
        if left < timedelta(0) and held > EPSILON:
            found.append(
                Finding(
                    kind="licence_expired_with_stock",
                    severity="critical",
                    holder=licence.holder,
                    licence=licence.number,
                    title=f"Licence {licence.number} expired on {until} with {_q(held)} {licence.unit} "
                    f"{licence.material} still held",
                    detail="the stock must be transferred to a licensed holder or destroyed under supervision",
                    dedupe_key=f"hazmat:licence-expired:{licence.number}:{until}",
                    data={"held": held, "unit": licence.unit},
                )
            )
    return found


def check_reports(
    holders: Iterable[Holder], licences: Iterable[Licence], now: datetime, params: Params
) -> list[Finding]:
    """Holders with a licence in force whose next periodic report is overdue."""
    in_force = {lic.holder for lic in licences if lic.valid_at(now)}
    found = []
    for holder in holders:
        if holder.code not in in_force:
            continue
        covered = holder.last_period_end or holder.registered_at
        due = covered + timedelta(days=holder.report_every_days)
        if now <= due + params.report_grace:
            continue
        found.append(
            Finding(
                kind="report_missing",
                severity="warning",
                holder=holder.code,
                licence="",
                title=f"{holder.organisation}: periodic report due {due.date().isoformat()} not received",
                detail=f"reports are due every {holder.report_every_days} days; the last one covered up to "
                f"{covered.date().isoformat()}",
                dedupe_key=f"hazmat:report-missing:{holder.code}:{due.date().isoformat()}",
                data={"due": due.isoformat(), "covered_until": covered.isoformat()},
            )
        )
    return found


def reconcile(
    holders: Sequence[Holder],
    licences: Sequence[Licence],
    entries: Sequence[Entry],
    now: datetime,
    params: Params | None = None,
) -> list[Finding]:
    """Every check over the whole register; the same input always gives the same findings."""
    params = params or Params()
    by_number = {lic.number: lic for lic in licences}
    per_licence: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        per_licence[entry.licence].append(entry)
    found: list[Finding] = []
    stock: dict[str, float] = {}
    for licence in licences:
        lines = ledger(licence, per_licence.get(licence.number, []))
        stock[licence.number] = lines[-1].after if lines else licence.opening_stock
        found.extend(check_ledger(licence, lines))
    found.extend(check_validity(by_number, entries))
    found.extend(match_transfers(by_number, entries, now, params))
    found.extend(check_expiry(licences, stock, now, params))
    found.extend(check_reports(holders, licences, now, params))
    return found
