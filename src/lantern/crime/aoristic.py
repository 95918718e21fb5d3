"""Aoristic weighting and the common filters (type, time window, district) of hotspot queries.

An incident known only as a from-to window (a burglary found after a weekend away) cannot be
put in one hour or one week. Aoristic analysis (Ratcliffe 2000) spreads its single unit of
weight evenly over the window, so a query window receives the overlapping share.
Exact-time incidents (``occurred_to == occurred_from``) count fully when inside the window.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from lantern.crime.grid import FloatArray


def overlap_weight(start: datetime, end: datetime) -> pl.Expr:
    """Expression: the share of each incident's ``occurred_from``-``occurred_to`` window inside [start, end)."""
    t0, t1 = pl.col("occurred_from"), pl.col("occurred_to")
    lo = pl.max_horizontal(t0, pl.lit(start))
    hi = pl.min_horizontal(t1, pl.lit(end))
    span = (t1 - t0).dt.total_seconds()
    inside = (hi - lo).dt.total_seconds().clip(lower_bound=0)
    exact = ((t0 >= pl.lit(start)) & (t0 < pl.lit(end))).cast(pl.Float64)
    return pl.when(span <= 0).then(exact).otherwise(inside / span).alias("weight")


def select(
    frame: pl.DataFrame,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    categories: list[str] | None = None,
    districts: list[int] | None = None,
) -> pl.DataFrame:
    """Incidents of the given types and districts with an aoristic ``weight`` for the window [start, end).

    Rows with zero weight are dropped. Without a window every incident weighs 1.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> d = lambda h: datetime(2026, 1, 1, h, tzinfo=UTC)
    >>> f = pl.DataFrame({"occurred_from": [d(0), d(20)], "occurred_to": [d(0), d(23)],
    ...                   "category": ["burglary", "burglary"]})
    >>> select(f, start=d(21), end=d(23))["weight"].round(3).to_list()
    [0.667]
    """
    out = frame
    if categories:
        out = out.filter(pl.col("category").is_in(categories))
    if districts:
        out = out.filter(pl.col("district_id").is_in(districts))
    if start is None and end is None:
        return out.with_columns(pl.lit(1.0).alias("weight"))
    lo = start if start is not None else datetime.min.replace(tzinfo=end.tzinfo if end else None)
    hi = end if end is not None else datetime.max.replace(tzinfo=start.tzinfo if start else None)
    return out.with_columns(overlap_weight(lo, hi)).filter(pl.col("weight") > 0)


def hour_of_week_profile(t_from: FloatArray, t_to: FloatArray) -> FloatArray:
    """Aoristic hour-of-week profile (168 values summing to the number of incidents).

    ``t_from``/``t_to`` are hours since a Monday 00:00; each incident's weight is spread over the
    hours its window touches, in proportion to the time spent in each.

    Examples
    --------
    >>> p = hour_of_week_profile(np.array([1.0, 10.0]), np.array([1.0, 12.0]))
    >>> p[1], p[10], p[11], round(float(p.sum()), 6)
    (np.float64(1.0), np.float64(0.5), np.float64(0.5), 2.0)
    """
    profile = np.zeros(168)
    for a, b in zip(np.asarray(t_from, dtype=np.float64), np.asarray(t_to, dtype=np.float64), strict=True):
        if b <= a:
            profile[int(np.floor(a)) % 168] += 1.0
            continue
        span = b - a
        if span >= 168:
            profile += 1.0 / 168
            continue
        h = np.floor(a)
        while h < b:
            piece = min(b, h + 1) - max(a, h)
            profile[int(h) % 168] += piece / span
            h += 1
    return profile
