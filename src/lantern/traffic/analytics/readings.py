"""Detector readings: the one frame every traffic index starts from, and the codecs that produce it.

A reading frame has one row per sensor and interval::

    sensor_id    String
    time         Datetime(us, UTC)   start of the interval, timezone-aware
    speed_kmh    Float64             space- or time-mean speed, km/h
    flow_veh_h   Float64 (optional)  vehicles per hour
    occupancy    Float64 (optional)  fraction of time occupied, 0..1

Files in other units or local time are converted here, at the codec, through a small
:class:`ReadingProfile` (the same idea as the ingest profiles): mph and m/s become km/h,
naive local times become UTC, occupancy in percent becomes a fraction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from lantern.kit.time import zone

SpeedUnit = Literal["km/h", "mph", "m/s"]
SPEED_FACTORS: dict[str, float] = {"km/h": 1.0, "mph": 1.609344, "m/s": 3.6}
# Above this a value is a unit mistake, not a fast car: the fastest loop detectors on
# unrestricted autobahns rarely average above 200 km/h over 5 minutes.
MAX_PLAUSIBLE_KMH = 250.0
READING_COLUMNS = ("sensor_id", "time", "speed_kmh", "flow_veh_h", "occupancy")

# METR-LA (Li et al. 2018, T-GCN "Los-loop" week): speeds in mph, 5-minute rows from
# 2012-03-01 00:00 Los Angeles local time, one column per sensor.
METR_LA_START = "2012-03-01 00:00"
METR_LA_TIMEZONE = "America/Los_Angeles"
METR_LA_STEP = "5m"


@dataclass(frozen=True)
class ReadingProfile:
    """How one kind of detector file maps onto the reading frame (column names, units, zone).

    ``timezone`` is the zone of naive local times in the file; aware times are converted as they are.
    ``time_format`` is a strptime pattern for text times (``None``: ISO 8601).
    """

    sensor_id: str = "sensor_id"
    time: str = "time"
    speed: str = "speed"
    flow: str | None = None
    occupancy: str | None = None
    speed_unit: SpeedUnit = "km/h"
    timezone: str = "UTC"
    time_format: str | None = None
    occupancy_percent: bool = False


METR_LA_PROFILE = ReadingProfile(speed_unit="mph", timezone=METR_LA_TIMEZONE)


def localize(column: pl.Expr, timezone: str) -> pl.Expr:
    """Naive local wall-clock times to aware UTC, the same DST rules as incident ingest.

    A time inside the spring-forward gap is read one hour later (the clock that wrote it had not
    moved yet); an ambiguous autumn time takes the earlier instant.
    """
    zone(timezone)  # fail early with a readable message on a misspelt zone
    direct = column.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
    shifted = (column + pl.duration(hours=1)).dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
    return pl.coalesce(direct, shifted).dt.convert_time_zone("UTC")


def _times(frame: pl.DataFrame, profile: ReadingProfile) -> pl.Series:
    """The time column parsed and converted to aware UTC (microseconds)."""
    column = frame[profile.time]
    if column.dtype == pl.String:
        # Eager on the Series: Polars infers per-value offsets ("+08:00", "Z") only in eager parsing.
        if profile.time_format:
            column = column.str.strptime(pl.Datetime("us"), profile.time_format, strict=True)
        else:
            column = column.str.to_datetime(time_unit="us", strict=True)
    if not isinstance(column.dtype, pl.Datetime):
        raise ValueError(f"column `{profile.time}` holds {column.dtype}, not times; give text or datetimes")
    expr = pl.col("t").dt.cast_time_unit("us")
    expr = localize(expr, profile.timezone) if column.dtype.time_zone is None else expr.dt.convert_time_zone("UTC")
    return pl.DataFrame({"t": column}).select(expr.alias("time")).to_series()


def readings_from_frame(raw: pl.DataFrame, profile: ReadingProfile = ReadingProfile()) -> pl.DataFrame:
    """Map a raw detector table onto the reading frame, converting units and zones at the edge.

    Rows with a missing, non-finite or non-positive speed are dropped: loop detectors write 0
    for "no data" (the raw METR-LA has ~8% such zeros), and a 0 km/h reading would otherwise
    become an infinite travel time. A speed above 250 km/h raises, naming the row, because
    it means the unit in the profile is wrong.

    Examples
    --------
    >>> raw = pl.DataFrame({"det": ["a", "a"], "ts": ["2012-03-01 08:00", "2012-03-01 08:05"],
    ...                     "mph": [60.0, 0.0]})
    >>> p = ReadingProfile(sensor_id="det", time="ts", speed="mph", speed_unit="mph",
    ...                    timezone="America/Los_Angeles", time_format="%Y-%m-%d %H:%M")
    >>> out = readings_from_frame(raw, p)
    >>> out["speed_kmh"].to_list(), str(out["time"][0])
    ([96.56064], '2012-03-01 16:00:00+00:00')
    """
    for name in (profile.sensor_id, profile.time, profile.speed, profile.flow, profile.occupancy):
        if name is not None and name not in raw.columns:
            raise ValueError(f"column `{name}` named in the profile is not in the file (columns: {raw.columns})")
    columns = [
        pl.col(profile.sensor_id).cast(pl.String).alias("sensor_id"),
        pl.lit(_times(raw, profile)).alias("time"),
        (pl.col(profile.speed).cast(pl.Float64) * SPEED_FACTORS[profile.speed_unit]).alias("speed_kmh"),
    ]
    if profile.flow is not None:
        columns.append(pl.col(profile.flow).cast(pl.Float64).alias("flow_veh_h"))
    if profile.occupancy is not None:
        scale = 0.01 if profile.occupancy_percent else 1.0
        columns.append((pl.col(profile.occupancy).cast(pl.Float64) * scale).alias("occupancy"))
    frame = raw.select(columns)
    return validate_readings(frame)


def validate_readings(frame: pl.DataFrame) -> pl.DataFrame:
    """Check a reading frame (types, zone, plausible speeds) and drop rows without a usable speed."""
    missing = {"sensor_id", "time", "speed_kmh"} - set(frame.columns)
    if missing:
        raise ValueError(f"reading frame lacks {sorted(missing)}; build it with readings_from_frame")
    time_type = frame.schema["time"]
    if not isinstance(time_type, pl.Datetime) or time_type.time_zone != "UTC":
        raise ValueError(f"`time` must be timezone-aware UTC, got {time_type}; localise naive times first")
    with_row = frame.with_row_index("_row")
    # is_finite first: Polars orders NaN above every number, and a NaN is "no data", not a unit error.
    too_fast = with_row.filter(pl.col("speed_kmh").is_finite() & (pl.col("speed_kmh") > MAX_PLAUSIBLE_KMH)).head(1)
    if too_fast.height:
        row, speed = too_fast["_row"][0], too_fast["speed_kmh"][0]
        raise ValueError(
            f"row {row}: speed {speed:.1f} km/h is above {MAX_PLAUSIBLE_KMH:g} km/h; "
            "is the file in mph or m/s? set speed_unit in the profile"
        )
    if frame.height and frame["time"].null_count():
        raise ValueError(f"{frame['time'].null_count()} readings have no time; fix the time column")
    usable = pl.col("speed_kmh").is_not_null() & pl.col("speed_kmh").is_finite() & (pl.col("speed_kmh") > 0)
    return frame.filter(usable)


def read_readings(path: str | Path, profile: ReadingProfile = ReadingProfile()) -> pl.DataFrame:
    """Read a long CSV or Parquet detector file (one row per sensor and interval) through ``profile``."""
    path = Path(path)
    parquet = path.suffix.lower() == ".parquet"
    raw = pl.read_parquet(path) if parquet else pl.read_csv(path, infer_schema_length=10_000)
    return readings_from_frame(raw, profile)


def metr_la_long(wide: pl.DataFrame, start: str = METR_LA_START) -> pl.DataFrame:
    """Turn the METR-LA wide table (one column per sensor, one row per 5 minutes) into long rows.

    The file has no time column: row ``i`` is ``start + 5 min * i`` local Los Angeles time.
    """
    times = pl.datetime_range(
        pl.lit(start).str.to_datetime(time_unit="us"),
        pl.lit(start).str.to_datetime(time_unit="us") + pl.duration(minutes=5 * (wide.height - 1)),
        interval=METR_LA_STEP,
        eager=True,
    )
    return wide.with_columns(times.alias("time")).unpivot(index="time", variable_name="sensor_id", value_name="speed")


def read_metr_la(folder: str | Path) -> pl.DataFrame:
    """Read the METR-LA week (``los_speed.csv``) as a reading frame: mph -> km/h, LA local -> UTC.

    Examples
    --------
    >>> import os
    >>> folder = os.environ.get("LANTERN_SHARED_DIR", "../shared") + "/data/traffic/metr-la-tgcn"
    >>> readings = read_metr_la(folder) if os.path.isdir(folder) else None
    >>> readings is None or readings.height == 2016 * 207
    True
    """
    wide = pl.read_csv(Path(folder) / "los_speed.csv")
    return readings_from_frame(metr_la_long(wide), METR_LA_PROFILE)


def read_metr_la_sensors(folder: str | Path) -> pl.DataFrame:
    """The METR-LA sensor locations: ``sensor_id`` (String), ``lat``, ``lon`` (WGS84)."""
    raw = pl.read_csv(Path(folder) / "graph_sensor_locations.csv")
    return raw.select(
        pl.col("sensor_id").cast(pl.String),
        pl.col("latitude").cast(pl.Float64).alias("lat"),
        pl.col("longitude").cast(pl.Float64).alias("lon"),
    )
