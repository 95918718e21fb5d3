"""Our model: gradient boosting (Poisson loss) on lagged counts of each cell and its surroundings.

Features of cell c for the period after a history of length t, all from periods before t:
counts in the last 1, 4, 13, 52 and up to 260 periods (the last as a rate), the same counts
smoothed over the surroundings (3x3 and 7x7 cell windows, a 400 m quartic kernel), the
Bowers-Johnson prospective score, the same season last year, and the season (sin/cos of the
period within the year). A HistGradientBoostingRegressor with Poisson loss predicts the next
period's count. It is refitted at each refit origin on the preceding ``training_periods``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.signal import fftconvolve
from sklearn.ensemble import HistGradientBoostingRegressor

from lantern.crime.forecast.methods import Prospective
from lantern.crime.forecast.panel import Panel
from lantern.crime.grid import FloatArray
from lantern.crime.hotspots import kernel_stencil

FEATURES = (
    "last_1",
    "last_4",
    "last_13",
    "last_52",
    "rate_260",
    "box3_last_4",
    "box3_last_52",
    "box7_last_52",
    "kde400_last_13",
    "prospective",
    "last_year_same_season",
    "season_sin",
    "season_cos",
)


class _Cumulative:
    """Running sums over the time axis so any window sum costs one subtraction."""

    def __init__(self, counts: FloatArray) -> None:
        self.cum = np.concatenate([np.zeros((1, *counts.shape[1:])), np.cumsum(counts, axis=0, dtype=np.float64)])

    def window(self, end: int, length: int) -> FloatArray:
        """Sum of periods [end - length, end)."""
        return np.asarray(self.cum[end] - self.cum[max(0, end - length)])


def _box(a: FloatArray, size: int) -> FloatArray:
    return np.asarray(fftconvolve(a, np.ones((size, size)), mode="same"))


def features(history: Panel, cum: _Cumulative, t: int, cells: np.ndarray) -> FloatArray:
    """Feature matrix (len(cells), len(FEATURES)) for forecasting period ``t`` from periods < t."""
    last4, last13, last52 = cum.window(t, 4), cum.window(t, 13), cum.window(t, 52)
    seen = min(t, 260)
    rate = cum.window(t, 260) / max(1, seen)
    kde = fftconvolve(last13, kernel_stencil(history.grid.cell_m, 400.0, "quartic"), mode="same")
    cut = Panel(
        history.grid, history.start, history.period_hours, history.counts[:t], history.event_cell, history.event_time
    )
    prospective = Prospective().predict(cut).reshape(last4.shape)
    periods_per_year = 8766.0 / history.period_hours
    lag = round(periods_per_year)
    last_year = cum.window(t - lag + 2, 3) if t - lag + 2 > 0 else np.zeros_like(last4)
    phase = 2 * np.pi * (t % periods_per_year) / periods_per_year
    columns = [
        cum.window(t, 1),
        last4,
        last13,
        last52,
        rate,
        _box(last4, 3),
        _box(last52, 3),
        _box(last52, 7),
        kde,
        prospective,
        last_year,
    ]
    matrix = np.column_stack([c.ravel()[cells] for c in columns])
    season = np.column_stack([np.full(len(cells), np.sin(phase)), np.full(len(cells), np.cos(phase))])
    return np.hstack([matrix, season])


@dataclass
class GradientBoosting:
    """Poisson gradient boosting on lagged cell features (refitted at each refit origin)."""

    training_periods: int = 156
    max_iter: int = 300
    learning_rate: float = 0.05
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 200
    seed: int = 0
    # first period a training row may come from: 53 so that every lag (up to 52) is observed;
    # a short history (the demo's single year of weeks) lowers it and says so in parameters()
    min_history: int = 53
    name: str = "gradient boosting (ours)"
    model: HistGradientBoostingRegressor | None = None
    cells: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _cum: _Cumulative | None = None
    _cum_periods: int = -1

    def _cumulative(self, history: Panel) -> _Cumulative:
        if self._cum is None or self._cum_periods != history.periods:
            self._cum = _Cumulative(history.counts)
            self._cum_periods = history.periods
        return self._cum

    def fit(self, history: Panel) -> None:
        """Train on (cell, period) rows of the last ``training_periods`` periods of the history."""
        cum = self._cumulative(history)
        # the study area: cells with any incident in the history
        self.cells = np.nonzero(history.counts.sum(axis=0).ravel() > 0)[0]
        first = max(self.min_history, history.periods - self.training_periods)
        if first >= history.periods:
            raise ValueError(
                f"gradient boosting needs more than {self.min_history} periods of history, got {history.periods}"
            )
        xs, ys = [], []
        for t in range(first, history.periods):
            xs.append(features(history, cum, t, self.cells))
            ys.append(history.counts[t].ravel()[self.cells])
        self.model = HistGradientBoostingRegressor(
            loss="poisson",
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            random_state=self.seed,
        )
        self.model.fit(np.vstack(xs), np.concatenate(ys))

    def predict(self, history: Panel) -> FloatArray:
        """Expected count per cell for the next period (0 outside the trained study area)."""
        if self.model is None:
            self.fit(history)
        assert self.model is not None
        cum = self._cumulative(history)
        out = np.zeros(history.grid.size)
        out[self.cells] = self.model.predict(features(history, cum, history.periods, self.cells))
        return out

    def parameters(self) -> dict[str, Any]:
        """Hyper-parameters and features."""
        return {
            "training_periods": self.training_periods,
            "max_iter": self.max_iter,
            "learning_rate": self.learning_rate,
            "max_leaf_nodes": self.max_leaf_nodes,
            "min_samples_leaf": self.min_samples_leaf,
            "loss": "poisson",
            "seed": self.seed,
            "min_history": self.min_history,
            "features": list(FEATURES),
        }
