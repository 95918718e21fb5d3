"""The whole index pipeline in one call: readings -> free-flow -> TTI -> network index per interval.

Kept separate from the building blocks so each can be used alone (a dashboard that already
stores free-flow speeds calls :func:`~lantern.traffic.analytics.speeds.travel_time_index`
and :func:`~lantern.traffic.analytics.index.aggregate_index` directly).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from lantern.traffic.analytics.index import DEFAULT_SCALE, IndexScale, aggregate_index
from lantern.traffic.analytics.speeds import DEFAULT_NIGHT, NightWindow, free_flow_speeds, travel_time_index


@dataclass(frozen=True)
class NetworkIndex:
    """Result of :func:`network_index`: free-flow per sensor, readings with TTI, the aggregated series."""

    free_flow: pl.DataFrame
    readings: pl.DataFrame
    series: pl.DataFrame


def network_index(
    readings: pl.DataFrame,
    night: NightWindow = DEFAULT_NIGHT,
    *,
    segments: pl.DataFrame | None = None,
    by: Sequence[str] = ("time",),
    weight: str | pl.Expr | None = None,
    min_speed_kmh: float = 5.0,
    floor_at_one: bool = True,
    scale: IndexScale = DEFAULT_SCALE,
) -> NetworkIndex:
    """Free-flow speeds, per-reading TTI and the weighted index per ``by`` group (city per time by default).

    ``segments`` (optional) is joined on ``sensor_id`` and brings the columns that ``by`` and
    ``weight`` name, e.g. ``district``, ``corridor``, ``length_m``.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone as tz
    >>> t0 = datetime(2026, 3, 2, tzinfo=tz.utc)
    >>> times = [t0 + timedelta(hours=h) for h in range(24)]
    >>> r = pl.DataFrame({"sensor_id": "a", "time": times,
    ...                   "speed_kmh": [50.0 if t.hour == 8 else 100.0 for t in times]})
    >>> result = network_index(r, NightWindow(22, 5, "UTC"), min_speed_kmh=5.0)
    >>> result.series.filter(pl.col("time").dt.hour() == 8).select("tti", pl.col("index").round(2), "level").rows()
    [(2.0, 7.33, '中度拥堵')]
    """
    free_flow = free_flow_speeds(readings, night)
    with_tti = travel_time_index(readings, free_flow, min_speed_kmh=min_speed_kmh, floor_at_one=floor_at_one)
    if segments is not None:
        with_tti = with_tti.join(segments, on="sensor_id", how="left")
    series = aggregate_index(with_tti, by, weight=weight, scale=scale)
    return NetworkIndex(free_flow=free_flow, readings=with_tti, series=series)
