"""Response-time percentiles on a fixed fixture (hand-computed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from lantern.dispatch import analytics

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _row(priority, district, dispatch_s, enroute_s, onscene_s, district_type="urban"):
    received = T0
    assigned = received + timedelta(seconds=dispatch_s)
    enroute = assigned + timedelta(seconds=enroute_s) if enroute_s is not None else None
    onscene = enroute + timedelta(seconds=onscene_s) if enroute is not None and onscene_s is not None else None
    return {
        "priority": priority,
        "district": district,
        "district_type": district_type,
        "received_at": received,
        "assigned_at": assigned,
        "enroute_at": enroute,
        "onscene_at": onscene,
    }


@pytest.fixture
def fixture():
    rows = [_row(1, "D1", d, 30, t) for d, t in ((10, 200), (20, 240), (30, 300), (40, 360), (100, 600))]
    rows += [_row(2, "D1", 60, 60, 400), _row(2, "D2", 120, None, None, "suburban")]
    return pl.DataFrame(rows)


def test_percentiles_per_priority(fixture):
    table = analytics.percentiles(fixture, ["priority"]).to_dicts()
    p1 = table[0]
    assert p1["calls"] == 5
    # call-to-dispatch seconds 10, 20, 30, 40, 100: median 30, p90 = 40 + 0.6 * 60 = 76 (linear)
    assert p1["call_to_dispatch_p50"] == 30.0 and p1["call_to_dispatch_p90"] == 76.0
    # total = dispatch + 30 + on-scene: 240, 290, 360, 430, 730 -> median 360, p90 = 430 + 0.6 * 300 = 610
    assert p1["total_p50"] == 360.0 and p1["total_p90"] == 610.0


def test_missing_stages_are_left_out_not_counted_as_zero(fixture):
    p2 = analytics.percentiles(fixture, ["priority", "district"]).filter(pl.col("district") == "D2").to_dicts()[0]
    assert p2["calls"] == 1 and p2["call_to_dispatch_p50"] == 120.0 and p2["total_p50"] is None


def test_share_within_target(fixture):
    within = analytics.share_within(fixture, {"urban": 300.0, "suburban": 600.0}, ["priority"]).to_dicts()
    assert within[0] == {"priority": 1, "within_target_pct": 40.0}  # 240 and 290 of five within 300 s
