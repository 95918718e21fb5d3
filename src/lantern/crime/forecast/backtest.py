"""Rolling-origin back-test: every period of the test span is forecast from the data before it.

At each origin t the methods see a :class:`Panel` cut at t (they cannot see period t); methods
with parameters are refitted at the first origin and then every ``refit_every`` periods. Each
forecast is scored against period t's incidents inside the study area (cells with at least one
incident before the test span), at each coverage share.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from lantern.crime.forecast.methods import Method
from lantern.crime.forecast.metrics import coverage_metrics
from lantern.crime.forecast.panel import Panel

COVERAGES = (0.01, 0.05, 0.10)


def cut(panel: Panel, t: int) -> Panel:
    """The panel as it was known at the start of period ``t``: periods before t, events before t."""
    end_day = t * panel.period_days
    n_events = int(np.searchsorted(panel.event_time, end_day, side="left"))
    return Panel(
        panel.grid,
        panel.start,
        panel.period_hours,
        panel.counts[:t],
        panel.event_cell[:n_events],
        panel.event_time[:n_events],
    )


@dataclass
class BacktestResult:
    """Per-origin scores (one row per method x origin x coverage) and the run's parameters."""

    rows: pl.DataFrame
    parameters: dict[str, Any] = field(default_factory=dict)

    def summary(self, by: tuple[str, ...] = ("method",)) -> pl.DataFrame:
        """Mean hit rate, PAI and PEI per method (and any other key) and coverage."""
        return (
            self.rows.group_by([*by, "coverage"], maintain_order=True)
            .agg(
                # a period without incidents has no hit rate (NaN): left out of the mean, not zero
                pl.col("hit_rate").fill_nan(None).mean(),
                pl.col("pai").fill_nan(None).mean(),
                pl.col("pei").fill_nan(None).mean(),
                pl.len().alias("origins"),
            )
            .sort([*by, "coverage"], maintain_order=True)
        )


def rolling_origin(
    panel: Panel,
    methods: list[Method],
    origins: list[int],
    *,
    refit_every: int = 52,
    coverages: tuple[float, ...] = COVERAGES,
    labels: dict[int, str] | None = None,
) -> BacktestResult:
    """Forecast every origin with every method and score it; ``labels`` names each origin's block (e.g. its year)."""
    if not origins:
        raise ValueError("a back-test needs at least one forecast origin")
    if min(origins) < 1 or max(origins) >= panel.periods:
        raise ValueError(f"origins must lie in 1..{panel.periods - 1}")
    area = np.nonzero(panel.counts[: min(origins)].sum(axis=0).ravel() > 0)[0]
    records: list[dict[str, Any]] = []
    timings: dict[str, float] = {m.name: 0.0 for m in methods}
    fitted_at: dict[str, list[int]] = {m.name: [] for m in methods}
    previous_block: str | None = None
    since_fit = 0
    for t in sorted(origins):
        block = (labels or {}).get(t, "")
        refit = previous_block is None or block != previous_block or since_fit >= refit_every
        since_fit = 0 if refit else since_fit + 1
        previous_block = block
        history = cut(panel, t)
        actual = panel.flat(t)[area].astype(np.float64)
        for method in methods:
            start = time.perf_counter()
            if refit:
                method.fit(history)
                fitted_at[method.name].append(t)
            score = method.predict(history)[area]
            timings[method.name] += time.perf_counter() - start
            for share in coverages:
                m = coverage_metrics(score, actual, share)
                records.append(
                    {
                        "method": method.name,
                        "origin": t,
                        "block": block,
                        "period_start": panel.period_start(t),
                        "coverage": share,
                        "incidents": float(actual.sum()),
                        **m,
                    }
                )
    parameters = {
        "grid": {
            "cell_m": panel.grid.cell_m,
            "nx": panel.grid.nx,
            "ny": panel.grid.ny,
            "x0": panel.grid.x0,
            "y0": panel.grid.y0,
        },
        "study_area_cells": len(area),
        "study_area_km2": round(len(area) * panel.grid.cell_m**2 / 1e6, 2),
        "period_hours": panel.period_hours,
        "origins": len(origins),
        "first_origin": panel.period_start(min(origins)).isoformat(),
        "last_origin": panel.period_start(max(origins)).isoformat(),
        "refit_every_periods": refit_every,
        "methods": {m.name: m.parameters() for m in methods},
        "refit_origins": {
            name: [panel.period_start(t).date().isoformat() for t in ts] for name, ts in fitted_at.items()
        },
        "seconds": {name: round(s, 2) for name, s in timings.items()},
    }
    return BacktestResult(pl.DataFrame(records), parameters)
