"""The dispatch API and pages over HTTP, and live events on a real server."""

from __future__ import annotations

import json
import threading
import time

import httpx
from fastapi.testclient import TestClient

from lantern.app import create_app
from lantern.city import service as city_service
from lantern.city.grid import build_grid_city
from lantern.db import transaction
from lantern.models import Station, Unit
from lantern.resources import service as resource_service
from tests.factories.security import bearer, make_user, sign_in
from tests.support.server import running_server


def test_a_dispatcher_takes_a_call_and_dispatches_through_the_api(app, session, settings):
    account = make_user(session, settings, "desk-api", ["dispatcher"])
    for unit in resource_service.list_units(session):
        unit.status = "available"
    with TestClient(app) as client:
        sign_in(client, account, session)
        check = client.get("/api/dispatch/check", params={"type_code": "BURG", "address": "Annankatu 25"}).json()
        assert check["location"]["text"] == "Annankatu 25" and check["priority"] == 2
        created = client.post(
            "/api/dispatch/calls",
            json={"type_code": "BURG", "address": "Annankatu 25", "caller_name": "A", "caller_phone": "+358401234567"},
        )
        assert created.status_code == 201, created.text
        incident_id = created.json()["incident"]["id"]
        recommended = client.get(f"/api/dispatch/incidents/{incident_id}/recommendations").json()
        assert len(recommended["recommendations"]) == 1
        unit_ids = [r["unit_id"] for r in recommended["recommendations"]]
        assert (
            client.post(f"/api/dispatch/incidents/{incident_id}/assign", json={"unit_ids": unit_ids}).status_code == 200
        )
        again = client.post(f"/api/dispatch/incidents/{incident_id}/assign", json={"unit_ids": unit_ids})
        assert again.status_code == 409 and "already dispatched" in again.json()["message"]
        illegal = client.post(f"/api/dispatch/units/{unit_ids[0]}/status", json={"status": "transporting"})
        assert illegal.status_code == 409 and "it can go to" in illegal.json()["message"]
        detail = client.get(f"/api/dispatch/incidents/{incident_id}").json()
        assert [e["kind"] for e in detail["timeline"]] == ["call_received", "units_dispatched"]
        assert detail["calls"][0]["has_caller"] is True and "+358" not in json.dumps(detail)


def test_a_call_without_a_location_is_a_clear_error(app, session, settings):
    account = make_user(session, settings, "desk-bad", ["dispatcher"])
    with TestClient(app) as client:
        sign_in(client, account, session)
        response = client.post("/api/dispatch/calls", json={"type_code": "BURG"})
        assert response.status_code == 422 and "exactly one location" in response.json()["message"]
        unknown = client.post("/api/dispatch/calls", json={"type_code": "XYZ", "address": "Annankatu 25"})
        assert unknown.status_code == 404 and "known codes" in unknown.json()["message"]


def test_desk_kpi_alert_and_officer_pages_render(app, session, settings):
    pages = {"dispatcher": ["/dispatch", "/kpi", "/alerts"], "officer": ["/officer"]}
    for role, paths in pages.items():
        account = make_user(session, settings, f"page-{role}", [role], district_id=1 if role == "officer" else None)
        with TestClient(app) as client:
            sign_in(client, account, session)
            for path in paths:
                response = client.get(path)
                assert response.status_code == 200, f"{role} {path}: {response.text[:300]}"


def test_terminals_report_positions_with_a_token(app, session):
    unit = resource_service.list_units(session)[0]
    with TestClient(app) as client:
        headers = bearer(session, ["unit:report_position"])
        response = client.post(
            f"/api/dispatch/units/{unit.id}/position", json={"lat": 60.171, "lon": 24.941}, headers=headers
        )
        assert response.status_code == 200 and response.json()["lat"] == 60.171
        assert (
            client.post(
                f"/api/dispatch/units/{unit.id}/status", json={"status": "en_route"}, headers=headers
            ).status_code
            == 403
        )


def test_live_events_reach_a_subscriber_within_a_second(fresh_runtime):
    with transaction(fresh_runtime.sessions) as session:
        city_service.import_city(session, build_grid_city(6, 6), h3_resolution=9)
        [station] = resource_service.create_stations(session, [Station(name="S", kind="police", lat=60.17, lon=24.94)])
        [unit] = resource_service.create_units(
            session,
            [Unit(callsign="P9", kind="patrol", station_id=station.id, status="available", lat=60.17, lon=24.94)],
        )
        headers = bearer(session, ["incident:read", "unit:report_position"])
    received: list[tuple[float, dict]] = []
    with running_server(create_app(runtime=fresh_runtime, scheduler=False)) as base:

        def listen() -> None:
            with httpx.stream("GET", f"{base}/api/live", headers=headers, timeout=10) as stream:
                event = None
                for line in stream.iter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "unit":
                        received.append((time.monotonic(), json.loads(line[6:])))
                        return

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        deadline = time.monotonic() + 5
        while fresh_runtime.broker.subscriber_count == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        sent = time.monotonic()
        response = httpx.post(
            f"{base}/api/dispatch/units/{unit.id}/position", json={"lat": 60.1712, "lon": 24.9411}, headers=headers
        )
        assert response.status_code == 200
        listener.join(timeout=5)
    assert received, "no live event arrived"
    arrived, data = received[0]
    assert data["callsign"] == "P9" and data["lat"] == 60.1712
    assert arrived - sent < 1.0
