"""The 0-10 traffic performance index, its five levels, and network aggregation of TTI.

Beijing's DB11/T 785 reports congestion as a 0-10 index in five bands: [0,2) 畅通 (free
flow), [2,4) 基本畅通, [4,6) 轻度拥堵, [6,8) 中度拥堵, [8,10] 严重拥堵. The standard computes
its index from the share of congested road-km; Lantern derives it from TTI instead, with a
piecewise-linear map whose breakpoints are the extra travel time the Beijing Transport
Institute publishes for each band (a trip takes 0.2-0.5x longer than at free flow in
基本畅通, 0.5-0.8x in 轻度拥堵, 0.8-1.1x in 中度拥堵, more than 1.1x in 严重拥堵)::

    TTI    1.0   1.2   1.5   1.8   2.1   2.4 (and above)
    index  0     2     4     6     8     10

so a TTI of 1.65 reads as index 5.0 (light congestion). The top breakpoint (TTI 2.4 -> 10) is
Lantern's choice: the published bands leave 严重拥堵 open-ended, and 2.4 keeps the same 0.3
step as the bands below. All breakpoints and the level thresholds are configurable through
:class:`IndexScale`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise

import polars as pl

LEVELS_ZH = ("畅通", "基本畅通", "轻度拥堵", "中度拥堵", "严重拥堵")
LEVEL_CODES = ("free", "basically_free", "light", "moderate", "severe")


@dataclass(frozen=True)
class IndexScale:
    """Breakpoints of the TTI -> 0-10 map and the index thresholds between the five levels."""

    tti_breaks: tuple[float, ...] = (1.0, 1.2, 1.5, 1.8, 2.1, 2.4)
    index_breaks: tuple[float, ...] = (0.0, 2.0, 4.0, 6.0, 8.0, 10.0)
    level_breaks: tuple[float, ...] = (2.0, 4.0, 6.0, 8.0)
    levels: tuple[str, ...] = LEVELS_ZH
    codes: tuple[str, ...] = LEVEL_CODES

    def __post_init__(self) -> None:
        if len(self.tti_breaks) != len(self.index_breaks) or len(self.tti_breaks) < 2:
            raise ValueError("tti_breaks and index_breaks need the same length, at least 2")
        for name, values in (("tti_breaks", self.tti_breaks), ("index_breaks", self.index_breaks)):
            if any(b <= a for a, b in pairwise(values)):
                raise ValueError(f"{name} must increase strictly, got {values}")
        if any(b <= a for a, b in pairwise(self.level_breaks)):
            raise ValueError(f"level_breaks must increase strictly, got {self.level_breaks}")
        if not len(self.levels) == len(self.codes) == len(self.level_breaks) + 1:
            raise ValueError("there must be one more level (and code) than level_breaks")


DEFAULT_SCALE = IndexScale()


def index_expr(tti: pl.Expr, scale: IndexScale = DEFAULT_SCALE) -> pl.Expr:
    """The 0-10 index of a TTI expression: piecewise-linear between breakpoints, clamped at both ends."""
    t, k = scale.tti_breaks, scale.index_breaks
    expr: pl.Expr = pl.lit(k[-1])
    for i in reversed(range(len(t) - 1)):
        slope = (k[i + 1] - k[i]) / (t[i + 1] - t[i])
        expr = pl.when(tti < t[i + 1]).then(k[i] + (tti - t[i]) * slope).otherwise(expr)
    # Null first: a null comparison counts as false in when(), which would read "no data" as 10.
    return pl.when(tti.is_null()).then(None).when(tti <= t[0]).then(pl.lit(k[0])).otherwise(expr)


def level_expr(index: pl.Expr, scale: IndexScale = DEFAULT_SCALE, *, codes: bool = False) -> pl.Expr:
    """Level name of an index expression; bands are closed on the left ([2,4) is the second level)."""
    names = scale.codes if codes else scale.levels
    expr: pl.Expr = pl.lit(names[-1])
    for i in reversed(range(len(scale.level_breaks))):
        expr = pl.when(index < scale.level_breaks[i]).then(pl.lit(names[i])).otherwise(expr)
    return pl.when(index.is_null()).then(pl.lit(None, dtype=pl.String)).otherwise(expr)


def tti_to_index(tti: pl.Series | Sequence[float], scale: IndexScale = DEFAULT_SCALE) -> pl.Series:
    """The 0-10 index of TTI values.

    Examples
    --------
    >>> tti_to_index([1.0, 1.1, 1.65, 2.1, 3.0]).round(6).to_list()
    [0.0, 1.0, 5.0, 8.0, 10.0]
    """
    series = tti if isinstance(tti, pl.Series) else pl.Series("tti", tti, dtype=pl.Float64)
    return pl.select(index_expr(pl.lit(series), scale).alias("index")).to_series()


def index_to_level(index: pl.Series | Sequence[float], scale: IndexScale = DEFAULT_SCALE) -> pl.Series:
    """Level names of 0-10 index values.

    Examples
    --------
    >>> index_to_level([0.0, 3.9, 4.0, 9.5]).to_list()
    ['畅通', '基本畅通', '轻度拥堵', '严重拥堵']
    """
    series = index if isinstance(index, pl.Series) else pl.Series("index", index, dtype=pl.Float64)
    return pl.select(level_expr(pl.lit(series), scale).alias("level")).to_series()


def vehicle_km_expr(flow: str = "flow_veh_h", length: str = "length_m", interval_minutes: float = 5.0) -> pl.Expr:
    """Vehicle-kilometres driven over one interval: flow (veh/h) x interval (h) x length (km)."""
    return pl.col(flow) * (interval_minutes / 60.0) * pl.col(length) / 1000.0


def aggregate_index(
    frame: pl.DataFrame,
    by: Sequence[str] = ("time",),
    *,
    weight: str | pl.Expr | None = None,
    scale: IndexScale = DEFAULT_SCALE,
) -> pl.DataFrame:
    """Weighted mean TTI per group (corridor, district, city per time...) and its 0-10 index and level.

    ``weight`` is a column name or expression: segment length (``"length_m"``) for a network
    of unequal segments, vehicle-km (:func:`vehicle_km_expr`) when flows are known, ``None``
    for equal weights (point detectors with no length, as in METR-LA). Rows with a null TTI or
    weight, or a weight <= 0, are left out. ``segments`` counts the rows that contributed.

    Examples
    --------
    >>> f = pl.DataFrame({"district": ["a", "a", "b"], "tti": [1.0, 2.0, 1.5], "length_m": [300.0, 100.0, 50.0]})
    >>> out = aggregate_index(f, ["district"], weight="length_m")
    >>> out.select("district", "tti", pl.col("index").round(3), "level").rows()
    [('a', 1.25, 2.333, '基本畅通'), ('b', 1.5, 4.0, '轻度拥堵')]
    """
    w = pl.lit(1.0) if weight is None else (pl.col(weight) if isinstance(weight, str) else weight)
    keys = list(by)
    usable = (
        frame.lazy()
        .with_columns(w.cast(pl.Float64).alias("_w"))
        .filter(pl.col("tti").is_not_null() & pl.col("_w").is_not_null() & (pl.col("_w") > 0))
    )
    return (
        usable.group_by(keys)
        .agg(
            ((pl.col("tti") * pl.col("_w")).sum() / pl.col("_w").sum()).alias("tti"),
            pl.len().alias("segments"),
            pl.col("_w").sum().alias("weight_total"),
        )
        .with_columns(index_expr(pl.col("tti"), scale).alias("index"))
        .with_columns(
            level_expr(pl.col("index"), scale).alias("level"),
            level_expr(pl.col("index"), scale, codes=True).alias("level_code"),
        )
        .sort(keys)
        .collect()
    )


def planning_time_index(
    frame: pl.DataFrame, by: Sequence[str] = ("sensor_id",), *, quantile: float = 0.95
) -> pl.DataFrame:
    """Planning time index per group: 95th-percentile travel time / free-flow travel time.

    Over one segment travel time is length / speed, so the ratio is the 95th percentile of the
    per-reading TTI. Filter ``frame`` first to the period that matters (e.g. weekday peaks):
    the PTI answers "how much time must I allow to arrive on time 19 days in 20".

    Examples
    --------
    >>> f = pl.DataFrame({"sensor_id": ["a"] * 20, "tti": [1.0] * 18 + [2.0, 3.0]})
    >>> planning_time_index(f)["pti"].round(3).to_list()
    [2.05]
    """
    keys = list(by)
    return (
        frame.group_by(keys)
        .agg(
            pl.col("tti").quantile(quantile, interpolation="linear").alias("pti"),
            pl.col("tti").mean().alias("mean_tti"),
            pl.len().alias("readings"),
        )
        .sort(keys)
    )


def infer_interval(times: pl.Series) -> timedelta:
    """The commonest step between distinct sorted times (the reporting interval)."""
    steps = times.unique().sort().diff().drop_nulls()
    if steps.len() == 0:
        raise ValueError("need at least two distinct times to infer the reporting interval")
    step = steps.mode().sort()[0]
    if not isinstance(step, timedelta):
        raise ValueError(f"`time` must be a datetime column, got steps of {steps.dtype}")
    return step


def congested_hours(
    index_frame: pl.DataFrame,
    *,
    timezone: str,
    threshold: float = 4.0,
    by: Sequence[str] = (),
    interval: timedelta | None = None,
) -> pl.DataFrame:
    """Hours per local day with the index at or above ``threshold`` (default 4: 轻度拥堵 or worse).

    ``index_frame`` holds ``time``, ``index`` and the ``by`` columns, e.g. the output of
    :func:`aggregate_index`. Each row counts for one reporting ``interval`` (inferred when not
    given). ``observed_hours`` is the time with data, so a gap is not mistaken for free flow.

    Examples
    --------
    >>> from datetime import datetime, timezone as tz
    >>> times = [datetime(2026, 3, 2, h, tzinfo=tz.utc) for h in range(6)]
    >>> f = pl.DataFrame({"time": times, "index": [1.0, 4.0, 7.0, 5.0, 3.0, 2.0]})
    >>> congested_hours(f, timezone="UTC")["congested_hours"].to_list()
    [3.0]
    """
    step = interval or infer_interval(index_frame["time"])
    hours = step.total_seconds() / 3600.0
    keys = ["date", *by]
    return (
        index_frame.with_columns(pl.col("time").dt.convert_time_zone(timezone).dt.date().alias("date"))
        .group_by(keys)
        .agg(
            ((pl.col("index") >= threshold).sum() * hours).alias("congested_hours"),
            (pl.col("index").is_not_null().sum() * hours).alias("observed_hours"),
            pl.col("index").max().alias("peak_index"),
        )
        .sort(keys)
    )
