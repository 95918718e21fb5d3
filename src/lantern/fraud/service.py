"""Partner intake and scoring: validated, idempotent, all-or-nothing batches; hits become alerts.

Every batch is scored against the store: the engine's state (the accounts' recent payments,
their first and last sight, recent calls to the payers' phones, flagged numbers) is rebuilt
from the database, so any process can take any batch. Alerts go to the one queue with
deterministic dedupe keys; every alert is for human review. Hold recommendations go back to the
bank in the response, and only for fraud typologies (laundering typologies never hold: that
would tip the holder off).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.errors import Conflict, NotFound, ValidationFailed
from lantern.fraud import network, repository
from lantern.fraud.engine import Engine, state_from
from lantern.fraud.rules import CALL_SCHEMA, TRANSACTION_SCHEMA, mass_callers
from lantern.fraud.schemas import CallIn, ReportIn, TransactionIn
from lantern.fraud.typologies import DEFAULT_TYPOLOGIES
from lantern.models import FraudCall, FraudCase, FraudHit, FraudReport, FraudTransaction, FraudWarning
from lantern.security import context
from lantern.security.access import guard
from lantern.security.policy import Principal

ENGINE = Engine()
TITLES = {t.name: t.title for t in DEFAULT_TYPOLOGIES}
WARNING_DUE = timedelta(minutes=30)  # money in a scam is usually gone within the hour
MASS_CALL_PARTNER = "lantern:mass-call-rule"


@dataclass
class IntakeResult:
    received: int
    created: int
    duplicates: int
    hits: int = 0
    alerts: int = 0
    warnings: int = 0
    flagged_numbers: int = 0
    holds: list[dict[str, Any]] = field(default_factory=list)


def partner_of(principal: Principal) -> str:
    """The partner a record came from: the machine token's name (kept when the token is rotated)."""
    if principal.kind == "token" and principal.name.count(":") >= 2:
        return principal.name.split(":", 2)[2]
    return principal.name


def _no_repeats(keys: list[str], field_name: str) -> None:
    first: dict[str, int] = {}
    for number, key in enumerate(keys, start=1):
        if key in first:
            raise ValidationFailed(f"record {number}, field `{field_name}`: repeats record {first[key]}")
        first[key] = number


def _frame(rows: list[FraudTransaction]) -> pl.DataFrame:
    data = [
        {
            "tx_id": str(t.id),
            "time": t.time,
            "from_account": t.from_account,
            "to_account": t.to_account,
            "amount": t.amount,
            "currency": t.currency,
            "channel": t.channel,
            "new_payee": t.new_payee,
            "payer_phone": t.payer_phone,
        }
        for t in rows
    ]
    return pl.DataFrame(data, schema=TRANSACTION_SCHEMA).sort("time", "tx_id")


def _calls_frame(rows: list[FraudCall]) -> pl.DataFrame:
    data = [
        {"time": c.time, "from_number": c.from_number, "to_number": c.to_number, "duration_s": c.duration_s}
        for c in rows
    ]
    return pl.DataFrame(data, schema=CALL_SCHEMA)


def ingest_transactions(session: Session, principal: Principal, records: list[TransactionIn]) -> IntakeResult:
    """Store the partner's new transactions (re-sent ones add nothing), score them, raise alerts."""
    guard(principal, "fraud:ingest", "fraud_transaction", "batch")
    _no_repeats([r.tx_id for r in records], "tx_id")
    partner, now = partner_of(principal), context.now(session)
    known = repository.existing_tx_refs(session, partner, [r.tx_id for r in records])
    new = [
        FraudTransaction(partner=partner, tx_ref=r.tx_id, received_at=now, **r.model_dump(exclude={"tx_id"}))
        for r in records
        if r.tx_id not in known
    ]
    result = IntakeResult(received=len(records), created=len(new), duplicates=len(records) - len(new))
    if not new:
        return result
    repository.add_all(session, new)
    _score(session, new, result, now)
    return result


def _score(session: Session, rows: list[FraudTransaction], result: IntakeResult, now: datetime) -> None:
    params = ENGINE.params
    accounts = sorted({t.from_account for t in rows} | {t.to_account for t in rows})
    t_min, t_max = min(t.time for t in rows), max(t.time for t in rows)
    edge = t_min - params.horizon
    history = repository.history(session, accounts, edge, t_max, [t.id for t in rows])
    seen = repository.seen_before(session, accounts, edge)
    phones = sorted({t.payer_phone for t in rows if t.payer_phone})
    calls = repository.calls_to(session, phones, t_min - params.call_window, t_max) if phones else []
    seen_frame = pl.DataFrame(
        [{"account": a, "first_seen": f, "last_seen": last} for a, (f, last) in seen.items()],
        schema={"account": pl.String, "first_seen": pl.Datetime("us", "UTC"), "last_seen": pl.Datetime("us", "UTC")},
    )
    state = state_from(
        _frame(history),
        seen_frame,
        _calls_frame(calls),
        repository.flagged_numbers(session),
        repository.first_transaction_time(session),
    )
    scored, _ = ENGINE.score_batch(state, _frame(rows))
    by_id = {str(t.id): t for t in rows}
    hits = []
    for hit in scored.hits.iter_rows(named=True):
        tx = by_id[hit["tx_id"]]
        alert, created = alert_service.raise_alert(
            session,
            alert_service.AlertIn(
                source="fraud",
                kind=f"fraud_{hit['typology']}",
                severity="critical" if hit["action"] == "hold" else "warning",
                subject_type="fraud_account",
                subject_id=hit["account"],
                title=f"{TITLES.get(hit['typology'], hit['typology'])} (account {hit['account'][:10]}…)",
                detail=f"score {hit['score']:.0f}; rules: {', '.join(hit['rules'])}; for review by an investigator",
                # One alert per account, typology and day: a mule paid 40 times is one alert.
                dedupe_key=f"fraud:{hit['typology']}:{hit['account']}:{tx.time.date().isoformat()}",
                data={
                    "typology": hit["typology"],
                    "kind": hit["kind"],
                    "action": hit["action"],
                    "score": hit["score"],
                    "transaction_id": tx.id,
                    "restricted": True,
                },
            ),
        )
        result.alerts += int(created)
        hits.append(
            FraudHit(
                transaction_id=tx.id,
                account=hit["account"],
                typology=hit["typology"],
                kind=hit["kind"],
                score=hit["score"],
                action=hit["action"],
                rules=list(hit["rules"]),
                alert_id=alert.id,
                created_at=now,
            )
        )
        if hit["action"] == "hold":
            result.holds.append({"tx_id": tx.tx_ref, "typology": hit["typology"], "score": hit["score"]})
        if "victim_pattern" in hit["rules"] and repository.warning_for(session, tx.id) is None:
            result.warnings += _warn(session, tx, now)
    repository.add_all(session, hits)
    result.hits = len(hits)


def _warn(session: Session, tx: FraudTransaction, now: datetime) -> int:
    """An urgent task: call the payer and ask the bank to hold, before ``due_at`` (worked on
    /fraud/warnings; outcomes in ``fraud.victim_warnings``)."""
    due = max(tx.time, now) + WARNING_DUE
    alert, _ = alert_service.raise_alert(
        session,
        alert_service.AlertIn(
            source="fraud",
            kind="fraud_victim_warning",
            severity="critical",
            subject_type="fraud_transaction",
            subject_id=str(tx.id),
            title=f"Warn a likely scam victim now: {tx.amount:,.0f} {tx.currency} to a new payee",
            detail="call the payer through the bank and ask the bank to hold the payment",
            dedupe_key=f"fraud:warn:{tx.partner}:{tx.tx_ref}",
            data={"transaction_id": tx.id, "restricted": True},
            due_at=due,
        ),
    )
    repository.add_all(session, [FraudWarning(transaction_id=tx.id, alert_id=alert.id, due_at=due, created_at=now)])
    return 1


def call_key(partner: str, call: CallIn) -> str:
    """The natural key of a call record (operators send no id of their own)."""
    text = f"{partner}|{call.time.isoformat()}|{call.from_number}|{call.to_number}|{call.duration_s}|{call.kind}"
    return hashlib.sha256(text.encode()).hexdigest()


def ingest_calls(session: Session, principal: Principal, records: list[CallIn]) -> IntakeResult:
    """Store new call records and flag numbers that call many people briefly (reported as scam numbers)."""
    guard(principal, "fraud:ingest", "fraud_call", "batch")
    partner, now = partner_of(principal), context.now(session)
    keys = [call_key(partner, r) for r in records]
    _no_repeats(keys, "time")
    known = repository.existing_call_keys(session, keys)
    new = [
        FraudCall(partner=partner, record_key=k, received_at=now, **r.model_dump(exclude={"direction"}))
        for k, r in zip(keys, records, strict=True)
        if k not in known
    ]
    result = IntakeResult(received=len(records), created=len(new), duplicates=len(records) - len(new))
    if not new:
        return result
    repository.add_all(session, new)
    window = ENGINE.params.mass_call_window
    t_min, t_max = min(c.time for c in new), max(c.time for c in new)
    recent = repository.calls_between(session, t_min - window, t_max + window)
    flagged = repository.flagged_numbers(session)
    for number in sorted(mass_callers(_calls_frame(recent), ENGINE.params) - flagged):
        ref = f"mass-call:{number}"
        if not repository.existing_report_refs(session, MASS_CALL_PARTNER, [ref]):
            repository.add_all(
                session,
                [
                    FraudReport(
                        partner=MASS_CALL_PARTNER,
                        report_ref=ref,
                        subject_type="number",
                        subject=number,
                        label="scam_number",
                        time=t_max,
                        received_at=now,
                    )
                ],
            )
            result.flagged_numbers += 1
    return result


def ingest_reports(session: Session, principal: Principal, records: list[ReportIn]) -> IntakeResult:
    """Store reports of fraud (labels); a scam number reported here is flagged from now on."""
    guard(principal, "fraud:ingest", "fraud_report", "batch")
    _no_repeats([r.report_id for r in records], "report_id")
    partner, now = partner_of(principal), context.now(session)
    known = repository.existing_report_refs(session, partner, [r.report_id for r in records])
    new = [
        FraudReport(
            partner=partner,
            report_ref=r.report_id,
            subject_type=r.subject_type,
            subject=r.subject,
            label=r.label,
            time=r.time,
            received_at=now,
        )
        for r in records
        if r.report_id not in known
    ]
    repository.add_all(session, new)
    return IntakeResult(received=len(records), created=len(new), duplicates=len(records) - len(new))


def hits_for(session: Session, principal: Principal, transaction_ids: list[int]) -> list[FraudHit]:
    """The typology hits of these transactions."""
    guard(principal, "fraud:read", "fraud_hit", "list")
    return repository.hits_for(session, transaction_ids)


NETWORK_WINDOW = timedelta(days=7)  # the sliding window of the transaction graph around an alert


def _graph_inputs(session: Session, account: str, around: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    since, until = around - NETWORK_WINDOW, around + NETWORK_WINDOW
    pairs = repository.hit_transactions(session, since, until)
    rows = {t.id: t for t, _ in pairs} | {t.id: t for t in repository.history(session, [account], since, until, [])}
    transactions = _frame(list(rows.values()))
    hits = pl.DataFrame(
        [{"tx_id": str(t.id), "account": h.account, "score": h.score} for t, h in pairs],
        schema={"tx_id": pl.String, "account": pl.String, "score": pl.Float64},
    )
    return transactions, hits


def account_network(session: Session, principal: Principal, account: str, around: datetime) -> dict[str, Any]:
    """The account's payment network (two hops, a week either side of ``around``): nodes and edges."""
    guard(principal, "fraud:read", "fraud_account", account)
    transactions, hits = _graph_inputs(session, account, around)
    g = network.neighbourhood(transactions, account, hops=2)
    suspicious = set(network.suspicious_edges(transactions, hits)["tx_id"])
    flagged = dict(hits.group_by("account").agg(pl.col("score").max()).iter_rows())
    pairs_suspicious = {
        frozenset((a, b))
        for a, b, n in transactions.select("from_account", "to_account", "tx_id").iter_rows()
        if n in suspicious
    }
    return {
        "account": account,
        "nodes": [{"id": n, "score": flagged.get(n, 0.0), "focus": n == account} for n in sorted(g.nodes)],
        "edges": [
            {
                "source": a,
                "target": b,
                "amount": round(d["weight"], 2),
                "count": d["count"],
                "suspicious": frozenset((a, b)) in pairs_suspicious,
            }
            for a, b, d in sorted(g.edges(data=True))
        ],
    }


def open_case(session: Session, principal: Principal, alert_id: int, title: str) -> FraudCase:
    """Open a case from an alert: the mule-ring candidate around the alert's account and its alerts."""
    guard(principal, "fraud:manage", "fraud_alert", alert_id)
    found = repository.hits_by_alert(session, alert_id)
    if not found:
        raise NotFound(f"alert {alert_id} is not an anti-fraud typology alert")
    if len(title.strip()) < 3:
        raise ValidationFailed("give the case a title (at least 3 characters)")
    account = found[0].account
    tx = repository.transaction(session, found[0].transaction_id)
    assert tx is not None  # the foreign key cascades
    transactions, hits = _graph_inputs(session, account, tx.time)
    ring = next((c for c in network.candidates(transactions, hits) if account in c.accounts), None)
    accounts = list(ring.accounts) if ring else [account]
    alert_ids = sorted(
        {h.alert_id for _, h in repository.hit_transactions(session, tx.time - NETWORK_WINDOW, tx.time + NETWORK_WINDOW)
         if h.account in accounts and h.alert_id is not None} | {alert_id}
    )  # fmt: skip
    return repository.add_case(
        session,
        FraudCase(
            title=title.strip()[:200],
            status="open",
            investigator=principal.name,
            accounts=accounts,
            alert_ids=alert_ids,
            notes=[],
            flow=ring.flow if ring else 0.0,
            opened_at=context.now(session),
        ),
    )


def get_case(session: Session, principal: Principal, case_id: int) -> FraudCase:
    """One case, or NotFound."""
    guard(principal, "fraud:read", "fraud_case", case_id)
    found = repository.case(session, case_id)
    if found is None:
        raise NotFound(f"anti-fraud case {case_id} does not exist")
    return found


def add_note(session: Session, principal: Principal, case_id: int, text: str) -> FraudCase:
    """Append a note (notes are never edited)."""
    guard(principal, "fraud:manage", "fraud_case", case_id)
    found = get_case(session, principal, case_id)
    if found.status != "open":
        raise Conflict(f"case {case_id} is {found.status}; reopen it before adding notes")
    if len(text.strip()) < 3:
        raise ValidationFailed("a note needs at least 3 characters")
    note = {"at": context.now(session).isoformat(), "by": principal.name, "text": text.strip()[:2000]}
    found.notes = [*found.notes, note]
    session.flush()
    return found


def alert_view(session: Session, principal: Principal, alert_id: int) -> dict[str, Any]:
    """What an investigator sees for a typology alert: its hits and the account's network."""
    guard(principal, "fraud:read", "fraud_alert", alert_id)
    found = repository.hits_by_alert(session, alert_id)
    if not found:
        raise NotFound(f"alert {alert_id} is not an anti-fraud typology alert")
    tx = repository.transaction(session, found[0].transaction_id)
    assert tx is not None  # the foreign key cascades
    graph = account_network(session, principal, found[0].account, tx.time)
    positions = network.layout([n["id"] for n in graph["nodes"]], [(e["source"], e["target"]) for e in graph["edges"]])
    return {"alert_id": alert_id, "hits": found, "transaction": tx, "network": graph, "positions": positions}


RING_WINDOW = timedelta(days=14)  # the mule-ring candidates listed on /fraud: hits of the last two weeks


def ring_candidates(session: Session, principal: Principal, limit: int = 10) -> list[dict[str, Any]]:
    """The best mule-ring candidates over recent typology hits, each with the latest alert to open."""
    guard(principal, "fraud:read", "fraud_ring", "list")
    now = context.now(session)
    pairs = repository.hit_transactions(session, now - RING_WINDOW, now)
    if not pairs:
        return []
    transactions = _frame(list({t.id: t for t, _ in pairs}.values()))
    hits = pl.DataFrame(
        [{"tx_id": str(t.id), "account": h.account, "score": h.score} for t, h in pairs],
        schema={"tx_id": pl.String, "account": pl.String, "score": pl.Float64},
    )
    latest: dict[str, tuple[datetime, int]] = {}
    for t, h in pairs:
        if h.alert_id is not None and (h.account not in latest or latest[h.account] < (t.time, h.alert_id)):
            latest[h.account] = (t.time, h.alert_id)
    found = []
    for candidate in network.candidates(transactions, hits)[:limit]:
        alerts = [latest[a] for a in candidate.accounts if a in latest]
        found.append(
            {
                "accounts": list(candidate.accounts),
                "flow": candidate.flow,
                "score": candidate.score,
                "payments": candidate.edges,
                "alert_id": max(alerts)[1] if alerts else None,
            }
        )
    return found


def has_records_from(session: Session, partner: str) -> bool:
    """True when ``partner`` has sent at least one payment (the demo seeds once)."""
    return repository.partner_has_transactions(session, partner)


PUBLIC_WINDOW = timedelta(days=30)
# Counts of 1-4 are withheld from the public: a small count in a small district can point at
# a person, and the public only needs the pattern, not the exact figure.
PUBLIC_MIN_COUNT = 5


@dataclass(frozen=True)
class PublicPattern:
    """One typology's detections for the public: a count, or None when it is 1-4 and withheld."""

    typology: str
    kind: str  # fraud | laundering
    count: int | None
    previous: int | None  # the 30 days before, withheld the same way

    @property
    def withheld(self) -> bool:
        return self.count is None


def _public_count(count: int) -> int | None:
    return None if 0 < count < PUBLIC_MIN_COUNT else count


def public_patterns(session: Session, window: timedelta = PUBLIC_WINDOW) -> list[PublicPattern]:
    """Payments flagged per typology in the last ``window`` and the one before: counts only, small ones withheld.

    Deliberately public (no principal): it carries no account, number, amount or case, only a
    count per typology, and a count below ``PUBLIC_MIN_COUNT`` is never returned.
    """
    now = context.now(session)
    current = repository.hit_counts_by_typology(session, now - window, now)
    before = repository.hit_counts_by_typology(session, now - 2 * window, now - window)
    return [
        PublicPattern(t.name, t.kind, _public_count(current.get(t.name, 0)), _public_count(before.get(t.name, 0)))
        for t in DEFAULT_TYPOLOGIES
    ]
