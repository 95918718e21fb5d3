"""Drone conformance throughput: 1,000 simultaneous flights reporting at 1 Hz, on one core.

Each flight has its own declared polygon (20 corners) and altitude band; ten geozones are
active. The conformance step (``lantern.drones.conformance.check``) runs on one-second micro
batches (1,000 points, what a live deployment sees) and on ten-second batches. Baseline: a
per-point loop with shapely (project the point, ``contains`` on the flight's footprint, altitude
and time checks, each geozone), in the same process.

    python benchmarks/drones.py [--flights 1000] [--seconds 60]
"""

from __future__ import annotations

import os

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # before polars is imported: one core

import argparse
import math
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
from shapely.geometry import Point, Polygon

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import table
from lantern.drones.airspace import Volume, Zone
from lantern.drones.conformance import Airspace, FlightState, check
from lantern.kit.geo import LocalProjection

CENTRE = (60.17, 24.94)
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def polygon_around(lat: float, lon: float, radius_m: float, corners: int = 20) -> Polygon:
    k = 1 / 111_195.0
    return Polygon(
        [
            (lon + radius_m * math.cos(a) * k / math.cos(math.radians(lat)), lat + radius_m * math.sin(a) * k)
            for a in np.linspace(0, 2 * math.pi, corners, endpoint=False)
        ]
    )


def scene(flights: int, seed: int = 3) -> tuple[Airspace, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lats = CENTRE[0] + rng.uniform(-0.1, 0.1, flights)
    lons = CENTRE[1] + rng.uniform(-0.2, 0.2, flights)
    volumes = {
        f"FD-{i:05d}": Volume("polygon", polygon_around(lats[i], lons[i], 300), 0, 0, 100, T0, T0 + timedelta(hours=2))
        for i in range(flights)
    }
    zones = [
        Zone(
            f"z{i}",
            f"zone {i}",
            "prohibited",
            polygon_around(CENTRE[0] + rng.uniform(-0.1, 0.1), CENTRE[1] + rng.uniform(-0.2, 0.2), 500),
            0,
            150,
            None,
            None,
        )
        for i in range(10)
    ]
    return Airspace(volumes, zones, CENTRE), lats, lons


def telemetry(space: Airspace, lats: np.ndarray, lons: np.ndarray, second: int, seconds: int) -> pl.DataFrame:
    """Each drone circles 250 m around its area's centre (a few stray outside: radius 320 m)."""
    n = len(lats)
    frames = []
    radius = np.where(np.arange(n) % 20 == 0, 320.0, 250.0)
    for s in range(second, second + seconds):
        angle = s / 30 + np.arange(n)
        k = 1 / 111_195.0
        frames.append(
            pl.DataFrame(
                {
                    "flight_id": space.ids,
                    "time": [T0 + timedelta(seconds=s)] * n,
                    "lat": lats + radius * np.sin(angle) * k,
                    "lon": lons + radius * np.cos(angle) * k / np.cos(np.radians(lats)),
                    "alt_m": np.where(np.arange(n) % 50 == 0, 120.0, 60.0),
                }
            )
        )
    return pl.concat(frames).with_columns(pl.col("time").cast(pl.Datetime("us", "UTC")))


def baseline(space: Airspace, batch: pl.DataFrame) -> int:
    """Per point: project, contains, altitude, time, every geozone."""
    projection: LocalProjection = space.projection
    footprints = {fid: space.footprints[i] for i, fid in enumerate(space.ids)}
    zones = [(z, local) for z, local in space.local_zones]
    outside = 0
    for fid, t, lat, lon, alt in batch.iter_rows():
        x, y = projection.to_xy(np.array([lat]), np.array([lon]))
        point = Point(float(x[0]), float(y[0]))
        volume = space.flights[fid]
        ok = (
            footprints[fid].contains(point)
            and volume.floor_m <= alt <= volume.ceiling_m
            and volume.starts_at <= t <= volume.ends_at
        )
        in_zone = any(z.lower_m <= alt <= z.upper_m and local.contains(point) for z, local in zones)
        outside += (not ok) + in_zone
    return outside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flights", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    space, lats, lons = scene(args.flights)
    space.footprints  # noqa: B018 - compile the footprints before timing
    rows = []
    for batch_s in (1, 10):
        state = check(FlightState(), telemetry(space, lats, lons, 0, batch_s), space)[0]  # warm up
        batches = [telemetry(space, lats, lons, s, batch_s) for s in range(batch_s, args.seconds + batch_s, batch_s)]
        started = time.perf_counter()
        alerts = 0
        for batch in batches:
            state, found, _ = check(state, batch, space)
            alerts += found.height
        elapsed = time.perf_counter() - started
        points = sum(b.height for b in batches)
        rows.append(
            (
                f"{batch_s} s batches",
                f"{points:,}",
                f"{points / elapsed:,.0f}",
                f"{elapsed / len(batches) * 1000:.1f} ms",
                f"{alerts:,}",
            )
        )
    sample = telemetry(space, lats, lons, 0, 5)
    started = time.perf_counter()
    baseline(space, sample)
    base_rate = sample.height / (time.perf_counter() - started)
    print(f"drone conformance, {args.flights:,} flights at 1 Hz, 10 geozones, polars on {pl.thread_pool_size()} thread")
    print(table(rows, ("engine", "points", "checks/s", "per batch", "alerts")))
    ratios = [float(r[2].replace(",", "")) / base_rate for r in rows]
    print(
        f"per-point shapely loop: {base_rate:,.0f} checks/s; "
        f"ratio {ratios[0]:.1f}x (1 s batches), {ratios[1]:.1f}x (10 s batches)"
    )
    print(f"a live load of {args.flights:,} flights at 1 Hz needs {args.flights:,} checks/s")


if __name__ == "__main__":
    main()
