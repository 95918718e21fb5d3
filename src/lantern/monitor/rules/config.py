"""Vehicle classes and their rule parameters, loaded from TOML."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from datetime import time
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl


def parse_window(text: str) -> tuple[time, time]:
    """'22:00-06:00' -> (22:00, 06:00); a window may cross midnight."""
    start, _, end = text.partition("-")
    try:
        return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError as exc:
        raise ValueError(f"time window {text!r} is not HH:MM-HH:MM") from exc


@dataclass(frozen=True)
class VehicleClass:
    name: str
    label: str
    speed_limit: float
    night: str
    overspeed_factor: float
    overspeed_min_s: float
    moving_kmh: float
    continuous_day_s: float
    continuous_night_s: float
    rest_min_s: float
    daily_max_s: float
    offline_s: float
    max_fix_gap_s: float
    teleport_kmh: float
    deviation_min_s: float
    night_ban: str | None = None

    @property
    def night_window(self) -> tuple[time, time]:
        return parse_window(self.night)

    @property
    def ban_window(self) -> tuple[time, time] | None:
        return parse_window(self.night_ban) if self.night_ban else None


def _parse(data: dict[str, Any]) -> dict[str, VehicleClass]:
    defaults = data.get("defaults", {})
    names = {f.name for f in fields(VehicleClass)}
    classes = {}
    for name, spec in data["classes"].items():
        merged = {**defaults, **spec, "name": name}
        unknown = set(merged) - names
        if unknown:
            raise ValueError(f"vehicle class {name}: unknown keys {sorted(unknown)}")
        classes[name] = VehicleClass(**merged)
        classes[name].night_window  # noqa: B018 - validates the window text early
    return classes


@lru_cache(maxsize=4)
def load_classes(path: str | None = None) -> dict[str, VehicleClass]:
    """The packaged vehicle classes, or a deployment's own file."""
    text = (
        Path(path).read_text()
        if path
        else (resources.files("lantern.monitor.rules") / "vehicle_classes.toml").read_text()
    )
    return _parse(tomllib.loads(text))


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def params_frame(classes: dict[str, VehicleClass]) -> pl.DataFrame:
    """One row of rule parameters per class, ready to join onto fixes by ``vehicle_class``."""
    rows = []
    for vc in classes.values():
        night_start, night_end = vc.night_window
        ban = vc.ban_window
        rows.append(
            {
                "vehicle_class": vc.name,
                "speed_limit": float(vc.speed_limit),
                "overspeed_factor": float(vc.overspeed_factor),
                "overspeed_min_s": float(vc.overspeed_min_s),
                "moving_kmh": float(vc.moving_kmh),
                "continuous_day_s": float(vc.continuous_day_s),
                "continuous_night_s": float(vc.continuous_night_s),
                "rest_min_s": float(vc.rest_min_s),
                "daily_max_s": float(vc.daily_max_s),
                "offline_s": float(vc.offline_s),
                "max_fix_gap_s": float(vc.max_fix_gap_s),
                "teleport_kmh": float(vc.teleport_kmh),
                "deviation_min_s": float(vc.deviation_min_s),
                "night_start": _minutes(night_start),
                "night_end": _minutes(night_end),
                "ban_start": _minutes(ban[0]) if ban else None,
                "ban_end": _minutes(ban[1]) if ban else None,
            }
        )
    return pl.DataFrame(rows, schema_overrides={"ban_start": pl.Int64, "ban_end": pl.Int64})
