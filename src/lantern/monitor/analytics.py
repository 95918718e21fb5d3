"""A vehicle's day: driving, stopped and no-data periods, and the speed chart's polyline.

Pure functions over a track frame (``time``, ``speed_kmh``), no session.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl


def periods(track: pl.DataFrame, moving_kmh: float, max_gap_s: float) -> pl.DataFrame:
    """Consecutive intervals merged into periods of ``driving``, ``stopped`` or ``no data``.

    Examples
    --------
    >>> from datetime import datetime, timedelta, UTC
    >>> t0 = datetime(2026, 11, 2, 8, tzinfo=UTC)
    >>> times = [t0 + timedelta(minutes=m) for m in (0, 1, 2, 3, 20)]
    >>> track = pl.DataFrame({"time": times, "speed_kmh": [50.0, 50, 0, 0, 40]})
    >>> periods(track, 5, 300)["kind"].to_list()
    ['driving', 'stopped', 'no data']
    """
    if track.height < 2:
        return pl.DataFrame(
            schema={
                "kind": pl.String,
                "start": pl.Datetime("us", "UTC"),
                "end": pl.Datetime("us", "UTC"),
                "minutes": pl.Float64,
            }
        )
    steps = (
        track.sort("time")
        .with_columns(end=pl.col("time").shift(-1))
        .filter(pl.col("end").is_not_null())
        .with_columns(gap_s=(pl.col("end") - pl.col("time")).dt.total_seconds())
        .with_columns(
            kind=pl.when(pl.col("gap_s") > max_gap_s)
            .then(pl.lit("no data"))
            .when(pl.col("speed_kmh") >= moving_kmh)
            .then(pl.lit("driving"))
            .otherwise(pl.lit("stopped"))
        )
        .with_columns(run=(pl.col("kind") != pl.col("kind").shift(1)).fill_null(True).cum_sum())
    )
    return (
        steps.group_by("run", maintain_order=True)
        .agg(pl.col("kind").first(), pl.col("time").first().alias("start"), pl.col("end").last())
        .with_columns(minutes=(pl.col("end") - pl.col("start")).dt.total_seconds() / 60)
        .drop("run")
    )


def speed_polyline(
    times: list[datetime], speeds: list[float], start: datetime, width: float, height: float, top_kmh: float
) -> str:
    """SVG ``points`` for speed over the day: x is time (24 h across ``width``), y is speed."""
    points = []
    for t, v in zip(times, speeds, strict=True):
        x = min(width, max(0.0, (t - start).total_seconds() / 86400 * width))
        points.append(f"{x:.1f},{height - min(height, v / top_kmh * height):.1f}")
    return " ".join(points)
