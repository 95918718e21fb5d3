"""Mule-ring candidates and the simulator's labels."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from lantern.fraud import network
from lantern.fraud.engine import Engine, State
from lantern.fraud.rules import CASH_ACCOUNT
from lantern.fraud.simulator import SimParams, simulate

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def frame(rows):
    return pl.DataFrame([{"tx_id": n, "from_account": a, "to_account": b, "amount": float(x)} for n, a, b, x in rows])


def hits(scores: dict[str, tuple[str, float]]):
    return pl.DataFrame([{"tx_id": t, "account": a, "score": s} for t, (a, s) in scores.items()])


def test_components_of_suspicious_edges_ranked_by_score_then_flow():
    tx = frame([
        ("1", "a", "m", 100), ("2", "b", "m", 100), ("3", "m", "c", 190),  # ring one, all suspicious
        ("4", "x", "y", 5000),  # ring two: one suspicious edge, more money, lower score
        ("5", "m", "shop", 10),  # not suspicious: does not join the shop in
        ("6", "y", CASH_ACCOUNT, 4000),  # cash leaves the system: no node
    ])  # fmt: skip
    found = network.candidates(
        tx, hits({"1": ("m", 75), "2": ("m", 75), "3": ("m", 90), "4": ("y", 70), "6": ("y", 80)})
    )
    assert [c.accounts for c in found] == [("a", "b", "c", "m"), ("x", "y")]
    assert (found[0].flow, found[0].edges, found[0].score) == (390.0, 3, 90.0)


def test_large_components_are_split_into_communities():
    # Two dense rings of eight joined by one thin edge: one component, two communities.
    rows, scores = [], {}
    for ring in "pq":
        members = [f"{ring}{k}" for k in range(8)]
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                n = f"{a}-{b}"
                rows.append((n, a, b, 1000))
                scores[n] = (a, 70.0)
    rows.append(("bridge", "p0", "q0", 1))
    scores["bridge"] = ("p0", 70.0)
    found = network.candidates(frame(rows), hits(scores))
    assert sorted(len(c.accounts) for c in found) == [8, 8]


def test_neighbourhood_is_bounded_by_hops():
    tx = frame([("1", "a", "b", 1), ("2", "b", "c", 1), ("3", "c", "d", 1)])
    assert sorted(network.neighbourhood(tx, "a", hops=2).nodes) == ["a", "b", "c"]
    assert network.neighbourhood(tx, "zz").number_of_nodes() == 0


def test_simulator_is_deterministic_labelled_and_pseudonymous():
    small = SimParams(accounts=300, days=10, fan_in_rings=2, cycles=2, smurfs=2, scam_campaigns=2)
    one, two = simulate(small), simulate(small)
    assert one.transactions.equals(two.transactions)
    assert set(one.accounts["label"]) == {"", "fan_in", "cycle", "structuring", "scam"}
    assert one.accounts["account"].str.contains(r"^[0-9a-f]{64}$").all()
    assert one.calls.filter(pl.col("label") == "scam")["from_number"].n_unique() == 2
    victims = one.transactions.filter((pl.col("label") == "scam") & (pl.col("channel") == "transfer"))
    assert victims["new_payee"].all() and victims["payer_phone"].is_not_null().all()
    # Victims are not labelled accounts: they were robbed, not fraudulent.
    labelled = set(one.accounts.filter(pl.col("label") != "")["account"])
    assert not set(victims["from_account"]) & labelled


def test_engine_catches_the_simulated_scam_mules_and_never_their_victims():
    sim = simulate(SimParams(accounts=400, days=12, fan_in_rings=0, cycles=0, smurfs=0, scam_campaigns=3, seed=3))
    engine, state, found = Engine(), State(), []
    tx, calls = sim.transactions.drop("label"), sim.calls.drop("label")
    last = T0.replace(year=2000)
    for start in range(0, tx.height, 500):
        chunk = tx.slice(start, 500)
        end = chunk["time"].max()
        state = engine.ingest_calls(state, calls.filter((pl.col("time") > last) & (pl.col("time") <= end)))
        result, state = engine.score_batch(state, chunk)
        found.append(result.hits)
        last = end
    hits = pl.concat(found)
    mules = set(sim.accounts.filter(pl.col("label") == "scam")["account"])
    victims = set(
        sim.transactions.filter((pl.col("label") == "scam") & (pl.col("channel") == "transfer"))["from_account"]
    )
    flagged = set(hits.filter(pl.col("typology").is_in(["scam_payment", "cash_out"]))["account"])
    assert len(flagged & mules) >= len(mules) - 1  # at most one mule missed
    assert not flagged & victims
