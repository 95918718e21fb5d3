"""Vehicle positions in, segment speeds out: match tracks to the road graph and merge them into 15-minute slots.

The demo, the probe API and (once wired) the monitor module's positions all go through
:func:`record_probe_tracks`. Only speeds per road segment and slot are kept, never which
vehicle drove where: Lantern does not track individuals, and the index does not need to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import networkx as nx
import numpy as np
import numpy.typing as npt
import polars as pl
from sqlalchemy.orm import Session

from lantern.city import service as city_service
from lantern.errors import ValidationFailed
from lantern.traffic import repository
from lantern.traffic.mapmatch import MatchParams, RoadIndex, match_track
from lantern.traffic.probes import probe_speeds, slot_speeds

SLOT_MINUTES = 15
# GPS of phones and fleet boxes: sigma 6 m; beta 10 m tolerates the detours of city blocks.
PROBE_MATCH = MatchParams(radius_m=40.0, sigma_m=6.0, beta_m=10.0)


_INDEXES: dict[tuple[str, datetime], tuple[nx.MultiDiGraph, RoadIndex, list[int]]] = {}


def road_graph(session: Session) -> nx.MultiDiGraph:
    """The city's directed road graph with what the matcher and simulator need (``edge_id`` on each edge)."""
    graph = nx.MultiDiGraph()
    for node in city_service.road_nodes(session):
        graph.add_node(int(node.id), lat=float(node.lat), lon=float(node.lon))
    for edge in city_service.road_edges(session):
        graph.add_edge(
            int(edge.source_id),
            int(edge.target_id),
            edge_id=int(edge.id),
            length_m=float(edge.length_m),
            speed_kmh=float(edge.speed_kmh),
            road_class=edge.road_class,
            name=edge.name,
            coordinates=[tuple(c) for c in json.loads(edge.coordinates)],
        )
    return graph


def city_road_index(session: Session) -> tuple[nx.MultiDiGraph, RoadIndex, list[int]]:
    """Graph, matching index and stored edge ids of the current city, built once per city import."""
    city = city_service.get_or_raise(session)
    key = (str(session.get_bind().engine.url), city.imported_at)
    found = _INDEXES.get(key)
    if found is None:
        graph = road_graph(session)
        index = RoadIndex.from_graph(graph)
        found = _INDEXES[key] = (graph, index, [int(graph.edges[e]["edge_id"]) for e in index.edges])
    return found


@dataclass(frozen=True)
class ProbeTrackIn:
    """One vehicle's fixes, time-ordered: WGS84 and seconds since the epoch (UTC)."""

    lat: npt.ArrayLike
    lon: npt.ArrayLike
    t_s: npt.ArrayLike


@dataclass(frozen=True)
class ProbeSummary:
    tracks: int
    fixes: int
    matched: int
    slots_added: int
    slots_updated: int


def record_probe_tracks(
    session: Session,
    index: RoadIndex,
    edge_ids: list[int],
    tracks: Iterable[ProbeTrackIn],
    *,
    source: str = "probe",
    params: MatchParams = PROBE_MATCH,
) -> ProbeSummary:
    """Match ``tracks`` on ``index`` and store their slot speeds (``edge_ids[i]`` is the id of ``index.edges[i]``).

    A slot already stored for the same edge, time and source is merged, not replaced: the
    harmonic mean of both sets of probes, weighted by their sample counts, so feeding the same
    day in two batches gives the same speeds as feeding it at once.
    """
    parts, count, fixes, matched = [], 0, 0, 0
    for track in tracks:
        lat = np.asarray(track.lat, dtype=np.float64)
        t_s = np.asarray(track.t_s, dtype=np.float64)
        try:
            result = match_track(index, lat, track.lon, t_s, params)
        except ValueError as exc:
            raise ValidationFailed(f"track {count + 1}: {exc}") from exc
        count += 1
        fixes += len(lat)
        matched += result.matched
        parts.append(probe_speeds(index, result, t_s))
    observations = pl.concat(parts) if parts else pl.DataFrame(schema={"edge": pl.Int64, "t_s": pl.Float64})
    if observations.height == 0:
        return ProbeSummary(count, fixes, matched, 0, 0)
    slots = slot_speeds(
        observations.select(
            pl.col("edge").replace_strict(dict(enumerate(edge_ids)), return_dtype=pl.Int64).alias("key"),
            pl.from_epoch(pl.col("t_s").cast(pl.Int64), time_unit="s").dt.replace_time_zone("UTC").alias("time"),
            "speed_kmh",
        ),
        slot_minutes=SLOT_MINUTES,
    )
    first, last = slots["time"].min(), slots["time"].max()
    assert isinstance(first, datetime) and isinstance(last, datetime)
    stored = {(row.edge_id, row.time): row for row in repository.segment_speeds_between(session, source, first, last)}
    new, updated = [], 0
    for r in slots.iter_rows(named=True):
        row = stored.get((r["key"], r["time"].astimezone(UTC)))
        if row is None:
            new.append(
                {
                    "edge_id": r["key"],
                    "time": r["time"],
                    "slot_minutes": SLOT_MINUTES,
                    "speed_kmh": r["speed_kmh"],
                    "samples": r["samples"],
                    "source": source,
                }
            )
            continue
        samples = row.samples + r["samples"]
        row.speed_kmh = samples / (row.samples / row.speed_kmh + r["samples"] / r["speed_kmh"])
        row.samples = samples
        updated += 1
    repository.insert_segment_speeds(session, new)
    session.flush()
    return ProbeSummary(count, fixes, matched, len(new), updated)


def record_city_probes(session: Session, tracks: Iterable[ProbeTrackIn], *, source: str = "probe") -> ProbeSummary:
    """Match ``tracks`` on the current city's road graph and store their slot speeds."""
    _, index, edge_ids = city_road_index(session)
    return record_probe_tracks(session, index, edge_ids, tracks, source=source)
