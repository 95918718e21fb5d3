"""Time-of-day views of congestion: weekday/weekend profiles, weekday x time heat maps, segment history.

Times are UTC inside; every function here takes the city's ``timezone`` because "8 am on a
Monday" is a local-clock notion (the METR-LA morning peak is at 07:00-09:00 Los Angeles time,
15:00-17:00 UTC).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl

from lantern.kit.time import zone
from lantern.traffic.analytics.index import DEFAULT_SCALE, IndexScale, index_expr, level_expr

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _check_slot(slot_minutes: int) -> None:
    if slot_minutes <= 0 or 1440 % slot_minutes:
        raise ValueError(f"slot_minutes must divide a day (1440 min), got {slot_minutes}")


def local_columns(
    frame: pl.DataFrame, timezone: str, *, slot_minutes: int = 60, holidays: Collection[date] = ()
) -> pl.DataFrame:
    """Add local ``date``, ``weekday`` (1 = Monday), ``slot`` (minute of day, start of slot), ``day_type``.

    ``day_type`` is "weekend" on Saturdays, Sundays and the given ``holidays`` (local dates),
    else "weekday".
    """
    zone(timezone)
    _check_slot(slot_minutes)
    local = pl.col("time").dt.convert_time_zone(timezone)
    minute = local.dt.hour().cast(pl.Int32) * 60 + local.dt.minute().cast(pl.Int32)
    frame = frame.with_columns(
        local.dt.date().alias("date"),
        local.dt.weekday().cast(pl.Int8).alias("weekday"),
        ((minute // slot_minutes) * slot_minutes).alias("slot"),
    )
    off = (pl.col("weekday") >= 6) | pl.col("date").is_in(list(holidays))
    return frame.with_columns(pl.when(off).then(pl.lit("weekend")).otherwise(pl.lit("weekday")).alias("day_type"))


def time_of_day_profile(
    frame: pl.DataFrame,
    timezone: str,
    *,
    value: str = "tti",
    slot_minutes: int = 15,
    holidays: Collection[date] = (),
    scale: IndexScale = DEFAULT_SCALE,
) -> pl.DataFrame:
    """Mean ``value`` per day type (weekday/weekend) and time-of-day slot, with its 0-10 index.

    Feed it a city (or corridor) series such as :func:`aggregate_index` output: each slot
    averages the days of that type, so a profile from one week is 5 weekdays and 2 weekend days.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone as tz
    >>> t0 = datetime(2026, 3, 2, tzinfo=tz.utc)  # a Monday
    >>> times = [t0 + timedelta(hours=h) for h in range(24 * 7)]
    >>> f = pl.DataFrame({"time": times, "tti": [1.5 if t.weekday() < 5 and t.hour == 8 else 1.0 for t in times]})
    >>> p = time_of_day_profile(f, "UTC", slot_minutes=60)
    >>> p.filter(pl.col("slot") == 480).select("day_type", "tti", "index").rows()
    [('weekday', 1.5, 4.0), ('weekend', 1.0, 0.0)]
    """
    local = local_columns(frame, timezone, slot_minutes=slot_minutes, holidays=holidays)
    out = (
        local.group_by("day_type", "slot")
        .agg(pl.col(value).mean().alias(value), pl.col("date").n_unique().alias("days"))
        .sort("day_type", "slot")
    )
    if value == "tti":
        out = out.with_columns(index_expr(pl.col("tti"), scale).alias("index"))
        out = out.with_columns(level_expr(pl.col("index"), scale).alias("level"))
    return out


def weekday_heatmap(
    frame: pl.DataFrame,
    timezone: str,
    *,
    value: str = "tti",
    slot_minutes: int = 60,
    statistic: str = "mean",
) -> pl.DataFrame:
    """Long heat map: ``weekday`` (1 = Monday) x ``slot`` (minute of day) -> ``value`` statistic.

    ``statistic`` is "mean", "median", "max" or "p95".

    Examples
    --------
    >>> from datetime import datetime, timezone as tz
    >>> f = pl.DataFrame({"time": [datetime(2026, 3, 2, 8, 30, tzinfo=tz.utc)], "tti": [1.4]})
    >>> weekday_heatmap(f, "UTC").rows()
    [(1, 480, 1.4, 1)]
    """
    column = pl.col(value)
    stats = {
        "mean": column.mean(),
        "median": column.median(),
        "max": column.max(),
        "p95": column.quantile(0.95, interpolation="linear"),
    }
    if statistic not in stats:
        raise ValueError(f"statistic must be one of {sorted(stats)}, got {statistic!r}")
    local = local_columns(frame, timezone, slot_minutes=slot_minutes)
    return (
        local.group_by("weekday", "slot")
        .agg(stats[statistic].alias(value), pl.len().alias("readings"))
        .sort("weekday", "slot")
    )


def heatmap_matrix(heatmap: pl.DataFrame, *, value: str = "tti", slot_minutes: int = 60) -> npt.NDArray[np.float64]:
    """Dense 7 x (1440 / slot_minutes) array from :func:`weekday_heatmap` output; NaN where no data.

    Examples
    --------
    >>> h = pl.DataFrame({"weekday": [1, 7], "slot": [0, 1380], "tti": [1.2, 1.1]})
    >>> m = heatmap_matrix(h)
    >>> m.shape, float(m[0, 0]), float(m[6, 23])
    ((7, 24), 1.2, 1.1)
    """
    _check_slot(slot_minutes)
    matrix = np.full((7, 1440 // slot_minutes), np.nan)
    rows = heatmap["weekday"].to_numpy().astype(np.int64) - 1
    cols = heatmap["slot"].to_numpy().astype(np.int64) // slot_minutes
    matrix[rows, cols] = heatmap[value].to_numpy().astype(np.float64)
    return matrix


def segment_history(
    frame: pl.DataFrame,
    *,
    every: str = "1h",
    by: str = "sensor_id",
    sensors: Sequence[str] | None = None,
    scale: IndexScale = DEFAULT_SCALE,
) -> pl.DataFrame:
    """Per-segment history resampled to ``every`` (UTC buckets): mean and minimum speed, mean TTI, index.

    ``frame`` is a reading frame with ``tti`` (see :func:`~lantern.traffic.analytics.speeds.travel_time_index`).

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone as tz
    >>> t0 = datetime(2026, 3, 2, 8, tzinfo=tz.utc)
    >>> f = pl.DataFrame({"sensor_id": "a", "time": [t0, t0 + timedelta(minutes=30)],
    ...                   "speed_kmh": [80.0, 40.0], "tti": [1.0, 2.0]})
    >>> segment_history(f).select("mean_speed_kmh", "tti", "index").rows()
    [(60.0, 1.5, 4.0)]
    """
    if sensors is not None:
        frame = frame.filter(pl.col(by).is_in(list(sensors)))
    return (
        frame.sort(by, "time")
        .group_by_dynamic("time", every=every, group_by=by)
        .agg(
            pl.col("speed_kmh").mean().alias("mean_speed_kmh"),
            pl.col("speed_kmh").min().alias("min_speed_kmh"),
            pl.col("tti").mean().alias("tti"),
            pl.len().alias("readings"),
        )
        .with_columns(index_expr(pl.col("tti"), scale).alias("index"))
        .with_columns(level_expr(pl.col("index"), scale).alias("level"))
        .sort(by, "time")
    )
