"""Probe speeds: from map-matched vehicle positions to speeds per road segment and slot, and a probe simulator.

Vehicle positions (the monitor module's, or the demo's simulated fleet) are matched to the
road graph with :mod:`lantern.traffic.mapmatch`; between two consecutive fixes of one matched
chain the vehicle covered the distance *along the matched path* in the elapsed time, which is
its speed on the segment of the later fix. Slot speeds are the harmonic mean of those speeds
(the space-mean speed: the mean of travel times, not of spot speeds, which is what TTI needs).

The simulator drives vehicles along shortest paths of the real demo road graph with speeds that
drop in a morning and an evening peak, and writes GPS fixes with noise, so that the demo goes
through the same matching and index code as real probe data.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

import networkx as nx
import numpy as np
import numpy.typing as npt
import polars as pl

from lantern.kit.geo import LocalProjection
from lantern.kit.time import zone
from lantern.traffic.mapmatch import MatchResult, RoadIndex

FloatArray = npt.NDArray[np.float64]
# Road classes where peaks bite hardest: arterials carry the commuters, side streets do not.
ARTERIALS = frozenset({"motorway", "trunk", "primary", "secondary", "motorway_link", "trunk_link", "primary_link"})


def probe_speeds(index: RoadIndex, result: MatchResult, t_s: npt.ArrayLike, *, min_dt_s: float = 1.0) -> pl.DataFrame:
    """Speed between consecutive matched fixes, along the matched path, on the later fix's edge.

    Returns ``edge`` (index into ``index.edges``), ``t_s`` (time of the later fix, seconds) and
    ``speed_kmh``. Pairs closer than ``min_dt_s`` in time are skipped (duplicate fixes).

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_node(1, lat=60.0, lon=24.0); g.add_node(2, lat=60.0, lon=24.004)
    >>> g.add_edge(1, 2, length_m=222.9)
    >>> ix = RoadIndex.from_graph(g)
    >>> from lantern.traffic.mapmatch import match_track
    >>> r = match_track(ix, [60.0, 60.0, 60.0], [24.0005, 24.0015, 24.0025], [0, 10, 20])
    >>> probe_speeds(ix, r, [0, 10, 20])["speed_kmh"].round(0).to_list()
    [20.0, 20.0]
    """
    times = np.asarray(t_s, dtype=np.float64)
    edges_out: list[int] = []
    times_out: list[float] = []
    speeds_out: list[float] = []
    for cid, path in enumerate(result.paths):
        members = np.flatnonzero(result.chain == cid)
        if len(members) < 2 or not path:
            continue
        lengths = [float(index.lengths[index.edge_ids[e]]) for e in path]
        starts = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
        cursor, along = 0, []
        for i in members:
            edge = result.edges[int(i)]
            while cursor < len(path) - 1 and path[cursor] != edge:
                cursor += 1
            along.append(starts[cursor] + float(result.offsets_m[int(i)]))
        for a, b in zip(range(len(members) - 1), range(1, len(members)), strict=True):
            dt = times[members[b]] - times[members[a]]
            if dt < min_dt_s:
                continue
            distance = max(along[b] - along[a], 0.0)
            edge = result.edges[int(members[b])]
            if edge is None:
                continue
            edges_out.append(index.edge_ids[edge])
            times_out.append(float(times[members[b]]))
            speeds_out.append(distance / dt * 3.6)
    return pl.DataFrame(
        {"edge": edges_out, "t_s": times_out, "speed_kmh": speeds_out},
        schema={"edge": pl.Int64, "t_s": pl.Float64, "speed_kmh": pl.Float64},
    )


def slot_speeds(observations: pl.DataFrame, *, slot_minutes: int = 15, min_speed_kmh: float = 1.0) -> pl.DataFrame:
    """Harmonic-mean speed per ``key`` and slot from ``key``, ``time`` (aware UTC), ``speed_kmh``.

    Speeds below ``min_speed_kmh`` (a vehicle standing at a light) are floored before the
    harmonic mean, which would otherwise be dominated by a single zero.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 3, 2, 8, 3, tzinfo=timezone.utc)
    >>> f = pl.DataFrame({"key": [7, 7], "time": [t, t], "speed_kmh": [60.0, 20.0]})
    >>> slot_speeds(f).select("key", "speed_kmh", "samples").rows()
    [(7, 30.0, 2)]
    """
    if 1440 % slot_minutes:
        raise ValueError(f"slot_minutes must divide a day, got {slot_minutes}")
    return (
        observations.with_columns(pl.col("time").dt.truncate(f"{slot_minutes}m").alias("time"))
        .group_by("key", "time")
        .agg(
            (pl.len() / (1.0 / pl.col("speed_kmh").clip(lower_bound=min_speed_kmh)).sum()).alias("speed_kmh"),
            pl.len().cast(pl.Int64).alias("samples"),
        )
        .sort("key", "time")
    )


@dataclass(frozen=True)
class ProbeDayParams:
    """One simulated day of probe vehicles: trips per hour follow a two-peak demand curve."""

    end: datetime  # aware; the day is the 24 hours before it
    timezone: str
    seed: int = 42
    trips: int = 900
    fix_interval_s: float = 10.0
    gps_sigma_m: float = 6.0
    morning_peak_hour: float = 8.0
    evening_peak_hour: float = 16.75
    peak_speed_drop: float = 0.55  # arterial speed at the height of the peak: 45% of free flow
    min_trip_m: float = 800.0


@dataclass(frozen=True)
class ProbeTrack:
    """One simulated trip: fixes (WGS84, seconds since the epoch) and the edges really driven."""

    vehicle: str
    lat: FloatArray
    lon: FloatArray
    t_s: FloatArray
    driven: list[tuple[Hashable, Hashable, int]]


def peak_factor(local_hour: float, params: ProbeDayParams, arterial: bool) -> float:
    """Speed as a share of free flow at ``local_hour``: 1 at night, dipping in the two peaks.

    Examples
    --------
    >>> p = ProbeDayParams(end=datetime(2026, 3, 3, tzinfo=zone("UTC")), timezone="UTC")
    >>> round(peak_factor(3.0, p, True), 3), round(peak_factor(8.0, p, True), 3)
    (1.0, 0.45)
    """
    drop = params.peak_speed_drop * (1.0 if arterial else 0.4)
    dip = max(
        math.exp(-0.5 * ((local_hour - params.morning_peak_hour) / 0.9) ** 2),
        0.9 * math.exp(-0.5 * ((local_hour - params.evening_peak_hour) / 1.1) ** 2),
    )
    return 1.0 - drop * dip


def demand(local_hour: float, params: ProbeDayParams) -> float:
    """Relative trip demand at ``local_hour`` (night 0.1, peaks about 1)."""
    return (
        0.1
        + math.exp(-0.5 * ((local_hour - params.morning_peak_hour) / 1.2) ** 2)
        + 0.9 * math.exp(-0.5 * ((local_hour - params.evening_peak_hour) / 1.4) ** 2)
        + 0.35 * (7.0 <= local_hour <= 20.0)
    )


def simulate_probe_day(graph: nx.MultiDiGraph, params: ProbeDayParams) -> list[ProbeTrack]:
    """Trips between random nodes of the largest strongly connected part of ``graph``, over one day.

    Edges need ``length_m``, ``speed_kmh``, ``road_class`` and ``coordinates``; nodes ``lat``/``lon``.
    """
    rng = np.random.default_rng(params.seed)
    core = max(nx.strongly_connected_components(graph), key=len)
    nodes = sorted(core)
    lats = np.array([graph.nodes[n]["lat"] for n in nodes])
    lons = np.array([graph.nodes[n]["lon"] for n in nodes])
    projection = LocalProjection(float(lats.mean()), float(lons.mean()))
    tz = zone(params.timezone)
    start = params.end - timedelta(days=1)
    minutes = np.arange(0, 1440, 5)
    local_hours = np.array([((start + timedelta(minutes=int(m))).astimezone(tz)) for m in minutes])
    weights = np.array([demand(t.hour + t.minute / 60.0, params) for t in local_hours])
    weights /= weights.sum()
    tracks: list[ProbeTrack] = []
    attempts = 0
    while len(tracks) < params.trips and attempts < params.trips * 4:
        attempts += 1
        origin, target = rng.choice(len(nodes), size=2, replace=False)
        slot = int(rng.choice(len(minutes), p=weights))
        depart = start + timedelta(minutes=int(minutes[slot]), seconds=float(rng.uniform(0, 300)))
        try:
            route = nx.shortest_path(graph, nodes[origin], nodes[target], weight="length_m")
        except nx.NetworkXNoPath:
            continue
        edges = [(a, b, _shortest_key(graph, a, b)) for a, b in itertools.pairwise(route)]
        total = sum(graph.edges[e]["length_m"] for e in edges)
        if total < params.min_trip_m:
            continue
        track = _drive(graph, edges, depart, params, projection, tz, rng, f"probe-{len(tracks) + 1:04d}")
        if track is not None:
            tracks.append(track)
    return tracks


def _shortest_key(graph: nx.MultiDiGraph, a: Hashable, b: Hashable) -> int:
    """The key of the shortest of the parallel edges a -> b (the one the shortest path used)."""
    keys: list[int] = list(graph[a][b])
    return min(keys, key=lambda k: float(graph[a][b][k]["length_m"]))


def _drive(
    graph: nx.MultiDiGraph,
    edges: list[tuple[Hashable, Hashable, int]],
    depart: datetime,
    params: ProbeDayParams,
    projection: LocalProjection,
    tz: object,
    rng: np.random.Generator,
    vehicle: str,
) -> ProbeTrack | None:
    """Fixes every ``fix_interval_s`` along ``edges``, with per-edge speeds from the peak curve."""
    local = depart.astimezone(tz)  # type: ignore[arg-type]
    hour = local.hour + local.minute / 60.0
    xs: list[float] = []
    ys: list[float] = []
    cum_t: list[float] = []
    clock = 0.0
    for e in edges:
        data = graph.edges[e]
        coords = np.asarray(data["coordinates"], dtype=np.float64)
        x, y = projection.to_xy(coords[:, 1], coords[:, 0])
        factor = peak_factor(hour + clock / 3600.0, params, data["road_class"] in ARTERIALS)
        speed_ms = max(data["speed_kmh"] * factor * float(rng.lognormal(0.0, 0.08)), 2.0) / 3.6
        seg = np.hypot(np.diff(x), np.diff(y))
        geom = float(seg.sum()) or 1.0
        scale = data["length_m"] / geom
        times = clock + np.concatenate([[0.0], np.cumsum(seg * scale / speed_ms)])
        first = 0 if not xs else 1  # the shared node is already there
        xs.extend(x[first:].tolist())
        ys.extend(y[first:].tolist())
        cum_t.extend(times[first:].tolist())
        clock = float(times[-1])
    sample = np.arange(0.0, clock, params.fix_interval_s)
    if len(sample) < 3:
        return None
    px = np.interp(sample, cum_t, xs) + rng.normal(0.0, params.gps_sigma_m, len(sample))
    py = np.interp(sample, cum_t, ys) + rng.normal(0.0, params.gps_sigma_m, len(sample))
    lat, lon = projection.to_latlon(px, py)
    t_s = depart.timestamp() + sample
    return ProbeTrack(vehicle=vehicle, lat=np.asarray(lat), lon=np.asarray(lon), t_s=t_s, driven=edges)
