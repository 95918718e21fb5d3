"""A year of incident history with the structure real crime data has (pure: arrays in, frame out).

- Diurnal and weekly cycles per category (in the city's local time).
- Persistent hot spots: location weights are heavy-tailed (lognormal), and a few hot-spot
  centres lift the weight of every place within ``hotspot_radius_m``.
- Near-repeat contagion for burglary: every burglary triggers Poisson(``nr_branching``)
  follow-ups within ``nr_radius_m`` and an exponential delay (mean ``nr_mean_days``), which
  may trigger their own (a sub-critical Hawkes branching process).

Each incident carries its generating process (background, hotspot, near_repeat) and, for
near repeats, its parent, so analysis methods can be scored against the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from lantern.kit.geo import LocalProjection

# Relative hourly intensity (local time, 0..23); sums are normalised.
DIURNAL = {
    "night": np.array([6, 5, 4, 3, 2, 2, 2, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5, 6, 7, 8, 9, 10, 9, 8], float),
    "day": np.array([1, 1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 9, 9, 9, 9, 9, 8, 7, 5, 4, 3, 2, 1], float),
    "evening": np.array([5, 4, 3, 2, 1, 1, 1, 2, 3, 3, 4, 4, 5, 5, 5, 6, 7, 8, 9, 10, 10, 10, 9, 7], float),
}
# Monday..Sunday
WEEKLY = {
    "flat": np.ones(7),
    "weekend": np.array([0.8, 0.8, 0.85, 0.9, 1.1, 1.4, 1.35]),
    "weekday": np.array([1.1, 1.1, 1.1, 1.1, 1.05, 0.8, 0.75]),
}


@dataclass(frozen=True)
class CategorySpec:
    code: str
    per_year: float
    diurnal: str
    weekly: str
    premises: tuple[str, ...]
    near_repeat: bool = False


DEFAULT_CATEGORIES = (
    CategorySpec("burglary", 420, "day", "weekday", ("residence", "apartment", "commercial"), near_repeat=True),
    CategorySpec("theft", 1300, "day", "flat", ("street", "store", "transit", "restaurant")),
    CategorySpec("vehicle_crime", 380, "night", "flat", ("street", "parking")),
    CategorySpec("assault", 360, "evening", "weekend", ("street", "bar", "residence")),
    CategorySpec("robbery", 90, "evening", "weekend", ("street", "store")),
    CategorySpec("vandalism", 450, "night", "weekend", ("street", "school", "park")),
    CategorySpec("disorder", 650, "evening", "weekend", ("street", "bar", "park")),
)


@dataclass
class HistoryParams:
    """Knobs of the history generator; defaults give ~3,800 incidents a year in a small centre."""

    seed: int = 42
    end: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    days: int = 365
    timezone: str = "Europe/Helsinki"
    scale: float = 1.0
    hotspots: int = 5
    hotspot_radius_m: float = 150.0
    hotspot_lift: float = 6.0
    place_sigma: float = 1.0
    nr_branching: float = 0.35
    nr_radius_m: float = 200.0
    nr_same_place: float = 0.3
    nr_mean_days: float = 3.0
    nr_max_days: float = 14.0
    categories: tuple[CategorySpec, ...] = DEFAULT_CATEGORIES


def generate_history(lats: np.ndarray, lons: np.ndarray, params: HistoryParams) -> pl.DataFrame:
    """Incidents at the candidate places (lat/lon arrays) over ``params.days`` ending at ``params.end``.

    Returns columns: natural_key, category, occurred_from, occurred_to, time_precision, lat,
    lon, premise, process, hotspot, parent_key. Same inputs and seed, same output.
    """
    rng = np.random.default_rng(params.seed)
    n_places = len(lats)
    if n_places == 0:
        raise ValueError("the history needs at least one candidate place")
    projection = LocalProjection(float(np.mean(lats)), float(np.mean(lons)))
    x, y = projection.to_xy(lats, lons)
    weights = rng.lognormal(0.0, params.place_sigma, n_places)
    hot_of_place = np.full(n_places, -1)
    centres = rng.choice(n_places, size=min(params.hotspots, n_places), replace=False, p=weights / weights.sum())
    for h, c in enumerate(centres):
        near = np.hypot(x - x[c], y - y[c]) <= params.hotspot_radius_m
        weights[near] *= params.hotspot_lift
        hot_of_place[near & (hot_of_place < 0)] = h
    place_p = weights / weights.sum()

    zone = ZoneInfo(params.timezone)
    start = params.end - timedelta(days=params.days)
    hours = np.arange(params.days * 24)
    hour_starts = [start + timedelta(hours=int(h)) for h in hours]
    local = [t.astimezone(zone) for t in hour_starts]
    local_hour = np.array([t.hour for t in local])
    local_dow = np.array([t.weekday() for t in local])
    doy = np.array([t.timetuple().tm_yday for t in local])
    seasonal = 1.0 + 0.15 * np.sin(2 * np.pi * (doy - 100) / 365.25)  # summer peak

    frames = []
    for spec in params.categories:
        diurnal = DIURNAL[spec.diurnal] / DIURNAL[spec.diurnal].mean()
        weekly = WEEKLY[spec.weekly] / WEEKLY[spec.weekly].mean()
        rate = spec.per_year * params.scale / (365.0 * 24) * diurnal[local_hour] * weekly[local_dow] * seasonal
        if spec.near_repeat:
            rate = rate * (1 - params.nr_branching)  # keep the total near per_year once offspring are added
        counts = rng.poisson(rate)
        hour_idx = np.repeat(hours, counts)
        n = len(hour_idx)
        seconds = hour_idx * 3600 + rng.integers(0, 3600, n)
        places = rng.choice(n_places, size=n, p=place_p)
        process = np.where(hot_of_place[places] >= 0, "hotspot", "background")
        parent = np.full(n, -1)
        if spec.near_repeat:
            seconds, places, process, parent = _add_near_repeats(
                rng, seconds, places, process, parent, x, y, params, params.days * 86400
            )
        premises = np.array(spec.premises)[rng.integers(0, len(spec.premises), len(seconds))]
        frames.append((spec.code, seconds, places, process, parent, premises))

    rows = []
    for code, seconds, places, process, parent, premises in frames:
        # Whole minutes: the precision real records carry.
        minutes = seconds // 60 * 60
        times = (np.datetime64(start.replace(tzinfo=None), "s") + minutes.astype("timedelta64[s]")).astype(
            "datetime64[us]"
        )
        keys = [f"{code}-{i:06d}" for i in range(len(seconds))]
        parent_keys = [f"{code}-{p:06d}" if p >= 0 else None for p in parent]
        rows.append(
            pl.DataFrame(
                {
                    "natural_key": keys,
                    "category": code,
                    "occurred_from": times,
                    "lat": np.round(lats[places], 7),
                    "lon": np.round(lons[places], 7),
                    "premise": premises,
                    "process": process,
                    "hotspot": np.where(hot_of_place[places] >= 0, hot_of_place[places], -1),
                    "parent_key": parent_keys,
                },
                schema_overrides={"parent_key": pl.String},
            )
        )
    frame = pl.concat(rows).with_columns(
        pl.col("occurred_from").dt.replace_time_zone("UTC"),
        pl.col("hotspot").replace(-1, None),
    )
    return frame.with_columns(
        pl.col("occurred_from").alias("occurred_to"), pl.lit("minute").alias("time_precision")
    ).sort("occurred_from", "natural_key")


def _add_near_repeats(
    rng: np.random.Generator,
    seconds: np.ndarray,
    places: np.ndarray,
    process: np.ndarray,
    parent: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    params: HistoryParams,
    horizon_s: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    all_seconds, all_places = list(seconds), list(places)
    all_process, all_parent = list(process), list(parent)
    queue = list(range(len(seconds)))
    while queue:
        i = queue.pop()
        for _ in range(rng.poisson(params.nr_branching)):
            delay = rng.exponential(params.nr_mean_days * 86400)
            if delay > params.nr_max_days * 86400:
                continue
            t = all_seconds[i] + int(delay)
            if t >= horizon_s:
                continue
            origin = all_places[i]
            if rng.random() < params.nr_same_place:
                place = origin
            else:
                near = np.flatnonzero(np.hypot(x - x[origin], y - y[origin]) <= params.nr_radius_m)
                place = int(rng.choice(near))
            all_seconds.append(t)
            all_places.append(place)
            all_process.append("near_repeat")
            all_parent.append(i)
            queue.append(len(all_seconds) - 1)
    return (
        np.array(all_seconds, dtype=np.int64),
        np.array(all_places, dtype=np.int64),
        np.array(all_process),
        np.array(all_parent, dtype=np.int64),
    )
