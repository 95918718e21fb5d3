"""The live demo scenario: calls arrive, units drive along the roads, work, clear and return.

Runs as a scheduler job inside ``lantern serve`` when ``LANTERN_DEMO_LIVE`` is set (``lantern
demo`` sets it). Calls arrive as a Poisson process whose hourly rate follows the simulator's
daily cycle; a call nobody dispatches within ``AUTO_DISPATCH_AFTER`` is dispatched by the
simulated desk using the same recommendation a dispatcher sees. Units drive their route at edge
speeds (positions every second), stay on scene for a lognormal service time, clear and drive
back to their station. Everything goes through the same services as human work, so it is
audited, timed and pushed to the live map like real operations.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from lantern.city import service as city_service
from lantern.dispatch import service as dispatch_service
from lantern.dispatch.schemas import CallCreate
from lantern.errors import DomainError
from lantern.incidents import service as incident_service
from lantern.kit.scope import RowScope
from lantern.resources import service as resource_service
from lantern.security import context
from lantern.security.policy import Principal
from lantern.sim.history import DIURNAL

CALLS_PER_HOUR = 40.0  # busier than the history, so that the demo map is never still
AUTO_DISPATCH_AFTER = timedelta(seconds=40)
SERVICE_MINUTES = (4.0, 0.5)  # lognormal median and sigma of time on scene (shortened for the demo)
TYPE_WEIGHTS = {
    "THEFT": 5,
    "DIST": 4,
    "NOISE": 3,
    "BURG": 2,
    "VAND": 2,
    "SUSP": 2,
    "MVCP": 2,
    "ASSLT": 1,
    "ALARM": 2,
    "WELF": 1,
    "ROBB": 0.5,
    "MVC": 0.5,
}
DESK = Principal.system("sim-desk")
CREW = Principal.system("sim-crew")


@dataclass
class Trip:
    points: list[tuple[float, float]]
    times: list[float]  # seconds from the start of the trip to each point
    started: datetime
    purpose: str  # "to_incident" | "to_station"


@dataclass
class LiveScenario:
    """State of the scenario in this process (rebuilt from the database after a restart)."""

    seed: int = 7
    trips: dict[int, Trip] = field(default_factory=dict)
    service_until: dict[int, datetime] = field(default_factory=dict)
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def tick(self, session: Session, seconds: float) -> dict[str, int]:
        """Advance the world by ``seconds`` of wall time."""
        now = context.now(session)
        counts = {"calls": self._calls(session, seconds), "dispatched": self._auto_dispatch(session, now)}
        counts["moved"] = self._move(session, now)
        return counts

    def _calls(self, session: Session, seconds: float) -> int:
        hour = context.now(session).hour
        profile = DIURNAL["evening"]
        rate = CALLS_PER_HOUR * profile[hour] / profile.mean() / 3600.0
        made = 0
        addresses = city_service.geocoder(session).entries
        for _ in range(np.random.default_rng(self.rng.randrange(2**32)).poisson(rate * seconds)):
            address = self.rng.choice(addresses)
            code = self.rng.choices(list(TYPE_WEIGHTS), weights=list(TYPE_WEIGHTS.values()))[0]
            try:
                dispatch_service.take_call(
                    session, DESK, CallCreate(type_code=code, address_id=address.id, narrative="simulated call")
                )
                made += 1
            except DomainError:
                continue  # e.g. the code table of this deployment has no such type
        return made

    def _auto_dispatch(self, session: Session, now: datetime) -> int:
        sent = 0
        for incident in incident_service.open_incidents(session, RowScope.everything()):
            if (
                dispatch_service.assignments_of(session, incident.id)
                or now - incident.occurred_from < AUTO_DISPATCH_AFTER
            ):
                continue
            result = dispatch_service.recommend(session, DESK, incident.id)
            if result.recommendations:
                dispatch_service.assign(session, DESK, incident.id, [r.unit_id for r in result.recommendations])
                sent += 1
        return sent

    def _move(self, session: Session, now: datetime) -> int:
        moved = 0
        stations = {s.id: s for s in resource_service.list_stations(session)}
        for unit in resource_service.list_units(session):
            if unit.lat is None or unit.lon is None:
                continue
            if unit.status == "dispatched" and unit.incident_id is not None:
                incident = incident_service.get_or_raise(session, RowScope.everything(), unit.incident_id)
                self.trips[unit.id] = self._plan(
                    session, (unit.lat, unit.lon), (incident.lat, incident.lon), now, "to_incident"
                )
                dispatch_service.set_unit_status(session, CREW, unit.id, "en_route")
            elif unit.status == "on_scene" and now >= self.service_until.get(unit.id, now):
                incident_id = unit.incident_id
                dispatch_service.set_unit_status(session, CREW, unit.id, "cleared", "handled (simulated)")
                self.service_until.pop(unit.id, None)
                station = stations.get(unit.station_id)
                if station is not None:
                    self.trips[unit.id] = self._plan(
                        session, (unit.lat, unit.lon), (station.lat, station.lon), now, "to_station"
                    )
                if incident_id is not None and not any(
                    a.cleared_at is None for a in dispatch_service.assignments_of(session, incident_id)
                ):
                    dispatch_service.close_incident(session, DESK, incident_id, "handled (simulated)")
            trip = self.trips.get(unit.id)
            if trip is None:
                continue
            lat, lon, done = _position(trip, (now - trip.started).total_seconds())
            dispatch_service.report_position(session, unit.id, lat, lon)
            moved += 1
            if done:
                del self.trips[unit.id]
                if trip.purpose == "to_incident" and unit.status == "en_route":
                    dispatch_service.set_unit_status(session, CREW, unit.id, "on_scene")
                    median, sigma = SERVICE_MINUTES
                    self.service_until[unit.id] = now + timedelta(
                        minutes=self.rng.lognormvariate(np.log(median), sigma)
                    )
        return moved

    def _plan(
        self, session: Session, start: tuple[float, float], end: tuple[float, float], now: datetime, purpose: str
    ) -> Trip:
        graph = dispatch_service.routing_graph(session)
        snaps = graph.snap(np.array([start[0], end[0]]), np.array([start[1], end[1]]))
        nodes = graph.path_nodes(snaps[0], snaps[1])
        points = [start] + [(float(graph.lats[n]), float(graph.lons[n])) for n in nodes] + [end]
        times = [0.0]
        for (a, b), (c, d) in itertools.pairwise(points):
            metres = float(np.hypot((c - a) * 111_320, (d - b) * 111_320 * np.cos(np.radians(a))))
            times.append(times[-1] + metres / (30 / 3.6))  # 30 km/h in the centre, lights included
        return Trip(points, times, now, purpose)


def _position(trip: Trip, elapsed: float) -> tuple[float, float, bool]:
    """Where along the trip a unit is after ``elapsed`` seconds, and whether it has arrived."""
    if elapsed >= trip.times[-1]:
        lat, lon = trip.points[-1]
        return lat, lon, True
    index = int(np.searchsorted(trip.times, elapsed, side="right")) - 1
    span = trip.times[index + 1] - trip.times[index]
    share = 0.0 if span <= 0 else (elapsed - trip.times[index]) / span
    (a, b), (c, d) = trip.points[index], trip.points[index + 1]
    return a + (c - a) * share, b + (d - b) * share, False
