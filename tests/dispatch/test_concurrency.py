"""Two dispatchers assigning the same unit at the same moment: exactly one succeeds.

Real concurrency on a fresh database: two threads, each with its own connection and
transaction, released together by a barrier. PostgreSQL decides with a row lock (SELECT ...
FOR UPDATE), SQLite with its database write lock (BEGIN IMMEDIATE).
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from lantern.city import service as city_service
from lantern.city.grid import build_grid_city
from lantern.db import transaction
from lantern.dispatch import service as dispatch_service
from lantern.dispatch.schemas import CallCreate
from lantern.errors import Conflict
from lantern.models import Assignment, Station, Unit
from lantern.resources import service as resource_service
from tests.factories.security import principal_for


def test_only_one_of_two_simultaneous_assignments_wins(fresh_runtime):
    with transaction(fresh_runtime.sessions) as session:
        city_service.import_city(session, build_grid_city(8, 8), h3_resolution=9)
        address = city_service.list_addresses(session)[10]
        [station] = resource_service.create_stations(
            session, [Station(name="S", kind="police", lat=address.lat, lon=address.lon)]
        )
        [unit] = resource_service.create_units(
            session,
            [
                Unit(
                    callsign="P1",
                    kind="patrol",
                    station_id=station.id,
                    status="available",
                    lat=address.lat,
                    lon=address.lon,
                )
            ],
        )
        desk = principal_for("dispatcher", "setup")
        incidents = [
            dispatch_service.take_call(session, desk, CallCreate(type_code="THEFT", address_id=address.id)).incident.id
            for _ in range(2)
        ]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def dispatcher(number: int) -> None:
        desk = principal_for("dispatcher", f"desk-{number}")
        barrier.wait()
        try:
            with transaction(fresh_runtime.sessions) as session:
                dispatch_service.assign(session, desk, incidents[number], [unit.id], override_reason="nearest car")
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(f"conflict: {exc.message}")

    threads = [threading.Thread(target=dispatcher, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "ok"], outcomes
    assert "P1 is already dispatched" in next(o for o in outcomes if o.startswith("conflict"))
    with transaction(fresh_runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Assignment)) == 1
