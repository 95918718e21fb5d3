"""Self-exciting point process on grid cells (Mohler et al. 2011, 2015), fitted by EM.

In each cell n the intensity is a constant background plus exponentially decaying
aftershocks of that cell's past incidents:

    lambda_n(t) = mu_n + sum_{t_i < t, i in n} theta * omega * exp(-omega (t - t_i))

This is the model of the Los Angeles field trial (Mohler et al. 2015, JASA 110:1399). EM
alternates between the probability that each incident was triggered by each earlier one in
its cell (or is background) and closed-form updates of mu, theta and omega.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lantern.crime.forecast.panel import Panel
from lantern.crime.grid import FloatArray


def _pairs(
    cell: np.ndarray, time: FloatArray, max_lag: int, cutoff_days: float
) -> tuple[np.ndarray, np.ndarray, FloatArray]:
    """Earlier-later pairs of incidents in the same cell less than ``cutoff_days`` apart."""
    order = np.lexsort((time, cell))
    c, t = cell[order], time[order]
    later, earlier = [], []
    for lag in range(1, max_lag + 1):
        same = (c[lag:] == c[:-lag]) & (t[lag:] - t[:-lag] < cutoff_days)
        if not same.any():
            break
        idx = np.nonzero(same)[0]
        later.append(order[idx + lag])
        earlier.append(order[idx])
    if not later:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    i = np.concatenate(later)
    j = np.concatenate(earlier)
    return i, j, time[i] - time[j]


@dataclass
class SEPP:
    """Mohler's grid ETAS: fitted on a trailing training window at every refit, then forecasting
    the expected count of the next period in each cell."""

    training_days: float = 730.0
    iterations: int = 40
    cutoff_days: float = 365.0
    max_lag: int = 200
    name: str = "SEPP / ETAS (Mohler)"
    fitted: dict[str, float] = field(default_factory=dict)
    mu: FloatArray = field(default_factory=lambda: np.zeros(0))

    def fit(self, history: Panel) -> None:
        """EM on the incidents of the last ``training_days`` of the history."""
        end = history.periods * history.period_days
        start = max(0.0, end - self.training_days)
        keep = (history.event_time >= start) & (history.event_time < end)
        cell, time = history.event_cell[keep], history.event_time[keep] - start
        span = end - start
        n_cells = history.grid.size
        i, j, dt = _pairs(cell, time, self.max_lag, self.cutoff_days)
        # Incidents recorded at the same minute in one cell are usually one event with several
        # victims; as "aftershocks" they would drive omega to infinity, so they are not pairs.
        real = dt > 1.0 / 1440
        i, j, dt = i[real], j[real], dt[real]
        theta, omega = 0.5, 0.1
        mu = np.bincount(cell, minlength=n_cells) / (2.0 * span)
        for _ in range(self.iterations):
            trig = theta * omega * np.exp(-omega * dt)
            background = mu[cell]
            denom = background + np.bincount(i, weights=trig, minlength=len(cell))
            p_trig = trig / denom[i]
            p_back = background / denom
            total_trig = p_trig.sum()
            theta = float(total_trig / len(cell))
            omega = float(total_trig / max((p_trig * dt).sum(), 1e-12))
            mu = np.bincount(cell, weights=p_back, minlength=n_cells) / span
        self.mu = mu
        self.fitted = {
            "theta": theta,
            "omega_per_day": omega,
            "mean_mu_per_day": float(mu.mean()),
            "incidents": float(len(cell)),
        }

    def predict(self, history: Panel) -> FloatArray:
        """Expected incidents per cell in the next period: background plus decaying aftershocks."""
        if not self.fitted:
            self.fit(history)
        theta, omega = self.fitted["theta"], self.fitted["omega_per_day"]
        t0 = history.periods * history.period_days
        length = history.period_days
        age = t0 - history.event_time
        recent = age < self.cutoff_days
        weight = theta * (np.exp(-omega * age[recent]) - np.exp(-omega * (age[recent] + length)))
        trig = np.bincount(history.event_cell[recent], weights=weight, minlength=history.grid.size)
        return self.mu * length + trig

    def parameters(self) -> dict[str, Any]:
        """Settings and the last fitted values."""
        return {
            "training_days": self.training_days,
            "em_iterations": self.iterations,
            "cutoff_days": self.cutoff_days,
            "fitted": {k: round(v, 5) for k, v in self.fitted.items()},
        }
