"""Forecast methods, metrics and the rolling-origin back-test (the long run is benchmarks/forecast.py)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl
import pytest

from lantern.crime.forecast import backtest, metrics
from lantern.crime.forecast import service as forecast_service
from lantern.crime.forecast.boosting import GradientBoosting
from lantern.crime.forecast.methods import Ensemble, Naive, Prospective, RetrospectiveKDE, prospective_stencil
from lantern.crime.forecast.panel import Panel, build_panel
from lantern.crime.forecast.sepp import SEPP
from lantern.crime.grid import Grid


def test_metrics_at_a_known_ranking():
    score = np.array([5.0, 4, 3, 2, 1, 0, 0, 0, 0, 0])
    actual = np.array([2.0, 0, 1, 0, 0, 0, 0, 0, 3, 4])
    m = metrics.coverage_metrics(score, actual, 0.2)
    assert m["hit_rate"] == pytest.approx(0.2)  # 2 of 10 incidents in the top 2 cells
    assert m["pai"] == pytest.approx(1.0)
    assert m["pei"] == pytest.approx(2 / 7)  # the best 2 cells hold 4 + 3


def test_ties_at_the_boundary_count_by_expectation_not_by_cell_order():
    score = np.zeros(10)
    actual = np.zeros(10)
    actual[0] = 10  # the first cell by number is the busy one
    # selecting 1 of 10 tied cells: a random tie-break captures 10 x 1/10 on average
    assert metrics.captured(score, actual, 1) == pytest.approx(1.0)
    assert metrics.captured(np.arange(10.0)[::-1], actual, 1) == pytest.approx(10.0)


def _toy_panel(periods: int = 12) -> Panel:
    grid = Grid(0, 0, 100, 5, 5)
    rng = np.random.default_rng(0)
    counts = rng.poisson(0.2, size=(periods, 5, 5)).astype(np.float32)
    counts[:, 2, 2] += 3
    # the events behind the counts: each at a random moment of its period
    t_idx, cells = np.nonzero(counts.reshape(periods, 25))
    reps = counts.reshape(periods, 25)[t_idx, cells].astype(int)
    times = (np.repeat(t_idx, reps) + rng.uniform(0, 1, reps.sum())) * 7
    order = np.argsort(times)
    return Panel(grid, datetime(2020, 1, 6), 168.0, counts, np.repeat(cells, reps)[order], times[order])


def test_cut_hides_the_forecast_period_and_later_events():
    panel = _toy_panel()
    history = backtest.cut(panel, 5)
    assert history.periods == 5
    assert (history.event_time < 5 * 7).all()
    assert len(history.event_time) == int((panel.event_time < 35).sum())


def test_methods_score_every_cell_and_find_the_planted_hotspot():
    history = backtest.cut(_toy_panel(), 10)
    for method in (Naive(), RetrospectiveKDE(bandwidth_m=250), Prospective(bandwidth_m=250), SEPP(training_days=70)):
        method.fit(history)
        score = method.predict(history)
        assert score.shape == (25,)
        assert int(np.argmax(score)) == 12, method.name  # the centre cell (row 2, col 2)
        assert (score >= 0).all()


def test_prospective_weights_follow_bowers_and_johnson():
    stencil = prospective_stencil(100, 200)
    assert stencil[2, 2] == 1.0 and stencil[2, 3] == 0.5 and stencil[2, 4] == pytest.approx(1 / 3)
    assert stencil[0, 0] == 0.0  # corner at 283 m is beyond the 200 m bandwidth
    grid = Grid(0, 0, 100, 5, 5)
    counts = np.zeros((3, 5, 5), dtype=np.float32)
    counts[0, 2, 2] = 1  # three periods ago -> weight 1/3
    counts[2, 2, 2] = 1  # last period -> weight 1
    panel = Panel(grid, datetime(2020, 1, 6), 168.0, counts, np.zeros(0, dtype=np.int64), np.zeros(0))
    score = Prospective(bandwidth_m=200, window_periods=8).predict(panel).reshape(5, 5)
    assert score[2, 2] == pytest.approx(1 + 1 / 3)
    assert score[2, 3] == pytest.approx(0.5 * (1 + 1 / 3))


def _hawkes(mu: float, theta: float, omega: float, cells: int, days: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cell_out, time_out = [], []
    for c in range(cells):
        queue = list(rng.uniform(0, days, rng.poisson(mu * days)))
        events = []
        while queue:
            t = queue.pop()
            events.append(t)
            for _ in range(rng.poisson(theta)):
                child = t + rng.exponential(1 / omega)
                if child < days:
                    queue.append(child)
        cell_out += [c] * len(events)
        time_out += events
    order = np.argsort(time_out)
    return np.array(cell_out)[order], np.array(time_out)[order]


def test_sepp_recovers_the_parameters_of_a_simulated_process():
    cell, time = _hawkes(mu=0.05, theta=0.4, omega=0.25, cells=60, days=1400, seed=4)
    grid = Grid(0, 0, 100, 60, 1)
    periods = 200
    counts = np.zeros((periods, 1, 60), dtype=np.float32)
    np.add.at(counts, (np.floor(time / 7).astype(int), 0, cell), 1)
    panel = Panel(grid, datetime(2020, 1, 6), 168.0, counts, cell, time)
    model = SEPP(training_days=1400, iterations=60)
    model.fit(panel)
    assert model.fitted["theta"] == pytest.approx(0.4, abs=0.08)
    assert model.fitted["omega_per_day"] == pytest.approx(0.25, rel=0.3)
    assert model.mu.mean() == pytest.approx(0.05, rel=0.2)


@pytest.fixture(scope="module")
def small_panel(assaults):
    # South-side sample: 2015-2016 weeks on a 500 m grid keep this test to a few seconds
    sample = assaults.filter((pl.col("occurred_from") >= datetime(2014, 1, 1)) & (pl.col("y") < -5000))
    grid = Grid.covering(sample["x"].to_numpy(), sample["y"].to_numpy(), 500.0)
    return build_panel(sample, grid, datetime(2014, 1, 6), 168.0, 156)


def test_backtest_on_real_data_scores_every_origin_and_stores_parameters(small_panel):
    origins = list(range(130, 136))
    methods = [Naive(), RetrospectiveKDE(), Prospective(), SEPP(), GradientBoosting(training_periods=26, max_iter=40)]
    result = backtest.rolling_origin(small_panel, methods, origins, labels={t: "2016" for t in origins})
    assert result.rows.height == len(origins) * len(methods) * 3
    assert result.rows["hit_rate"].is_between(0, 1).all()
    pai = result.rows.filter(pl.col("coverage") == 0.05)
    assert np.allclose(pai["pai"].to_numpy(), pai["hit_rate"].to_numpy() / 0.05)
    summary = result.summary()
    at5 = dict(summary.filter(pl.col("coverage") == 0.05).select("method", "hit_rate").iter_rows())
    # longer memory beats last week on a sparse weekly grid, as in the full back-test
    assert at5["retrospective KDE"] > at5["naive (last period)"]
    assert at5["gradient boosting (ours)"] > at5["naive (last period)"]
    params = result.parameters
    assert params["methods"]["retrospective KDE"]["bandwidth_m"] == 400.0
    assert params["refit_origins"]["gradient boosting (ours)"] == [small_panel.period_start(130).date().isoformat()]
    assert params["study_area_cells"] > 0 and "theta" in params["methods"]["SEPP / ETAS (Mohler)"]["fitted"]


def test_backtest_refuses_origins_outside_the_panel(small_panel):
    with pytest.raises(ValueError, match="origins"):
        backtest.rolling_origin(small_panel, [Naive()], [0, 500])


def test_ensemble_averages_normalised_scores():
    history = backtest.cut(_toy_panel(), 10)
    ens = Ensemble([Naive(), RetrospectiveKDE(bandwidth_m=250)])
    score = ens.predict(history)
    assert score.sum() == pytest.approx(1.0)
    assert set(ens.parameters()) == {"naive (last period)", "retrospective KDE"}


def test_the_mapped_selection_flags_ties_at_the_cut_instead_of_picking_by_cell_number():
    score = np.array([0.0, 9, 1, 1, 1, 4, 0, 0, 0, 0])
    cells, tied = metrics.select_top(score, 0.3)  # 3 of 10 cells: 9, 4, then one of three tied 1s
    assert cells.tolist() == [1, 5, 2, 3, 4] and tied.tolist() == [False, False, True, True, True]
    cells, tied = metrics.select_top(score, 0.2)  # a clear step after the second cell: no tie
    assert cells.tolist() == [1, 5] and not tied.any()
    cells, _ = metrics.select_top(np.array([0.0, 0, 2, 0]), 0.5)
    assert cells.tolist() == [2]  # cells scoring 0 are not a forecast
    assert len(metrics.select_top(np.zeros(50), 0.1)[0]) == 0
    assert metrics.select_top(np.arange(150.0), 0.01)[0].tolist() == [149, 148]  # 1.5 cells round to 2


@pytest.mark.parametrize(
    ("moment", "period", "expected"),
    [
        # Helsinki is UTC+2 in winter: local 10:00 -> the 14:00 shift = 12:00 UTC
        ("2026-01-14T08:00:00+00:00", "shift", "2026-01-14T12:00:00+00:00"),
        # local 23:30 -> the next 06:00 shift, on the next day
        ("2026-01-14T21:30:00+00:00", "shift", "2026-01-15T04:00:00+00:00"),
        # exactly at a boundary: that period
        ("2026-01-14T20:00:00+00:00", "shift", "2026-01-14T20:00:00+00:00"),
        ("2026-01-14T08:00:00+00:00", "day", "2026-01-14T22:00:00+00:00"),
        # Wednesday -> Monday 19 January, local midnight
        ("2026-01-14T08:00:00+00:00", "week", "2026-01-18T22:00:00+00:00"),
        # summer time (UTC+3) is followed
        ("2026-07-01T00:00:00+00:00", "day", "2026-07-01T21:00:00+00:00"),
    ],
)
def test_periods_start_at_the_citys_local_boundaries(moment, period, expected):
    spec = forecast_service.PERIODS[period]
    start = forecast_service.period_start(datetime.fromisoformat(moment), spec, "Europe/Helsinki")
    assert start.isoformat() == expected
