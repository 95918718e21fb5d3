"""Routing on hand-made graphs, plan filling and the status machine (no database)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest

from lantern.city.grid import build_grid_city
from lantern.dispatch import status
from lantern.dispatch.recommend import Candidate, fill_plan
from lantern.dispatch.routing import FALLBACK_KMH, RoutingGraph, TravelEstimate
from lantern.kit.geo import LocalProjection


@dataclass
class E:
    source_id: int
    target_id: int
    length_m: float
    speed_kmh: float
    coordinates: str


CENTRE = (60.17, 24.94)
PROJ = LocalProjection(*CENTRE)


def _point(x: float, y: float) -> tuple[float, float]:
    lat, lon = PROJ.to_latlon(np.array([x]), np.array([y]))
    return float(lat[0]), float(lon[0])


def _graph(nodes: dict[int, tuple[float, float]], edges: list[tuple[int, int, float]]) -> RoutingGraph:
    """Nodes in local metres; edges (a, b, km/h), length from geometry."""
    ids = sorted(nodes)
    latlon = {n: _point(*nodes[n]) for n in ids}
    rows = []
    for a, b, speed in edges:
        (xa, ya), (xb, yb) = nodes[a], nodes[b]
        coords = json.dumps([[latlon[a][1], latlon[a][0]], [latlon[b][1], latlon[b][0]]])
        rows.append(E(a, b, float(np.hypot(xb - xa, yb - ya)), speed, coords))
    return RoutingGraph(ids, np.array([latlon[n][0] for n in ids]), np.array([latlon[n][1] for n in ids]), rows)


def _both(a: int, b: int, speed: float) -> list[tuple[int, int, float]]:
    return [(a, b, speed), (b, a, speed)]


# A square 1-2-3-4 of 360 m sides: 1-2 and 2-3 at 36 km/h (10 m/s), 1-4 and 4-3 at 72 km/h (20 m/s).
SQUARE = {1: (0, 0), 2: (360, 0), 3: (360, 360), 4: (0, 360)}
SQUARE_EDGES = _both(1, 2, 36) + _both(2, 3, 36) + _both(1, 4, 72) + _both(4, 3, 72)


def test_travel_time_matches_the_hand_computed_shortest_path():
    graph = _graph(SQUARE, SQUARE_EDGES)
    # target: the middle of edge 2->3 (x=360, y=180); unit at node 1 exactly
    target = graph.snap(*map(np.array, zip(_point(360, 180), strict=True)))[0]
    lat1, lon1 = _point(0, 0)
    estimate = graph.estimate(target, *_point(360, 180), np.array([lat1]), np.array([lon1]))[0]
    # via 2: 36 s + 18 s = 54 s ; via 4 and 3: 18 s + 18 s + 18 s = 54 s (back along 3->2 at 10 m/s) -> 54 s
    assert estimate.seconds == pytest.approx(54.0, rel=0.01)
    assert not estimate.straight_line


def test_the_fast_detour_wins_over_the_slow_direct_road():
    graph = _graph(SQUARE, SQUARE_EDGES)
    target = graph.snap(*map(np.array, zip(_point(300, 360), strict=True)))[0]  # on 4-3, near node 3
    lat1, lon1 = _point(0, 0)
    seconds = graph.estimate(target, *_point(300, 360), np.array([lat1]), np.array([lon1]))[0].seconds
    # via 4: 18 s + 300 m at 20 m/s = 15 s -> 33 s; via 2 and 3: 36 + 36 + 3 = 75 s
    assert seconds == pytest.approx(33.0, rel=0.01)


def test_one_way_streets_are_respected():
    edges = [(1, 2, 36), (2, 3, 36), (3, 4, 36), (4, 1, 36)]  # one-way loop 1->2->3->4->1
    graph = _graph(SQUARE, edges)
    target = graph.snap(*map(np.array, zip(_point(0, 180), strict=True)))[0]  # middle of 4->1
    lat1, lon1 = _point(0, 0)
    seconds = graph.estimate(target, *_point(0, 180), np.array([lat1]), np.array([lon1]))[0].seconds
    # from 1 the only way is round the loop: 36 * 3 + 18 = 126 s (not 18 s against the traffic)
    assert seconds == pytest.approx(126.0, rel=0.01)


def test_a_point_off_the_road_snaps_to_the_nearest_edge():
    graph = _graph(SQUARE, SQUARE_EDGES)
    snap = graph.snap(*map(np.array, zip(_point(90, -15), strict=True)))[0]
    assert graph.edge_src[snap.edge] in (0, 1) and graph.edge_dst[snap.edge] in (0, 1)  # edge 1-2
    assert snap.distance_m == pytest.approx(15.0, abs=0.5)
    assert snap.fraction in (pytest.approx(0.25, abs=0.01), pytest.approx(0.75, abs=0.01))


def test_a_disconnected_unit_gets_a_flagged_straight_line_estimate():
    nodes = {**SQUARE, 5: (2000, 0), 6: (2360, 0)}
    graph = _graph(nodes, SQUARE_EDGES + _both(5, 6, 36))
    target = graph.snap(*map(np.array, zip(_point(360, 180), strict=True)))[0]
    lat5, lon5 = _point(2180, 0)
    estimate = graph.estimate(target, *_point(360, 180), np.array([lat5]), np.array([lon5]))[0]
    assert estimate.straight_line
    assert estimate.seconds == pytest.approx(estimate.distance_m / (FALLBACK_KMH / 3.6))


def test_grid_city_route_uses_the_arterial_then_the_side_street():
    # row 0 and column 0 are arterials (50 km/h), the rest residential (30 km/h)
    city = build_grid_city(6, 6, spacing_m=100, arterial_every=100)
    graph = RoutingGraph(
        [n.id for n in city.nodes],
        np.array([n.lat for n in city.nodes]),
        np.array([n.lon for n in city.nodes]),
        [E(e.source_id, e.target_id, e.length_m, e.speed_kmh, json.dumps(e.coordinates)) for e in city.edges],
    )
    corner, far = city.nodes[0], city.nodes[-1]
    target = graph.snap(np.array([far.lat]), np.array([far.lon]))[0]
    seconds = graph.estimate(target, far.lat, far.lon, np.array([corner.lat]), np.array([corner.lon]))[0].seconds
    # 500 m along the arterial at 50 km/h (36 s), then 500 m at 30 km/h (60 s)
    assert seconds == pytest.approx(500 / (50 / 3.6) + 500 / (30 / 3.6), rel=0.01)


def _candidate(unit_id: int, kind: str, seconds: float) -> Candidate:
    return Candidate(unit_id, f"U{unit_id}", kind, TravelEstimate(seconds, seconds * 10, False, 0))


def test_plan_takes_the_fastest_suitable_units_and_reports_shortfalls():
    candidates = [
        _candidate(1, "patrol", 300),
        _candidate(2, "patrol", 120),
        _candidate(3, "motorcycle", 200),
        _candidate(4, "patrol", 90),
    ]
    chosen, missing = fill_plan({"patrol": 2, "motorcycle": 1}, {"motorcycle": ["motorcycle", "patrol"]}, candidates)
    assert [r.unit_id for r in chosen] == [4, 2, 3]
    assert missing == {}
    chosen, missing = fill_plan({"patrol": 4}, {}, candidates)
    assert [r.unit_id for r in chosen] == [4, 2, 1] and missing == {"patrol": 1}


def test_a_scarce_slot_is_filled_before_a_flexible_one():
    # the only patrol car must not be used for the motorcycle slot (which a patrol may fill)
    candidates = [_candidate(1, "patrol", 60), _candidate(2, "motorcycle", 200)]
    chosen, missing = fill_plan({"motorcycle": 1, "patrol": 1}, {"motorcycle": ["motorcycle", "patrol"]}, candidates)
    assert {(r.unit_id, r.slot) for r in chosen} == {(1, "patrol"), (2, "motorcycle")} and missing == {}


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        ("available", "dispatched"),
        ("dispatched", "en_route"),
        ("en_route", "on_scene"),
        ("on_scene", "transporting"),
        ("transporting", "cleared"),
        ("available", "out_of_service"),
        ("out_of_service", "available"),
    ],
)
def test_legal_transitions(current, wanted):
    status.check(current, wanted, "P101")


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        ("available", "on_scene"),
        ("on_scene", "dispatched"),
        ("out_of_service", "dispatched"),
        ("transporting", "en_route"),
    ],
)
def test_illegal_transitions_name_the_options(current, wanted):
    with pytest.raises(status.IllegalTransition, match="it can go to"):
        status.check(current, wanted, "P101")
