"""Hit rate, PAI and PEI of a ranked forecast at a share of the study area.

- hit rate: share of the period's incidents that fall in the selected cells;
- PAI (Chainey et al. 2008): hit rate / share of area selected;
- PEI (Hunt 2016): incidents captured / the most any selection of that many cells could capture.

Ties in the score at the selection boundary are resolved by expectation: the tied cells that
straddle the boundary count with the fraction that a random tie-break would select. A naive
last-week forecast has thousands of tied zero cells; sorting them by cell number instead would
quietly favour whichever part of the city is numbered first.
"""

from __future__ import annotations

import numpy as np

from lantern.crime.grid import FloatArray


def captured(score: FloatArray, actual: FloatArray, k: float) -> float:
    """Expected incidents in the ``k`` highest-scoring cells, ties at the boundary shared out."""
    s = np.asarray(score, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    if k <= 0 or s.size == 0:
        return 0.0
    if k >= s.size:
        return float(a.sum())
    threshold = np.partition(s, s.size - int(np.ceil(k)))[s.size - int(np.ceil(k))]
    above = s > threshold
    tied = s == threshold
    room = k - above.sum()
    return float(a[above].sum() + a[tied].sum() * room / tied.sum())


def coverage_metrics(score: FloatArray, actual: FloatArray, share: float) -> dict[str, float]:
    """Hit rate, PAI and PEI when the top ``share`` (0-1) of cells is selected.

    Examples
    --------
    >>> m = coverage_metrics(np.array([3.0, 2, 1, 0]), np.array([4.0, 0, 1, 5]), 0.25)
    >>> m["hit_rate"], m["pai"], m["pei"]
    (0.4, 1.6, 0.8)
    """
    a = np.asarray(actual, dtype=np.float64)
    total = float(a.sum())
    k = share * a.size
    hits = captured(score, a, k)
    best = captured(a, a, k)
    hit_rate = hits / total if total > 0 else float("nan")
    return {
        "hit_rate": hit_rate,
        "pai": hit_rate / (k / a.size) if total > 0 else float("nan"),
        "pei": hits / best if best > 0 else float("nan"),
    }


def select_top(score: FloatArray, share: float) -> tuple[np.ndarray, np.ndarray]:
    """Cells to map for a forecast at ``share`` of the area: (indices best first, tied-at-the-cut flags).

    The top ``share`` of cells by score (rounded to whole cells, at least one); cells tied with
    the last one that fits are all returned and flagged (any of them could be the one chosen:
    picking by cell number would favour one part of the city, as in :func:`captured`). Cells
    scoring 0 are never selected.

    Examples
    --------
    >>> idx, tied = select_top(np.array([0.0, 5, 1, 1, 3, 0, 0, 0, 0, 0]), 0.3)
    >>> idx.tolist(), tied.tolist()
    ([1, 4, 2, 3], [False, False, True, True])
    """
    s = np.asarray(score, dtype=np.float64)
    k = max(1, int(np.floor(share * s.size + 0.5)))  # nearest whole cell to the back-test's k
    if s.size == 0 or not (s > 0).any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    order = np.argsort(-s, kind="stable")
    threshold = s[order[min(k, s.size) - 1]]
    above = order[s[order] > threshold]
    tied_cells = order[s[order] == threshold] if threshold > 0 else order[:0]
    if len(above) + len(tied_cells) <= k:  # the cut falls on a clear step: no tie to flag
        chosen = np.concatenate([above, tied_cells])
        return chosen.astype(np.int64), np.zeros(len(chosen), dtype=bool)
    chosen = np.concatenate([above, tied_cells])
    flags = np.concatenate([np.zeros(len(above), dtype=bool), np.ones(len(tied_cells), dtype=bool)])
    return chosen.astype(np.int64), flags
