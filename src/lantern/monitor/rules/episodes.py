"""Episode rules: a condition that must hold for some time, alerting once per episode.

Overspeed and route deviation are both "flag true for at least N seconds"; an episode in progress
at the end of a batch is carried in state (its start and whether it has alerted), so an episode
straddling batches, or midnight, is still one episode with one alert.
"""

from __future__ import annotations

import polars as pl

from lantern.monitor.rules import segments as seg
from lantern.monitor.rules.fixes import in_window


def episodes(
    x: pl.DataFrame, flag: str, start0: str, alerted0: str, min_s: pl.Expr
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(first-hit rows, state per vehicle) for runs of ``flag`` lasting at least ``min_s`` seconds.

    ``x`` is sorted by vehicle and time, has ``start``/``end`` flags and carries the state columns
    ``start0`` (episode start or null) and ``alerted0``. Returned state: ``ep_start`` (null when
    not in an episode) and ``ep_alerted``, one row per vehicle.
    """
    start = pl.col("start")
    in_episode0 = pl.col(start0).is_not_null()
    prev_flag = seg.previous(pl.col(flag), start, in_episode0)
    x = x.with_columns(boundary=start | (pl.col(flag) != prev_flag).fill_null(True))
    continuing = start & (pl.col(flag) == prev_flag).fill_null(False) & in_episode0
    x = x.with_columns(
        ep_start=seg.first(pl.when(continuing).then(pl.col(start0)).otherwise(pl.col("time")), pl.col("boundary")),
        carried_alert=seg.first(continuing & pl.col(alerted0).fill_null(False), pl.col("boundary")),
    )
    x = x.with_columns(
        hit=pl.col(flag) & ((pl.col("time") - pl.col("ep_start")).dt.total_microseconds() / 1e6 >= min_s)
    )
    x = x.with_columns(hits=seg.cumsum(pl.col("hit").cast(pl.Int64), pl.col("boundary")))
    first_hits = x.filter(pl.col("hit") & (pl.col("hits") == 1) & ~pl.col("carried_alert"))
    state = x.filter(pl.col("end")).select(
        "vix",
        ep_start=pl.when(pl.col(flag)).then(pl.col("ep_start")),
        ep_alerted=pl.col(flag) & ((pl.col("hits") > 0) | pl.col("carried_alert")),
    )
    return first_hits, state


def overspeed(fixes: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Above limit x factor for at least ``overspeed_min_s``; at night the limit is 80% of the day's."""
    limit = pl.col("speed_limit") * pl.when(pl.col("night")).then(0.8).otherwise(1.0)
    x = fixes.with_columns(limit_kmh=limit, over=pl.col("speed_kmh") > limit * pl.col("overspeed_factor"))
    hits, state = episodes(x, "over", "over_start", "over_alerted", pl.col("overspeed_min_s"))
    alerts = hits.select(
        "vehicle_id",
        kind=pl.lit("overspeed"),
        time="time",
        key_time="ep_start",
        lat="lat",
        lon="lon",
        value="speed_kmh",
        detail=pl.format(
            "{} km/h where the limit is {} km/h, for {} s",
            pl.col("speed_kmh").round(1),
            pl.col("limit_kmh").round(0),
            (pl.col("time") - pl.col("ep_start")).dt.total_seconds(),
        ),
    )
    return alerts, state.rename({"ep_start": "over_start", "ep_alerted": "over_alerted"})


def route_deviation(fixes: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Outside the declared route corridor for at least ``deviation_min_s``."""
    x = fixes.filter(pl.col("off_route").is_not_null())
    if x.is_empty():
        return x.select("vehicle_id"), x.select("vix", off_start=pl.col("off_start"), off_alerted=pl.col("off_alerted"))
    x = x.with_columns(start=seg.starts(), end=seg.ends())  # only vehicles with routes remain
    hits, state = episodes(x, "off_route", "off_start", "off_alerted", pl.col("deviation_min_s"))
    alerts = hits.select(
        "vehicle_id",
        kind=pl.lit("route_deviation"),
        time="time",
        key_time="ep_start",
        lat="lat",
        lon="lon",
        value="route_distance_m",
        detail=pl.format(
            "{} m from the declared route since {}",
            pl.col("route_distance_m").round(0),
            pl.col("ep_start").dt.strftime("%H:%M:%SZ"),
        ),
    )
    return alerts, state.rename({"ep_start": "off_start", "ep_alerted": "off_alerted"})


def night_ban(fixes: pl.DataFrame, zone: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Driving inside the class's ban window: one alert per vehicle per night; state ``ban_night``."""
    banned = fixes.filter(
        pl.col("ban_start").is_not_null()
        & (pl.col("speed_kmh") >= pl.col("moving_kmh"))
        & in_window(pl.col("local_min"), pl.col("ban_start"), pl.col("ban_end"))
    )
    # The night is named by the local date on which its window opened (23:00-05:00 opens the day before).
    local_date = pl.col("time").dt.convert_time_zone(zone).dt.date()
    opened_yesterday = (pl.col("ban_start") > pl.col("ban_end")) & (pl.col("local_min") < pl.col("ban_end"))
    night_of = pl.when(opened_yesterday).then(local_date - pl.duration(days=1)).otherwise(local_date)
    first = (
        banned.with_columns(night_of=night_of)
        .unique(subset=["vix", "night_of"], keep="first", maintain_order=True)
        .filter(pl.col("ban_night").is_null() | (pl.col("night_of") > pl.col("ban_night")))
    )
    state = first.group_by("vix").agg(pl.col("night_of").max().alias("ban_night"))
    alerts = first.select(
        "vehicle_id",
        kind=pl.lit("night_ban"),
        time="time",
        key_time=pl.col("night_of").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        lat="lat",
        lon="lon",
        value="speed_kmh",
        detail=pl.format("driving at {} km/h during the night ban", pl.col("speed_kmh").round(1)),
    )
    return alerts, state
