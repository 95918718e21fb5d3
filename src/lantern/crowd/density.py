"""Crowd density rules: a pure step over a batch of anonymous counts with explicit state.

Density is persons per square metre of a zone's usable area. Levels follow configurable
thresholds (default 2 / 4 / 5: watch from 2, warning from 4, critical from 5; the UK Green Guide's
standing maximum is 4.7). A zone rising into a higher level alerts once per crossing; a density
rising faster than the zone's ``rise_per_min`` (least-squares slope over the last five minutes)
alerts once per rising episode, with the time the next level will be reached at that rate.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from lantern.monitor.rules.schema import conform, no_alerts

TIME = pl.Datetime("us", "UTC")
LEVELS = ("normal", "watch", "warning", "critical")
DEFAULT_LEVELS = (2.0, 4.0, 5.0)
RISE_WINDOW = "5m"
HISTORY_SCHEMA = {"zone_id": pl.String(), "time": TIME, "density": pl.Float64()}
ZONE_STATE_SCHEMA = {"zone_id": pl.String(), "level": pl.Int64(), "rising": pl.Boolean()}


@dataclass(frozen=True)
class ZoneSpec:
    id: str
    name: str
    area_m2: float
    levels: tuple[float, ...] = DEFAULT_LEVELS
    rise_per_min: float = 0.2
    lat: float = 0.0
    lon: float = 0.0


def level_of(density: float, thresholds: tuple[float, ...]) -> int:
    """0 normal, 1 watch, 2 warning, 3 critical."""
    return int(sum(density >= t for t in thresholds))


def minutes_to(density: float, slope_per_min: float, target: float) -> float | None:
    """Minutes until ``target`` at the current rate (None when not rising or already there)."""
    if slope_per_min <= 0 or density >= target:
        return None
    return (target - density) / slope_per_min


@dataclass
class CrowdState:
    history: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=HISTORY_SCHEMA))
    zones: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=ZONE_STATE_SCHEMA))

    def to_bytes(self) -> bytes:
        parts = []
        for frame in (self.history, self.zones):
            buffer = io.BytesIO()
            frame.write_ipc(buffer)
            parts.append(buffer.getvalue())
        return b"".join(len(p).to_bytes(8, "big") + p for p in parts)

    @classmethod
    def from_bytes(cls, data: bytes | None) -> CrowdState:
        if not data:
            return cls()
        size = int.from_bytes(data[:8], "big")
        history = pl.read_ipc(io.BytesIO(data[8 : 8 + size])).cast(HISTORY_SCHEMA)  # type: ignore[arg-type]
        rest = data[8 + size :]
        zones = pl.read_ipc(io.BytesIO(rest[8:])).cast(ZONE_STATE_SCHEMA)  # type: ignore[arg-type]
        return cls(history, zones)


def step(
    state: CrowdState, counts: pl.DataFrame, zones: dict[str, ZoneSpec]
) -> tuple[CrowdState, pl.DataFrame, dict[str, int]]:
    """Densities, level crossings and rate-of-rise for one batch of counts (zone_id, time, count)."""
    result = {"received": counts.height}
    known = counts.filter(pl.col("zone_id").is_in(list(zones)))
    result["unknown_zone"] = counts.height - known.height
    if known.is_empty():
        return state, no_alerts(), result
    area = pl.col("zone_id").replace_strict({z: s.area_m2 for z, s in zones.items()}, return_dtype=pl.Float64)
    fresh = known.with_columns(density=pl.col("count") / area).select("zone_id", "time", "density", new=pl.lit(True))
    merged = (
        pl.concat([state.history.with_columns(new=pl.lit(False)), fresh])
        .unique(subset=["zone_id", "time"], keep="first", maintain_order=True)
        .sort("zone_id", "time")
    )
    # Least-squares slope over the window: sums of x, y, xy, x² with time-based rolling sums.
    t0 = merged["time"].min()
    x = (pl.col("time") - pl.lit(t0)).dt.total_seconds() / 60
    merged = merged.with_columns(x=x, one=pl.lit(1.0)).with_columns(
        xy=pl.col("x") * pl.col("density"), xx=pl.col("x") ** 2
    )
    sums = {
        c: pl.col(c).rolling_sum_by("time", RISE_WINDOW).over("zone_id") for c in ("one", "x", "density", "xy", "xx")
    }
    merged = merged.with_columns(**{f"s_{k}": v for k, v in sums.items()})
    denominator = pl.col("s_one") * pl.col("s_xx") - pl.col("s_x") ** 2
    merged = merged.with_columns(
        slope=pl.when((pl.col("s_one") >= 3) & (denominator > 1e-9))
        .then((pl.col("s_one") * pl.col("s_xy") - pl.col("s_x") * pl.col("s_density")) / denominator)
        .otherwise(0.0)
    )
    rows = merged.filter(pl.col("new")).to_dicts()
    carried = {r["zone_id"]: r for r in state.zones.to_dicts()}
    alerts = []
    for row in rows:  # a few rows per zone per step: clearer as a loop than as window expressions
        spec = zones[row["zone_id"]]
        zone_state = carried.setdefault(row["zone_id"], {"zone_id": row["zone_id"], "level": 0, "rising": False})
        level = level_of(row["density"], spec.levels)
        if level > zone_state["level"] and level > 0:
            alerts.append(
                _alert(
                    row,
                    spec,
                    f"crowd_{LEVELS[level]}",
                    f"{row['density']:.2f} persons/m² reached {LEVELS[level]} (from {spec.levels[level - 1]:g})",
                )
            )
        zone_state["level"] = level
        rising = row["slope"] >= spec.rise_per_min
        if rising and not zone_state["rising"]:
            nxt = next((t for t in spec.levels if t > row["density"]), None)
            eta = minutes_to(row["density"], row["slope"], nxt) if nxt is not None else None
            forecast = (
                f"; {LEVELS[spec.levels.index(nxt) + 1]} ({nxt:g}) in about {eta:.0f} min at this rate"
                if eta is not None
                else ""
            )
            alerts.append(
                _alert(row, spec, "crowd_rising", f"density rising {row['slope']:.2f} persons/m² per minute{forecast}")
            )
        zone_state["rising"] = rising
    newest = merged["time"].max()
    history = merged.filter(pl.col("time") > pl.lit(newest) - pl.duration(minutes=5)).select(list(HISTORY_SCHEMA))
    zones_state = pl.DataFrame(list(carried.values()), schema=ZONE_STATE_SCHEMA)
    frame = conform(pl.DataFrame(alerts, schema_overrides={"time": TIME, "key_time": TIME})) if alerts else no_alerts()
    result["counted"] = len(rows)
    return CrowdState(history, zones_state), frame, result


def _alert(row: dict[str, object], spec: ZoneSpec, kind: str, detail: str) -> dict[str, object]:
    return {
        "vehicle_id": spec.id,
        "kind": kind,
        "time": row["time"],
        "key_time": row["time"],
        "ref": spec.name,
        "lat": spec.lat,
        "lon": spec.lon,
        "value": row["density"],
        "detail": detail,
    }


def status(points: list[tuple[object, float]], spec: ZoneSpec) -> dict[str, object]:
    """The page's view of a zone: latest density, level, slope over 5 min and forecast."""
    if not points:
        return {"density": None, "level": "no data", "slope": 0.0, "forecast": None}
    times = np.array(
        [(t - points[-1][0]).total_seconds() / 60 for t, _ in points if (points[-1][0] - t).total_seconds() <= 300]
    )  # type: ignore[operator]
    values = np.array([d for t, d in points if (points[-1][0] - t).total_seconds() <= 300])  # type: ignore[operator]
    slope = float(np.polyfit(times, values, 1)[0]) if len(times) >= 3 and np.ptp(times) > 0 else 0.0
    density = points[-1][1]
    nxt = next((t for t in spec.levels if t > density), None)
    eta = minutes_to(density, slope, nxt) if nxt is not None else None
    forecast = f"{LEVELS[spec.levels.index(nxt) + 1]} in about {eta:.0f} min" if eta is not None else None
    return {"density": density, "level": LEVELS[level_of(density, spec.levels)], "slope": slope, "forecast": forecast}
