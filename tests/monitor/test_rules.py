"""Table-driven rule tests on hand-made tracks, including the edges the regulations care about."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

import numpy as np
import polars as pl
import pytest
from shapely.geometry import LineString, Point, Polygon

from lantern.monitor.rules.config import load_classes
from lantern.monitor.rules.engine import Rules, alert_key, offline, step
from lantern.monitor.rules.state import EngineState
from lantern.monitor.rules.zones import Fence, Route, local_xy
from tests.factories.tracks import START, ZONE, Leg, at, rules_for, track


def run(
    rules: Rules, *batches: pl.DataFrame, state: EngineState | None = None
) -> tuple[pl.DataFrame, EngineState, dict[str, int]]:
    state = state or EngineState()
    alerts = []
    totals: dict[str, int] = {}
    for batch in batches:
        result = step(state, batch, rules)
        state = EngineState.from_bytes(result.state.to_bytes())  # every batch goes through a checkpoint
        alerts.append(result.alerts)
        for name, value in result.counts.items():
            totals[name] = totals.get(name, 0) + value
    return pl.concat(alerts), state, totals


def kinds(alerts: pl.DataFrame) -> list[str]:
    return alerts["kind"].to_list()


HG = {"v1": "hazardous_goods"}


@pytest.mark.parametrize(
    ("legs", "expected", "why"),
    [
        ([Leg(230, 60), Leg(20, 0), Leg(30, 60)], [], "a rest of exactly 20 min ends the stretch"),
        ([Leg(230, 60), Leg(19, 0), Leg(30, 60)], ["continuous_driving"], "19 min is not a rest"),
        (
            [Leg(230, 60), Leg(10, 0), Leg(5, 60), Leg(10, 0), Leg(30, 60)],
            ["continuous_driving"],
            "two short stops do not add up to a rest",
        ),
        ([Leg(239, 60), Leg(30, 0)], [], "3 h 59 min of driving is within the limit"),
        ([Leg(241, 60)], ["continuous_driving"], "4 h 01 min is over"),
    ],
)
def test_continuous_driving_by_day(legs: list[Leg], expected: list[str], why: str) -> None:
    alerts, _, _ = run(rules_for(HG), track("v1", at("2026-11-02 08:00"), legs))
    assert kinds(alerts) == expected, why


def test_continuous_driving_alert_time_is_when_the_limit_was_reached() -> None:
    alerts, _, _ = run(rules_for(HG), track("v1", at("2026-11-02 08:00"), [Leg(230, 60), Leg(19, 0), Leg(30, 60)]))
    # 230 min driving, 19 min stop (not a rest), then 10 more minutes reach 4 h: 12:09 + 10 min.
    assert alerts["time"].to_list() == [at("2026-11-02 12:19")]
    assert alerts["key_time"].to_list() == [at("2026-11-02 08:00")]


def test_night_driving_limit_is_two_hours_across_midnight() -> None:
    legs = [Leg(130, 60)]
    alerts, _, _ = run(rules_for(HG), track("v1", at("2026-11-02 22:30"), legs))
    assert kinds(alerts) == ["continuous_driving"]
    assert alerts["time"].to_list() == [at("2026-11-03 00:30")]
    by_day, _, _ = run(rules_for(HG), track("v1", at("2026-11-02 09:00"), legs))
    assert by_day.is_empty(), "the same 2 h 10 min by day is fine"


def test_rest_straddling_two_batches_still_counts() -> None:
    whole = track("v1", at("2026-11-02 08:00"), [Leg(230, 60), Leg(20, 0), Leg(30, 60)])
    cut = whole["time"][0] + timedelta(minutes=240)  # in the middle of the rest
    alerts, _, _ = run(rules_for(HG), whole.filter(pl.col("time") < cut), whole.filter(pl.col("time") >= cut))
    assert alerts.is_empty()


def test_daily_driving_over_eight_hours_alerts_once() -> None:
    day = [Leg(170, 60), Leg(30, 0)] * 3 + [Leg(60, 60)]  # 9.5 h driving, each stretch under 4 h
    alerts, _, _ = run(rules_for(HG), track("v1", at("2026-11-02 06:00"), day))
    assert kinds(alerts) == ["daily_driving"]
    under = [Leg(150, 60), Leg(30, 0)] * 3  # 7.5 h
    none, _, _ = run(rules_for(HG), track("v1", at("2026-11-02 06:00"), under))
    assert none.is_empty()


@pytest.mark.parametrize(
    ("start", "legs", "expected"),
    [
        ("2026-11-02 15:00", [Leg(2, 60), Leg(25 / 60, 100), Leg(2, 60)], 0),  # 20 s over: too short
        ("2026-11-02 15:00", [Leg(2, 60), Leg(1, 100), Leg(2, 60)], 1),
        ("2026-11-02 15:00", [Leg(2, 60), Leg(1, 100), Leg(1, 60), Leg(1, 100)], 2),  # two episodes
        ("2026-11-02 15:00", [Leg(5, 75)], 0),  # 75 by day is under 80
        ("2026-11-02 23:00", [Leg(5, 75)], 1),  # ... but over 64 (80%) at night
    ],
)
def test_overspeed_episodes(start: str, legs: list[Leg], expected: int) -> None:
    alerts, _, _ = run(rules_for(HG), track("v1", at(start), legs, every_s=10))
    assert kinds(alerts) == ["overspeed"] * expected


def test_overspeed_episode_straddling_midnight_and_batches_is_one_alert() -> None:
    whole = track("v1", at("2026-11-02 23:58"), [Leg(6, 100)], every_s=10)
    midnight = at("2026-11-03 00:00")
    alerts, _state, _ = run(
        rules_for(HG), whole.filter(pl.col("time") < midnight), whole.filter(pl.col("time") >= midnight)
    )
    assert kinds(alerts) == ["overspeed"]
    assert alerts["key_time"][0] == at("2026-11-02 23:58")


def _classes_with(name: str, **changes: object) -> dict[str, object]:
    classes = dict(load_classes())
    classes[name] = dataclasses.replace(classes[name], **changes)  # type: ignore[arg-type]
    return classes


def test_night_ban_window_across_midnight_alerts_once_per_night() -> None:
    rules = Rules(_classes_with("coach", night_ban="23:00-05:00"), {"c1": "coach"}, START, zone=ZONE)  # type: ignore[arg-type]
    night = track("c1", at("2026-11-02 23:30"), [Leg(100, 50)])  # 23:30 -> 01:10, across midnight
    alerts, _, _ = run(rules, night)
    assert kinds(alerts) == ["night_ban"]
    assert alerts["key_time"][0].date().isoformat() == "2026-11-02", "the night is named by the evening it began"
    evening, _, _ = run(rules, track("c1", at("2026-11-02 21:00"), [Leg(115, 50)]))  # stops before 23:00
    assert evening.is_empty()
    parked, _, _ = run(rules, track("c1", at("2026-11-02 23:30"), [Leg(60, 0)]))
    assert parked.is_empty(), "standing still during the ban is allowed"


def _local_point(rules: Rules, x: float, y: float) -> tuple[float, float]:
    lat, lon = rules.projection.to_latlon([x], [y])
    return float(lat[0]), float(lon[0])


def _fix_rows(vehicle: str, points: list[tuple[float, float]], start: str, speed: float = 30.0) -> pl.DataFrame:
    t0 = at(start)
    return pl.DataFrame(
        {
            "vehicle_id": [vehicle] * len(points),
            "time": [t0 + timedelta(seconds=60 * i) for i in range(len(points))],
            "lat": [p[0] for p in points],
            "lon": [p[1] for p in points],
            "speed_kmh": [speed] * len(points),
        }
    )


def test_corridor_edge_counts_as_inside() -> None:
    base = rules_for(HG)
    a, b = _local_point(base, 0, -2000), _local_point(base, 0, 2000)
    tunnel = LineString([(a[1], a[0]), (b[1], b[0])])
    fence = Fence("tunnel", "Harbour tunnel", "corridor", tunnel, size_m=100, alert_on="enter")
    rules = rules_for(HG, fences=[fence])
    outside, edge, beyond = _local_point(rules, 300, 0), _local_point(rules, 50, 10), _local_point(rules, 50.5, 20)
    alerts, _, _ = run(rules, _fix_rows("v1", [outside, edge], "2026-11-02 10:00"))
    assert kinds(alerts) == ["geofence_enter"], "a position exactly on the corridor edge is inside"
    alerts, _, _ = run(rules, _fix_rows("v1", [outside, beyond], "2026-11-02 10:00"))
    assert alerts.is_empty(), "half a metre beyond the edge is outside"


def test_polygon_and_circle_enter_and_exit() -> None:
    base = rules_for(HG)
    corners = [_local_point(base, x, y) for x, y in [(-500, -500), (500, -500), (500, 500), (-500, 500)]]
    centre = Polygon([(lon, lat) for lat, lon in corners])
    school = _local_point(base, 2000, 0)
    fences = [
        Fence("centre", "City centre", "polygon", centre, alert_on="both"),
        Fence(
            "school",
            "No. 3 Primary",
            "circle",
            Point(school[1], school[0]),
            size_m=200,
            alert_on="enter",
            classes=frozenset({"hazardous_goods"}),
        ),
    ]
    rules = rules_for({"v1": "hazardous_goods", "b1": "school_bus"}, fences=fences)
    path = [_local_point(rules, x, 0) for x in (-900, -500, 0, 900, 1850, 2000, 2500)]
    alerts, state, _ = run(rules, _fix_rows("v1", path, "2026-11-02 10:00"), _fix_rows("b1", path, "2026-11-02 10:00"))
    v1 = alerts.filter(pl.col("vehicle_id") == "v1")
    assert list(zip(v1["kind"], v1["ref"], strict=True)) == [
        ("geofence_enter", "centre"),  # -500 is on the polygon's edge: inside
        ("geofence_exit", "centre"),
        ("geofence_enter", "school"),
    ]
    assert alerts.filter(pl.col("vehicle_id") == "b1")["ref"].to_list() == ["centre", "centre"], (
        "the school circle only applies to hazardous goods"
    )
    assert state.inside.is_empty(), "both vehicles ended outside every fence"


def test_route_deviation_needs_a_minute_off_the_corridor() -> None:
    base = rules_for(HG)
    a, b = _local_point(base, -5000, 0), _local_point(base, 5000, 0)
    route = Route("v1", LineString([(a[1], a[0]), (b[1], b[0])]), width_m=200)
    rules = rules_for(HG, routes=[route])
    on = [_local_point(rules, x, 0) for x in (-3000, -2000)]
    brief = [_local_point(rules, -1000, 400)]
    back = [_local_point(rules, x, 0) for x in (0, 1000)]
    long_off = [_local_point(rules, x, 600) for x in (1500, 2000, 2500)]
    alerts, _, _ = run(rules, _fix_rows("v1", on + brief + back + long_off + back, "2026-11-02 10:00"))
    assert kinds(alerts) == ["route_deviation"]
    assert alerts["value"][0] == pytest.approx(600, abs=1)


def test_teleporting_and_invalid_fixes_are_counted_not_alerted() -> None:
    base = rules_for(HG)
    far = _local_point(base, 40_000, 0)
    fence = Fence("depot", "Fuel depot", "circle", Point(far[1], far[0]), size_m=500)
    rules = rules_for(HG, fences=[fence])
    fixes = track("v1", at("2026-11-02 10:00"), [Leg(10, 50)])
    spiked = fixes.with_columns(
        lat=pl.when(pl.int_range(pl.len()) == 5).then(far[0]).otherwise(pl.col("lat")),
        lon=pl.when(pl.int_range(pl.len()) == 5).then(far[1]).otherwise(pl.col("lon")),
    )
    invalid = fixes.head(3).with_columns(time=pl.col("time") + timedelta(seconds=1), lat=pl.lit(0.0), lon=pl.lit(0.0))
    alerts, state, counts = run(rules, pl.concat([spiked, invalid]))
    assert alerts.is_empty(), "a spike into a fence 40 km away is a bad fix, not an entry"
    assert counts["teleport"] == 1 and counts["invalid"] == 3
    last = state.vehicle("v1")
    assert last is not None and last["last_time"] == fixes["time"][-1]


def test_spike_as_the_last_fix_of_a_batch_is_dropped_and_the_stream_recovers() -> None:
    rules = rules_for(HG)
    fixes = track("v1", at("2026-11-02 10:00"), [Leg(10, 50)])
    far = _local_point(rules, 60_000, 0)
    first = fixes.head(6).with_columns(
        lat=pl.when(pl.int_range(pl.len()) == 5).then(far[0]).otherwise(pl.col("lat")),
        lon=pl.when(pl.int_range(pl.len()) == 5).then(far[1]).otherwise(pl.col("lon")),
    )
    _, _state, counts = run(rules, first, fixes.tail(-6))
    assert counts["teleport"] == 1
    assert counts["accepted"] == fixes.height - 1


def test_offline_alerts_once_per_silence() -> None:
    rules = rules_for(HG)
    _, state, _ = run(rules, track("v1", at("2026-11-02 10:00"), [Leg(5, 40)]))
    last = state.vehicles["last_time"][0]
    state, early = offline(state, rules, last + timedelta(minutes=9))
    assert early.is_empty()
    state, first = offline(state, rules, last + timedelta(minutes=11))
    state, second = offline(state, rules, last + timedelta(minutes=30))
    assert kinds(first) == ["offline"] and second.is_empty()
    _, state, _ = run(rules, track("v1", last + timedelta(minutes=40), [Leg(2, 40)]), state=state)
    state, again = offline(state, rules, last + timedelta(minutes=60))
    assert kinds(again) == ["offline"], "a new silence after the terminal came back alerts again"


def test_unregistered_vehicles_are_counted_and_ignored() -> None:
    alerts, state, counts = run(rules_for(HG), track("stranger", at("2026-11-02 10:00"), [Leg(5, 200)]))
    assert alerts.is_empty() and state.vehicles.is_empty()
    assert counts["unregistered"] == counts["received"] > 0


def _mixed_day() -> tuple[Rules, pl.DataFrame]:
    base = rules_for({})
    corners = [_local_point(base, x, y) for x, y in [(20_000, -500), (30_000, -500), (30_000, 500), (20_000, 500)]]
    fence = Fence("zone", "Restricted zone", "polygon", Polygon([(lon, lat) for lat, lon in corners]), alert_on="both")
    vehicles = {f"v{i}": cls for i, cls in enumerate(["hazardous_goods", "coach", "school_bus", "truck"] * 3)}
    rng = random.Random(7)
    frames = []
    for vid in vehicles:
        legs = [
            Leg(rng.choice([15, 19, 20, 21, 45, 90, 170]), rng.choice([0, 0, 30, 60, 85, 95, 110])) for _ in range(14)
        ]
        frames.append(track(vid, at("2026-11-02 18:00") + timedelta(minutes=rng.randint(0, 90)), legs, every_s=20))
    return rules_for(vehicles, fences=[fence]), pl.concat(frames).sort("time")


def test_alerts_do_not_depend_on_how_the_stream_is_batched() -> None:
    rules, stream = _mixed_day()
    whole, _, _ = run(rules, stream)
    assert whole.height > 10 and set(kinds(whole)) >= {"overspeed", "continuous_driving", "geofence_enter", "night_ban"}
    rng = random.Random(11)
    cuts = sorted(rng.sample(range(1, stream.height), 40))
    pieces = [stream.slice(a, b - a) for a, b in zip([0, *cuts], [*cuts, stream.height], strict=True)]
    batched, _, _ = run(rules, *pieces)
    assert sorted(alert_key(r) for r in batched.to_dicts()) == sorted(alert_key(r) for r in whole.to_dicts()), (
        "same alerts, none twice"
    )


def test_a_consuming_step_gives_what_a_pure_step_gives_and_a_pure_step_leaves_its_input_alone() -> None:
    rules, stream = _mixed_day()
    pieces = [stream.slice(i, 700) for i in range(0, stream.height, 700)]
    pure, consumed = EngineState(), EngineState()
    pure_alerts, consumed_alerts = [], []
    for piece in pieces:
        before = pure.to_bytes()
        result = step(pure, piece, rules)
        assert pure.to_bytes() == before, "a pure step changed the state it was given"
        pure = result.state
        pure_alerts.append(result.alerts)
        result = step(consumed, piece, rules, consume=True)
        consumed = result.state
        consumed_alerts.append(result.alerts)
    assert pure.to_bytes() == consumed.to_bytes()
    assert pl.concat(pure_alerts).equals(pl.concat(consumed_alerts))
    assert pure.ring.drive.sum() > 0  # the ring was really used


def test_projecting_only_points_near_a_fence_changes_no_answer() -> None:
    """The engine projects only points inside a fence's padded lat/lon box; near the edge of
    that box (the fence's reach) the answers must equal projecting every point."""
    base = rules_for({})
    corners = [_local_point(base, x, y) for x, y in [(2_000, -400), (3_000, -400), (3_000, 400), (2_000, 400)]]
    line = [_local_point(base, x, 1_500) for x in (-3_000, 3_000)]
    school = _local_point(base, -2_000, -2_000)
    fences = [
        Fence("square", "Square", "polygon", Polygon([(lon, lat) for lat, lon in corners])),
        Fence("school", "School", "circle", Point(school[1], school[0]), size_m=300),
        Fence("tunnel", "Tunnel", "corridor", LineString([(lon, lat) for lat, lon in line]), size_m=40),
    ]
    rules = rules_for({"v1": "hazardous_goods"}, fences=fences)
    rng = np.random.default_rng(3)
    x = rng.uniform(-4_000, 4_000, 200_000)
    y = rng.uniform(-4_000, 4_000, 200_000)
    # ... and points exactly at each fence's reach, where a box cut too tight would bite.
    angles = rng.uniform(0, 2 * np.pi, 2_000)
    x = np.concatenate([x, -2_000 + 300 * np.cos(angles), rng.uniform(-3_000, 3_000, 2_000)])
    y = np.concatenate([y, -2_000 + 300 * np.sin(angles), np.full(2_000, 1_520.0)])
    lat, lon = rules.projection.to_latlon(x, y)
    every = rules.projection.to_xy(lat, lon)
    some = local_xy(lat, lon, np.zeros(len(lat), dtype=np.int64), rules.projection, rules.compiled_fences, np.empty(0))
    assert np.isnan(some[0]).mean() > 0.5  # most points were not projected at all
    for compiled in rules.compiled_fences:
        expected = compiled.contains(*every)
        assert expected.sum() > 100, compiled.fence.id
        assert np.array_equal(compiled.contains(*some), expected), compiled.fence.id
