"""Getis-Ord Gi* hot spots (square grids and H3 cells) and their classification over time.

Gi* (Getis & Ord 1992; Ord & Getis 1995) compares the sum of counts in a cell's neighbourhood
(the cell itself included) with what the study-wide mean predicts; the statistic is a z-score.
Significance is two-sided from the normal distribution, with an optional Benjamini-Hochberg
false-discovery-rate correction because thousands of cells are tested at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import h3
import numpy as np
import polars as pl
from scipy import stats
from scipy.signal import fftconvolve

from lantern.crime.grid import FloatArray

CLASSES = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "historical", "none")


@dataclass(frozen=True)
class GiStar:
    """Gi* z-scores, two-sided p-values and the significant mask (hot > 0, cold < 0)."""

    z: FloatArray
    p: FloatArray
    significant: np.ndarray  # bool, same shape as z

    def hot(self) -> np.ndarray:
        """Cells that are significant hot spots."""
        return self.significant & (self.z > 0)


def _gi_star(sum_wx: FloatArray, sum_w: FloatArray, sum_w2: FloatArray, x: FloatArray) -> FloatArray:
    n = x.size
    if n < 2:  # one cell has no neighbourhood to differ from (schemathesis found the 0/0)
        return np.zeros_like(sum_wx, dtype=np.float64)
    mean = x.mean()
    s = np.sqrt(max((x * x).mean() - mean * mean, 0.0))
    denom = s * np.sqrt(np.maximum(n * sum_w2 - sum_w * sum_w, 0.0) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (sum_wx - mean * sum_w) / denom
    return np.where(denom > 0, z, 0.0)


def fdr_mask(p: FloatArray, alpha: float) -> np.ndarray:
    """Benjamini-Hochberg: which p-values are significant at false-discovery rate ``alpha``."""
    flat = np.asarray(p, dtype=np.float64).ravel()
    order = np.argsort(flat)
    ranked = flat[order]
    m = flat.size
    below = ranked <= alpha * (np.arange(1, m + 1) / m)
    mask = np.zeros(m, dtype=bool)
    if below.any():
        mask[order[: np.nonzero(below)[0].max() + 1]] = True
    return mask.reshape(np.shape(p))


def _significance(z: FloatArray, alpha: float, fdr: bool) -> GiStar:
    p = 2 * stats.norm.sf(np.abs(z))
    sig = fdr_mask(p, alpha) if fdr else p <= alpha
    return GiStar(z, p, sig)


def gi_star_grid(counts: FloatArray, radius_cells: int = 1, alpha: float = 0.05, fdr: bool = True) -> GiStar:
    """Gi* on a (ny, nx) grid of counts with binary weights over a (2r+1)² square window.

    Every cell of the grid, empty ones included, is part of the study area. Cells at the edge
    have fewer neighbours and the statistic accounts for it.

    Examples
    --------
    >>> c = np.zeros((15, 15)); c[7, 7] = 30; c[6:9, 6:9] += 5
    >>> g = gi_star_grid(c)
    >>> bool(g.hot()[7, 7]), bool(g.hot()[0, 0])
    (True, False)
    """
    if radius_cells < 1:
        raise ValueError(f"radius must be at least 1 cell, got {radius_cells}")
    x = np.asarray(counts, dtype=np.float64)
    window = np.ones((2 * radius_cells + 1, 2 * radius_cells + 1))
    sum_wx = np.rint(fftconvolve(x, window, mode="same") * 1e6) / 1e6
    sum_w = np.rint(fftconvolve(np.ones_like(x), window, mode="same"))
    z = _gi_star(sum_wx, sum_w, sum_w, x)
    return _significance(z, alpha, fdr)


def gi_star_h3(counts: pl.DataFrame, k: int = 1, alpha: float = 0.05, fdr: bool = True) -> pl.DataFrame:
    """Gi* over H3 cells (``h3_cell``, ``count``) with the k-ring (cell included) as neighbourhood.

    The study area is the set of cells in ``counts``: pass zero-count cells explicitly.
    Returns the input with ``z``, ``p`` and ``hot`` / ``cold`` columns.
    """
    cells = counts["h3_cell"].to_list()
    x = counts["count"].to_numpy().astype(np.float64)
    position = {c: i for i, c in enumerate(cells)}
    sum_wx = np.zeros_like(x)
    sum_w = np.zeros_like(x)
    for i, cell in enumerate(cells):
        nbrs = [position[c] for c in h3.grid_disk(cell, k) if c in position]
        sum_wx[i] = x[nbrs].sum()
        sum_w[i] = len(nbrs)
    res = _significance(_gi_star(sum_wx, sum_w, sum_w, x), alpha, fdr)
    return counts.with_columns(
        pl.Series("z", res.z),
        pl.Series("p", res.p),
        pl.Series("hot", res.significant & (res.z > 0)),
        pl.Series("cold", res.significant & (res.z < 0)),
    )


def mann_kendall(series: FloatArray) -> tuple[float, float]:
    """Mann-Kendall trend test on the last axis: (S-based z, two-sided p), ties corrected."""
    y = np.asarray(series, dtype=np.float64)
    n = y.shape[-1]
    diff = np.sign(y[..., None, :] - y[..., :, None])
    s = np.triu(diff, 1).sum(axis=(-1, -2))
    _, tie_counts = np.unique(np.round(y, 9), return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - np.sum(tie_counts * (tie_counts - 1) * (2 * tie_counts + 5))) / 18.0
    if var <= 0:
        return 0.0, 1.0
    z = (s - np.sign(s)) / np.sqrt(var)
    return float(z), float(2 * stats.norm.sf(abs(z)))


def classify_over_time(z_by_period: FloatArray, hot_by_period: np.ndarray, alpha: float = 0.05) -> list[str]:
    """Classify each cell from its Gi* history, oldest period first (after ArcGIS's emerging hot spots).

    ``z_by_period`` and ``hot_by_period`` are (periods, cells). Classes, checked in this order:

    - ``new``: hot in the final period and never before;
    - ``consecutive``: hot in an unbroken run of final periods, fewer than 90% of all, never before the run;
    - ``intensifying`` / ``diminishing``: hot in at least 90% of periods including the final one,
      with a significant increasing / decreasing Mann-Kendall trend in z;
    - ``persistent``: hot in at least 90% of periods including the final one, no significant trend;
    - ``sporadic``: hot in the final period, on and off before;
    - ``historical``: hot in at least half of the periods but not in the final one;
    - ``none``: otherwise.

    Examples
    --------
    >>> hot = np.array([[0, 0, 1], [0, 1, 1], [1, 1, 0]], dtype=bool)  # 3 periods x 3 cells
    >>> classify_over_time(np.where(hot, 3.0, 0.0), hot)
    ['new', 'consecutive', 'historical']
    """
    z = np.asarray(z_by_period, dtype=np.float64)
    hot = np.asarray(hot_by_period, dtype=bool)
    periods = hot.shape[0]
    out = []
    for c in range(hot.shape[1]):
        h = hot[:, c]
        share = h.mean()
        last = bool(h[-1])
        run = 0
        while run < periods and h[periods - 1 - run]:
            run += 1
        before_run = h[: periods - run]
        if last and h.sum() == 1:
            out.append("new")
        elif last and share < 0.9 and not before_run.any():
            out.append("consecutive")
        elif last and share >= 0.9:
            mk_z, mk_p = mann_kendall(z[:, c]) if periods >= 4 else (0.0, 1.0)
            if mk_p <= alpha and mk_z > 0:
                out.append("intensifying")
            elif mk_p <= alpha and mk_z < 0:
                out.append("diminishing")
            else:
                out.append("persistent")
        elif last:
            out.append("sporadic")
        elif share >= 0.5:
            out.append("historical")
        else:
            out.append("none")
    return out
