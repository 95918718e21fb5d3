"""Detector import profiles: how one kind of detector file maps onto readings and detector locations.

The same idea as the incident ingest profiles (``lantern.ingest.profile``): a small TOML file
names the columns, the speed unit and the zone of local times. Two layouts exist in the wild:

* ``long``: one row per detector and interval (most exports, Lantern's own format);
* ``wide``: one column per detector and one row per interval, the time implied by the row
  number (``start`` + ``step_minutes`` x row), as in the METR-LA and PeMS-BAY research copies.

Built-in profiles live in :data:`BUILTIN_PROFILES` (Python, so they ship without package data);
users pass the path of their own ``.toml``.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lantern.kit.time import zone
from lantern.traffic.analytics.readings import ReadingProfile, readings_from_frame


class ReadingColumns(BaseModel):
    """Columns of a long reading file; ``flow`` and ``occupancy`` are read when the file has them."""

    model_config = ConfigDict(extra="forbid")

    sensor_id: str = "sensor_id"
    time: str = "time"
    speed: str = "speed_kmh"
    flow: str | None = None
    occupancy: str | None = None


class LocationColumns(BaseModel):
    """Columns of a detector location file (one row per detector)."""

    model_config = ConfigDict(extra="forbid")

    sensor_id: str = "sensor_id"
    lat: str = "lat"
    lon: str = "lon"
    name: str | None = None
    length_m: str | None = None


class DetectorProfile(BaseModel):
    """A validated detector profile."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    source: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,99}$")
    layout: Literal["long", "wide"] = "long"
    speed_unit: Literal["km/h", "mph", "m/s"] = "km/h"
    timezone: str = "UTC"
    time_format: str | None = None
    occupancy_percent: bool = False
    start: str | None = None  # wide layout: local time of the first row, "YYYY-MM-DD HH:MM"
    step_minutes: int | None = Field(default=None, ge=1, le=1440)
    columns: ReadingColumns = Field(default_factory=ReadingColumns)
    locations: LocationColumns = Field(default_factory=LocationColumns)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        zone(value)
        return value

    @model_validator(mode="after")
    def _wide_needs_clock(self) -> DetectorProfile:
        if self.layout == "wide" and (self.start is None or self.step_minutes is None):
            raise ValueError("a wide profile needs `start` (local time of row 1) and `step_minutes`")
        return self

    def reading_profile(self) -> ReadingProfile:
        """The codec-level profile of the long frame this profile produces."""
        if self.layout == "wide":
            return ReadingProfile(
                sensor_id="sensor_id", time="time", speed="speed", speed_unit=self.speed_unit, timezone=self.timezone
            )
        c = self.columns
        return ReadingProfile(
            sensor_id=c.sensor_id,
            time=c.time,
            speed=c.speed,
            flow=c.flow,
            occupancy=c.occupancy,
            speed_unit=self.speed_unit,
            timezone=self.timezone,
            time_format=self.time_format,
            occupancy_percent=self.occupancy_percent,
        )


BUILTIN_PROFILES: dict[str, dict[str, Any]] = {
    "metr-la": {
        "name": "metr-la",
        "description": "METR-LA freeway loops (T-GCN copy, los_speed.csv): wide, mph, 5-minute rows from "
        "2012-03-01 00:00 Los Angeles time; locations in graph_sensor_locations.csv",
        "source": "metr-la",
        "layout": "wide",
        "speed_unit": "mph",
        "timezone": "America/Los_Angeles",
        "start": "2012-03-01 00:00",
        "step_minutes": 5,
        "locations": {"sensor_id": "sensor_id", "lat": "latitude", "lon": "longitude"},
    },
    "lantern-detectors": {
        "name": "lantern-detectors",
        "description": "Lantern long format: sensor_id, time (ISO 8601 with offset), speed_kmh, flow_veh_h, "
        "occupancy; locations: sensor_id, lat, lon, name, length_m",
        "source": "lantern",
        "layout": "long",
        "columns": {"flow": "flow_veh_h", "occupancy": "occupancy"},
        "locations": {"name": "name", "length_m": "length_m"},
    },
}


def builtin_names() -> list[str]:
    """Names of the detector profiles shipped with Lantern."""
    return sorted(BUILTIN_PROFILES)


def load_detector_profile(name_or_path: str) -> DetectorProfile:
    """A built-in profile by name, or a user profile from a ``.toml`` path; ValueError says what is wrong.

    Examples
    --------
    >>> load_detector_profile("metr-la").speed_unit
    'mph'
    """
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.is_file():
        origin = str(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{origin}: not valid TOML: {exc}") from exc
    elif name_or_path in BUILTIN_PROFILES:
        origin, data = f"built-in profile {name_or_path}", BUILTIN_PROFILES[name_or_path]
    else:
        raise ValueError(
            f"no detector profile {name_or_path!r}; built-in profiles: {', '.join(builtin_names())}, "
            "or pass the path of your own .toml file"
        )
    try:
        return DetectorProfile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'profile'}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"{origin}: {problems}") from exc


def read_table(path: str | Path) -> pl.DataFrame:
    """A CSV or Parquet file as a frame (by suffix)."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        return pl.read_parquet(path)
    return pl.read_csv(path, infer_schema_length=10_000)


def readings_of(raw: pl.DataFrame, profile: DetectorProfile) -> pl.DataFrame:
    """The reading frame (sensor_id, time UTC, speed_kmh, ...) of a raw file read through ``profile``.

    Examples
    --------
    >>> wide = pl.DataFrame({"773869": [60.0, 0.0], "767541": [50.0, 55.0]})
    >>> out = readings_of(wide, load_detector_profile("metr-la"))
    >>> out.sort("sensor_id", "time").select("sensor_id", pl.col("speed_kmh").round(1)).rows()
    [('767541', 80.5), ('767541', 88.5), ('773869', 96.6)]
    """
    if profile.layout == "long":
        codec = profile.reading_profile()
        # Flow and occupancy are optional measurements: a file without them still has speeds.
        codec = replace(
            codec,
            flow=codec.flow if codec.flow in raw.columns else None,
            occupancy=codec.occupancy if codec.occupancy in raw.columns else None,
        )
        return readings_from_frame(raw, codec)
    assert profile.start is not None and profile.step_minutes is not None  # checked by the model
    start = pl.lit(profile.start).str.to_datetime(time_unit="us")
    times = pl.datetime_range(
        start,
        start + pl.duration(minutes=profile.step_minutes * max(raw.height - 1, 0)),
        interval=f"{profile.step_minutes}m",
        eager=True,
    )
    long = (
        raw.with_columns(times.alias("time"))
        .unpivot(index="time", variable_name="sensor_id", value_name="speed")
        .with_columns(pl.col("speed").cast(pl.Float64))
    )
    return readings_from_frame(long, profile.reading_profile())


def locations_of(raw: pl.DataFrame, profile: DetectorProfile) -> pl.DataFrame:
    """Detector locations: ``sensor_id``, ``lat``, ``lon``, ``name``, ``length_m`` (nulls where not given)."""
    c = profile.locations
    for column in (c.sensor_id, c.lat, c.lon, c.name, c.length_m):
        if column is not None and column not in raw.columns:
            raise ValueError(f"column `{column}` named in the profile is not in the location file ({raw.columns})")
    frame = raw.select(
        pl.col(c.sensor_id).cast(pl.String).alias("sensor_id"),
        pl.col(c.lat).cast(pl.Float64).alias("lat"),
        pl.col(c.lon).cast(pl.Float64).alias("lon"),
        (pl.col(c.name).cast(pl.String) if c.name else pl.lit("")).alias("name"),
        (pl.col(c.length_m).cast(pl.Float64) if c.length_m else pl.lit(None, dtype=pl.Float64)).alias("length_m"),
    )
    bad = frame.with_row_index("row").filter(
        ~pl.col("lat").is_between(-90, 90) | ~pl.col("lon").is_between(-180, 180) | pl.col("lat").is_null()
    )
    if bad.height:
        row = bad.row(0, named=True)
        raise ValueError(
            f"location row {row['row'] + 1}, sensor {row['sensor_id']}: ({row['lat']}, {row['lon']}) "
            "is not a WGS84 latitude, longitude"
        )
    return frame
