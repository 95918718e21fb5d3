"""HMM map matching: a known path on a grid (noise, twin edges, a one-way trap) and a real GeoLife track."""

from __future__ import annotations

import math
from itertools import pairwise
from pathlib import Path

import networkx as nx
import numpy as np
import polars as pl
import pytest
import shapely

from lantern.city.grid import build_grid_city
from lantern.kit.geo import LocalProjection
from lantern.traffic.mapmatch import MatchParams, RoadIndex, match_track, nearest_edges

CENTRE = (60.17, 24.94)
SIZE = 6


def grid_graph(rows: int, cols: int, spacing_m: float, centre: tuple[float, float]) -> nx.MultiDiGraph:
    """The generated grid city as a directed graph (every street two-way: one edge per direction)."""
    build = build_grid_city(
        rows=rows, cols=cols, spacing_m=spacing_m, centre=centre, districts_per_side=1, addresses_per_block=0
    )
    graph = nx.MultiDiGraph()
    for node in build.nodes:
        graph.add_node(node.id, lat=node.lat, lon=node.lon)
    for edge in build.edges:
        graph.add_edge(
            edge.source_id,
            edge.target_id,
            length_m=edge.length_m,
            speed_kmh=edge.speed_kmh,
            coordinates=edge.coordinates,
        )
    return graph


def node_id(r: int, c: int) -> int:
    return r * SIZE + c + 1


def position(graph, proj, node) -> tuple[float, float]:
    x, y = proj.to_xy(np.array([graph.nodes[node]["lat"]]), np.array([graph.nodes[node]["lon"]]))
    return float(x[0]), float(y[0])


@pytest.fixture(scope="module")
def city():
    """A 6x6 grid (150 m blocks) plus a one-way westbound frontage road 9 m north of Street 1.

    The frontage leaves the grid at node (0, 3), runs west 9 m north of the street and rejoins at
    node (0, 1): a fix pushed north by noise is nearer to it than to the street a car drives east on.
    """
    graph = grid_graph(SIZE, SIZE, 150.0, CENTRE)
    proj = LocalProjection(*CENTRE)
    (ax, ay), (bx, by) = position(graph, proj, node_id(0, 1)), position(graph, proj, node_id(0, 3))
    xs, ys = np.array([bx, bx, ax, ax]), np.array([by, by + 9, ay + 9, ay])
    lats, lons = proj.to_latlon(xs, ys)
    coords = [(float(lo), float(la)) for la, lo in zip(lats, lons, strict=True)]
    graph.add_edge(node_id(0, 3), node_id(0, 1), length_m=9 + (bx - ax) + 9, speed_kmh=30.0, coordinates=coords)
    return graph, proj, RoadIndex.from_graph(graph)


def drive(graph, proj, nodes, *, speed_ms, every_s, sigma_m, seed):
    """Fixes every ``every_s`` along the node path at constant speed, with Gaussian noise."""
    pts = np.array([position(graph, proj, n) for n in nodes])
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    s = np.arange(0.0, cum[-1], speed_ms * every_s)
    x, y = np.interp(s, cum, pts[:, 0]), np.interp(s, cum, pts[:, 1])
    rng = np.random.default_rng(seed)
    lat, lon = proj.to_latlon(x + rng.normal(0, sigma_m, len(s)), y + rng.normal(0, sigma_m, len(s)))
    return lat, lon, s / speed_ms, s, cum


ROUTE = [node_id(0, 0), node_id(0, 1), node_id(0, 2), node_id(0, 3), node_id(0, 4), node_id(1, 4),
         node_id(2, 4), node_id(3, 4), node_id(3, 3), node_id(3, 2)]  # fmt: skip
TRUTH = [(a, b, 0) for a, b in pairwise(ROUTE)]


@pytest.mark.parametrize(("sigma_m", "seed"), [(0.0, 0), (5.0, 1), (5.0, 2), (5.0, 3), (8.0, 5)])
def test_noisy_track_is_matched_to_exactly_the_driven_path(city, sigma_m, seed):
    graph, proj, index = city
    lat, lon, t, s, cum = drive(graph, proj, ROUTE, speed_ms=8.0, every_s=3.0, sigma_m=sigma_m, seed=seed)
    result = match_track(index, lat, lon, t, MatchParams(sigma_m=max(sigma_m, 2.0)))
    assert result.paths == [TRUTH]
    assert result.matched == len(lat)
    # Every fix sits on the route within a few sigma of where the car really was (corners included).
    along = np.array([cum[TRUTH.index(e)] + o for e, o in zip(result.edges, result.offsets_m, strict=True)])
    assert np.abs(along - s).max() <= max(5 * sigma_m, 5.0)


def test_one_way_frontage_and_twin_edges_fool_nearest_edge_but_not_the_hmm(city):
    graph, proj, index = city
    lat, lon, t, _, _ = drive(graph, proj, ROUTE, speed_ms=8.0, every_s=3.0, sigma_m=5.0, seed=1)
    frontage = (node_id(0, 3), node_id(0, 1), 0)
    naive = nearest_edges(index, lat, lon)
    # The naive matcher puts eastbound fixes on the westbound one-way road and on wrong-way twins.
    assert frontage in naive
    wrong_way = [e for e in naive if e is not None and (e[1], e[0], 0) in TRUTH]
    assert len(wrong_way) >= 3  # the twin edge of a two-way street ties with the right one
    result = match_track(index, lat, lon, t)
    assert frontage not in result.edges
    assert all(e in TRUTH for e in result.edges)


def test_driving_the_wrong_way_down_a_one_way_street_is_never_stitched_into_a_path():
    graph = grid_graph(3, 3, 150.0, CENTRE)
    proj = LocalProjection(*CENTRE)
    a, b = 1, 2  # Street 1 between the first two nodes becomes one-way eastbound (a -> b)
    graph.remove_edge(b, a)
    index = RoadIndex.from_graph(graph)
    # Fixes move westwards along it (b -> a) at 45 km/h, every 3 s.
    lat, lon, t, _, _ = drive(graph, proj, [b, a], speed_ms=12.5, every_s=3.0, sigma_m=0.0, seed=0)
    result = match_track(index, lat, lon, t)
    on_street = [i for i, e in enumerate(result.edges) if e == (a, b, 0)]
    assert on_street, "the fixes are on the street, so single fixes may sit on it"
    for i, j in pairwise(on_street):
        # Two fixes on the one-way street are never joined in one chain: that would mean driving it backwards.
        assert result.chain[i] != result.chain[j] or result.offsets_m[j] >= result.offsets_m[i] - 1e-6
    for path in result.paths:
        assert all(graph.has_edge(*e) for e in path)


def test_fix_outside_the_search_radius_stays_unmatched_and_breaks_the_track(city):
    graph, proj, index = city
    lat, lon, t, _, _ = drive(graph, proj, ROUTE[:4], speed_ms=8.0, every_s=3.0, sigma_m=0.0, seed=0)
    mid = len(lat) // 2
    x, y = proj.to_xy(lat, lon)
    far_lat, far_lon = proj.to_latlon(np.array([x[mid]]), np.array([y[mid] - 75.0]))  # mid-block, 75 m off
    lat[mid], lon[mid] = far_lat[0], far_lon[0]
    result = match_track(index, lat, lon, t, MatchParams(radius_m=50.0))
    assert result.edges[mid] is None and result.chain[mid] == -1
    assert len(result.paths) == 2 and result.chain[mid - 1] != result.chain[mid + 1]


def read_plt(path: Path) -> pl.DataFrame:
    """A GeoLife .plt file: 6 header lines, then lat, lon, 0, altitude, days, date, time (UTC)."""
    names = ["lat", "lon", "zero", "alt_ft", "days", "date", "time"]
    raw = pl.read_csv(path, skip_rows=6, has_header=False, new_columns=names)
    stamp = pl.concat_str("date", "time", separator=" ").str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC")
    return raw.select("lat", "lon", stamp.dt.epoch("s").cast(pl.Float64).alias("t_s"))


def test_real_geolife_track_on_a_grid_graph_gives_continuous_plausible_paths(shared_dir):
    """A real GeoLife track (908 fixes, 5 s sampling, 8 h with gaps up to 5 h), matched on a GRID.

    There is no Beijing OSM extract offline, so this cannot check that the track is matched to
    the streets it was really recorded on. Instead it matches the real fixes (real noise, real
    stops and jumps) on a generated 100 m grid laid over the track's bounding box (Beijing's
    streets around Zhongguancun do run north-south and east-west, but the grid is not them) and
    checks what must hold on any graph:

    * each matched fix lies within the search radius of its edge (re-measured here with shapely);
    * each chain's path is a walk in the directed graph: every edge exists, consecutive edges meet;
    * the fixes of a chain visit their edges in path order (nothing matched off the path);
    * between consecutive fixes of a chain, the distance along the path fits the speed limit in
      the elapsed time (plus noise slack): no teleport is stitched in;
    * every time gap longer than ``max_gap_s`` starts a new chain.

    The same checks fail on the naive nearest-edge matching of the same fixes, which jumps
    between edges with no route between them.
    """
    track = read_plt(shared_dir / "data/gps/geolife-trackintel/000/20081023025304.plt")
    lat, lon, t = (track[c].to_numpy() for c in ("lat", "lon", "t_s"))
    proj = LocalProjection(float((lat.min() + lat.max()) / 2), float((lon.min() + lon.max()) / 2))
    x, y = proj.to_xy(lat, lon)
    spacing = 100.0
    cols = math.ceil((x.max() - x.min()) / spacing) + 3
    rows = math.ceil((y.max() - y.min()) / spacing) + 3
    graph = grid_graph(rows, cols, spacing, (proj.lat0, proj.lon0))
    index = RoadIndex.from_graph(graph)
    params = MatchParams(radius_m=75.0, sigma_m=20.0, beta_m=20.0)
    result = match_track(index, lat, lon, t, params)

    assert result.matched == len(lat)  # a 100 m grid leaves every fix within 50 m of a street
    vmax = 1.5 * 50.0 / 3.6  # the matcher's default: 1.5 x the fastest edge (50 km/h)
    gaps = np.flatnonzero(np.diff(t) > params.max_gap_s) + 1
    assert len(gaps) == 7
    for g in gaps:
        assert result.chain[g] != result.chain[g - 1]
    for cid, path in enumerate(result.paths):
        assert all(graph.has_edge(*e) for e in path)
        assert all(e1[1] == e2[0] for e1, e2 in pairwise(path))
        members = np.flatnonzero(result.chain == cid)
        cursor, along = 0, []
        lengths = [graph.edges[e]["length_m"] for e in path]
        for i in members:
            while path[cursor] != result.edges[i]:
                cursor += 1  # raises IndexError if a fix's edge is not later on the path
            along.append(sum(lengths[:cursor]) + result.offsets_m[i])
        moved = np.diff(np.array(along))
        assert (moved >= -params.backtrack_m() - 1e-6).all()
        assert (moved <= vmax * np.diff(t[members]) + 4 * params.sigma_m + 1e-6).all()
    for i in np.flatnonzero(result.chain >= 0):
        coords = np.array(graph.edges[result.edges[i]]["coordinates"])
        ex, ey = proj.to_xy(coords[:, 1], coords[:, 0])
        distance = shapely.distance(shapely.linestrings(np.column_stack([ex, ey])), shapely.Point(x[i], y[i]))
        assert distance <= params.radius_m + 1e-6

    naive = nearest_edges(index, lat, lon, radius_m=75.0)
    offsets = []
    for i, edge in enumerate(naive):
        coords = np.array(graph.edges[edge]["coordinates"])
        ex, ey = proj.to_xy(coords[:, 1], coords[:, 0])
        offsets.append(shapely.linestrings(np.column_stack([ex, ey])).project(shapely.Point(x[i], y[i])))
    impossible = 0
    for i in range(1, len(naive)):
        dt = t[i] - t[i - 1]
        if dt > params.max_gap_s:
            continue
        (_, v1, _), (u2, _, _) = naive[i - 1], naive[i]
        if naive[i] == naive[i - 1] and offsets[i] >= offsets[i - 1] - params.backtrack_m():
            continue
        route = graph.edges[naive[i - 1]]["length_m"] - offsets[i - 1] + offsets[i]
        route += nx.shortest_path_length(graph, v1, u2, weight="length_m")
        impossible += route > vmax * dt + 4 * params.sigma_m
    assert impossible > 0


def test_unsorted_times_are_refused_with_the_fix_number(city):
    _, _, index = city
    with pytest.raises(ValueError, match="fix 2: time 3 s is before the previous fix"):
        match_track(index, [60.17] * 3, [24.94] * 3, [0.0, 5.0, 3.0])
