"""Hidden-Markov map matching of GPS tracks to a directed road graph (Newson & Krumm, 2009).

States are candidate positions on edges within ``radius_m`` of each fix. Emission: Gaussian
on the perpendicular distance (sigma ``sigma_m``). Transition: exponential on
``|route distance - great-circle distance|`` (scale ``beta_m``), where the route runs along
the graph in edge direction (Dijkstra on ``length_m``). Viterbi picks the likeliest sequence.

A fix is never put on an edge it could not be on:

* only edges within the search radius are candidates (a fix with none stays unmatched);
* a transition exists only along a directed path (a one-way street is never driven backwards,
  a U-turn happens at a node), no longer than ``max_speed_kmh`` allows in the elapsed time
  (plus ``4 * sigma_m`` for noise) and no more than ``max_route_excess_m`` longer than the
  straight line;
* when no transition is possible, or the time gap exceeds ``max_gap_s``, the track breaks and
  a new chain starts. Chains are matched and reported separately.

Graph contract: nodes carry ``lat``/``lon`` (WGS84), edges ``length_m`` and optionally
``speed_kmh`` and ``coordinates`` (a list of ``(lon, lat)``; a straight line otherwise).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import polars as pl
import shapely

from lantern.kit.geo import LocalProjection

EdgeKey = tuple[Hashable, Hashable, int]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class MatchParams:
    """Tuning of the matcher; distances in metres. Newson & Krumm measured sigma = 4.07 m on their car GPS."""

    radius_m: float = 50.0
    sigma_m: float = 5.0
    beta_m: float = 5.0
    max_candidates: int = 12  # a four-way junction alone has 8 directed edges within reach
    max_speed_kmh: float | None = None  # None: 1.5 x the fastest edge speed_kmh, else 130 km/h
    max_route_excess_m: float = 1000.0
    max_gap_s: float = 180.0
    # Noise can put the next fix behind the last one on the same edge; up to this much is read as
    # standing still rather than as a loop around the block. None: 3 * sqrt(2) * sigma, the 99.7%
    # band of the difference of two independent along-track errors (21 m at sigma = 5 m).
    backtrack_tolerance_m: float | None = None
    # Log-probability cost of turning back at a node (a->b->a). Noise near a junction otherwise buys a
    # cheap detour into a short side street and back; a real U-turn still wins when the fixes show it.
    uturn_penalty: float = 4.0

    def backtrack_m(self) -> float:
        """The backward movement on one edge still read as standing still (metres)."""
        if self.backtrack_tolerance_m is not None:
            return self.backtrack_tolerance_m
        return 3.0 * math.sqrt(2.0) * self.sigma_m


@dataclass
class RoadIndex:
    """A directed graph prepared for matching: projected edge segments in an STRtree. Build once, reuse."""

    graph: Any
    projection: LocalProjection
    edges: list[EdgeKey]
    lengths: FloatArray
    max_speed_kmh: float | None
    seg_edge: IntArray
    seg_ax: FloatArray
    seg_ay: FloatArray
    seg_bx: FloatArray
    seg_by: FloatArray
    seg_start: FloatArray  # offset (graph metres) of each segment's start along its edge
    seg_scale: FloatArray  # graph length_m per projected metre of the edge
    tree: shapely.STRtree
    edge_ids: dict[EdgeKey, int] = field(default_factory=dict)

    @classmethod
    def from_graph(cls, graph: Any) -> RoadIndex:
        """Index a networkx DiGraph or MultiDiGraph (nodes ``lat``/``lon``, edges ``length_m``)."""
        if not graph.is_directed():
            raise ValueError("map matching needs a directed graph; convert with graph.to_directed()")
        nodes = dict(graph.nodes(data=True))
        lats = np.array([float(d["lat"]) for d in nodes.values()])
        lons = np.array([float(d["lon"]) for d in nodes.values()])
        projection = LocalProjection(float(lats.mean()), float(lons.mean()))
        raw = graph.edges(keys=True, data=True) if graph.is_multigraph() else graph.edges(data=True)
        edges: list[EdgeKey] = []
        lengths, speeds, polylines = [], [], []
        for item in raw:
            u, v, key, data = item if graph.is_multigraph() else (item[0], item[1], 0, item[2])
            if "length_m" not in data:
                raise ValueError(f"edge {u}->{v} has no length_m; every edge needs its length in metres")
            edges.append((u, v, key))
            lengths.append(float(data["length_m"]))
            if data.get("speed_kmh") is not None:
                speeds.append(float(data["speed_kmh"]))
            coords = data.get("coordinates") or [(nodes[u]["lon"], nodes[u]["lat"]), (nodes[v]["lon"], nodes[v]["lat"])]
            polylines.append(np.asarray(coords, dtype=np.float64))
        counts = np.array([len(p) - 1 for p in polylines])
        stacked = np.concatenate(polylines)
        x, y = projection.to_xy(stacked[:, 1], stacked[:, 0])
        # Segment i of edge e joins vertex i and i+1 of its polyline; drop the seam between edges.
        starts = np.concatenate([[0], np.cumsum(counts + 1)[:-1]])
        idx_a = np.concatenate([s + np.arange(c) for s, c in zip(starts, counts, strict=True)])
        ax, ay, bx, by = x[idx_a], y[idx_a], x[idx_a + 1], y[idx_a + 1]
        seg_edge = np.repeat(np.arange(len(edges)), counts)
        seg_len = np.hypot(bx - ax, by - ay)
        geom_len = np.bincount(seg_edge, weights=seg_len, minlength=len(edges))
        lengths_arr = np.asarray(lengths, dtype=np.float64)
        scale = np.where(geom_len > 0, lengths_arr / np.where(geom_len > 0, geom_len, 1.0), 1.0)
        before = np.cumsum(seg_len) - seg_len  # running sum, reset per edge below
        edge_first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        seg_start = (before - before[edge_first][seg_edge]) * scale[seg_edge]
        lines = shapely.linestrings(np.stack([np.column_stack([ax, ay]), np.column_stack([bx, by])], axis=1))
        return cls(
            graph=graph,
            projection=projection,
            edges=edges,
            lengths=lengths_arr,
            max_speed_kmh=max(speeds) if speeds else None,
            seg_edge=seg_edge,
            seg_ax=ax,
            seg_ay=ay,
            seg_bx=bx,
            seg_by=by,
            seg_start=seg_start,
            seg_scale=scale[seg_edge],
            tree=shapely.STRtree(lines),
            edge_ids={e: i for i, e in enumerate(edges)},
        )

    def candidates(self, x: FloatArray, y: FloatArray, radius_m: float, k: int) -> pl.DataFrame:
        """Closest position on each edge within ``radius_m`` of each projected point, ``k`` nearest edges per point.

        Columns: ``point``, ``edge`` (index into :attr:`edges`), ``distance_m``, ``offset_m``; sorted
        by point, distance, edge.
        """
        pairs = self.tree.query(shapely.points(x, y), predicate="dwithin", distance=radius_m)
        p, s = pairs[0], pairs[1]
        ax, ay, dx, dy = (
            self.seg_ax[s],
            self.seg_ay[s],
            self.seg_bx[s] - self.seg_ax[s],
            self.seg_by[s] - self.seg_ay[s],
        )
        norm = dx * dx + dy * dy
        t = np.clip(((x[p] - ax) * dx + (y[p] - ay) * dy) / np.where(norm > 0, norm, 1.0), 0.0, 1.0)
        dist = np.hypot(x[p] - (ax + t * dx), y[p] - (ay + t * dy))
        offset = self.seg_start[s] + t * np.sqrt(norm) * self.seg_scale[s]
        frame = pl.DataFrame({"point": p, "edge": self.seg_edge[s], "distance_m": dist, "offset_m": offset})
        return (
            frame.filter(pl.col("distance_m") <= radius_m)
            .sort("point", "distance_m", "edge")
            .unique(subset=["point", "edge"], keep="first", maintain_order=True)
            .group_by("point", maintain_order=True)
            .head(k)
        )


@dataclass(frozen=True)
class MatchResult:
    """Matched edge, offset and distance per fix (``None``/NaN when unmatched), chain ids, and routes.

    ``chain[i]`` is -1 for an unmatched fix; ``paths[c]`` is the driven sequence of edges of chain ``c``,
    each edge once per traversal, consecutive edges sharing a node.
    """

    edges: list[EdgeKey | None]
    offsets_m: FloatArray
    distances_m: FloatArray
    chain: IntArray
    paths: list[list[EdgeKey]]

    @property
    def matched(self) -> int:
        """How many fixes were matched."""
        return int((self.chain >= 0).sum())


def _emission(dist: FloatArray, sigma: float) -> FloatArray:
    return -0.5 * (dist / sigma) ** 2 - math.log(sigma * math.sqrt(2 * math.pi))


def _parallel_edge(graph: Any, a: Hashable, b: Hashable) -> EdgeKey:
    """The shortest of the parallel edges a->b (the one Dijkstra's distance used)."""
    if not graph.is_multigraph():
        return (a, b, 0)
    key = min(graph[a][b], key=lambda k: graph[a][b][k]["length_m"])
    return (a, b, key)


def _turns_back(walk: list[Hashable]) -> bool:
    """True when the node walk goes a -> b -> a somewhere."""
    return any(walk[k] == walk[k + 2] for k in range(len(walk) - 2))


def _trim_ends(
    index: RoadIndex,
    route: list[EdgeKey],
    run: list[int],
    fixes: tuple[list[EdgeKey | None], FloatArray, FloatArray],
    xy: tuple[FloatArray, FloatArray],
    near_m: float,
    radius_m: float,
) -> None:
    """Drop a first (last) edge whose fixes all lie within ``near_m`` of its end (start) node.

    Such fixes cannot tell that edge from the next (previous) one: both touch the node, and on a
    two-way street the twin edge lies on the same line. The vehicle was never seen driving it, so
    the route starts (ends) at the node and those fixes move onto the neighbouring edge.
    """
    edges, offsets, distances = fixes
    for head in (True, False):
        if len(route) < 2:
            return
        edge = route[0] if head else route[-1]
        on_edge = [t for t in run if edges[t] == edge]
        contiguous = on_edge == (run[: len(on_edge)] if head else run[len(run) - len(on_edge) :])
        length = index.lengths[index.edge_ids[edge]]
        gap = [length - offsets[t] if head else offsets[t] for t in on_edge]
        if not contiguous or max(gap) > near_m:
            continue
        neighbour = route[1] if head else route[-2]
        node = index.graph.nodes[neighbour[0] if head else neighbour[1]]
        node_x, node_y = index.projection.to_xy(np.array([node["lat"]]), np.array([node["lon"]]))
        moved = [float(math.hypot(xy[0][t] - node_x[0], xy[1][t] - node_y[0])) for t in on_edge]
        if max(moved) > radius_m:
            continue  # never put a fix on a position outside its search radius
        route.pop(0 if head else -1)
        for t, distance in zip(on_edge, moved, strict=True):
            edges[t] = neighbour
            offsets[t] = 0.0 if head else index.lengths[index.edge_ids[neighbour]]
            distances[t] = distance


class _Matcher:
    def __init__(self, index: RoadIndex, params: MatchParams) -> None:
        self.index, self.params = index, params
        fastest = params.max_speed_kmh or (1.5 * index.max_speed_kmh if index.max_speed_kmh else 130.0)
        self.max_speed_ms = fastest / 3.6

    def transitions(
        self, prev: pl.DataFrame, nxt: pl.DataFrame, gc_m: float, dt_s: float | None
    ) -> tuple[FloatArray, list[list[list[Hashable] | None]]]:
        """Log transition matrix (-inf where impossible) and the node route of each feasible pair."""
        p, index, graph = self.params, self.index, self.index.graph
        limit = gc_m + p.max_route_excess_m
        if dt_s is not None:
            limit = min(limit, self.max_speed_ms * dt_s + 4 * p.sigma_m)
        e_prev, o_prev = prev["edge"].to_numpy(), prev["offset_m"].to_numpy()
        e_next, o_next = nxt["edge"].to_numpy(), nxt["offset_m"].to_numpy()
        remaining = index.lengths[e_prev] - o_prev
        cutoffs: dict[Hashable, float] = {}
        for i, e in enumerate(e_prev):
            head = index.edges[e][1]
            cutoffs[head] = max(cutoffs.get(head, -1.0), limit - remaining[i])
        reach = {
            head: nx.single_source_dijkstra(graph, head, cutoff=c, weight="length_m")
            for head, c in cutoffs.items()
            if c >= 0
        }
        trans = np.full((len(e_prev), len(e_next)), -np.inf)
        routes: list[list[list[Hashable] | None]] = [[None] * len(e_next) for _ in e_prev]
        log_beta, backtrack = math.log(p.beta_m), p.backtrack_m()
        for i, ei in enumerate(e_prev):
            dist, paths = reach.get(index.edges[ei][1], ({}, {}))
            for j, ej in enumerate(e_next):
                if ei == ej and o_next[j] >= o_prev[i] - backtrack:
                    route, nodes = max(o_next[j] - o_prev[i], 0.0), None
                else:
                    tail = index.edges[ej][0]
                    if tail not in dist:
                        continue
                    route, nodes = remaining[i] + dist[tail] + o_next[j], paths[tail]
                if route > limit:
                    continue
                trans[i, j] = -abs(route - gc_m) / p.beta_m - log_beta
                if nodes is not None and _turns_back([index.edges[ei][0], *nodes, index.edges[ej][1]]):
                    trans[i, j] -= p.uturn_penalty
                routes[i][j] = nodes
        return trans, routes


def match_track(
    index: RoadIndex,
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    t_s: npt.ArrayLike | None = None,
    params: MatchParams = MatchParams(),
) -> MatchResult:
    """Match a GPS track (WGS84 arrays, optional times in seconds) to the indexed graph.

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_node(1, lat=60.0, lon=24.0); g.add_node(2, lat=60.0, lon=24.002)
    >>> g.add_edge(1, 2, length_m=111.5)  # one-way eastbound
    >>> r = match_track(RoadIndex.from_graph(g), [60.00003, 60.00002], [24.0005, 24.0012], [0, 5])
    >>> r.edges, r.paths
    ([(1, 2, 0), (1, 2, 0)], [[(1, 2, 0)]])
    """
    p = params
    lat_a, lon_a = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
    times = None if t_s is None else np.asarray(t_s, dtype=np.float64)
    n = len(lat_a)
    if len(lon_a) != n or (times is not None and len(times) != n):
        raise ValueError(
            f"lat, lon and t_s need the same length, got {n}, {len(lon_a)} and {0 if times is None else len(times)}"
        )
    if times is not None and n > 1 and (np.diff(times) < 0).any():
        first = int(np.flatnonzero(np.diff(times) < 0)[0]) + 1
        raise ValueError(f"fix {first}: time {times[first]:g} s is before the previous fix; sort the track by time")
    x, y = index.projection.to_xy(lat_a, lon_a)
    cands = index.candidates(x, y, p.radius_m, p.max_candidates)
    per_point = {key[0]: group for key, group in cands.group_by("point", maintain_order=True)}
    matcher = _Matcher(index, p)
    chain = np.full(n, -1, dtype=np.int64)
    edges: list[EdgeKey | None] = [None] * n
    offsets, distances = np.full(n, np.nan), np.full(n, np.nan)
    back: dict[int, tuple[IntArray, list[list[Hashable] | None]]] = {}
    paths: list[list[EdgeKey]] = []
    run: list[int] = []
    scores: FloatArray | None = None

    def finish() -> None:
        """Backtrack the current chain, record its fixes and assemble its route."""
        if not run or scores is None:
            return
        chosen = {}
        j = int(np.argmax(scores))
        for t in reversed(run):
            chosen[t] = j
            if t in back:
                j = int(back[t][0][j])
        cid = len(paths)
        route: list[EdgeKey] = []
        for t in run:
            row = per_point[t].row(chosen[t], named=True)
            chain[t], edges[t] = cid, index.edges[row["edge"]]
            offsets[t], distances[t] = row["offset_m"], row["distance_m"]
            nodes = back[t][1][chosen[t]] if t in back else None
            if t in back and nodes is None:
                continue  # same edge, moving forward
            route.extend(_parallel_edge(index.graph, a, b) for a, b in pairwise(nodes or []))
            route.append(index.edges[row["edge"]])
        # Within 3 sigma of a node a fix cannot tell the edges meeting there apart.
        near = max(p.backtrack_m(), 3 * p.sigma_m)
        _trim_ends(index, route, run, (edges, offsets, distances), (x, y), near, p.radius_m)
        paths.append(route)

    for t in range(n):
        group = per_point.get(t)
        if group is None:
            finish()
            run, scores = [], None
            continue
        emission = _emission(group["distance_m"].to_numpy(), p.sigma_m)
        prev_t = run[-1] if run else None
        dt = None if times is None or prev_t is None else float(times[t] - times[prev_t])
        if prev_t is not None and scores is not None and not (dt is not None and dt > p.max_gap_s):
            gc = float(math.hypot(x[t] - x[prev_t], y[t] - y[prev_t]))
            trans, routes = matcher.transitions(per_point[prev_t], group, gc, dt)
            total = scores[:, None] + trans
            best = np.argmax(total, axis=0)
            best_score = total[best, np.arange(len(group))]
            if np.isfinite(best_score).any():
                back[t] = (best, [routes[int(b)][j] for j, b in enumerate(best)])
                scores = best_score + emission
                run.append(t)
                continue
        finish()
        run, scores = [t], emission
    finish()
    return MatchResult(edges=edges, offsets_m=offsets, distances_m=distances, chain=chain, paths=paths)


def nearest_edges(
    index: RoadIndex, lat: npt.ArrayLike, lon: npt.ArrayLike, radius_m: float = 50.0
) -> list[EdgeKey | None]:
    """Naive baseline: the nearest edge within ``radius_m`` of each fix, ignoring direction and continuity.

    Twin edges of a two-way street tie; the one listed first in the graph wins.
    """
    lat_a, lon_a = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
    x, y = index.projection.to_xy(lat_a, lon_a)
    first = index.candidates(x, y, radius_m, 1)
    found = dict(zip(first["point"].to_list(), first["edge"].to_list(), strict=True))
    return [index.edges[found[i]] if i in found else None for i in range(len(lat_a))]
