"""Typology scoring: weighted rule results against the alert and hold thresholds; hold vs alert-only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from lantern.fraud.engine import Engine, State, calls_frame, transactions_frame
from lantern.fraud.rules import RULES
from lantern.fraud.typologies import DEFAULT_TYPOLOGIES, Typology, TypologyError, score

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def events(*rule_sets: set[str]) -> pl.DataFrame:
    """One event per rule set, with exactly those rules fired."""
    rows = [
        {
            "tx_id": f"t{n}",
            "account": f"acc{n}",
            "inbound": False,
            "time": T0 + timedelta(minutes=n),
            "amount": 100.0,
            **{f"rule_{r}": r in fired for r in RULES},
        }
        for n, fired in enumerate(rule_sets)
    ]
    return pl.DataFrame(rows).with_columns(pl.col("time").cast(pl.Datetime("us", "UTC")))


def hits_of(frame: pl.DataFrame, typologies) -> pl.DataFrame:
    return score(frame.lazy(), typologies).collect()


FRAUD = Typology(
    "f", "fraud", {"fan_in": 40, "pass_through": 40, "structuring": 30}, alert_threshold=70, hold_threshold=80
)
LAUNDERING = Typology("l", "laundering", {"fan_in": 40, "pass_through": 40, "structuring": 30}, alert_threshold=70)


@pytest.mark.parametrize(
    ("fired", "score_expected", "action"),
    [
        (set(), None, None),
        ({"fan_in"}, None, None),  # 40 < 70
        ({"fan_in", "structuring"}, 70.0, "alert"),  # exactly at the alert threshold
        ({"fan_in", "pass_through"}, 80.0, "hold"),  # exactly at the hold threshold
        ({"fan_in", "pass_through", "structuring"}, 110.0, "hold"),
        ({"fan_out", "similar_amounts", "victim_pattern"}, None, None),  # rules without weight count nothing
    ],
)
def test_weighted_score_against_thresholds(fired, score_expected, action):
    hits = hits_of(events(fired), [FRAUD])
    if score_expected is None:
        assert hits.is_empty()
    else:
        assert hits.select("score", "action", "kind").row(0) == (score_expected, action, "fraud")
        assert sorted(hits["rules"][0].to_list()) == sorted(fired)


@pytest.mark.parametrize("fired", [{"fan_in", "structuring"}, {"fan_in", "pass_through", "structuring"}])
def test_laundering_typologies_only_alert_however_high_the_score(fired):
    hits = hits_of(events(fired), [LAUNDERING])
    assert hits["action"].to_list() == ["alert"]


def test_a_laundering_typology_with_a_hold_threshold_is_refused():
    with pytest.raises(TypologyError, match="tip off"):
        Typology("bad", "laundering", {"fan_in": 50}, alert_threshold=40, hold_threshold=60)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "theft"}, "kind"),
        ({"weights": {"no_such_rule": 10}}, "unknown rule"),
        ({"weights": {"fan_in": -5}}, "negative"),
        ({"alert_threshold": 0}, "positive"),
        ({"hold_threshold": 10}, "below the alert"),
        ({"rules_needed": ("nope",)}, "unknown rule"),
    ],
)
def test_bad_typology_configurations_are_refused(kwargs, message):
    base = {"name": "t", "kind": "fraud", "weights": {"fan_in": 50}, "alert_threshold": 40}
    with pytest.raises(TypologyError, match=message):
        Typology(**(base | kwargs))


def test_duplicate_typology_names_are_refused():
    with pytest.raises(TypologyError, match="unique"):
        hits_of(events({"fan_in"}), [LAUNDERING, LAUNDERING])


def test_a_needed_rule_gates_the_typology():
    gated = Typology(
        "g", "fraud", {"fan_in": 50, "pass_through": 50}, alert_threshold=50, rules_needed=("pass_through",)
    )
    hits = hits_of(events({"fan_in"}, {"pass_through"}), [gated])
    assert hits["tx_id"].to_list() == ["t1"]


def test_default_typologies_hold_only_for_fraud():
    assert {t.kind for t in DEFAULT_TYPOLOGIES if t.hold_threshold is not None} == {"fraud"}


def _tx(n, hours, src, dst, amount, **kw):
    return {
        "tx_id": n,
        "time": T0 + timedelta(hours=hours),
        "from_account": src,
        "to_account": dst,
        "amount": amount,
        "currency": "EUR",
        "channel": kw.get("channel", "transfer"),
        "new_payee": kw.get("new_payee", False),
        "payer_phone": kw.get("payer_phone"),
    }


def test_scam_payment_is_held_and_the_mule_laundering_only_alerted():
    phone, scammer = "c" * 64, "d" * 64
    engine = Engine()
    state = engine.flag_numbers(State(watching_since=T0 - timedelta(days=30)), {scammer})
    call = {"time": T0 - timedelta(hours=1), "from_number": scammer, "to_number": phone, "duration_s": 600}
    state = engine.ingest_calls(state, calls_frame([call]))
    # The payee has been collecting from four others in the last hours: a mule, fresh and busy.
    rows = [_tx(f"in{k}", k - 5, f"other{k}", "mule", 1000) for k in range(4)]
    rows += [_tx("scam", 0, "victim", "mule", 4000, new_payee=True, payer_phone=phone)]
    rows += [_tx("onward", 6, "mule", "next", 7800)]
    result, _ = engine.score_batch(state, transactions_frame(rows))
    by_tx = {(r["tx_id"], r["typology"]): r for r in result.hits.iter_rows(named=True)}
    scam = by_tx[("scam", "scam_payment")]
    assert (scam["account"], scam["action"]) == ("mule", "hold")
    onward = by_tx[("onward", "mule_pass_through")]
    assert (onward["account"], onward["action"], onward["kind"]) == ("mule", "alert", "laundering")
    assert set(result.hits.filter(pl.col("kind") == "laundering")["action"]) == {"alert"}
    assert "victim" not in set(result.hits["account"])  # the victim is never the subject of a hit


def test_a_scam_payment_to_an_established_payee_alerts_without_a_hold():
    phone, scammer = "c" * 64, "d" * 64
    engine = Engine()
    state = engine.flag_numbers(State(), {scammer})
    call = {"time": T0 - timedelta(hours=1), "from_number": scammer, "to_number": phone, "duration_s": 600}
    state = engine.ingest_calls(state, calls_frame([call]))
    rows = [_tx("scam", 0, "victim", "payee", 4000, new_payee=True, payer_phone=phone)]
    result, _ = engine.score_batch(state, transactions_frame(rows))
    assert result.hits.select("tx_id", "typology", "score", "action").rows() == [
        ("scam", "scam_payment", 60.0, "alert")
    ]
