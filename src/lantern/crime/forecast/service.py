"""Forecasts for the web: next period's hot cells from recorded incidents, beside the method's back-test.

What is expensive (a rolling-origin back-test over the latest periods and the fit on the whole
history) depends only on the incidents, the method, the period and the cells. Each request
loads the incidents of the data window (about 20 ms for the demo's year), fingerprints them,
and reuses a computation with the same fingerprint: changing the coverage or going back to a
method costs only the GeoJSON, and a new or changed incident changes the fingerprint, so no
stale forecast is served. Place-based only: cells and counts, never persons.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from lantern.city import service as city_service
from lantern.crime import repository
from lantern.crime import service as crime_service
from lantern.crime.forecast.backtest import rolling_origin
from lantern.crime.forecast.boosting import GradientBoosting
from lantern.crime.forecast.methods import Method, Naive, Prospective, RetrospectiveKDE
from lantern.crime.forecast.metrics import select_top
from lantern.crime.forecast.panel import build_panel
from lantern.crime.forecast.sepp import SEPP
from lantern.crime.grid import Grid
from lantern.kit.geo import LocalProjection
from lantern.kit.time import zone
from lantern.security import context
from lantern.security.access import guard
from lantern.security.policy import Principal

# Keys of the API and the page -> the method's own name; "ours" is the best of the back-test
# on the real Chicago assaults (docs/crime.md: +0.9 points of hit rate at 5% over SEPP).
METHODS: dict[str, str] = {
    "naive": Naive().name,
    "kde": RetrospectiveKDE().name,
    "prospective": Prospective().name,
    "sepp": SEPP().name,
    "ours": GradientBoosting().name,
}
DEFAULT_METHOD = "ours"
# Categories a victim or witness reports. Enforcement-driven records (drug arrests, stops,
# weapons found on search) are left out by default: they are recorded where police already
# look, and forecasting them would send patrols back to the same places (a feedback loop).
VICTIM_REPORTED = ("burglary", "theft", "vehicle_crime", "assault", "robbery", "vandalism")
COVERAGE_PERCENTS = (1, 5, 10)
FORECAST_LIMITS = (
    "A forecast names places (cells) where recorded incidents were most likely in the next period if the "
    "recent pattern holds; it says nothing about any person. It is built from what was recorded, so "
    "under-reporting and recording practice shape it. By default it uses victim-reported categories only "
    f"({', '.join(VICTIM_REPORTED)}): forecasting enforcement-driven records sends patrols back to where "
    "they already look. The back-test figures are means over the latest periods with a 95% interval and the "
    "range of single periods: one period can be far from the mean."
)
MAX_CACHED = 64


@dataclass(frozen=True)
class PeriodSpec:
    """A forecast period: its length, where it starts in the city's local time, and how much history it uses."""

    key: str
    hours: int
    starts: tuple[int, ...]  # local hours a period starts at
    weekday: int | None  # Monday = 0 for weeks; None: every day
    history: int  # at most this many periods are loaded before the forecast
    backtest: int  # the latest periods scored in the back-test
    label: str


PERIODS: dict[str, PeriodSpec] = {
    # history: a year of shifts, two years of days, four years of weeks (the boosting model's
    # 156 training periods plus its 52-period lags); back-test: four weeks, eight weeks, a quarter
    "shift": PeriodSpec("shift", 8, (6, 14, 22), None, 3 * 365, 84, "8-hour shift (06-14, 14-22, 22-06)"),
    "day": PeriodSpec("day", 24, (0,), None, 730, 56, "day (midnight to midnight)"),
    "week": PeriodSpec("week", 168, (0,), 0, 208, 13, "week (Monday to Monday)"),
}


class ForecastQueryInvalid(crime_service.CrimeQueryInvalid):
    """A forecast that cannot be made as asked."""


@dataclass(frozen=True)
class ForecastQuery:
    """What to forecast: method, period, share of the area, the incidents to learn from."""

    method: str = DEFAULT_METHOD
    period: str = "week"
    coverage_pct: int = 5
    categories: tuple[str, ...] = ()  # empty: victim-reported categories, unless all_types
    all_types: bool = False
    district_id: int | None = None
    until: datetime | None = None  # data end; the forecast is for the period starting at or after it
    cell_m: float = 100.0

    def check(self) -> None:
        """Refuse impossible queries with a message that says what to change."""
        if self.method not in METHODS:
            raise ForecastQueryInvalid(f"method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if self.period not in PERIODS:
            raise ForecastQueryInvalid(f"period must be one of {', '.join(PERIODS)}, not {self.period!r}")
        if self.coverage_pct not in COVERAGE_PERCENTS:
            raise ForecastQueryInvalid(
                f"coverage must be {', '.join(map(str, COVERAGE_PERCENTS))} (% of the area), not {self.coverage_pct}"
            )
        if not 50 <= self.cell_m <= 1000:
            raise ForecastQueryInvalid(f"cell size {self.cell_m:g} m is outside 50-1000 m")


@dataclass(frozen=True)
class ForecastRun:
    """One computed forecast and its back-test; cached, so immutable."""

    method: str
    grid: Grid
    centre: tuple[float, float]
    area: np.ndarray  # flat indices of the study-area cells (any incident in the history)
    score: np.ndarray  # forecast score of every grid cell for the next period
    backtest: dict[int, dict[str, Any]]  # coverage percent -> figures
    parameters: dict[str, Any]
    data: dict[str, Any]
    seconds: float


class _RunCache:
    """Least-recently-used forecasts, shared by the request threads (sync routes run in a pool)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._runs: OrderedDict[tuple[Any, ...], ForecastRun] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: tuple[Any, ...], compute: Callable[[], ForecastRun]) -> tuple[ForecastRun, bool]:
        """The cached run for ``key`` (True) or a fresh one, stored (False)."""
        with self._lock:
            if key in self._runs:
                self._runs.move_to_end(key)
                return self._runs[key], True
        # computed outside the lock: a slow back-test must not hold up cached answers
        run = compute()
        with self._lock:
            self._runs[key] = run
            while len(self._runs) > self.size:
                self._runs.popitem(last=False)
        return run, False

    def clear(self) -> None:
        """Forget every run."""
        with self._lock:
            self._runs.clear()


CACHE = _RunCache(MAX_CACHED)


def period_start(moment: datetime, spec: PeriodSpec, timezone: str) -> datetime:
    """The first period start (in the city's local time) at or after ``moment``, as UTC."""
    tz = zone(timezone)
    local = moment.astimezone(tz)
    for offset in range(9):
        day = local.date() + timedelta(days=offset)
        if spec.weekday is not None and day.weekday() != spec.weekday:
            continue
        for hour in spec.starts:
            candidate = datetime(day.year, day.month, day.day, hour, tzinfo=tz)
            if candidate >= local:
                return candidate.astimezone(UTC)
    raise AssertionError("every period starts within eight days")  # pragma: no cover


def _method(key: str, spec: PeriodSpec, first_origin: int) -> Method:
    """A fresh instance of the method, its windows scaled to the period where they are calendar spans."""
    per_week = 168 / spec.hours
    if key == "naive":
        return Naive()
    if key == "kde":
        return RetrospectiveKDE(window_periods=round(52 * per_week))  # the last 52 weeks
    if key == "prospective":
        return Prospective(window_periods=round(8 * per_week))  # the last 8 weeks
    if key == "sepp":
        return SEPP()
    # 53 periods of lags when the history has them; the demo's single year of weeks has not
    return GradientBoosting(min_history=min(53, max(4, first_origin // 2)))


def _categories(q: ForecastQuery) -> tuple[list[str] | None, str, list[str]]:
    """(categories to load or None for all, how they were chosen, warnings)."""
    if q.all_types:
        return (
            None,
            "all recorded types",
            [
                "All recorded types: this includes enforcement-driven records, which follow where police looked "
                "and can turn a forecast into a feedback loop. The default uses victim-reported categories only."
            ],
        )
    if not q.categories:
        return list(VICTIM_REPORTED), "victim-reported (default)", []
    other = sorted(set(q.categories) - set(VICTIM_REPORTED))
    warnings = (
        [
            f"{', '.join(other)}: not a victim-reported category; where it is recorded depends on where police "
            "look, so a forecast of it can send patrols back to the same places (a feedback loop)."
        ]
        if other
        else []
    )
    return sorted(q.categories), "chosen", warnings


def _fingerprint(frame: pl.DataFrame) -> str:
    """Order-free digest of the incidents (rows come back from the database in any order)."""
    hashes = np.sort(frame.select("category", "occurred_from", "lat", "lon").hash_rows().to_numpy())
    return hashlib.blake2b(hashes.tobytes(), digest_size=16).hexdigest()


def _figures(rows: pl.DataFrame, share: float) -> dict[str, Any]:
    """Mean hit rate, PAI and PEI at one coverage, with a 95% interval and the 10th-90th percentile range."""
    part = rows.filter((pl.col("coverage") - share).abs() < 1e-9)
    hit = part["hit_rate"].to_numpy()
    scored = ~np.isnan(hit)
    values = hit[scored]
    if len(values) == 0:
        return {"coverage": share, "origins": part.height, "scored_origins": 0}
    mean = float(values.mean())
    half = 1.96 * float(values.std(ddof=1)) / math.sqrt(len(values)) if len(values) > 1 else float("nan")
    low, high = np.percentile(values, [10, 90])
    return {
        "coverage": share,
        "hit_rate": round(mean, 4),
        "hit_rate_ci95": [round(max(0.0, mean - half), 4), round(min(1.0, mean + half), 4)]
        if not math.isnan(half)
        else None,
        "hit_rate_p10_p90": [round(float(low), 4), round(float(high), 4)],
        "pai": round(float(np.nanmean(part["pai"].to_numpy())), 3),
        "pei": round(float(np.nanmean(part["pei"].to_numpy())), 3),
        "origins": part.height,
        "scored_origins": int(scored.sum()),
        "incidents_per_period": round(float(part["incidents"].to_numpy().mean()), 2),
    }


def _compute(
    frame: pl.DataFrame, spec: PeriodSpec, method_key: str, origin: datetime, cell_m: float, centre: tuple[float, float]
) -> ForecastRun:
    started = time.perf_counter()
    period = timedelta(hours=spec.hours)
    first: datetime = frame["occurred_from"].min()  # type: ignore[assignment]
    periods = min(spec.history, math.ceil((origin - first) / period))
    backtest_periods = min(spec.backtest, periods // 2)
    if periods < 8 or backtest_periods < 4:
        raise ForecastQueryInvalid(
            f"a forecast by {spec.key} needs at least 8 {spec.key}s of recorded incidents before "
            f"{origin:%Y-%m-%d %H:%M} UTC; there are {max(periods, 0)}: choose a shorter period"
        )
    start = origin - periods * period
    projection = LocalProjection(*centre)
    x, y = projection.to_xy(frame["lat"].to_numpy(), frame["lon"].to_numpy())
    grid = Grid.covering(x, y, cell_m)
    panel = build_panel(
        frame.select("occurred_from").with_columns(pl.Series("x", x), pl.Series("y", y)),
        grid,
        start,
        float(spec.hours),
        periods,
    )
    first_origin = periods - backtest_periods
    tested = _method(method_key, spec, first_origin)
    result = rolling_origin(panel, [tested], list(range(first_origin, periods)), refit_every=backtest_periods)
    live = _method(method_key, spec, first_origin)
    live.fit(panel)
    score = np.asarray(live.predict(panel), dtype=np.float64)
    area = np.nonzero(panel.counts.sum(axis=0).ravel() > 0)[0]
    seconds = time.perf_counter() - started
    parameters = {
        "backtest": {
            "design": (
                f"the latest {backtest_periods} {spec.key}s, each forecast from the {spec.key}s before it only; "
                "fitted once at the first of them (later ones use an older fit than the live forecast); study "
                "area: cells with an incident before the first"
            ),
            **result.parameters,
        },
        "live_fit": {"periods": periods, "method": live.parameters()},
        "period": {"key": spec.key, "hours": spec.hours, "label": spec.label},
        "placement": "incidents known only as a from-to window are placed at its midpoint",
        "selection": (
            "the top share of study-area cells by score, rounded to whole cells; cells tied at the cut are all "
            "shown and flagged; cells scoring 0 are never selected"
        ),
    }
    data = {
        "history_from": start.isoformat(),
        "history_to": origin.isoformat(),
        "first_incident": first.isoformat(),
        "last_incident": frame["occurred_from"].max().isoformat(),  # type: ignore[union-attr]
        "incidents": int(panel.counts.sum()),
        "periods": periods,
    }
    return ForecastRun(
        method=method_key,
        grid=grid,
        centre=centre,
        area=area,
        score=score,
        backtest={pct: _figures(result.rows, pct / 100) for pct in COVERAGE_PERCENTS},
        parameters=parameters,
        data=data,
        seconds=round(seconds, 3),
    )


def _single_threaded(
    frame: pl.DataFrame, spec: PeriodSpec, method_key: str, origin: datetime, cell_m: float, centre: tuple[float, float]
) -> ForecastRun:
    """:func:`_compute` with one OpenMP thread (the boosting model's), for the calling thread only.

    Inside a web server the cores are busy with other requests and jobs; OpenMP threads then
    spin-wait for each other. Measured on the 2-core machine at load 9: the demo's daily
    boosting forecast took 31 s with OpenMP's default two threads and 0.8 s with one.
    """
    with threadpool_limits(limits=1, user_api="openmp"):
        return _compute(frame, spec, method_key, origin, cell_m, centre)


def _load(
    session: Session,
    principal: Principal,
    spec: PeriodSpec,
    origin: datetime,
    cats: list[str] | None,
    district: int | None,
) -> pl.DataFrame:
    """Incidents of the history window, each at its time (or the midpoint of its from-to window)."""
    since = origin - spec.history * timedelta(hours=spec.hours)
    frame = repository.incident_frame(session, principal.row_scope(), since, origin, cats, district)
    placed = frame.with_columns(
        (pl.col("occurred_from") + (pl.col("occurred_to") - pl.col("occurred_from")) / 2).alias("occurred_from")
    )
    return placed.filter((pl.col("occurred_from") >= since) & (pl.col("occurred_from") < origin))


def _centre(session: Session, frame: pl.DataFrame) -> tuple[float, float]:
    city = city_service.get(session)
    if city is not None:
        return ((city.min_lat + city.max_lat) / 2, (city.min_lon + city.max_lon) / 2)
    return (float(frame["lat"].mean()), float(frame["lon"].mean()))  # type: ignore[arg-type]


def forecast_layer(session: Session, principal: Principal, q: ForecastQuery) -> dict[str, Any]:
    """GeoJSON of the next period's hot cells, with the method's back-test figures, parameters and limits."""
    guard(principal, "crime:read", "crime", "forecast")
    q.check()
    spec = PERIODS[q.period]
    end = q.until or crime_service.default_end(session, principal)
    origin = period_start(end, spec, context.setting(session, "city_timezone", "UTC"))
    cats, chosen, warnings = _categories(q)
    frame = _load(session, principal, spec, origin, cats, q.district_id)
    if frame.height == 0:
        raise ForecastQueryInvalid(
            f"no recorded incidents of the chosen types before {origin:%Y-%m-%d %H:%M} UTC; "
            "choose other types, another district or a later date"
        )
    centre = _centre(session, frame)
    key = (q.method, spec.key, q.cell_m, origin.isoformat(), centre, _fingerprint(frame))
    run, cached = CACHE.get_or_compute(key, lambda: _single_threaded(frame, spec, q.method, origin, q.cell_m, centre))
    share = q.coverage_pct / 100
    chosen_idx, tied = select_top(run.score[run.area], share)
    cells = run.area[chosen_idx]
    features = _features(run, cells, tied)
    figures = run.backtest[q.coverage_pct]
    if share * len(run.area) < 1:
        warnings.append(
            f"{q.coverage_pct}% of the study area ({len(run.area)} cells) is less than one cell; the map shows one."
        )
    if figures.get("scored_origins", 0) < figures.get("origins", 0):
        warnings.append(
            f"{figures['origins'] - figures['scored_origins']} of the {figures['origins']} back-test periods had no "
            "incidents and no hit rate; the figures are over the others."
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "meta": {
            "method": q.method,
            "method_name": METHODS[q.method],
            "period": spec.key,
            "period_label": spec.label,
            "coverage_pct": q.coverage_pct,
            "forecast_from": origin.isoformat(),
            "forecast_to": (origin + timedelta(hours=spec.hours)).isoformat(),
            "categories": cats if cats is not None else [],
            "types": chosen,
            "district_id": q.district_id,
            "cell_m": q.cell_m,
            "study_area_cells": len(run.area),
            "study_area_km2": round(len(run.area) * q.cell_m**2 / 1e6, 3),
            "selected_cells": len(cells),
            "tied_cells": int(tied.sum()),
            "data": run.data,
            "backtest": {**figures, "by_coverage": [run.backtest[p] for p in COVERAGE_PERCENTS]},
            "parameters": run.parameters,
            "warnings": warnings,
            "limits": FORECAST_LIMITS,
            "cached": cached,
            "compute_seconds": run.seconds,
        },
    }


def _features(run: ForecastRun, cells: np.ndarray, tied: np.ndarray) -> list[dict[str, Any]]:
    projection = LocalProjection(*run.centre)
    features = []
    for rank, (cell, is_tied) in enumerate(zip(cells.tolist(), tied.tolist(), strict=True), start=1):
        row, col = divmod(int(cell), run.grid.nx)
        corners = run.grid.polygon(col, row)
        lat, lon = projection.to_latlon(np.array([p[0] for p in corners]), np.array([p[1] for p in corners]))
        ring = [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat, strict=True)]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "cell": f"{col},{row}",
                    "rank": rank,
                    "score": float(f"{run.score[cell]:.4g}"),
                    "tied": bool(is_tied),
                },
            }
        )
    return features
