"""The drone and crowd demo: geozones, a police drone mission, a hobby flight that strays into a
geozone, and a square filling up for an event. Everything goes through the same services and
input logs as real feeds, so the conformance and density streams judge it like real data."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from lantern.city import service as city_service
from lantern.crowd import service as crowd_service
from lantern.crowd.schemas import ZoneIn
from lantern.drones import service as drone_service
from lantern.drones.schemas import DeclarationIn, GeozoneIn, TelemetryIn
from lantern.errors import DomainError
from lantern.incidents import service as incident_service
from lantern.kit.scope import RowScope
from lantern.security import context
from lantern.security.policy import Principal

OPERATOR = Principal.system("sim-airspace")
M_LAT = 1 / 111_195.0
SQUARE_M2 = 5_000.0
CYCLE_MIN = 40  # the square fills from 0.3 to 5.5 persons/m² and empties again, every 40 minutes


def _centre(session: Session) -> tuple[float, float]:
    city = city_service.get_or_raise(session)
    return (city.min_lat + city.max_lat) / 2, (city.min_lon + city.max_lon) / 2


def _box(lat: float, lon: float, north_m: float, east_m: float, half_m: float) -> dict[str, object]:
    m_lon = M_LAT / math.cos(math.radians(lat))
    c_lat, c_lon = lat + north_m * M_LAT, lon + east_m * m_lon
    d_lat, d_lon = half_m * M_LAT, half_m * m_lon
    ring = [
        [c_lon - d_lon, c_lat - d_lat],
        [c_lon + d_lon, c_lat - d_lat],
        [c_lon + d_lon, c_lat + d_lat],
        [c_lon - d_lon, c_lat + d_lat],
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def setup(session: Session) -> list[str]:
    """Geozones and the crowd zone (idempotent)."""
    if drone_service.list_geozones(session, OPERATOR):
        return []
    lat, lon = _centre(session)
    drone_service.save_geozone(
        session,
        OPERATOR,
        GeozoneIn(
            id="heliport",
            name="Hospital heliport",
            kind="hospital",
            restriction="prohibited",
            geometry=_box(lat, lon, 900, 1200, 250),
            lower_m=0,
            upper_m=150,
        ),
    )
    drone_service.save_geozone(
        session,
        OPERATOR,
        GeozoneIn(
            id="prison",
            name="Prison",
            kind="prison",
            restriction="authorisation",
            geometry=_box(lat, lon, -900, -1200, 200),
            lower_m=0,
            upper_m=120,
        ),
    )
    crowd_service.save_zone(
        session, OPERATOR, ZoneIn(id="square", name="Senate Square", area_m2=SQUARE_M2, lat=lat, lon=lon)
    )
    return ["drones and crowds: 2 geozones, a crowd zone (flights and counts start with the live demo)"]


@dataclass
class AirspaceScenario:
    """The live part: declarations for the next hours, telemetry at 1 Hz, counts every 30 s."""

    started: datetime | None = None
    flights: dict[str, str] = field(default_factory=dict)  # role -> declaration id
    last_count: datetime | None = None

    def tick(self, session: Session) -> dict[str, int]:
        now = context.now(session)
        self.started = self.started or now
        lat, lon = _centre(session)
        current = [drone_service.get_declaration_or_raise(session, i) for i in self.flights.values()]
        if not current or any(d.state != "approved" or d.ends_at <= now + timedelta(minutes=5) for d in current):
            self._declare(session, now, lat, lon)
        if not self.flights:
            return {"telemetry": 0, "counts": 0}
        points = []
        t = (now - self.started).total_seconds()
        m_lon = M_LAT / math.cos(math.radians(lat))
        angle = t / 60 * 2 * math.pi / 3  # the police drone circles 150 m around the centre every 3 min
        points.append(
            TelemetryIn(
                declaration_id=self.flights["police"],
                time=now,
                lat=lat + 150 * math.sin(angle) * M_LAT,
                lon=lon + 150 * math.cos(angle) * m_lon,
                alt_m=60,
            )
        )
        phase = (t % 240) / 240  # the hobby flight drifts east for two minutes, into the heliport, and back
        east = 700 + 700 * math.sin(phase * math.pi)
        points.append(
            TelemetryIn(
                declaration_id=self.flights["hobby"], time=now, lat=lat + 900 * M_LAT, lon=lon + east * m_lon, alt_m=80
            )
        )
        drone_service.ingest_telemetry(session, OPERATOR, points)
        counted = 0
        if self.last_count is None or (now - self.last_count).total_seconds() >= 30:
            minutes = (now - self.started).total_seconds() / 60 % CYCLE_MIN
            density = 0.3 + 5.2 * min(1.0, minutes / (CYCLE_MIN * 0.75))
            crowd_service.record_counts(
                session,
                OPERATOR,
                [{"zone_id": "square", "time": now.isoformat(), "count": int(density * SQUARE_M2), "source": "demo"}],
            )
            self.last_count, counted = now, 1
        return {"telemetry": len(points), "counts": counted}

    def _declare(self, session: Session, now: datetime, lat: float, lon: float) -> None:
        drone_service.cancel_own_active(session, OPERATOR)  # the demo's earlier flights (and a restart's)
        self.flights = {}
        open_incidents = incident_service.open_incidents(session, RowScope.everything())
        incident = open_incidents[0].id if open_incidents else None
        start, end = now - timedelta(minutes=1), now + timedelta(hours=3)
        try:
            police = drone_service.file_declaration(
                session,
                OPERATOR,
                DeclarationIn(
                    operator="Police drone unit",
                    aircraft="POL-UAS-03",
                    purpose="overwatch of the square",
                    police=True,
                    incident_id=incident,
                    geometry=_box(lat, lon, 0, 0, 300),
                    floor_m=20,
                    ceiling_m=100,
                    starts_at=start,
                    ends_at=end,
                ),
            )
            hobby = drone_service.file_declaration(
                session,
                OPERATOR,
                DeclarationIn(
                    operator="FIN-OP-88231",
                    aircraft="DJI-MINI-4",
                    purpose="aerial photography",
                    geometry=_box(lat, lon, 900, 600, 180),
                    floor_m=0,
                    ceiling_m=100,
                    starts_at=start,
                    ends_at=end,
                ),
            )
        except DomainError:
            return
        if police.state == hobby.state == "approved":
            self.flights = {"police": police.id, "hobby": hobby.id}
