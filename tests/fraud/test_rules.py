"""Each rule on hand-made sequences: which (transaction, account) events it fires on, and which not."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from lantern.fraud.engine import Engine, State, calls_frame, transactions_frame
from lantern.fraud.rules import RULES, Params, features, to_events

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PHONE_V = "a" * 64  # the victim's phone, as the partner-keyed pseudonym
SCAMMER = "b" * 64
WATCHING = T0 - timedelta(days=30)  # the centre has been watching for a month


def tx(n: str, hours: float, src: str, dst: str, amount: float, **kw) -> dict:
    return {
        "tx_id": n,
        "time": T0 + timedelta(hours=hours),
        "from_account": src,
        "to_account": dst,
        "amount": amount,
        "currency": "EUR",
        "channel": kw.pop("channel", "transfer"),
        "new_payee": kw.pop("new_payee", False),
        "payer_phone": kw.pop("payer_phone", None),
    }


def fired(
    rule: str, rows: list[dict], *, calls=(), flagged=(), params=None, batch=None, since=WATCHING
) -> set[tuple[str, str]]:
    """(tx_id, account) pairs the rule fires on, scoring ``rows`` in micro-batches of ``batch``."""
    engine = Engine(params or Params())
    state = engine.flag_numbers(State(watching_since=since), set(flagged))
    if calls:
        state = engine.ingest_calls(state, calls_frame(list(calls)))
    size = batch or len(rows)
    hits: set[tuple[str, str]] = set()
    for start in range(0, len(rows), size):
        result, state = engine.score_batch(state, transactions_frame(rows[start : start + size]))
        hits |= {(r["tx_id"], r["account"]) for r in result.events.filter(pl.col(f"rule_{rule}")).iter_rows(named=True)}
    return hits


FAN_IN = [tx(f"i{k}", k, f"payer{k}", "mule", 900) for k in range(5)]
FAN_OUT = [tx(f"o{k}", k, "hub", f"payee{k}", 900) for k in range(5)]
PASS = [tx("in", 0, "src", "mule", 5000), tx("out", 3, "mule", "next", 4800)]
STRUCT = [tx(f"s{k}", 24 * k, "smurf", f"dst{k % 2}", 9500 + 50 * k) for k in range(3)]
NEW_BURST = [tx(f"v{k}", k * 0.5, "fresh", f"shop{k}", 40) for k in range(5)]
DORMANT = [tx("old", 0, "sleepy", "x", 10)] + [tx(f"d{k}", 24 * 40 + k, "sleepy", f"y{k}", 10) for k in range(5)]
SIMILAR = [tx(f"r{k}", 10 * k, "payer", f"p{k}", 4990 + k) for k in range(4)]
DRAIN = [tx("pay", 0, "victim", "mule", 3000), tx("atm", 5, "mule", "CASH", 2900, channel="atm")]
VICTIM_CALL = {"time": T0 - timedelta(hours=2), "from_number": SCAMMER, "to_number": PHONE_V, "duration_s": 900}
VICTIM_TX = tx("scam", 0, "victim", "mule", 4000, new_payee=True, payer_phone=PHONE_V)

CASES = [
    # rule, rows, expected (tx, account) pairs, extra keyword arguments
    ("fan_in", FAN_IN, {("i4", "mule")}, {}),
    ("fan_in", FAN_IN[:4], set(), {}),  # four distinct payers is under the minimum of five
    ("fan_in", [tx(f"i{k}", k, "same", "mule", 900) for k in range(6)], set(), {}),  # one payer six times
    ("fan_in", [tx(f"i{k}", 20 * k, f"payer{k}", "mule", 900) for k in range(5)], set(), {}),  # spread over 80 h
    ("fan_out", FAN_OUT, {("o4", "hub")}, {}),
    ("fan_out", FAN_OUT[:4], set(), {}),
    ("pass_through", PASS, {("out", "mule")}, {}),
    ("pass_through", [PASS[0], tx("out", 50, "mule", "next", 4800)], set(), {}),  # out after the 48 h window
    ("pass_through", [PASS[0], tx("out", 3, "mule", "next", 1000)], set(), {}),  # only a fifth passed on
    ("pass_through", [tx("in", 0, "src", "mule", 100), tx("out", 1, "mule", "n", 100)], set(), {}),  # too small
    ("structuring", STRUCT, {("s2", "smurf")}, {}),
    ("structuring", [*STRUCT[:2], tx("s2", 48, "smurf", "dst0", 10_000)], set(), {}),  # at the threshold, not under
    ("structuring", [tx(f"s{k}", 24 * k, "smurf", "d", 8000) for k in range(3)], set(), {}),  # well under
    ("structuring", [tx(f"s{k}", 24 * 4 * k, "smurf", "d", 9500) for k in range(3)], set(), {}),  # over 8 days
    ("new_or_dormant_velocity", NEW_BURST, {("v4", "fresh")}, {}),
    ("new_or_dormant_velocity", NEW_BURST[:4], set(), {}),
    ("new_or_dormant_velocity", NEW_BURST, set(), {"since": T0}),  # cold start: nothing is known to be new
    ("new_or_dormant_velocity", DORMANT, {("d4", "sleepy")}, {}),
    # Active every day for two weeks, then five payments: busy but neither new nor dormant.
    (
        "new_or_dormant_velocity",
        [tx(f"a{k}", 24 * k, "regular", "shop", 10) for k in range(14)]
        + [tx(f"b{k}", 24 * 14 + k, "regular", f"s{k}", 10) for k in range(5)],
        set(),
        {},
    ),
    ("new_account", [tx("a", 0, "x", "fresh", 10)], {("a", "x"), ("a", "fresh")}, {}),
    (
        "new_account",
        [tx("a", 0, "old", "y", 10), tx("b", 24 * 8, "old", "z", 10)],
        {("a", "old"), ("a", "y"), ("b", "z")},
        {},
    ),
    ("new_account", [tx("a", 0, "x", "fresh", 10)], set(), {"since": T0 - timedelta(days=3)}),  # cold start
    ("similar_amounts", SIMILAR, {("r3", "payer")}, {}),
    ("similar_amounts", [tx(f"r{k}", 10 * k, "payer", f"p{k}", 1000 * (k + 1)) for k in range(4)], set(), {}),
    ("drained_cash_out", DRAIN, {("atm", "mule")}, {}),
    ("drained_cash_out", [DRAIN[0], tx("atm", 5, "mule", "CASH", 1000, channel="atm")], set(), {}),  # a third only
    ("drained_cash_out", [DRAIN[0], tx("wire", 5, "mule", "n", 2900)], set(), {}),  # not cash
    ("victim_pattern", [VICTIM_TX], {("scam", "mule")}, {"calls": [VICTIM_CALL], "flagged": {SCAMMER}}),
    ("victim_pattern", [VICTIM_TX], set(), {"calls": [VICTIM_CALL]}),  # the caller is not flagged
    (
        "victim_pattern",
        [VICTIM_TX],
        set(),
        {"calls": [VICTIM_CALL | {"duration_s": 40}], "flagged": {SCAMMER}},
    ),  # a short cold call, no conversation
    (
        "victim_pattern",
        [tx("scam", 0, "victim", "mule", 4000, new_payee=False, payer_phone=PHONE_V)],
        set(),
        {"calls": [VICTIM_CALL], "flagged": {SCAMMER}},
    ),  # a known payee
    (
        "victim_pattern",
        [VICTIM_TX],
        set(),
        {"calls": [VICTIM_CALL | {"time": T0 - timedelta(hours=25)}], "flagged": {SCAMMER}},
    ),  # the call was more than 24 h before
    (
        "victim_pattern",
        [tx("small", 0, "victim", "mule", 200, new_payee=True, payer_phone=PHONE_V)],
        set(),
        {"calls": [VICTIM_CALL], "flagged": {SCAMMER}},
    ),
]


@pytest.mark.parametrize(("rule", "rows", "expected", "extra"), CASES)
def test_rule_fires_exactly_on_the_expected_events(rule, rows, expected, extra):
    assert fired(rule, rows, **extra) == expected


@pytest.mark.parametrize(("rule", "rows", "expected", "extra"), [c for c in CASES if c[2]])
def test_one_transaction_at_a_time_gives_the_same_answer(rule, rows, expected, extra):
    # The state carries everything a window needs, so batch boundaries change nothing.
    assert fired(rule, rows, batch=1, **extra) == expected


def test_every_rule_has_a_positive_and_a_negative_case():
    positive = {c[0] for c in CASES if c[2]}
    negative = {c[0] for c in CASES if not c[2]}
    assert positive == negative == set(RULES)


def test_mass_caller_is_flagged_from_call_records():
    calls = [
        {"time": T0 + timedelta(minutes=k), "from_number": SCAMMER, "to_number": f"{k:064x}", "duration_s": 40}
        for k in range(30)
    ]
    engine = Engine()
    state = engine.ingest_calls(State(), calls_frame(calls[:29]))
    assert SCAMMER not in state.flagged
    state = engine.ingest_calls(state, calls_frame(calls[29:]))
    assert SCAMMER in state.flagged


def test_state_forgets_events_older_than_the_longest_window():
    engine = Engine()
    _, state = engine.score_batch(State(), transactions_frame([tx("a", 0, "x", "y", 10)]))
    _, state = engine.score_batch(state, transactions_frame([tx("b", 24 * 8, "x", "y", 10)]))
    assert state.events["tx_id"].to_list() == ["b", "b"]
    # ... but still knows when the account was first seen (new vs dormant needs it).
    assert state.seen.filter(pl.col("account") == "x")["first_seen"].item() == T0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_distinct_counterparties_match_a_brute_force_count_by_both_methods(seed):
    rng = random.Random(seed)
    rows = [
        tx(f"t{k}", rng.choice([0, 0, 1, 5, 30, 71, 72, 73, 100]), rng.choice("abcd"),
           rng.choice("abcde"), 10)
        for k in range(80)
    ]  # fmt: skip
    rows = [r for r in rows if r["from_account"] != r["to_account"]]
    p = Params()
    events = to_events(transactions_frame(rows))
    lazy = events.lazy()
    empty_calls = calls_frame([{"time": T0, "from_number": "x", "to_number": "y", "duration_s": 1}]).head(0).lazy()
    seen = State().seen.lazy()
    by_join = features(lazy, empty_calls, seen, WATCHING, p, 0, few=True).collect()
    by_rolling = features(lazy, empty_calls, seen, WATCHING, p, 0, few=False).collect()
    window = p.fan_window
    for got in (by_join, by_rolling):
        for r in got.iter_rows(named=True):
            mine = [e for e in events.iter_rows(named=True) if e["account"] == r["account"]]
            inside = [e for e in mine if r["time"] - window < e["time"] <= r["time"]]
            assert r["fan_in_count"] == len({e["counterparty"] for e in inside if e["inbound"]})
            assert r["fan_out_count"] == len({e["counterparty"] for e in inside if not e["inbound"]})
