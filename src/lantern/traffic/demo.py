"""The traffic part of ``lantern demo``: a simulated day of probe vehicles, road works, a closure at an incident.

Probe fixes are simulated on the demo city's real road graph (:mod:`lantern.traffic.probes`),
then matched back to it with the HMM matcher and turned into 15-minute segment speeds, the same
path real vehicle positions take; nothing shortcuts from the simulator's true edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import networkx as nx
from sqlalchemy.orm import Session

from lantern.errors import Conflict
from lantern.incidents import service as incident_service
from lantern.kit.scope import RowScope
from lantern.security.policy import Principal
from lantern.traffic import repository
from lantern.traffic import service as traffic_service
from lantern.traffic.mapmatch import MatchParams
from lantern.traffic.probe_ingest import ProbeTrackIn, city_road_index, record_probe_tracks
from lantern.traffic.probes import ProbeDayParams, simulate_probe_day
from lantern.traffic.schemas import AccidentFromIncident, GeometryIn, RoadEventCreate

DEMO_SOURCE = "probe-sim"


@dataclass(frozen=True)
class TrafficDemo:
    trips: int
    fixes: int
    matched: int
    segment_slots: int
    events: int


def has_demo(session: Session) -> bool:
    """True when the simulated probe day is already stored."""
    return repository.has_segment_speeds(session, DEMO_SOURCE)


def build_demo(session: Session, *, end: datetime, timezone: str, seed: int = 42, trips: int = 600) -> TrafficDemo:
    """Simulate, match and store one day of probes ending at ``end``; add a road works and an incident closure."""
    if has_demo(session):
        raise Conflict("the traffic demo already exists; reset the database to build it again")
    graph, index, edge_ids = city_road_index(session)
    # One fix per 15 s, a common fleet-telematics rate; matching costs about 2 ms per fix on the
    # Helsinki extract (Dijkstra between candidates), so 600 trips take about 12 s.
    params = ProbeDayParams(end=end, timezone=timezone, seed=seed, trips=trips, fix_interval_s=15.0)
    tracks = simulate_probe_day(graph, params)
    summary = record_probe_tracks(
        session,
        index,
        edge_ids,
        (ProbeTrackIn(t.lat, t.lon, t.t_s) for t in tracks),
        source=DEMO_SOURCE,
        params=MatchParams(radius_m=40.0, sigma_m=params.gps_sigma_m, beta_m=10.0),
    )
    events = _demo_events(session, graph, end)
    return TrafficDemo(
        trips=summary.tracks,
        fixes=summary.fixes,
        matched=summary.matched,
        segment_slots=summary.slots_added,
        events=events,
    )


def _demo_events(session: Session, graph: nx.MultiDiGraph, end: datetime) -> int:
    """Road works on an arterial, and a closure created from the latest open (or recent) incident."""
    actor = Principal.system("demo")
    created = 0
    arterials = sorted(
        (e for e in graph.edges(keys=True) if graph.edges[e]["road_class"] in ("primary", "secondary")),
        key=lambda e: -graph.edges[e]["length_m"],
    )
    if arterials:
        data = graph.edges[arterials[0]]
        traffic_service.create_event(
            session,
            actor,
            RoadEventCreate(
                kind="roadwork",
                geometry=GeometryIn(type="LineString", coordinates=[list(c) for c in data["coordinates"]]),
                start_at=end - timedelta(days=2),
                end_at=end + timedelta(days=5),
                name="Water main renewal",
                description="Right lane closed for water main works; expect delays at peak hours.",
                road_names=[data["name"] or "Unnamed road"],
                lanes_total=2,
                lanes_closed=[2],
            ),
        )
        created += 1
    scope = RowScope.everything()
    candidates = incident_service.open_incidents(session, scope) or incident_service.list_incidents(
        session, scope, limit=20
    )
    incident = next((i for i in candidates if not i.restricted), None)
    if incident is not None:
        nearest = min(
            (e for e in graph.edges(keys=True) if graph.edges[e]["name"]),
            key=lambda e: _distance2(graph.edges[e]["coordinates"][0], (incident.lon, incident.lat)),
            default=None,
        )
        road = [graph.edges[nearest]["name"]] if nearest is not None else []
        traffic_service.event_from_incident(
            session,
            actor,
            incident.id,
            AccidentFromIncident(
                kind="closure",
                description="Road closed for emergency services at an incident; follow police directions.",
                road_names=road,
            ),
        )
        created += 1
    return created


def _distance2(a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2
