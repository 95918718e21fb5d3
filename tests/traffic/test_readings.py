"""Detector readings: units and local times converted at the codec; the real METR-LA week loads right."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from lantern.traffic.analytics.readings import (
    ReadingProfile,
    read_metr_la,
    read_metr_la_sensors,
    read_readings,
    readings_from_frame,
)

LA = ReadingProfile(sensor_id="det", time="ts", speed="mph", speed_unit="mph", timezone="America/Los_Angeles")


def test_mph_and_los_angeles_local_time_become_kmh_and_utc():
    raw = pl.DataFrame({"det": [1, 1], "ts": ["2012-03-01 00:00", "2012-07-01 08:00"], "mph": [60.0, 30.0]})
    out = readings_from_frame(raw, LA)
    assert out["speed_kmh"].to_list() == pytest.approx([96.56064, 48.28032])
    # PST is UTC-8 in March, PDT UTC-7 in July.
    assert out["time"].to_list() == [datetime(2012, 3, 1, 8, tzinfo=UTC), datetime(2012, 7, 1, 15, tzinfo=UTC)]
    assert out.schema["sensor_id"] == pl.String


def test_local_times_across_daylight_saving_changes_follow_the_ingest_rules():
    raw = pl.DataFrame(
        {"det": ["a"] * 3, "ts": ["2012-03-11 02:30", "2012-11-04 01:30", "2012-11-04 02:30"], "mph": [50.0] * 3}
    )
    times = readings_from_frame(raw, LA)["time"].to_list()
    assert times[0] == datetime(2012, 3, 11, 10, 30, tzinfo=UTC)  # in the spring gap: read an hour later (03:30 PDT)
    assert times[1] == datetime(2012, 11, 4, 8, 30, tzinfo=UTC)  # ambiguous: the earlier instant (PDT)
    assert times[2] == datetime(2012, 11, 4, 10, 30, tzinfo=UTC)


def test_zero_and_missing_speeds_are_dropped_and_an_impossible_one_names_its_row():
    raw = pl.DataFrame({"det": ["a"] * 4, "ts": ["2012-03-01 00:00"] * 4, "mph": [0.0, None, float("nan"), 55.0]})
    assert readings_from_frame(raw, LA)["speed_kmh"].to_list() == pytest.approx([88.51392])
    kmh_as_mph = pl.DataFrame({"det": ["a", "a"], "ts": ["2012-03-01 00:00"] * 2, "mph": [100.0, 180.0]})
    with pytest.raises(ValueError, match=r"row 1: speed 289.7 km/h .* is the file in mph or m/s"):
        readings_from_frame(kmh_as_mph, LA)


def test_profile_naming_a_missing_column_says_which():
    with pytest.raises(ValueError, match="column `det`"):
        readings_from_frame(pl.DataFrame({"sensor": ["a"], "ts": ["2012-03-01 00:00"], "mph": [1.0]}), LA)


def test_parquet_with_offsets_flow_and_percent_occupancy(tmp_path: Path):
    path = tmp_path / "loops.parquet"
    pl.DataFrame(
        {
            "id": ["s1"],
            "at": ["2026-03-02T08:00:00+08:00"],
            "v": [20.0],
            "q": [1200],
            "occ": [35.0],
        }
    ).write_parquet(path)
    profile = ReadingProfile(
        sensor_id="id", time="at", speed="v", speed_unit="m/s", flow="q", occupancy="occ", occupancy_percent=True
    )
    out = read_readings(path, profile)
    assert out.row(0) == ("s1", datetime(2026, 3, 2, 0, 0, tzinfo=UTC), 72.0, 1200.0, pytest.approx(0.35))


def test_metr_la_week_loads_as_207_sensors_of_5_minute_km_h_readings(shared_dir):
    folder = shared_dir / "data/traffic/metr-la-tgcn"
    readings = read_metr_la(folder)
    assert readings.height == 2016 * 207
    assert readings["sensor_id"].n_unique() == 207
    # 2012-03-01 00:00 Los Angeles (PST) is 08:00 UTC; the last row is 2012-03-07 23:55 local.
    assert readings["time"].min() == datetime(2012, 3, 1, 8, tzinfo=UTC)
    assert readings["time"].max() == datetime(2012, 3, 8, 7, 55, tzinfo=UTC)
    # The README gives speeds of 1-70 mph.
    assert readings["speed_kmh"].min() == pytest.approx(1.609344)
    assert readings["speed_kmh"].max() == pytest.approx(70 * 1.609344)
    sensors = read_metr_la_sensors(folder)
    assert set(sensors["sensor_id"]) == set(readings["sensor_id"])
    assert sensors["lat"].is_between(34.0, 34.3).all() and sensors["lon"].is_between(-118.6, -118.1).all()
