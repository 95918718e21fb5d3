"""Detector profiles, and the real METR-LA loops imported through one and indexed from the database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from lantern.errors import ValidationFailed
from lantern.traffic import congestion
from lantern.traffic import service as traffic_service
from lantern.traffic.detectors import load_detector_profile, locations_of, read_table, readings_of
from tests.factories.security import principal_for


def test_a_wide_profile_without_its_clock_is_refused(tmp_path):
    path = tmp_path / "loops.toml"
    path.write_text('name = "x"\nsource = "x"\nlayout = "wide"\nspeed_unit = "mph"\n')
    with pytest.raises(ValueError, match="a wide profile needs `start`"):
        load_detector_profile(str(path))
    with pytest.raises(ValueError, match="built-in profiles: lantern-detectors, metr-la"):
        load_detector_profile("pems")


def test_user_profile_with_local_times_mph_and_percent_occupancy(tmp_path):
    path = tmp_path / "city.toml"
    path.write_text(
        'name = "city"\nsource = "city-loops"\nspeed_unit = "mph"\ntimezone = "America/Chicago"\n'
        'time_format = "%m/%d/%Y %H:%M"\noccupancy_percent = true\n'
        '[columns]\nsensor_id = "det"\ntime = "ts"\nspeed = "mph"\noccupancy = "occ"\n'
    )
    raw = pl.DataFrame({"det": [5, 5], "ts": ["03/02/2026 07:00", "03/02/2026 07:05"], "mph": [50.0, 25.0],
                        "occ": [10.0, 35.0]})  # fmt: skip
    out = readings_of(raw, load_detector_profile(str(path)))
    assert out["time"].to_list() == [datetime(2026, 3, 2, 13, 0, tzinfo=UTC), datetime(2026, 3, 2, 13, 5, tzinfo=UTC)]
    assert out["speed_kmh"].round(2).to_list() == [80.47, 40.23] and out["occupancy"].to_list() == pytest.approx(
        [0.1, 0.35]
    )


def test_a_location_outside_wgs84_names_its_row():
    raw = pl.DataFrame({"sensor_id": ["a", "b"], "latitude": [34.1, 118.3], "longitude": [-118.3, 34.1]})
    with pytest.raises(ValueError, match=r"location row 2, sensor b: \(118.3, 34.1\)"):
        locations_of(raw, load_detector_profile("metr-la"))


@pytest.fixture(scope="module")
def metr_la(shared_dir: Path) -> Path:
    return shared_dir / "data" / "traffic" / "metr-la-tgcn"


def test_metr_la_through_its_profile_is_the_real_week_in_utc(metr_la):
    readings = readings_of(read_table(metr_la / "los_speed.csv"), load_detector_profile("metr-la"))
    assert readings["sensor_id"].n_unique() == 207
    # 1 March 2012 00:00 in Los Angeles is 08:00 UTC (PST, before the 11 March change).
    assert readings["time"].min() == datetime(2012, 3, 1, 8, tzinfo=UTC)
    assert readings["time"].max() == datetime(2012, 3, 8, 7, 55, tzinfo=UTC)
    assert readings.height <= 2016 * 207 and readings["speed_kmh"].max() < 130


def test_metr_la_imported_through_the_service_gives_a_weekday_morning_peak(session, metr_la, tmp_path):
    # Two days and 40 sensors keep the test quick; the whole week is benchmarks/traffic.py.
    wide = pl.read_csv(metr_la / "los_speed.csv")
    subset = tmp_path / "los_speed_2d.csv"
    wide.select(wide.columns[:40]).head(2 * 288).write_csv(subset)
    supervisor = principal_for("supervisor")
    summary = traffic_service.import_detectors(
        session, supervisor, subset, "metr-la", metr_la / "graph_sensor_locations.csv"
    )
    assert summary.detectors_added == 207  # every located sensor is registered, with or without readings
    assert summary.inserted == summary.readings_read > 0.9 * 40 * 576
    again = traffic_service.import_detectors(session, supervisor, subset, "metr-la")
    assert again.inserted == 0 and again.already_present == summary.readings_read
    with pytest.raises(ValidationFailed, match="not in the file"):
        traffic_service.import_detectors(
            session, supervisor, metr_la / "graph_sensor_locations.csv", "lantern-detectors"
        )

    state = congestion.state(session, until=datetime(2012, 3, 3, 8, tzinfo=UTC), timezone="America/Los_Angeles")
    local = state.series.with_columns(pl.col("time").dt.convert_time_zone("America/Los_Angeles").alias("local"))
    thursday = local.filter(pl.col("local").dt.day() == 1)  # 1 March 2012 was a Thursday
    am = thursday.filter(pl.col("local").dt.hour().is_between(7, 8))["tti"].mean()
    night = thursday.filter(pl.col("local").dt.hour() < 5)["tti"].mean()
    assert am > night + 0.3  # the freeway morning peak, from rows stored in the database
