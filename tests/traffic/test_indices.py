"""Free-flow speed, TTI, the 0-10 index and its levels, aggregation, PTI, congested hours, heat maps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lantern.traffic.analytics.heatmap import heatmap_matrix, segment_history, time_of_day_profile, weekday_heatmap
from lantern.traffic.analytics.index import (
    IndexScale,
    aggregate_index,
    congested_hours,
    index_to_level,
    planning_time_index,
    tti_to_index,
    vehicle_km_expr,
)
from lantern.traffic.analytics.network import network_index
from lantern.traffic.analytics.readings import read_metr_la
from lantern.traffic.analytics.speeds import NightWindow, free_flow_speeds, travel_time_index

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)


def day_of_readings(
    sensor: str, night_kmh: float, day_kmh: float, start: datetime = MONDAY, hours: int = 24
) -> pl.DataFrame:
    times = [start + timedelta(minutes=5 * i) for i in range(12 * hours)]
    return pl.DataFrame(
        {
            "sensor_id": sensor,
            "time": times,
            "speed_kmh": [night_kmh if t.hour < 5 or t.hour >= 22 else day_kmh for t in times],
        }
    )


def test_free_flow_is_the_85th_percentile_of_night_speeds_in_local_time():
    # Night speeds 70..100 km/h spread evenly; the day is slower and must not count.
    times = [MONDAY + timedelta(minutes=5 * i) for i in range(288)]
    night = [t.hour < 5 or t.hour >= 22 for t in times]
    speeds = np.where(night, np.linspace(70, 100, 288), 40.0)
    r = pl.DataFrame({"sensor_id": "s", "time": times, "speed_kmh": speeds})
    expected = np.percentile(speeds[np.array(night)], 85)
    assert free_flow_speeds(r)["free_flow_kmh"][0] == pytest.approx(expected)
    # The same UTC readings seen from Beijing (UTC+8): night is 14:00-21:00 UTC, all at 40 km/h.
    beijing = free_flow_speeds(r, NightWindow(22, 5, "Asia/Shanghai"))
    assert beijing["free_flow_kmh"][0] == pytest.approx(40.0)


def test_sensor_without_night_data_falls_back_to_all_day_and_says_so():
    daytime_only = day_of_readings("d", 90.0, 60.0).filter(pl.col("time").dt.hour().is_between(8, 18))
    out = free_flow_speeds(pl.concat([daytime_only, day_of_readings("n", 100.0, 50.0)]))
    assert out.rows() == [("d", 60.0, 0, "all_day"), ("n", 100.0, 84, "night")]


def test_tti_floors_keep_jams_finite_and_free_flow_at_one():
    r = pl.DataFrame({"sensor_id": ["a"] * 4, "time": [MONDAY] * 4, "speed_kmh": [0.5, 5.0, 50.0, 130.0]})
    ff = pl.DataFrame({"sensor_id": ["a"], "free_flow_kmh": [100.0]})
    assert travel_time_index(r, ff)["tti"].to_list() == pytest.approx([20.0, 20.0, 2.0, 1.0])
    raw = travel_time_index(r, ff, floor_at_one=False, min_speed_kmh=10.0)["tti"].to_list()
    assert raw == pytest.approx([10.0, 10.0, 2.0, 100 / 130])


def test_index_follows_the_published_extra_travel_time_bands():
    # Beijing: 基本畅通 = 0.2-0.5x extra time, 轻度 0.5-0.8x, 中度 0.8-1.1x, 严重 above 1.1x.
    tti = [0.9, 1.0, 1.2, 1.35, 1.5, 1.8, 2.1, 2.4, 5.0, None]
    index = tti_to_index(pl.Series(tti, dtype=pl.Float64)).to_list()
    assert index[:-1] == pytest.approx([0.0, 0.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 10.0])
    assert index[-1] is None  # no data is not "severe"
    assert index_to_level([0.0, 1.99, 2.0, 5.9, 6.0, 8.0, 10.0]).to_list() == [
        "畅通", "畅通", "基本畅通", "轻度拥堵", "中度拥堵", "严重拥堵", "严重拥堵"
    ]  # fmt: skip


def test_scale_is_configurable_and_checked():
    strict = IndexScale(tti_breaks=(1.0, 1.1, 1.3, 1.5, 1.7, 2.0))
    assert tti_to_index([1.3], strict).to_list() == pytest.approx([4.0])
    assert index_to_level([4.5], IndexScale(level_breaks=(3, 5, 7, 9))).to_list() == ["基本畅通"]
    with pytest.raises(ValueError, match="increase strictly"):
        IndexScale(tti_breaks=(1.0, 1.5, 1.2, 1.8, 2.1, 2.4))


@given(st.lists(st.floats(0.5, 6.0), min_size=2, max_size=30))
def test_index_is_monotone_and_bounded(values):
    ordered = sorted(values)
    index = tti_to_index(ordered).to_numpy()
    assert (np.diff(index) >= -1e-12).all()
    assert ((index >= 0) & (index <= 10)).all()


def test_aggregation_weights_by_length_and_by_vehicle_km():
    f = pl.DataFrame(
        {
            "district": ["east", "east", "west"],
            "tti": [2.1, 1.0, 1.5],
            "length_m": [1000.0, 3000.0, 500.0],
            "flow_veh_h": [3000.0, 500.0, 800.0],
        }
    )
    by_length = aggregate_index(f, ["district"], weight="length_m")
    assert by_length["tti"].to_list() == pytest.approx([(2100 + 3000) / 4000, 1.5])
    by_vkm = aggregate_index(f, ["district"], weight=vehicle_km_expr())
    # 3000 veh/h x 1 km against 500 veh/h x 3 km: the busy jammed link dominates.
    assert by_vkm["tti"][0] == pytest.approx((2.1 * 250 + 1.0 * 125) / 375)
    assert by_vkm["level"][0] == "轻度拥堵" and by_length["level"][0] == "基本畅通"
    city = aggregate_index(f, [], weight="length_m")
    assert city["segments"].to_list() == [3]


def test_planning_time_index_and_congested_hours():
    f = pl.DataFrame({"sensor_id": ["a"] * 100, "tti": [1.0] * 90 + [3.0] * 10})
    assert planning_time_index(f)["pti"][0] == pytest.approx(3.0)
    times = [MONDAY + timedelta(minutes=15 * i) for i in range(96 * 2)]
    index = [6.5 if 7 <= t.hour < 9 else 1.0 for t in times]
    hours = congested_hours(pl.DataFrame({"time": times, "index": index}), timezone="UTC")
    assert hours["congested_hours"].to_list() == [2.0, 2.0] and hours["observed_hours"].to_list() == [24.0, 24.0]
    # In Beijing the same UTC hours are 15:00-17:00 local, still one peak per local day.
    local = congested_hours(pl.DataFrame({"time": times, "index": index}), timezone="Asia/Shanghai")
    assert local["date"].to_list() == [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]


def test_profiles_and_heat_maps_use_local_weekdays_and_hours():
    week = [MONDAY + timedelta(hours=h) for h in range(24 * 7)]
    # Congested at 08:00 Los Angeles time (16:00 UTC in March 2026, PST) on weekdays only.
    la = [t - timedelta(hours=8) for t in week]
    tti = [1.8 if t.hour == 8 and t.weekday() < 5 else 1.0 for t in la]
    f = pl.DataFrame({"time": week, "tti": tti})
    profile = time_of_day_profile(f, "America/Los_Angeles", slot_minutes=60)
    peak = profile.filter(pl.col("slot") == 8 * 60).sort("day_type")
    assert peak.select("day_type", "tti", "level").rows() == [("weekday", 1.8, "中度拥堵"), ("weekend", 1.0, "畅通")]
    heat = weekday_heatmap(f, "America/Los_Angeles")
    matrix = heatmap_matrix(heat)
    assert matrix.shape == (7, 24)
    assert matrix[0:5, 8].tolist() == [1.8] * 5 and matrix[5:7, 8].tolist() == [1.0, 1.0]
    holiday = time_of_day_profile(f, "America/Los_Angeles", slot_minutes=60, holidays=[date(2026, 3, 2)])
    assert holiday.filter((pl.col("slot") == 480) & (pl.col("day_type") == "weekend"))["tti"][0] == pytest.approx(
        (1.8 + 1.0 + 1.0) / 3
    )


def test_segment_history_resamples_each_sensor():
    r = pl.concat([day_of_readings("a", 100.0, 50.0), day_of_readings("b", 80.0, 80.0)])
    with_tti = travel_time_index(r, free_flow_speeds(r))
    history = segment_history(with_tti, every="1h", sensors=["a"])
    assert history.height == 24 and set(history["sensor_id"]) == {"a"}
    noon = history.filter(pl.col("time").dt.hour() == 12)
    assert noon.select("mean_speed_kmh", "tti", "level").rows() == [(50.0, 2.0, "中度拥堵")]


def test_metr_la_week_has_weekday_peaks_and_quiet_weekends(shared_dir):
    readings = read_metr_la(shared_dir / "data/traffic/metr-la-tgcn")
    result = network_index(readings, NightWindow(22, 5, "America/Los_Angeles"))
    ff = result.free_flow
    assert ff.height == 207 and (ff["source"] == "night").all()
    # Freeway free flow: most sensors 60-70 mph (97-113 km/h); the 85th percentile is capped by the 70 mph data maximum.
    assert 100 < ff["free_flow_kmh"].median() < 113
    profile = time_of_day_profile(result.series, "America/Los_Angeles", slot_minutes=60)
    weekday = dict(profile.filter(pl.col("day_type") == "weekday").select("slot", "tti").iter_rows())
    weekend = dict(profile.filter(pl.col("day_type") == "weekend").select("slot", "tti").iter_rows())
    assert weekday[8 * 60] > 1.5 and weekend[8 * 60] < 1.15  # the README: no weekend AM peak
    assert weekday[17 * 60] > 1.4
    # Nights are near free flow (weekday 02-04 h sits at ~1.13 in this week, weekends at ~1.05).
    assert weekday[3 * 60] < 1.2 and weekend[3 * 60] < 1.1
    hours = congested_hours(result.series, timezone="America/Los_Angeles")
    by_day = dict(hours.select(pl.col("date").dt.weekday(), "congested_hours").iter_rows())
    assert by_day[7] < 1.0 and min(by_day[d] for d in range(1, 6)) > 2.0  # Sunday vs weekdays
