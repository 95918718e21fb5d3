"""Fraud and laundering rules as pure functions over Polars micro-batches.

Every transaction becomes one or two *account events*: an ``out`` event for the payer and an
``in`` event for the payee (cash withdrawals have no payee account, so only the ``out`` event).
Windowed features are computed per account over the events of the batch plus the recent
history carried in the explicit :class:`~lantern.fraud.engine.State`; each rule is then one
boolean expression over those features and answers one question about the event's account.

Windows are right-closed, ``(t - window, t]``: an event counts itself and everything at the
same instant. No wall clock is read anywhere; time is the events' own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

TIME = pl.Datetime("us", "UTC")
CASH_CHANNELS = frozenset({"cash", "atm"})
CASH_ACCOUNT = "0" * 64  # the payee of cash withdrawals: money leaves the banking system here

TRANSACTION_SCHEMA: dict[str, pl.DataType] = {
    "tx_id": pl.String(),
    "time": TIME,
    "from_account": pl.String(),
    "to_account": pl.String(),
    "amount": pl.Float64(),
    "currency": pl.String(),
    "channel": pl.String(),
    "new_payee": pl.Boolean(),
    "payer_phone": pl.String(),
}
CALL_SCHEMA: dict[str, pl.DataType] = {
    "time": TIME,
    "from_number": pl.String(),
    "to_number": pl.String(),
    "duration_s": pl.Int64(),
}
EVENT_SCHEMA: dict[str, pl.DataType] = {
    "tx_id": pl.String(),
    "time": TIME,
    "account": pl.String(),
    "counterparty": pl.String(),
    "inbound": pl.Boolean(),
    "amount": pl.Float64(),
    "channel": pl.String(),
    "new_payee": pl.Boolean(),
    "payer_phone": pl.String(),
    "seq": pl.Int64(),
    "prev_time": TIME,  # the account's previous event, fixed when the event is first scored
}


@dataclass(frozen=True)
class Params:
    """Thresholds and windows of every rule (one currency; amounts in its units)."""

    fan_window: timedelta = timedelta(hours=72)
    fan_in_min: int = 5  # distinct payers into one account within the window
    fan_out_min: int = 5  # distinct payees from one account within the window
    pass_window: timedelta = timedelta(hours=48)
    pass_ratio_low: float = 0.8  # paid out at least 80 % ...
    pass_ratio_high: float = 1.05  # ... and at most 105 % of what came in within the window
    pass_min_amount: float = 500.0
    report_threshold: float = 10_000.0
    structuring_margin: float = 0.1  # "just under" = within 10 % below the reporting threshold
    structuring_window: timedelta = timedelta(days=7)
    structuring_min: int = 3
    new_age: timedelta = timedelta(days=7)  # seen for the first time this recently = new
    dormant_gap: timedelta = timedelta(days=30)  # this long silent before the burst = dormant
    velocity_window: timedelta = timedelta(hours=24)
    velocity_min: int = 5
    similar_tolerance: float = 0.02  # amounts in the same 2 % log-bucket are "similar"
    similar_window: timedelta = timedelta(days=7)
    similar_min: int = 4
    drain_window: timedelta = timedelta(hours=72)
    drain_ratio: float = 0.9  # cash taken out is at least 90 % of the money received
    drain_min_amount: float = 500.0
    call_window: timedelta = timedelta(hours=24)
    victim_min_amount: float = 1_000.0
    # Social engineering takes a conversation: a 40-second cold call that the person hung up on
    # does not make their salary run a scam (it did, 130 times, in the simulator before this).
    victim_min_call_s: int = 180
    mass_call_window: timedelta = timedelta(hours=24)
    mass_call_min: int = 30  # distinct numbers called by one number within the window
    mass_call_max_duration_s: int = 120

    @property
    def horizon(self) -> timedelta:
        """How much history the state must keep for every window to be exact."""
        return max(
            self.fan_window,
            self.pass_window,
            self.structuring_window,
            self.velocity_window,
            self.similar_window,
            self.drain_window,
        )


def _period(value: timedelta) -> str:
    return f"{int(value.total_seconds() * 1_000_000)}us"


def to_events(transactions: pl.DataFrame) -> pl.DataFrame:
    """Each transaction as an ``out`` event of the payer and (except cash) an ``in`` event of the payee."""
    base = (
        transactions.select(list(TRANSACTION_SCHEMA)).with_row_index("seq").with_columns(pl.col("seq").cast(pl.Int64))
    )
    out = base.select(
        "tx_id",
        "time",
        pl.col("from_account").alias("account"),
        pl.col("to_account").alias("counterparty"),
        pl.lit(False).alias("inbound"),
        "amount",
        "channel",
        "new_payee",
        "payer_phone",
        pl.col("seq") * 2,
        pl.lit(None, dtype=TIME).alias("prev_time"),
    )
    inbound = base.filter(~pl.col("channel").is_in(list(CASH_CHANNELS))).select(
        "tx_id",
        "time",
        pl.col("to_account").alias("account"),
        pl.col("from_account").alias("counterparty"),
        pl.lit(True).alias("inbound"),
        "amount",
        "channel",
        "new_payee",
        "payer_phone",
        pl.col("seq") * 2 + 1,
        pl.lit(None, dtype=TIME).alias("prev_time"),
    )
    return pl.concat([out, inbound]).cast(EVENT_SCHEMA)  # type: ignore[arg-type]


def _sum_by(expr: pl.Expr, window: timedelta, keys: str | list[str] = "account") -> pl.Expr:
    return expr.rolling_sum_by("time", window_size=_period(window), closed="right").over(keys)


@functools.cache
def _feature_expressions(p: Params) -> tuple[list[pl.Expr], list[pl.Expr], list[pl.Expr]]:
    """The expressions of :func:`features`, built once per parameter set (building them on every
    call was ~1 ms of a 10 ms single-transaction score)."""
    inbound, outbound = pl.col("inbound"), ~pl.col("inbound")
    amount_in = pl.when(inbound).then(pl.col("amount")).otherwise(0.0)
    amount_out = pl.when(outbound).then(pl.col("amount")).otherwise(0.0)
    near = (pl.col("amount") >= p.report_threshold * (1 - p.structuring_margin)) & (
        pl.col("amount") < p.report_threshold
    )
    bucket = (pl.col("amount").clip(lower_bound=0.01).log() / pl.lit(1 + p.similar_tolerance).log()).floor()
    prepare = [near.alias("_near"), bucket.cast(pl.Int64).alias("_bucket"), pl.lit(1).alias("_one")]
    windows = [
        _sum_by(amount_in, p.pass_window).alias("pass_in_sum"),
        _sum_by(amount_out, p.pass_window).alias("pass_out_sum"),
        _sum_by((pl.col("_near") & outbound).cast(pl.Int64), p.structuring_window).alias("near_count"),
        _sum_by(pl.col("_one"), p.velocity_window).alias("velocity_count"),
        pl.col("_gap_us")
        .fill_null(0)
        .rolling_max_by("time", window_size=_period(p.velocity_window), closed="right")
        .over("account")
        .alias("_max_gap_us"),
        _sum_by(pl.col("_one"), p.similar_window, ["account", "_bucket", "inbound"]).alias("similar_count"),
        _sum_by(amount_in, p.drain_window).alias("drain_in_sum"),
        _sum_by(amount_out, p.drain_window).alias("drain_out_sum"),
    ]
    fan_aggs = [
        pl.col("counterparty").filter(inbound).n_unique().alias("fan_in_count"),
        pl.col("counterparty").filter(outbound).n_unique().alias("fan_out_count"),
    ]
    return prepare, windows, fan_aggs


def features(
    events: pl.LazyFrame,
    calls: pl.LazyFrame | None,
    seen: pl.LazyFrame,
    watching_since: datetime,
    p: Params,
    score_from: int = 0,
    few: bool = False,
) -> pl.LazyFrame:
    """Per-event window features; ``events`` holds history and batch, ``seen`` first/last times before them.

    ``calls`` are the calls from flagged numbers (``None`` when none reached a payer of the
    batch: the victim join is skipped, ~3 ms of a 9 ms single-transaction score);
    ``watching_since`` is when the centre started watching (before that nothing is known about
    an account); rows with ``seq >= score_from`` are the ones being scored; ``few`` says there
    are only a handful of them (see :func:`_fan_by_join`). Lazy, so one batch is one query:
    scoring a single transaction costs one plan, not ninety small ones (p99 went from 64 ms to
    a few ms when this was made lazy).
    """
    prepare, windows, fan_aggs = _feature_expressions(p)
    frame = (
        events.sort("account", "time", "seq")
        .with_row_index("_row")
        .with_columns(prepare)
        .join(seen, on="account", how="left", maintain_order="left")
        .with_columns(
            pl.lit(watching_since).cast(TIME).alias("watching_since"),
            pl.min_horizontal(pl.col("first_seen"), pl.col("time").min().over("account")).alias("first_seen"),
            # History rows keep the previous time found when they were scored: the event before
            # them may have left the state since.
            pl.coalesce(pl.col("prev_time"), pl.col("time").shift(1).over("account"), pl.col("last_seen")).alias(
                "prev_time"
            ),
        )
        .with_columns((pl.col("time") - pl.col("prev_time")).dt.total_microseconds().alias("_gap_us"))
        .with_columns(windows)
        .with_columns(pl.duration(microseconds=pl.col("_max_gap_us")).alias("velocity_max_gap"))
    )
    frame = _fan_by_join(frame, p, score_from, fan_aggs) if few else _fan_by_rolling(frame, p, fan_aggs)
    if calls is None:  # no payer in the batch was contacted by a flagged number: skip two joins
        frame = frame.with_columns(pl.lit(None, dtype=TIME).alias("contact_at"))
    else:
        frame = _victim_contact(frame, calls, p)
    return frame.drop("_row", "_one", "_gap_us", "_max_gap_us")


def _fan_by_rolling(frame: pl.LazyFrame, p: Params, aggs: list[pl.Expr]) -> pl.LazyFrame:
    """Distinct counterparties for every row with the rolling context: O(rows x window).

    Rows are ordered by (account, time, _row); within a group the context keeps input order,
    and sorting its output by account with maintain_order lines it up row for row (checked
    against the join in tests/fraud/test_rules.py).
    """
    fan = (
        frame.rolling(index_column="time", period=_period(p.fan_window), group_by="account")
        .agg(aggs)
        .sort("account", maintain_order=True)
        .select("fan_in_count", "fan_out_count")
    )
    return pl.concat([frame, fan], how="horizontal")


def _fan_by_join(frame: pl.LazyFrame, p: Params, score_from: int, aggs: list[pl.Expr]) -> pl.LazyFrame:
    """Distinct counterparties for the scored rows only: each joined with its account's window.

    For one transaction this is O(window of its accounts); the rolling context computes every
    history row too and put p90 at 29 ms for payments to busy shops. For a 2,000-payment batch
    the join is the slow one (a busy shop's window times its payments in the batch: 7,000 tx/s
    instead of 18,000), so the engine picks by batch size; both give the same counts.
    """
    targets = frame.filter(pl.col("seq") >= score_from).select("_row", "account", pl.col("time").alias("_at"))
    fan = (
        targets.join(frame.select("account", "time", "counterparty", "inbound"), on="account")
        .filter((pl.col("time") > pl.col("_at") - p.fan_window) & (pl.col("time") <= pl.col("_at")))
        .group_by("_row")
        .agg(aggs)
    )
    return frame.join(fan, on="_row", how="left", maintain_order="left")


def _victim_contact(frame: pl.LazyFrame, calls: pl.LazyFrame, p: Params) -> pl.LazyFrame:
    """Time of the latest contact from a flagged number to the payer's phone within the call window."""
    contacts = (
        calls.filter(pl.col("duration_s") >= p.victim_min_call_s)
        .select(pl.col("time").alias("contact_at"), pl.col("to_number").alias("payer_phone"))
        .sort("contact_at")
    )
    candidates = (
        frame.filter(pl.col("inbound") & pl.col("payer_phone").is_not_null())
        .select("_row", "time", "payer_phone")
        .sort("time")
    )
    joined = candidates.join_asof(
        contacts,
        left_on="time",
        right_on="contact_at",
        by="payer_phone",
        strategy="backward",
        tolerance=_period(p.call_window),
        check_sortedness=False,
    )
    return frame.join(joined.select("_row", "contact_at"), on="_row", how="left", maintain_order="left")


@dataclass(frozen=True)
class Rule:
    name: str
    question: str
    expression: Callable[[Params], pl.Expr]


def _fan_in(p: Params) -> pl.Expr:
    return pl.col("fan_in_count") >= p.fan_in_min


def _fan_out(p: Params) -> pl.Expr:
    return pl.col("fan_out_count") >= p.fan_out_min


def _pass_through(p: Params) -> pl.Expr:
    ratio = pl.col("pass_out_sum") / pl.col("pass_in_sum")
    return (
        ~pl.col("inbound")
        & (pl.col("pass_in_sum") >= p.pass_min_amount)
        & ratio.is_between(p.pass_ratio_low, p.pass_ratio_high)
    )


def _structuring(p: Params) -> pl.Expr:
    return ~pl.col("inbound") & pl.col("_near") & (pl.col("near_count") >= p.structuring_min)


def _young(p: Params) -> pl.Expr:
    # An account first seen in the centre's first ``new_age`` of watching may just be old and
    # quiet: at cold start every account looks new, so none of them counts as new yet.
    return ((pl.col("time") - pl.col("first_seen")) <= p.new_age) & (
        (pl.col("first_seen") - pl.col("watching_since")) > p.new_age
    )


def _new_account(p: Params) -> pl.Expr:
    return _young(p)


def _new_or_dormant_velocity(p: Params) -> pl.Expr:
    young = _young(p)
    woke = pl.col("velocity_max_gap").fill_null(timedelta(0)) >= p.dormant_gap
    return (pl.col("velocity_count") >= p.velocity_min) & (young | woke)


def _similar_amounts(p: Params) -> pl.Expr:
    return pl.col("similar_count") >= p.similar_min


def _drained_cash_out(p: Params) -> pl.Expr:
    return (
        ~pl.col("inbound")
        & pl.col("channel").is_in(list(CASH_CHANNELS))
        & (pl.col("drain_in_sum") >= p.drain_min_amount)
        & (pl.col("drain_out_sum") >= p.drain_ratio * pl.col("drain_in_sum"))
    )


def _victim_pattern(p: Params) -> pl.Expr:
    return (
        pl.col("inbound")
        & pl.col("new_payee")
        & (pl.col("amount") >= p.victim_min_amount)
        & pl.col("contact_at").is_not_null()
    )


RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule("fan_in", "did this account receive from many distinct payers within the window?", _fan_in),
        Rule("fan_out", "did this account pay many distinct payees within the window?", _fan_out),
        Rule("pass_through", "did money leave this account within hours of arriving, nearly all of it?", _pass_through),
        Rule("structuring", "does this account keep paying just under the reporting threshold?", _structuring),
        Rule("new_account", "was this account first seen in the last 7 days?", _new_account),
        Rule(
            "new_or_dormant_velocity",
            "is a new or long-dormant account suddenly busy?",
            _new_or_dormant_velocity,
        ),
        Rule("similar_amounts", "does this account repeat nearly the same amount?", _similar_amounts),
        Rule("drained_cash_out", "was the money received taken out in cash, emptying the account?", _drained_cash_out),
        Rule(
            "victim_pattern",
            "was this a large payment to a new payee by someone a flagged number contacted in the last 24 h?",
            _victim_pattern,
        ),
    )
}


@functools.cache
def _rule_expressions(p: Params) -> list[pl.Expr]:
    return [rule.expression(p).fill_null(False).alias(f"rule_{name}") for name, rule in RULES.items()]


def evaluate(frame: pl.LazyFrame, p: Params, rules: dict[str, Rule] = RULES) -> pl.LazyFrame:
    """Add one boolean column per rule (``rule_<name>``) to a features frame."""
    if rules is RULES:
        return frame.with_columns(_rule_expressions(p))
    return frame.with_columns(rule.expression(p).fill_null(False).alias(f"rule_{name}") for name, rule in rules.items())


def mass_callers(calls: pl.DataFrame, p: Params) -> set[str]:
    """Numbers that placed short calls to many distinct numbers within the window (scam call centres)."""
    short = calls.filter(pl.col("duration_s") <= p.mass_call_max_duration_s)
    if short.is_empty():
        return set()
    counts = (
        short.sort("from_number", "time")
        .rolling(index_column="time", period=_period(p.mass_call_window), group_by="from_number")
        .agg(pl.col("to_number").n_unique().alias("n"))
    )
    return set(counts.filter(pl.col("n") >= p.mass_call_min)["from_number"].unique().to_list())
