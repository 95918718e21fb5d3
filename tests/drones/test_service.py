"""Declarations, telemetry and counts through the services and the shared engine runner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lantern.config import Settings
from lantern.crowd import service as crowd_service
from lantern.crowd.schemas import ZoneIn
from lantern.drones import service as drone_service
from lantern.drones.schemas import DeclarationIn, GeozoneIn, TelemetryIn
from lantern.errors import ValidationFailed
from lantern.models import Alert, CrowdCount, EngineCheckpoint
from lantern.security.policy import Principal
from tests.factories.security import bearer, principal_for

SUPERVISOR = principal_for("supervisor", "sup-drones")
FEED = Principal(kind="token", name="feed", permissions=frozenset({"drones:telemetry", "crowd:report"}))
LAT, LON = 60.1699, 24.9384
M = 1 / 111_195.0


def box(north_m: float, east_m: float, half_m: float) -> dict:
    k = M / 0.4975  # cos(60.17°)
    la, lo = LAT + north_m * M, LON + east_m * k
    ring = [
        [lo - half_m * k, la - half_m * M],
        [lo + half_m * k, la - half_m * M],
        [lo + half_m * k, la + half_m * M],
        [lo - half_m * k, la + half_m * M],
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


@pytest.fixture
def live(session, tmp_path):
    session.info["settings"] = Settings(
        env="test", data_dir=tmp_path, city_timezone="Europe/Helsinki", monitor_clock="event"
    )
    drone_service.save_geozone(
        session, SUPERVISOR, GeozoneIn(id="heliport", name="Heliport", geometry=box(1000, 0, 200), upper_m=150)
    )
    return session


def declare(session, clock, north_m: float, **changes) -> object:
    fields = {
        "operator": "FIN-OP-1",
        "aircraft": "DJI-1",
        "purpose": "survey",
        "geometry": box(north_m, 0, 150),
        "floor_m": 0,
        "ceiling_m": 100,
        "starts_at": clock.now(),
        "ends_at": clock.now() + timedelta(hours=1),
    }
    return drone_service.file_declaration(session, SUPERVISOR, DeclarationIn(**{**fields, **changes}))


def test_declarations_are_approved_or_rejected_with_the_reason(live, clock):
    clear = declare(live, clock, 0)
    assert clear.state == "approved" and clear.reason == ""
    blocked = declare(live, clock, 950)
    assert blocked.state == "rejected" and "crosses geozone Heliport" in blocked.reason
    overlapping = declare(live, clock, 100)
    assert overlapping.state == "rejected" and f"overlaps approved flight {clear.id}" in overlapping.reason
    later = declare(
        live, clock, 100, starts_at=clock.now() + timedelta(hours=2), ends_at=clock.now() + timedelta(hours=3)
    )
    assert later.state == "approved"
    with pytest.raises(ValidationFailed, match="floor 100 m must be below ceiling 50 m"):
        declare(live, clock, 0, floor_m=100, ceiling_m=50)


def test_telemetry_outside_the_volume_becomes_alerts_once(live, clock):
    flight = declare(live, clock, 0)
    points = [
        TelemetryIn(
            declaration_id=flight.id,
            time=clock.now() + timedelta(seconds=s),
            lat=LAT,
            lon=LON,
            alt_m=60 if s < 5 else 130,
        )
        for s in range(0, 80)
    ]
    assert drone_service.ingest_telemetry(live, FEED, points) == 80
    run = drone_service.process_pending(live)
    assert run.positions == 80
    kinds = [a.kind for a in live.scalars(select(Alert).where(Alert.source == "drones").order_by(Alert.id))]
    assert kinds == ["drone_outside_volume", "drone_nonconformance"]
    assert drone_service.process_pending(live).alerts == 0
    assert live.get(EngineCheckpoint, "drones").position_id == run.last_position_id


def test_telemetry_for_a_rejected_declaration_is_refused(live, clock):
    blocked = declare(live, clock, 950)
    with pytest.raises(ValidationFailed, match=blocked.id):
        drone_service.ingest_telemetry(
            live, FEED, [TelemetryIn(declaration_id=blocked.id, time=clock.now(), lat=LAT, lon=LON, alt_m=10)]
        )


def test_counts_fill_a_zone_and_identities_are_refused_over_http(app, live, clock):
    crowd_service.save_zone(live, SUPERVISOR, ZoneIn(id="square", name="Square", area_m2=1000, lat=LAT, lon=LON))
    records = [
        {"zone_id": "square", "time": (clock.now() + timedelta(minutes=m)).isoformat(), "count": 1500 + 400 * m}
        for m in range(10)
    ]
    with TestClient(app) as client:
        headers = bearer(live, ["crowd:report"])
        refused = client.post(
            "/api/crowd/counts", json=[{**records[0], "faces": [{"box": [1, 2, 3, 4]}]}], headers=headers
        )
        assert refused.status_code == 422 and "`faces` is not accepted" in refused.json()["message"]
        assert live.scalar(select(func.count()).select_from(CrowdCount)) == 0
        assert client.post("/api/crowd/counts", json=records, headers=headers).status_code == 202
    crowd_service.process_pending(live)
    kinds = [a.kind for a in live.scalars(select(Alert).where(Alert.source == "crowd").order_by(Alert.id))]
    assert kinds == ["crowd_watch", "crowd_rising", "crowd_warning", "crowd_critical"]
    [view] = crowd_service.zone_statuses(live, SUPERVISOR, hours=1)
    assert view["level"] == "critical" and view["density"] == pytest.approx(5.1)
