"""Trend alerts: significance against a seasonal baseline, not raw percent change."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl

from lantern.crime import trends

START = datetime(2010, 1, 4)


def _seasonal(weeks: int, level: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mean = level * (1 + 0.3 * np.sin(2 * np.pi * np.arange(weeks) / 52.0))
    return rng.poisson(mean)


def test_a_planted_surge_alerts_and_the_quiet_weeks_do_not():
    counts = _seasonal(208, 30, 1)
    counts[200] = int(30 * (1 + 0.3 * np.sin(2 * np.pi * 200 / 52)) * 1.8)
    frame = pl.DataFrame({"district": "6", "week": np.arange(208), "observed": counts})
    result = trends.trend_alerts(frame, ["district"], list(range(156, 208)))
    alerted = result.filter(pl.col("alert"))["week"].to_list()
    assert 200 in alerted
    assert len(alerted) <= 2


def test_false_alarm_rate_is_near_alpha_on_data_without_change():
    frames = [
        pl.DataFrame({"district": str(d), "week": np.arange(208), "observed": _seasonal(208, 20 + d, d)})
        for d in range(20)
    ]
    result = trends.trend_alerts(pl.concat(frames), ["district"], list(range(156, 208)), alpha=0.01)
    rate = result["alert"].mean()
    assert result.height == 20 * 52
    assert rate < 0.03  # nominal 1%; the baseline's own noise widens it a little


def test_percent_change_alone_does_not_alert_but_a_significant_rise_does():
    quiet = pl.DataFrame({"district": "7", "week": np.arange(60), "observed": [2] * 59 + [5]})
    assert not trends.trend_alerts(quiet, ["district"], [59])["alert"][0]
    rng = np.random.default_rng(3)
    busy_counts = [*rng.poisson(120, 59).tolist(), 165]
    busy = pl.DataFrame({"district": "8", "week": np.arange(60), "observed": busy_counts})
    row = trends.trend_alerts(busy, ["district"], [59]).row(0, named=True)
    assert row["alert"] and row["p_value"] < 0.001


def test_overdispersed_baselines_use_the_negative_binomial():
    rng = np.random.default_rng(5)
    wild = rng.negative_binomial(2, 2 / (2 + 20), 208)  # mean 20, variance 220
    frame = pl.DataFrame({"district": "9", "week": np.arange(208), "observed": wild})
    result = trends.trend_alerts(frame, ["district"], list(range(156, 208)))
    assert (result["distribution"] == "negative binomial").mean() > 0.8
    # the wider limits keep false alarms rare even with large swings
    assert result["alert"].mean() < 0.05


def test_weekly_counts_fill_empty_weeks_and_real_alerts_read_well(assaults):
    sample = assaults.filter(pl.col("occurred_from") >= datetime(2016, 1, 4))
    start = datetime(2016, 1, 4)
    counts = trends.weekly_counts(sample, ["district"], start, 208)
    assert counts.group_by("district").len()["len"].unique().to_list() == [208]
    assert counts["observed"].sum() == sample.filter(pl.col("occurred_from") < datetime(2019, 12, 30)).height
    result = trends.trend_alerts(counts, ["district"], list(range(156, 208)))
    assert 0 < result["alert"].sum() < 0.02 * result.height
    line = trends.describe(result.filter(pl.col("alert")).row(0, named=True), ["district"], start)
    assert line.startswith("district ") and "expected" in line and "p = " in line


def test_weeks_before_records_began_are_missing_not_zero():
    # one year of records: the "same season last year" baseline must not read as zeros
    start = datetime(2023, 1, 2)
    rng = np.random.default_rng(2)
    times = [start + timedelta(weeks=104, hours=float(h)) for h in rng.uniform(0, 52 * 168, 52 * 20)]
    frame = pl.DataFrame({"occurred_from": times, "district": "1"})
    counts = trends.weekly_counts(frame, ["district"], start, 156)
    assert counts["week"].min() == 104
    result = trends.trend_alerts(counts, ["district"], list(range(130, 156)))
    assert result.height == 26  # trailing-weeks baseline: every week is checked
    assert result["alert"].sum() <= 1
    assert (result["expected"] > 10).all()
