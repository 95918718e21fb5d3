"""Building the demo city's resources and history into the database."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

from lantern.city import service as city_service
from lantern.errors import Conflict
from lantern.incidents import service as incident_service
from lantern.models import Station, Unit
from lantern.resources import service as resource_service
from lantern.sim import repository
from lantern.sim.history import HistoryParams, generate_history

SIM_SOURCE = "sim"
UNIT_KINDS = (("patrol", 3), ("motorcycle", 1))


@dataclass(frozen=True)
class DemoSummary:
    stations: int
    units: int
    incidents: int


def has_history(session: Session) -> bool:
    """True when simulated history is already stored."""
    return repository.truth_count(session) > 0


def build_demo(session: Session, params: HistoryParams, h3_resolution: int) -> DemoSummary:
    """Stations (one per district), units, and a year of incidents with ground truth."""
    if has_history(session):
        raise Conflict("the demo history already exists; reset the database to build it again")
    stations = _stations(session)
    units = _units(session, stations)
    places = city_service.geocoder(session).entries
    lats = np.array([p.lat for p in places])
    lons = np.array([p.lon for p in places])
    history = generate_history(lats, lons, params)
    located = city_service.district_index(session).locate(history["lat"].to_numpy(), history["lon"].to_numpy())
    frame = history.with_columns(pl.Series("district_id", located).replace(-1, None))
    incident_service.store_frame(
        session,
        frame.drop("process", "hotspot", "parent_key"),
        source=SIM_SOURCE,
        h3_resolution=h3_resolution,
    )
    ids = incident_service.ids_for_keys(session, SIM_SOURCE, history["natural_key"].to_list())
    truth = [
        {
            "incident_id": ids[row["natural_key"]],
            "process": row["process"],
            "hotspot": row["hotspot"],
            "parent_incident_id": ids.get(row["parent_key"]) if row["parent_key"] else None,
        }
        for row in history.select("natural_key", "process", "hotspot", "parent_key").iter_rows(named=True)
    ]
    repository.add_truth(session, truth)
    return DemoSummary(stations=len(stations), units=len(units), incidents=len(ids))


def _stations(session: Session) -> list[Station]:
    geocoder = city_service.geocoder(session)
    stations = []
    for district in city_service.list_districts(session):
        nearest = geocoder.reverse(district.centroid_lat, district.centroid_lon).address
        stations.append(
            Station(
                name=f"{district.name} police station",
                kind="police",
                lat=nearest.lat,
                lon=nearest.lon,
                district_id=district.id,
            )
        )
    return resource_service.create_stations(session, stations)


def _units(session: Session, stations: list[Station]) -> list[Unit]:
    units = []
    for number, station in enumerate(stations, start=1):
        serial = 1
        for kind, count in UNIT_KINDS:
            for _ in range(count):
                prefix = "P" if kind == "patrol" else "M"
                units.append(
                    Unit(
                        callsign=f"{prefix}{number}{serial:02d}",
                        kind=kind,
                        station_id=station.id,
                        status="available",
                        lat=station.lat,
                        lon=station.lon,
                    )
                )
                serial += 1
    return resource_service.create_units(session, units)
