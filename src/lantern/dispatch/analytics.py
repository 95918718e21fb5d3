"""Response-time KPIs (pure): percentiles per priority and district, never averages.

NFPA 1710 and most agencies report the 90th percentile: an average hides the slow tail that
matters to the person waiting.
"""

from __future__ import annotations

import polars as pl

STAGES = {
    "call_to_dispatch": ("received_at", "assigned_at"),
    "dispatch_to_enroute": ("assigned_at", "enroute_at"),
    "enroute_to_onscene": ("enroute_at", "onscene_at"),
    "total": ("received_at", "onscene_at"),
}


def stage_seconds(rows: pl.DataFrame) -> pl.DataFrame:
    """Add one column of seconds per stage (null where a timestamp is missing).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> from datetime import timedelta as d
    >>> f = pl.DataFrame({"priority": [1], "district": ["D1"], "received_at": [t], "assigned_at": [t + d(seconds=40)],
    ...                   "enroute_at": [t + d(seconds=70)], "onscene_at": [t + d(seconds=300)]})
    >>> stage_seconds(f)["total"].to_list()
    [300.0]
    """
    return rows.with_columns(
        ((pl.col(end) - pl.col(start)).dt.total_microseconds() / 1e6).alias(name)
        for name, (start, end) in STAGES.items()
    )


def percentiles(rows: pl.DataFrame, by: list[str], quantiles: tuple[float, ...] = (0.5, 0.9)) -> pl.DataFrame:
    """p50/p90 (linear interpolation) of every stage, grouped by ``by``, with the count of calls."""
    timed = stage_seconds(rows)
    aggregations = [pl.len().alias("calls")]
    for name in STAGES:
        for q in quantiles:
            aggregations.append(
                pl.col(name).quantile(q, interpolation="linear").round(1).alias(f"{name}_p{int(q * 100)}")
            )
    return timed.group_by(by).agg(aggregations).sort(by)


def share_within(rows: pl.DataFrame, targets: dict[str, float], by: list[str]) -> pl.DataFrame:
    """Share of calls with a unit on scene within the target of their district type."""
    timed = stage_seconds(rows).with_columns(
        pl.col("district_type").replace_strict(targets, default=None).alias("target_s")
    )
    return (
        timed.filter(pl.col("total").is_not_null())
        .group_by(by)
        .agg(((pl.col("total") <= pl.col("target_s")).mean() * 100).round(1).alias("within_target_pct"))
        .sort(by)
    )
