"""The congestion index over stored data: probe speeds per road segment and detector readings.

Both kinds of data become one reading frame keyed ``edge:<id>`` or ``det:<id>``, weighted by
road length (a detector without a length stands for ``DETECTOR_LENGTH_M``), and go through
the pure pipeline of ``traffic.analytics``: free-flow speed per key (85th percentile of night
speeds), TTI per reading, the length-weighted city and district index per 15-minute slot.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

from lantern.city import service as city_service
from lantern.errors import NotFound
from lantern.security import context
from lantern.traffic import repository
from lantern.traffic.analytics.heatmap import WEEKDAY_NAMES, segment_history, weekday_heatmap
from lantern.traffic.analytics.index import DEFAULT_SCALE, aggregate_index, congested_hours, planning_time_index
from lantern.traffic.analytics.speeds import NightWindow, free_flow_speeds, travel_time_index
from lantern.traffic.feeds.events import utc_z
from lantern.traffic.feeds.geojson import congestion_layer

DETECTOR_LENGTH_M = 500.0
SLOT = "15m"
WINDOW = timedelta(days=7)  # free-flow speeds come from the last week of data
NOW_WINDOW = timedelta(hours=1)  # "now" is the last hour: one 15-minute slot of probes is too thin
# Probe slots are sparse at night (a few vehicles per segment): 4 night slots are enough for a
# free-flow estimate; fewer fall back to the all-day 85th percentile (see free_flow_speeds).
MIN_NIGHT_SAMPLES = 4
MAX_CACHED = 4
EMPTY = pl.DataFrame(
    schema={
        "sensor_id": pl.String,
        "time": pl.Datetime("us", "UTC"),
        "speed_kmh": pl.Float64,
        "length_m": pl.Float64,
        "district_id": pl.Int64,
    }
)


@dataclass(frozen=True)
class TrafficState:
    """Everything the public page and the index API show, computed at once."""

    latest: datetime | None
    readings: pl.DataFrame  # with tti
    series: pl.DataFrame  # city index per slot
    now_segments: pl.DataFrame  # per key over the last hour: tti, speed
    districts: pl.DataFrame
    # Answers derived from this state (the public index), kept with it: they change only when it does.
    derived: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


_STATES: dict[tuple[Any, ...], TrafficState] = {}
FINGERPRINT_TTL_S = 2.0
_FINGERPRINTS: dict[tuple[str, datetime], tuple[int, float, tuple[Any, ...]]] = {}
_LOCK = threading.Lock()


def _edges(session: Session) -> pl.DataFrame:
    edges = city_service.road_edges(session)
    if not edges:
        return pl.DataFrame(schema={"edge_id": pl.Int64, "length_m": pl.Float64, "lat": pl.Float64, "lon": pl.Float64})
    first = [json.loads(e.coordinates)[0] for e in edges]
    return pl.DataFrame(
        {
            "edge_id": [int(e.id) for e in edges],
            "length_m": [float(e.length_m) for e in edges],
            "name": [e.name for e in edges],
            "lon": [float(c[0]) for c in first],
            "lat": [float(c[1]) for c in first],
        }
    )


def _frame(session: Session, since: datetime, until: datetime) -> pl.DataFrame:
    """Probe and detector readings of the window as one reading frame with weights and districts."""
    parts = [EMPTY]
    probes = repository.segment_speed_rows(session, since, until)
    if probes:
        edges = _edges(session)
        districts = city_service.district_index_or_none(session)
        located = districts.locate(edges["lat"].to_numpy(), edges["lon"].to_numpy()) if districts else None
        edges = edges.with_columns(
            pl.Series("district_id", located if located is not None else np.full(edges.height, -1), dtype=pl.Int64)
        )
        frame = pl.DataFrame(
            {"edge_id": [p[0] for p in probes], "time": [p[1] for p in probes], "speed_kmh": [p[2] for p in probes]},
            schema={"edge_id": pl.Int64, "time": pl.Datetime("us", "UTC"), "speed_kmh": pl.Float64},
        ).join(edges.select("edge_id", "length_m", "district_id"), on="edge_id", how="inner")
        parts.append(
            frame.select(
                pl.format("edge:{}", "edge_id").alias("sensor_id"),
                "time",
                "speed_kmh",
                "length_m",
                pl.when(pl.col("district_id") >= 0).then("district_id").alias("district_id"),
            )
        )
    readings = repository.reading_rows(session, since, until)
    if readings:
        detectors = {d.id: d for d in repository.list_detectors(session)}
        parts.append(
            pl.DataFrame(
                {
                    "sensor_id": [f"det:{r[0]}" for r in readings],
                    "time": [r[1] for r in readings],
                    "speed_kmh": [r[2] for r in readings],
                    "length_m": [detectors[r[0]].length_m or DETECTOR_LENGTH_M for r in readings],
                    "district_id": [detectors[r[0]].district_id for r in readings],
                },
                schema=EMPTY.schema,
            )
        )
    return pl.concat(parts, how="vertical").with_columns(pl.col("time").dt.truncate(SLOT))


def state(session: Session, *, until: datetime | None = None, timezone: str | None = None) -> TrafficState:
    """The index over the week before the newest data (or ``until``); night hours in ``timezone`` (the city's)."""
    latest = until or repository.latest_data_time(session)
    timezone = timezone or str(context.setting(session, "city_timezone", "UTC"))
    if latest is None:
        empty = pl.DataFrame()
        return TrafficState(None, EMPTY.with_columns(tti=pl.lit(0.0)), empty, empty, empty)
    # The public page, its map and the index API each need the state; a week of 207 detectors is
    # 417k rows and 1.8 s to load, so it is computed once per change of the data, not per request.
    city = city_service.get(session)
    url = str(session.get_bind().engine.url)
    key = (url, latest, timezone, city.imported_at if city else None, _fingerprint(session, url, latest))
    cached = _STATES.get(key)
    if cached is not None:
        return cached
    frame = _frame(session, latest - WINDOW, latest)
    free_flow = free_flow_speeds(frame, NightWindow(22, 5, timezone), min_night_samples=MIN_NIGHT_SAMPLES)
    with_tti = travel_time_index(frame, free_flow)
    series = aggregate_index(with_tti, ["time"], weight="length_m")
    recent = with_tti.filter(pl.col("time") > latest - NOW_WINDOW)
    now_segments = recent.group_by("sensor_id").agg(
        pl.col("tti").mean(),
        pl.col("speed_kmh").mean(),
        pl.col("free_flow_kmh").first(),
        pl.col("length_m").first(),
        pl.col("district_id").first(),
    )
    districts = aggregate_index(now_segments.drop_nulls("district_id"), ["district_id"], weight="length_m")
    result = TrafficState(latest, with_tti, series, now_segments, districts)
    with _LOCK:  # requests run in a thread pool
        while len(_STATES) >= MAX_CACHED:
            _STATES.pop(next(iter(_STATES)))
        _STATES[key] = result
    return result


def _fingerprint(session: Session, url: str, latest: datetime) -> tuple[Any, ...]:
    """The data fingerprint of the window, re-read when this process wrote traffic data or every few seconds.

    Reading it cost ~2-3 ms of every public traffic page (aggregates over the window's rows);
    a write in this process moves ``write_generation`` and forces a fresh read, and a write by
    another process (``lantern traffic import``) is seen within ``FINGERPRINT_TTL_S``.
    """
    generation, now = repository.write_generation(), time.monotonic()
    found = _FINGERPRINTS.get((url, latest))
    if found is not None and found[0] == generation and now - found[1] < FINGERPRINT_TTL_S:
        return found[2]
    fingerprint = repository.data_fingerprint(session, latest - WINDOW, latest)
    with _LOCK:
        if len(_FINGERPRINTS) >= MAX_CACHED:
            _FINGERPRINTS.clear()
        _FINGERPRINTS[(url, latest)] = (generation, now, fingerprint)
    return fingerprint


def _level(frame: pl.DataFrame) -> dict[str, Any]:
    if frame.height == 0:
        return {"tti": None, "index": None, "level": None, "level_code": None, "segments": 0}
    row = frame.row(0, named=True)
    return {
        "tti": round(row["tti"], 3),
        "index": round(row["index"], 2),
        "level": row["level"],
        "level_code": row["level_code"],
        "segments": row["segments"],
    }


def city_index(session: Session) -> dict[str, Any]:
    """The public index: now (last hour), per district, per 15-minute slot, congested hours per day (read-only)."""
    current = state(session)
    timezone = str(context.setting(session, "city_timezone", "UTC"))
    if current.latest is None:
        return {"latest": None, "now": _level(pl.DataFrame()), "districts": [], "series": [], "days": []}
    # Building this from the state took ~3 ms per request of the public traffic page (the
    # page's largest cost after the state itself); the state is cached per data change, so is this.
    # Shared between requests: callers read it and never change it.
    found = current.derived.get(("city_index", timezone))
    if found is None:
        found = current.derived[("city_index", timezone)] = _city_index(session, current, timezone)
    return found  # type: ignore[no-any-return]


def _city_index(session: Session, current: TrafficState, timezone: str) -> dict[str, Any]:
    assert current.latest is not None
    now = aggregate_index(current.now_segments.with_columns(pl.lit(1).alias("k")), ["k"], weight="length_m")
    names = {d.id: d.name for d in city_service.list_districts(session)}
    districts = [
        {"district_id": row["district_id"], "name": names.get(row["district_id"], ""), **_level(pl.DataFrame([row]))}
        for row in current.districts.iter_rows(named=True)
    ]
    series = [
        {"time": utc_z(r["time"]), "tti": round(r["tti"], 3), "index": round(r["index"], 2), "level": r["level"]}
        for r in current.series.iter_rows(named=True)
    ]
    days = congested_hours(current.series, timezone=timezone, interval=timedelta(minutes=15))
    return {
        "latest": utc_z(current.latest),
        "timezone": timezone,
        "now": _level(now),
        "districts": districts,
        "series": series,
        "days": [
            {"date": str(r["date"]), "congested_hours": r["congested_hours"], "peak_index": round(r["peak_index"], 2)}
            for r in days.iter_rows(named=True)
        ],
        "levels": [
            {"name": n, "code": c, "from": lo}
            for n, c, lo in zip(
                DEFAULT_SCALE.levels, DEFAULT_SCALE.codes, (0.0, *DEFAULT_SCALE.level_breaks), strict=True
            )
        ],
    }


def congestion_geojson(session: Session) -> dict[str, Any]:
    """The last hour's congestion per road segment (and detector) as GeoJSON lines and points.

    Every segment with data in the week is a feature; those without data in the last hour have a
    null TTI and level (grey on the map), so the map shows the network the index is made of.
    """
    current = state(session)
    if current.latest is None or current.readings.height == 0:
        return congestion_layer(
            pl.DataFrame(schema={"sensor_id": pl.String, "tti": pl.Float64, "lat": pl.Float64, "lon": pl.Float64}),
            generated_at=context.now(session),
        )
    week = current.readings.select(pl.col("sensor_id").unique())
    segments = week.join(
        current.now_segments.select("sensor_id", "tti", "speed_kmh", "free_flow_kmh"), on="sensor_id", how="left"
    ).sort("sensor_id")
    edges = {int(e.id): e for e in city_service.road_edges(session)}
    detectors = {d.id: d for d in repository.list_detectors(session)}
    coordinates: list[list[list[float]] | None] = []
    lats: list[float | None] = []
    lons: list[float | None] = []
    names: list[str] = []
    for key in segments["sensor_id"].to_list():
        kind, _, raw = key.partition(":")
        if kind == "edge":
            edge = edges[int(raw)]
            coordinates.append(json.loads(edge.coordinates))
            lats.append(None)
            lons.append(None)
            names.append(edge.name)
        else:
            detector = detectors[int(raw)]
            coordinates.append(None)
            lats.append(detector.lat)
            lons.append(detector.lon)
            names.append(detector.name or detector.code)
    frame = segments.with_columns(
        pl.Series("coordinates", coordinates, dtype=pl.List(pl.List(pl.Float64))),
        pl.Series("lat", lats, dtype=pl.Float64),
        pl.Series("lon", lons, dtype=pl.Float64),
        pl.Series("name", names, dtype=pl.String),
    ).filter(pl.col("coordinates").is_not_null() | pl.col("lat").is_not_null())
    return congestion_layer(frame, generated_at=context.now(session))


def segment_history_of(session: Session, key: str) -> list[dict[str, Any]]:
    """Hourly history of one segment (``edge:<id>``) or detector (``det:<id>``) over the last week."""
    current = state(session)
    frame = current.readings.filter(pl.col("sensor_id") == key)
    if frame.height == 0:
        raise NotFound(f"no traffic data for {key!r} in the last week; keys look like edge:123 or det:4")
    history = segment_history(frame, every="1h")
    return [
        {
            "time": utc_z(r["time"]),
            "mean_speed_kmh": round(r["mean_speed_kmh"], 1),
            "min_speed_kmh": round(r["min_speed_kmh"], 1),
            "tti": round(r["tti"], 3),
            "index": round(r["index"], 2),
            "level": r["level"],
            "readings": r["readings"],
        }
        for r in history.iter_rows(named=True)
    ]


def heatmap(session: Session) -> dict[str, Any]:
    """Mean city index per local weekday and hour over the stored week (a 7 x 24 grid, sparse)."""
    current = state(session)
    timezone = str(context.setting(session, "city_timezone", "UTC"))
    if current.latest is None:
        return {"timezone": timezone, "weekdays": list(WEEKDAY_NAMES), "cells": []}
    cells = weekday_heatmap(current.series, timezone, value="index", slot_minutes=60)
    return {
        "timezone": timezone,
        "weekdays": list(WEEKDAY_NAMES),
        "cells": [
            {"weekday": r["weekday"], "hour": r["slot"] // 60, "index": round(r["index"], 2), "slots": r["readings"]}
            for r in cells.iter_rows(named=True)
        ],
    }


def reliability(session: Session, *, limit: int = 20, min_readings: int = 8) -> list[dict[str, Any]]:
    """The least reliable segments and detectors of the week: highest planning time index (95th pct TTI).

    Segments with fewer than ``min_readings`` slots are left out: a 95th percentile of three
    probe slots says nothing.
    """
    current = state(session)
    if current.latest is None:
        return []
    pti = (
        planning_time_index(current.readings, ["sensor_id"])
        .filter(pl.col("readings") >= min_readings)
        .sort("pti", descending=True)
        .head(limit)
    )
    return [
        {
            "key": r["sensor_id"],
            "pti": round(r["pti"], 3),
            "mean_tti": round(r["mean_tti"], 3),
            "readings": r["readings"],
        }
        for r in pti.iter_rows(named=True)
    ]
