"""Hand-made vehicle tracks for rule tests: legs of (duration, speed), one fix every ``every_s``.

The vehicle drives due east from a start point, so the distance between fixes always matches the
speeds (no accidental teleports), and a test can reason in minutes and km/h.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl

from lantern.monitor.rules.config import load_classes
from lantern.monitor.rules.engine import Rules, as_batch

START = (24.4800, 118.0800)  # a point in a GMT+8 city: local night windows are easy to read
M_PER_DEG_LAT = 111_195.0
ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Leg:
    minutes: float
    speed_kmh: float


def track(
    vehicle_id: str, start: datetime, legs: Sequence[Leg], every_s: float = 30.0, origin: tuple[float, float] = START
) -> pl.DataFrame:
    """Fixes along the legs; the fix at a leg boundary reports the new leg's speed."""
    lat, lon = origin
    m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(lat))
    rows = []
    t = start
    rows_time = 0.0
    x = 0.0
    for leg in legs:
        end = rows_time + leg.minutes * 60
        while rows_time < end - 1e-9:
            rows.append(
                {
                    "vehicle_id": vehicle_id,
                    "time": t,
                    "lat": lat,
                    "lon": lon + x / m_per_deg_lon,
                    "speed_kmh": leg.speed_kmh,
                }
            )
            step = min(every_s, end - rows_time)
            x += leg.speed_kmh / 3.6 * step
            rows_time += step
            t += timedelta(seconds=step)
    rows.append({"vehicle_id": vehicle_id, "time": t, "lat": lat, "lon": lon + x / m_per_deg_lon, "speed_kmh": 0.0})
    return as_batch(pl.DataFrame(rows))


def at(text: str) -> datetime:
    """'2026-11-02 21:30' in the city's local time (GMT+8) -> aware UTC."""
    local = datetime.fromisoformat(text).replace(tzinfo=UTC) - timedelta(hours=8)
    return local


def rules_for(vehicles: dict[str, str], **kwargs: object) -> Rules:
    return Rules(classes=load_classes(), vehicle_classes=vehicles, centre=START, zone=ZONE, **kwargs)  # type: ignore[arg-type]
