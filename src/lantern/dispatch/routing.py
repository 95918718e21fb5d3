"""Road travel times to an incident from every unit at once (scipy.sparse.csgraph Dijkstra).

The road graph is a CSR matrix of edge travel times (length / free-flow speed). To rank units
we need travel time *to* the incident from many places, so one Dijkstra runs on the reversed
graph from the incident's edge: every node's time to the incident comes out of that single
search, instead of one search per unit. Points off the graph snap to the nearest edge (an
STRtree over edge geometries in a local metric projection); the part of the edge still to
drive is added. When a unit cannot reach the incident on the graph (disconnected network) its
time falls back to straight-line distance at ``FALLBACK_KMH`` and is flagged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from lantern.kit.geo import LocalProjection, haversine_m_array

FALLBACK_KMH = 30.0  # straight-line speed when the graph offers no route
SEARCH_LIMIT_S = 3 * 3600.0  # nobody is sent from three hours away; bounds the search
MAX_SNAP_M = 500.0  # farther than this from the routable network: straight-line estimate, flagged
AT_NODE = 1e-6  # snap fraction below which a point is at the edge's start junction


@dataclass(frozen=True)
class Snap:
    """A point placed on an edge: ``fraction`` of the way from its source to its target."""

    edge: int
    fraction: float
    distance_m: float


@dataclass(frozen=True)
class TravelEstimate:
    seconds: float
    distance_m: float
    straight_line: bool
    snap_distance_m: float


class RoutingGraph:
    """Immutable routing structure built from the city's nodes and directed edges."""

    def __init__(self, node_ids: Sequence[int], lats: np.ndarray, lons: np.ndarray, edges: Sequence[Any]) -> None:
        if len(node_ids) == 0 or len(edges) == 0:
            raise ValueError("the road graph is empty; import a city first")
        self.index = {int(n): i for i, n in enumerate(node_ids)}
        self.n = len(node_ids)
        self.lats = np.asarray(lats, dtype=float)
        self.lons = np.asarray(lons, dtype=float)
        self.projection = LocalProjection(float(self.lats.mean()), float(self.lons.mean()))
        src = np.array([self.index[int(e.source_id)] for e in edges])
        dst = np.array([self.index[int(e.target_id)] for e in edges])
        length = np.array([float(e.length_m) for e in edges])
        speed = np.array([max(float(e.speed_kmh), 5.0) for e in edges])
        self.edge_src, self.edge_dst, self.edge_length = src, dst, length
        self.edge_seconds = length / (speed / 3.6)
        # Parallel edges: keep the fastest (csr_matrix would add them up).
        order = np.lexsort((self.edge_seconds, dst, src))
        first = np.ones(len(order), dtype=bool)
        first[1:] = (src[order][1:] != src[order][:-1]) | (dst[order][1:] != dst[order][:-1])
        keep = order[first]
        # Time and length matrices share the same sparsity pattern.
        self.reverse_time = csr_matrix((self.edge_seconds[keep], (dst[keep], src[keep])), shape=(self.n, self.n))
        # The reversed graph plus one virtual node (index n) with two spare edges: each search
        # points them at the target edge's ends with the partial-edge times as weights, so one
        # Dijkstra from the virtual node gives every node's time to the target point.
        rows = np.concatenate([self.reverse_time.indptr, [self.reverse_time.indptr[-1] + 2]])
        self._virtual_indptr = rows.astype(self.reverse_time.indptr.dtype)
        self._virtual_indices = np.concatenate([self.reverse_time.indices, [0, 0]]).astype(
            self.reverse_time.indices.dtype
        )
        self._virtual_data = np.concatenate([self.reverse_time.data, [np.inf, np.inf]])
        self.forward_time = csr_matrix((self.edge_seconds[keep], (src[keep], dst[keep])), shape=(self.n, self.n))
        self.reverse_of: dict[tuple[int, int], int] = {}
        for i, (a, b) in enumerate(zip(src.tolist(), dst.tolist(), strict=True)):
            self.reverse_of.setdefault((a, b), i)
        # All vertices projected in one call, then cut back into one line per edge.
        parsed = [json.loads(e.coordinates) if isinstance(e.coordinates, str) else e.coordinates for e in edges]
        flat = np.array([point for coords in parsed for point in coords], dtype=float)
        xs, ys = self.projection.to_xy(flat[:, 1], flat[:, 0])
        owner = np.repeat(np.arange(len(parsed)), [len(c) for c in parsed])
        self.lines = shapely.linestrings(np.column_stack([xs, ys]), indices=owner)
        # Snap only onto the largest strongly connected part: a clipped extract leaves one-way
        # stubs that lead out of the map and never back (Helsinki: 1,283 of 1,437 nodes are in
        # the core). Points are placed on the nearest road from which every other road is reachable.
        _, labels = connected_components(self.forward_time, directed=True, connection="strong")
        core = np.bincount(labels).argmax()
        routable = (labels[src] == core) & (labels[dst] == core)
        self.snappable = np.flatnonzero(routable) if routable.any() else np.arange(len(self.lines))
        self.tree = shapely.STRtree(self.lines[self.snappable])

    def snap(self, lats: np.ndarray, lons: np.ndarray) -> list[Snap]:
        """Nearest edge of each point and how far along it the point lies."""
        x, y = self.projection.to_xy(np.asarray(lats, dtype=float), np.asarray(lons, dtype=float))
        points = shapely.points(x, y)
        nearest = self.snappable[self.tree.nearest(points)]
        lines = self.lines[nearest]
        along = shapely.line_locate_point(lines, points, normalized=True)
        dist = shapely.distance(lines, points)
        return [Snap(int(e), float(f), float(d)) for e, f, d in zip(nearest, along, dist, strict=True)]

    def times_to(self, target: Snap) -> np.ndarray:
        """Seconds from every node to the target point (inf where unreachable): one search.

        The point is reached either along its own edge (from the edge's source, a fraction
        of the edge's time) or, on a two-way street, along the twin edge in the other direction.
        """
        u, v = int(self.edge_src[target.edge]), int(self.edge_dst[target.edge])
        seeds = [(u, target.fraction * self.edge_seconds[target.edge])]
        twin = self.reverse_of.get((v, u))
        if twin is not None:
            seeds.append((v, (1 - target.fraction) * self.edge_seconds[twin]))
        else:
            seeds.append(seeds[0])
        # Copies (about 2 MB at 200,000 edges, well under a millisecond) keep concurrent searches apart.
        indices = self._virtual_indices.copy()
        data = self._virtual_data.copy()
        indices[-2:] = [seeds[0][0], seeds[1][0]]
        data[-2:] = [max(seeds[0][1], 1e-9), max(seeds[1][1], 1e-9)]  # zero weights would read as "no edge"
        graph = csr_matrix((data, indices, self._virtual_indptr), shape=(self.n + 1, self.n + 1))
        return dijkstra(graph, directed=True, indices=self.n, limit=SEARCH_LIMIT_S)[: self.n]

    def estimate(
        self, target: Snap, target_lat: float, target_lon: float, lats: np.ndarray, lons: np.ndarray
    ) -> list[TravelEstimate]:
        """Travel estimates from several points (units) to one target, sharing one search."""
        to_target = self.times_to(target)
        snaps = self.snap(lats, lons)
        results = []
        straight = haversine_m_array(
            np.asarray(lats, dtype=float),
            np.asarray(lons, dtype=float),
            np.full(len(lats), target_lat),
            np.full(len(lats), target_lon),
        )
        for snap, line_m in zip(snaps, straight.tolist(), strict=True):
            # Far from every routable road: the unit is on a part of the network not connected
            # to the rest (or off the map), so the road graph cannot say how long it needs.
            seconds = self._from_snap(snap, target, to_target) if snap.distance_m <= MAX_SNAP_M else float("inf")
            if np.isfinite(seconds):
                results.append(TravelEstimate(float(seconds), float(line_m), False, snap.distance_m))
            else:
                results.append(TravelEstimate(line_m / (FALLBACK_KMH / 3.6), float(line_m), True, snap.distance_m))
        return results

    def _from_snap(self, snap: Snap, target: Snap, to_target: np.ndarray) -> float:
        """Fastest way from a snapped point: on along its edge, back along the twin, or from its node."""
        edge = snap.edge
        src, dst = int(self.edge_src[edge]), int(self.edge_dst[edge])
        options = [(1 - snap.fraction) * self.edge_seconds[edge] + to_target[dst]]
        twin = self.reverse_of.get((dst, src))
        if twin is not None:  # a two-way street: the unit may turn round
            options.append(snap.fraction * self.edge_seconds[twin] + to_target[src])
        if snap.fraction <= AT_NODE:  # standing at the junction: any road out of it will do
            options.append(to_target[src])
        if edge == target.edge and snap.fraction <= target.fraction:
            options.append((target.fraction - snap.fraction) * self.edge_seconds[edge])
        if twin is not None and twin == target.edge and (1 - snap.fraction) <= target.fraction:
            options.append((target.fraction - (1 - snap.fraction)) * self.edge_seconds[twin])
        return float(min(options))

    def path_nodes(self, source: Snap, target: Snap) -> list[int]:
        """Node indices of the fastest route from one snapped point to another (for moving units)."""
        start = int(self.edge_dst[source.edge])
        goal = int(self.edge_src[target.edge])
        _, predecessors = dijkstra(
            self.forward_time, directed=True, indices=start, return_predecessors=True, limit=SEARCH_LIMIT_S
        )
        if start != goal and predecessors[goal] < 0:
            return []
        nodes = [goal]
        while nodes[-1] != start:
            nodes.append(int(predecessors[nodes[-1]]))
        return nodes[::-1]
