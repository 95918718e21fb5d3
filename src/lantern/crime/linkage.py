"""Crime series linkage: which other cases look like the work of the same offender(s).

A pair of cases is described by similarity features (after the crimelinkage package, Porter
2016): distance, time gap, difference in time of day and day of week (aoristic midpoints of
from-to windows), and whether each modus-operandi field matches, weighted by how rare the
shared value is. A pairwise classifier trained on known linked pairs turns the features into a
linkage score; :func:`rank_similar` lists, for one case, the most similar other cases.

This links *cases*, never persons: the output is "these incidents may belong together", for
an investigator to check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lantern.crime.grid import FloatArray

BASE_FEATURES = ("log_distance_m", "log_gap_days", "window_overlap", "tod_diff_h", "dow_diff_d", "log_window_h")


@dataclass(frozen=True)
class Cases:
    """Case attributes as arrays: x/y metres, aoristic midpoint and window (hours since epoch), MO fields."""

    ids: list[str]
    x: FloatArray
    y: FloatArray
    start_h: FloatArray
    end_h: FloatArray
    mo: dict[str, np.ndarray]
    mo_frequency: dict[str, dict[Any, float]]

    @classmethod
    def from_frame(cls, frame: pl.DataFrame, mo_columns: list[str], id_column: str = "crime_id") -> Cases:
        """From a frame with ``x``, ``y``, ``occurred_from``, ``occurred_to`` and the MO columns."""
        epoch = frame.select(
            pl.col("occurred_from").dt.epoch("s").alias("a"), pl.col("occurred_to").dt.epoch("s").alias("b")
        )
        start = epoch["a"].to_numpy() / 3600.0
        end = np.maximum(epoch["b"].to_numpy() / 3600.0, start)
        mo = {c: frame[c].fill_null("").cast(pl.String).to_numpy() for c in mo_columns}
        freq = {}
        for c, values in mo.items():
            uniq, counts = np.unique(values, return_counts=True)
            freq[c] = dict(zip(uniq.tolist(), (counts / len(values)).tolist(), strict=True))
        return cls(
            frame[id_column].cast(pl.String).to_list(),
            frame["x"].to_numpy().astype(np.float64),
            frame["y"].to_numpy().astype(np.float64),
            start,
            end,
            mo,
            freq,
        )

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def feature_names(self) -> list[str]:
        """Feature column names, in order."""
        return [*BASE_FEATURES, *(f"{c}_match" for c in self.mo), *(f"{c}_rarity" for c in self.mo)]


def _circular(a: FloatArray, b: FloatArray, period: float) -> FloatArray:
    d = np.abs(a - b) % period
    return np.minimum(d, period - d)


def pair_features(cases: Cases, i: np.ndarray, j: np.ndarray) -> FloatArray:
    """Similarity features of the pairs (i[k], j[k]); columns as :attr:`Cases.feature_names`.

    Examples
    --------
    >>> from datetime import datetime
    >>> f = pl.DataFrame({"crime_id": ["a", "b"], "x": [0.0, 300.0], "y": [0.0, 400.0],
    ...     "occurred_from": [datetime(2020, 1, 1, 22), datetime(2020, 1, 3, 1)],
    ...     "occurred_to": [datetime(2020, 1, 1, 22), datetime(2020, 1, 3, 3)], "entry": ["door", "door"]})
    >>> c = Cases.from_frame(f, ["entry"])
    >>> row = dict(zip(c.feature_names, pair_features(c, np.array([0]), np.array([1]))[0]))
    >>> round(float(np.expm1(row["log_distance_m"]))), float(row["tod_diff_h"]), float(row["entry_match"])
    (500, 4.0, 1.0)
    """
    mid_i = (cases.start_h[i] + cases.end_h[i]) / 2
    mid_j = (cases.start_h[j] + cases.end_h[j]) / 2
    distance = np.hypot(cases.x[i] - cases.x[j], cases.y[i] - cases.y[j])
    gap = np.abs(mid_i - mid_j) / 24.0
    overlap = np.maximum(
        0.0, np.minimum(cases.end_h[i], cases.end_h[j]) - np.maximum(cases.start_h[i], cases.start_h[j])
    )
    windows = (cases.end_h[i] - cases.start_h[i]) + (cases.end_h[j] - cases.start_h[j])
    columns = [
        np.log1p(distance),
        np.log1p(gap),
        (overlap > 0).astype(np.float64),
        _circular(mid_i, mid_j, 24.0),
        _circular(mid_i / 24.0, mid_j / 24.0, 7.0),
        np.log1p(windows),
    ]
    matches, rarities = [], []
    for c, values in cases.mo.items():
        same = (values[i] == values[j]) & (values[i] != "")
        matches.append(same.astype(np.float64))
        freq = np.array([cases.mo_frequency[c].get(v, 1.0) for v in values[i]])
        rarities.append(np.where(same, -np.log(freq), 0.0))
    return np.column_stack([*columns, *matches, *rarities])


def linked_matrix(case_ids: list[str], series: pl.DataFrame) -> np.ndarray:
    """Boolean (n, n): cases i and j share a series (e.g. an offender) in ``series`` (``crime_id``, ``series_id``)."""
    index = {c: k for k, c in enumerate(case_ids)}
    member = series.filter(pl.col("crime_id").is_in(case_ids))
    n = len(case_ids)
    groups = member.group_by("series_id").agg(pl.col("crime_id"))
    linked = np.zeros((n, n), dtype=bool)
    for crimes in groups["crime_id"].to_list():
        idx = [index[c] for c in crimes]
        linked[np.ix_(idx, idx)] = True
    np.fill_diagonal(linked, False)
    return linked


@dataclass
class LinkageModel:
    """Pairwise classifier: ``kind`` "boosting" (histogram gradient boosting) or "logistic"."""

    kind: str = "boosting"
    negatives_per_positive: int = 20
    seed: int = 0
    model: Any = None
    feature_names: list[str] = field(default_factory=list)

    def fit(self, cases: Cases, linked: np.ndarray) -> LinkageModel:
        """Train on every linked pair and a random sample of unlinked ones among ``cases``."""
        rng = np.random.default_rng(self.seed)
        iu, ju = np.triu_indices(len(cases), 1)
        positive = linked[iu, ju]
        if positive.sum() == 0:
            raise ValueError("no linked pairs among the training cases: nothing to learn from")
        neg = np.nonzero(~positive)[0]
        take = rng.choice(neg, size=min(len(neg), self.negatives_per_positive * int(positive.sum())), replace=False)
        rows = np.concatenate([np.nonzero(positive)[0], take])
        x = pair_features(cases, iu[rows], ju[rows])
        y = positive[rows].astype(int)
        if self.kind == "boosting":
            self.model = HistGradientBoostingClassifier(
                max_iter=200, learning_rate=0.05, max_leaf_nodes=15, random_state=self.seed
            )
        elif self.kind == "logistic":
            self.model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        else:
            raise ValueError(f"unknown model kind {self.kind!r}; use 'boosting' or 'logistic'")
        self.model.fit(x, y)
        self.feature_names = cases.feature_names
        return self

    def score(self, cases: Cases, i: np.ndarray, j: np.ndarray) -> FloatArray:
        """Linkage score (probability-like, 0-1) of each pair."""
        if self.model is None:
            raise ValueError("the linkage model is not trained: call fit first")
        return np.asarray(self.model.predict_proba(pair_features(cases, i, j))[:, 1], dtype=np.float64)


@dataclass(frozen=True)
class LinkageEvaluation:
    """ROC AUC over all test pairs and mean precision@k over cases with at least one linked partner."""

    auc: float
    precision_at_k: dict[int, float]
    test_pairs: int
    linked_test_pairs: int
    queries: int


def evaluate(
    model: LinkageModel, cases: Cases, linked: np.ndarray, ks: tuple[int, ...] = (1, 5, 10)
) -> LinkageEvaluation:
    """Score every pair of ``cases`` and compare with ``linked``."""
    n = len(cases)
    iu, ju = np.triu_indices(n, 1)
    scores = model.score(cases, iu, ju)
    truth = linked[iu, ju]
    full = np.full((n, n), -np.inf)
    full[iu, ju] = scores
    full[ju, iu] = scores
    queries = np.nonzero(linked.any(axis=1))[0]
    precision = {}
    for k in ks:
        hits = [linked[q, np.argsort(-full[q], kind="stable")[:k]].mean() for q in queries]
        precision[k] = float(np.mean(hits)) if hits else float("nan")
    return LinkageEvaluation(float(roc_auc_score(truth, scores)), precision, len(truth), int(truth.sum()), len(queries))


def rank_similar(model: LinkageModel, cases: Cases, case: int, k: int = 10) -> pl.DataFrame:
    """The ``k`` cases most likely linked to ``case``, with their score, distance and time gap."""
    others = np.array([m for m in range(len(cases)) if m != case])
    i = np.full(len(others), case)
    scores = model.score(cases, i, others)
    feats = pair_features(cases, i, others)
    order = np.argsort(-scores, kind="stable")[:k]
    return pl.DataFrame(
        {
            "crime_id": [cases.ids[m] for m in others[order]],
            "score": scores[order],
            "distance_m": np.expm1(feats[order, 0]),
            "gap_days": np.expm1(feats[order, 1]),
        }
    )


def split_by_time(frame: pl.DataFrame, share: float = 0.5) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The earliest ``share`` of cases for training, the rest for testing (no case in both)."""
    ordered = frame.sort("occurred_from")
    cut = round(share * ordered.height)
    return ordered.head(cut), ordered.tail(ordered.height - cut)


def series_from_parents(frame: pl.DataFrame, key: str = "natural_key", parent: str = "parent_key") -> pl.DataFrame:
    """``crime_id``, ``series_id``: each case's root ancestor along ``parent`` links (a simulator's truth).

    Examples
    --------
    >>> f = pl.DataFrame({"natural_key": ["a", "b", "c", "d"], "parent_key": [None, "a", "b", None]})
    >>> series_from_parents(f)["series_id"].to_list()
    ['a', 'a', 'a', 'd']
    """
    parent_of = dict(zip(frame[key].to_list(), frame[parent].to_list(), strict=True))
    roots = []
    for k in frame[key].to_list():
        root, seen = k, set()
        while parent_of.get(root) is not None and root not in seen:
            seen.add(root)
            root = parent_of[root]
        roots.append(root)
    return pl.DataFrame({"crime_id": frame[key], "series_id": roots})
