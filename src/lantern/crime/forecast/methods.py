"""The standard forecasting methods: naive, retrospective KDE, prospective (Bowers-Johnson).

Every method sees only a *history*: a :class:`Panel` cut at the forecast origin, so it cannot
look at the period it forecasts. ``fit`` is called at each refit origin with the history then;
``predict`` returns one score per flat cell for the period right after the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from scipy.signal import fftconvolve

from lantern.crime.forecast.panel import Panel
from lantern.crime.grid import FloatArray
from lantern.crime.hotspots import kernel_stencil


class Method(Protocol):
    """A forecasting method."""

    name: str

    def fit(self, history: Panel) -> None:
        """Learn parameters from the history (no-op for the rule-based methods)."""

    def predict(self, history: Panel) -> FloatArray:
        """Score per flat cell for the period right after the history."""

    def parameters(self) -> dict[str, Any]:
        """The settings of this run, stored beside every result."""


def window_sum(history: Panel, periods: int) -> FloatArray:
    """Counts over the last ``periods`` periods of the history, as a (ny, nx) array."""
    return np.asarray(history.counts[max(0, history.periods - periods) :].sum(axis=0, dtype=np.float64))


@dataclass
class Naive:
    """Last period's counts: the cells busiest last week are forecast busiest next week."""

    name: str = "naive (last period)"

    def fit(self, history: Panel) -> None:
        """Nothing to learn."""

    def predict(self, history: Panel) -> FloatArray:
        """Counts of the last period."""
        return window_sum(history, 1).ravel()

    def parameters(self) -> dict[str, Any]:
        """No parameters."""
        return {}


@dataclass
class RetrospectiveKDE:
    """Quartic kernel density of the incidents in a trailing window, all weighted equally."""

    bandwidth_m: float = 400.0
    window_periods: int = 52
    name: str = "retrospective KDE"

    def fit(self, history: Panel) -> None:
        """Nothing to learn."""

    def predict(self, history: Panel) -> FloatArray:
        """Kernel-smoothed counts of the trailing window."""
        stencil = kernel_stencil(history.grid.cell_m, self.bandwidth_m, "quartic")
        return np.asarray(fftconvolve(window_sum(history, self.window_periods), stencil, mode="same").ravel())

    def parameters(self) -> dict[str, Any]:
        """Bandwidth and window."""
        return {"bandwidth_m": self.bandwidth_m, "window_periods": self.window_periods, "kernel": "quartic"}


def prospective_stencil(cell_m: float, bandwidth_m: float) -> FloatArray:
    """Bowers-Johnson spatial weights: 1 / (1 + distance in cells) within the bandwidth, else 0."""
    r = int(np.floor(bandwidth_m / cell_m))
    off = np.arange(-r, r + 1)
    dx, dy = np.meshgrid(off, off)
    d = np.hypot(dx, dy)
    return np.where(d * cell_m <= bandwidth_m, 1.0 / (1.0 + d), 0.0)


@dataclass
class Prospective:
    """Prospective hotspotting (Bowers, Johnson & Pease 2004).

    Each recent incident adds 1/(1 + d) x 1/(1 + w) to every cell within the bandwidth, d being
    the distance in cells and w the number of whole periods since the incident (0 for the last
    period). The original used 400 m and two months for burglary; here the bandwidths are
    parameters.
    """

    bandwidth_m: float = 400.0
    window_periods: int = 8
    name: str = "prospective (Bowers-Johnson)"

    def fit(self, history: Panel) -> None:
        """Nothing to learn."""

    def predict(self, history: Panel) -> FloatArray:
        """Distance- and age-weighted sum of recent incidents."""
        stencil = prospective_stencil(history.grid.cell_m, self.bandwidth_m)
        ages = np.arange(min(self.window_periods, history.periods))
        recent = history.counts[history.periods - 1 - ages].astype(np.float64)  # newest first
        weighted = np.tensordot(1.0 / (1.0 + ages), recent, axes=1)
        return np.asarray(fftconvolve(weighted, stencil, mode="same").ravel())

    def parameters(self) -> dict[str, Any]:
        """Bandwidths."""
        return {"bandwidth_m": self.bandwidth_m, "window_periods": self.window_periods}


@dataclass
class Ensemble:
    """Rank average of several methods' forecasts (each rescaled to its share of the total)."""

    members: list[Method] = field(default_factory=list)
    name: str = "ensemble"

    def fit(self, history: Panel) -> None:
        """Fit every member."""
        for m in self.members:
            m.fit(history)

    def predict(self, history: Panel) -> FloatArray:
        """Mean of the members' normalised scores."""
        out = np.zeros(history.grid.size)
        for m in self.members:
            s = m.predict(history)
            out += s / s.sum() if s.sum() > 0 else s
        return out / max(1, len(self.members))

    def parameters(self) -> dict[str, Any]:
        """The members' parameters."""
        return {m.name: m.parameters() for m in self.members}
