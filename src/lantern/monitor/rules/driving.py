"""Driving-time rules: continuous driving without a qualifying rest, and driving time in 24 h.

An interval runs from one accepted fix to the next. It counts as driving when the speed at its
start is at least ``moving_kmh`` (after a long gap, when the implied speed is). Stop intervals
form rest runs; a run of at least ``rest_min_s`` ends a driving stretch, shorter stops neither
end it nor add to it. Everything works on the vehicle-sorted frame with segment arithmetic.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from lantern.monitor.rules import segments as seg
from lantern.monitor.rules.schema import no_alerts
from lantern.monitor.rules.state import RING_SLOTS, DailyRing

BUCKET_S = 900  # 15 minutes: the 24 h window is exact to a bucket
WINDOW_BUCKETS = 96  # 24 h


def classify(fixes: pl.DataFrame) -> pl.DataFrame:
    """Adds ``drive`` (bool) and ``dur`` (s) for the interval ending at each fix (0 for a first fix)."""
    implied_kmh = pl.col("step_m") / pl.col("gap_s") * 3.6
    has_interval = pl.col("prev_time").is_not_null()
    drive = (
        pl.when(pl.col("gap_s") > pl.col("max_fix_gap_s"))
        .then(implied_kmh >= pl.col("moving_kmh"))
        .otherwise(pl.col("prev_speed") >= pl.col("moving_kmh"))
    )
    return fixes.with_columns(
        drive=pl.when(has_interval).then(drive).otherwise(False).fill_null(False),
        dur=pl.when(has_interval).then(pl.col("gap_s")).otherwise(0.0),
    )


def continuous(x: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(alerts, state columns on each vehicle's last row) for the continuous-driving rule.

    Carried state (columns already on ``x``): ``last_driving``, ``stop_run_s``, ``cont_drive_s``,
    ``stretch_start``, ``drive_alerted``.
    """
    start, drive = pl.col("start"), pl.col("drive")
    x = x.with_columns(
        s0=pl.col("stop_run_s").fill_null(0.0),
        c0=pl.col("cont_drive_s").fill_null(0.0),
        a0=pl.col("drive_alerted").fill_null(False),
        drive_s=pl.when(drive).then(pl.col("dur")).otherwise(0.0),
    )
    prev_drive = seg.previous(drive, start, pl.col("last_driving"))
    x = x.with_columns(change=(drive != prev_drive).fill_null(True))
    # Runs of equal state; a vehicle's first run continues the carried one unless the state changed.
    x = x.with_columns(boundary=start | pl.col("change"), continuing=start & ~pl.col("change"))
    stop_in = pl.when(drive).then(0.0).otherwise(pl.col("dur")) + pl.when(pl.col("continuing") & ~drive).then(
        pl.col("s0")
    ).otherwise(0.0)
    x = x.with_columns(run_stop=seg.cumsum(stop_in, pl.col("boundary")))
    run_end = pl.col("boundary").shift(-1).fill_null(True)
    x = x.with_columns(run_total=seg.last(pl.col("run_stop"), run_end))
    qual = ~drive & (pl.col("run_total") >= pl.col("rest_min_s"))
    carried_qual = (pl.col("last_driving") == False) & (pl.col("s0") >= pl.col("rest_min_s"))  # noqa: E712 - null-safe
    x = x.with_columns(prev_qual=pl.when(start).then(carried_qual).otherwise(qual.shift(1)).fill_null(False))
    x = x.with_columns(reset=drive & pl.col("change") & pl.col("prev_qual"))
    # Stretches: driving between qualifying rests. Stretch 0 continues the carried accumulator.
    x = x.with_columns(stretch_edge=start | pl.col("reset"))
    x = x.with_columns(stretch=seg.cumsum(pl.col("reset").cast(pl.Int64), start))
    x = x.with_columns(
        acc=seg.cumsum(pl.col("drive_s"), pl.col("stretch_edge"))
        + pl.when(pl.col("stretch") == 0).then(pl.col("c0")).otherwise(0.0),
        drives_so_far=seg.cumsum(drive.cast(pl.Int64), pl.col("stretch_edge")),
        stretch_id=pl.col("stretch_edge").cum_sum(),
    )
    first_drive = drive & (pl.col("drives_so_far") == 1)
    first_drive_start = pl.when(first_drive).then(pl.col("prev_time")).otherwise(None).forward_fill()
    first_drive_owner = pl.when(first_drive).then(pl.col("stretch_id")).otherwise(None).forward_fill()
    own_first = pl.when(first_drive_owner == pl.col("stretch_id")).then(first_drive_start)
    x = x.with_columns(
        stretch_start=pl.when(pl.col("stretch") == 0)
        .then(pl.col("stretch_start").fill_null(own_first))
        .otherwise(own_first),
        limit=pl.when(pl.col("night")).then(pl.col("continuous_night_s")).otherwise(pl.col("continuous_day_s")),
    )
    x = x.with_columns(cross=drive & (pl.col("acc") >= pl.col("limit")))
    x = x.with_columns(crossings=seg.cumsum(pl.col("cross").cast(pl.Int64), pl.col("stretch_edge")))
    carried_alert = (pl.col("stretch") == 0) & pl.col("a0")
    over_by = (pl.col("limit") - (pl.col("acc") - pl.col("drive_s"))).clip(0.0, None)
    alerts = x.filter(pl.col("cross") & (pl.col("crossings") == 1) & ~carried_alert).select(
        "vehicle_id",
        kind=pl.lit("continuous_driving"),
        time=(pl.col("prev_time") + pl.duration(microseconds=(over_by * 1e6).cast(pl.Int64))).clip(
            pl.col("prev_time"), pl.col("time")
        ),
        key_time="stretch_start",
        lat="lat",
        lon="lon",
        value=pl.col("limit") / 3600,
        detail=pl.format(
            "driving since {} without a rest of {} min (limit {} h)",
            pl.col("stretch_start").dt.strftime("%Y-%m-%dT%H:%MZ"),
            (pl.col("rest_min_s") / 60).round(0).cast(pl.Int64),
            (pl.col("limit") / 3600).round(2),
        ),
    )
    state = x.filter(pl.col("end")).select(
        "vix",
        last_driving="drive",
        stop_run_s=pl.when(drive).then(0.0).otherwise(pl.col("run_stop")),
        cont_drive_s="acc",
        stretch_start="stretch_start",
        drive_alerted=(pl.col("crossings") > 0) | carried_alert,
    )
    return alerts, state


def daily(x: pl.DataFrame, ring: DailyRing, ring_rows: np.ndarray) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(alerts, state ``daily_over`` per evaluated vehicle): driving in any 24 h above ``daily_max_s``.

    Driving seconds go into 15-minute buckets (by interval end) held in a per-vehicle ring of 97
    slots (``ring`` is updated in place; ``ring_rows[vix]`` is a vehicle's row), so the 24 h sum
    is one masked row sum. Every bucket with a report is evaluated; an episode (consecutive
    evaluated buckets over the limit) alerts once, keyed by the bucket where it began.
    """
    x = x.filter(pl.col("prev_time").is_not_null())
    if x.is_empty():
        return no_alerts(), pl.DataFrame(schema={"vix": pl.Int64, "daily_over": pl.Boolean})
    # The frame is sorted by vehicle and time, so a (vehicle, bucket) pair is a run of rows.
    x = x.with_columns(bucket=pl.col("time").dt.epoch("s") // BUCKET_S, start=seg.starts())
    pair_start = pl.col("start") | (pl.col("bucket") != pl.col("bucket").shift(1)).fill_null(True)
    x = x.with_columns(pair_start=pair_start)
    pairs = x.with_columns(
        dur=seg.cumsum(pl.when(pl.col("drive")).then(pl.col("dur")).otherwise(0.0), pl.col("pair_start"))
    ).filter(pl.col("pair_start").shift(-1).fill_null(True))
    rows = ring_rows[pairs["vix"].to_numpy()]
    bucket = pairs["bucket"].to_numpy().astype(np.int32)
    slot = bucket % RING_SLOTS
    stale = ring.bucket[rows, slot] != bucket
    ring.drive[rows[stale], slot[stale]] = 0.0
    ring.bucket[rows, slot] = bucket  # pairs are in time order per vehicle: the newest write to a slot wins
    current = ring.bucket[rows, slot] == bucket
    ring.drive[rows[current], slot[current]] += pairs["dur"].to_numpy()[current].astype(np.float32)
    # Only vehicles whose whole ring (an upper bound of any 24 h window) exceeds the limit can be over.
    limit = pairs["daily_max_s"].to_numpy()
    window_s = np.zeros(len(rows))
    maybe = ring.drive[rows].sum(axis=1) > limit
    if maybe.any():
        held = ring.bucket[rows[maybe]]
        in_window = (held > (bucket[maybe] - WINDOW_BUCKETS)[:, None]) & (held <= bucket[maybe][:, None])
        window_s[maybe] = np.where(in_window, ring.drive[rows[maybe]], 0.0).sum(axis=1)
    scored = pairs.with_columns(window_s=pl.Series(window_s, dtype=pl.Float64)).with_columns(
        over=pl.col("window_s") > pl.col("daily_max_s")
    )
    began = pl.col("over") & ~seg.previous(
        pl.col("over"), pl.col("start"), pl.col("daily_over").fill_null(False)
    ).fill_null(False)
    scored = scored.with_columns(start=seg.starts()).with_columns(began=began)
    end_of_bucket = pl.from_epoch((pl.col("bucket") + 1) * BUCKET_S, time_unit="s").dt.replace_time_zone("UTC")
    alerts = scored.filter(pl.col("began")).select(
        "vehicle_id",
        kind=pl.lit("daily_driving"),
        time=end_of_bucket,
        key_time=pl.from_epoch(pl.col("bucket") * BUCKET_S, time_unit="s").dt.replace_time_zone("UTC"),
        lat="lat",
        lon="lon",
        value=pl.col("window_s") / 3600,
        detail=pl.format(
            "{} h of driving in the 24 h to {} (limit {} h)",
            (pl.col("window_s") / 3600).round(2),
            end_of_bucket.dt.strftime("%Y-%m-%dT%H:%MZ"),
            (pl.col("daily_max_s") / 3600).round(2),
        ),
    )
    state = scored.filter(seg.ends()).select("vix", daily_over="over")
    return alerts, state
