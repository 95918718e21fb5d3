"""Hotspot counts, KDE, Gi* and aoristic weights, on constructed cases and on the Chicago assaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from lantern.crime import aoristic, gistar, hotspots
from lantern.crime.grid import Grid

pytestmark = []


def test_grid_counts_put_points_in_the_right_cells_and_drop_outsiders():
    grid = Grid(0, 0, 100, 3, 2)
    frame = pl.DataFrame(
        {"x": [5.0, 99.9, 100.0, 250.0, 299.0, -1.0, 305.0], "y": [5.0, 5.0, 5.0, 150.0, 199.0, 5.0, 5.0]}
    )
    counts = hotspots.grid_counts(frame, grid)
    assert counts.rows() == [(0, 0, 2.0), (1, 0, 1.0), (2, 1, 2.0)]


def test_grid_counts_sum_aoristic_weights():
    frame = pl.DataFrame({"x": [5.0, 6.0], "y": [5.0, 5.0], "weight": [0.25, 0.5]})
    assert hotspots.grid_counts(frame, Grid(0, 0, 100, 1, 1))["count"].to_list() == [0.75]


def test_h3_counts_match_a_plain_group_by_on_real_data(assaults):
    sample = assaults.head(20_000)
    ours = hotspots.h3_counts(sample, 8)
    cells = [__import__("h3").latlng_to_cell(a, b, 8) for a, b in zip(sample["lat"], sample["lon"], strict=True)]
    reference = pl.DataFrame({"h3_cell": cells}).group_by("h3_cell").len()
    joined = ours.join(reference, on="h3_cell", how="full", coalesce=True)
    assert joined.height == reference.height
    assert (joined["count"] == joined["len"].cast(pl.Float64)).all()
    assert ours["count"].sum() == 20_000
    assert ours["count"].is_sorted(descending=True)


def test_h3_counts_reject_an_impossible_resolution():
    with pytest.raises(ValueError, match="0-15"):
        hotspots.h3_counts(pl.DataFrame({"lat": [1.0], "lon": [1.0]}), 16)


def test_kde_keeps_the_mass_and_is_close_to_the_exact_kernel_sum(assaults):
    sample = assaults.filter(pl.col("occurred_from").dt.year() == 2019).head(3000)
    grid = Grid.covering(sample["x"].to_numpy(), sample["y"].to_numpy(), cell_m=250, margin_m=1500)
    surface = hotspots.kde(sample, grid, bandwidth_m=1000)
    assert surface.warnings == []
    assert surface.density.sum() * 0.0625 == pytest.approx(3000, rel=1e-6)  # 250 m cells are 0.0625 km²
    exact = hotspots.kde_exact(sample, grid, 1000)
    assert exact.sum() * 0.0625 == pytest.approx(3000, rel=0.02)
    # binning moves points by at most half a cell diagonal: small error where it matters
    busy = exact > np.quantile(exact, 0.9)
    assert np.median(np.abs(surface.density[busy] - exact[busy]) / exact[busy]) < 0.015
    assert np.corrcoef(surface.density.ravel(), exact.ravel())[0, 1] > 0.995


@pytest.mark.parametrize(
    ("bandwidth", "cell", "fragment"), [(200, 250, "less than 1.5"), (9000, 250, "quarter"), (5000, 100, "spans")]
)
def test_kde_warns_when_bandwidth_and_cell_size_do_not_fit(bandwidth, cell, fragment):
    frame = pl.DataFrame({"x": [0.0, 20_000.0], "y": [0.0, 20_000.0]})
    grid = Grid.covering(frame["x"].to_numpy(), frame["y"].to_numpy(), cell)
    surface = hotspots.kde(frame, grid, bandwidth)
    assert any(fragment in w for w in surface.warnings)


def test_kde_kernels_integrate_to_one():
    for kernel in hotspots.KERNELS:
        stencil = hotspots.kernel_stencil(10, 200, kernel)
        assert stencil.sum() * 100 == pytest.approx(1.0, rel=0.02), kernel
    with pytest.raises(ValueError, match="unknown kernel"):
        hotspots.kernel_weights(np.array([1.0]), 1.0, "epanechnikov-ish")


def test_gi_star_finds_a_planted_cluster_and_not_the_background():
    rng = np.random.default_rng(3)
    counts = rng.poisson(1.0, size=(40, 40)).astype(float)
    counts[20:23, 10:13] += 6
    g = gistar.gi_star_grid(counts, radius_cells=1)
    assert g.hot()[21, 11]
    assert g.hot()[20:23, 10:13].sum() >= 7
    # with FDR at 5%, the Poisson background yields (almost) no hot spots far from the cluster
    assert g.hot()[:15, 25:].sum() <= 1
    assert g.p.min() < 1e-6


def test_gi_star_matches_the_textbook_formula_at_one_cell():
    rng = np.random.default_rng(9)
    x = rng.poisson(2.0, size=(7, 9)).astype(float)
    z = gistar.gi_star_grid(x, radius_cells=1, fdr=False).z
    n, mean = x.size, x.mean()
    s = np.sqrt((x**2).mean() - mean**2)
    for r, c in [(3, 4), (0, 0), (6, 8)]:
        window = x[max(0, r - 1) : r + 2, max(0, c - 1) : c + 2]
        w = window.size
        expect = (window.sum() - mean * w) / (s * np.sqrt((n * w - w * w) / (n - 1)))
        assert z[r, c] == pytest.approx(expect)


def test_gi_star_on_h3_cells_flags_the_busiest_real_area(assaults):
    sample = assaults.filter(pl.col("occurred_from").dt.year() == 2018)
    counts = hotspots.h3_counts(sample, 8)
    result = gistar.gi_star_h3(counts, k=1)
    assert result["hot"].sum() > 0
    top = result.sort("count", descending=True).head(5)
    assert top["hot"].all()
    assert not result.filter(pl.col("count") <= 1)["hot"].any()


def test_fdr_is_stricter_than_the_raw_threshold():
    p = np.linspace(0.0001, 0.06, 600)
    assert gistar.fdr_mask(p, 0.05).sum() < (p <= 0.05).sum()


def test_mann_kendall_detects_monotone_trends():
    z, p = gistar.mann_kendall(np.arange(10, dtype=float))
    assert z > 0 and p < 0.001
    z, p = gistar.mann_kendall(np.array([3.0, 1, 4, 1, 5, 9, 2, 6, 5, 3]))
    assert p > 0.05


def test_hotspots_are_classified_over_time():
    periods = 10
    hot = np.zeros((periods, 6), dtype=bool)
    z = np.zeros((periods, 6))
    hot[:, 0] = True
    z[:, 0] = np.linspace(2.5, 9, periods)  # intensifying
    hot[:, 1] = True
    z[:, 1] = np.linspace(9, 2.5, periods)  # diminishing
    hot[:, 2] = True
    z[:, 2] = [3, 4, 3, 4, 3, 4, 3, 4, 3, 4]  # persistent
    hot[-1, 3] = True  # new
    hot[::2, 4] = True
    hot[-1, 4] = True  # sporadic
    hot[:-1, 5] = True  # historical
    z = np.where(hot & (z == 0), 3.0, z)
    assert gistar.classify_over_time(z, hot) == [
        "intensifying",
        "diminishing",
        "persistent",
        "new",
        "sporadic",
        "historical",
    ]


T = datetime(2026, 3, 2, tzinfo=UTC)


def test_aoristic_weight_is_the_share_of_the_window_inside_the_query():
    frame = pl.DataFrame(
        {
            "occurred_from": [T, T, T + timedelta(hours=30), T - timedelta(days=3)],
            "occurred_to": [T, T + timedelta(hours=48), T + timedelta(hours=30), T - timedelta(days=2)],
            "category": ["burglary", "burglary", "assault", "burglary"],
            "district_id": [1, 2, 1, 1],
        }
    )
    week = aoristic.select(frame, start=T, end=T + timedelta(days=1))
    assert week["weight"].to_list() == [1.0, 0.5]
    assert aoristic.select(frame, start=T, end=T + timedelta(days=7), categories=["assault"])["weight"].to_list() == [
        1.0
    ]
    assert aoristic.select(frame, start=T, end=T + timedelta(days=7), districts=[2]).height == 1
    assert aoristic.select(frame)["weight"].sum() == 4


def test_aoristic_hour_profile_keeps_one_unit_per_incident():
    rng = np.random.default_rng(1)
    start = rng.uniform(0, 160, 200)
    end = start + rng.choice([0.0, 0.5, 3.0, 30.0, 400.0], 200)
    profile = aoristic.hour_of_week_profile(start, end)
    assert profile.sum() == pytest.approx(200)
    assert profile.min() >= 0
