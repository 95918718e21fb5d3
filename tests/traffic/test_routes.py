"""The traffic API and pages over HTTP: public feeds, operator endpoints, signal timing, detector import."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lantern.incidents import service as incident_service
from lantern.kit.scope import RowScope
from lantern.traffic import service as traffic_service
from lantern.traffic.feeds.validate import validate_cap, validate_geojson, validate_wzdx
from lantern.traffic.schemas import GeometryIn, RoadEventCreate
from tests.factories.security import bearer, csrf_from, make_user, principal_for, sign_in

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def standards(shared_dir: Path) -> Path:
    return shared_dir / "standards"


def closure(clock) -> RoadEventCreate:
    return RoadEventCreate(
        kind="closure",
        geometry=GeometryIn(type="Point", coordinates=[24.9384, 60.1699]),
        start_at=clock.now() - timedelta(minutes=30),
        name="Road closure",
        description="Bridge inspection, both directions closed",
        road_names=["Pohjoisesplanadi"],
        lanes_total=2,
    )


def test_the_public_feeds_need_no_sign_in_and_validate(app, session, clock, standards):
    event = traffic_service.create_event(session, principal_for("supervisor"), closure(clock))
    with TestClient(app) as client:
        wzdx = client.get("/api/traffic/feeds/wzdx.geojson")
        assert wzdx.status_code == 200 and wzdx.headers["content-type"] == "application/geo+json"
        assert validate_wzdx(wzdx.json(), standards / "wzdx" / "schemas") == []
        assert event.public_id in [f["id"] for f in wzdx.json()["features"]]
        atom = client.get("/api/traffic/feeds/cap.atom")
        assert atom.status_code == 200 and atom.headers["content-type"].startswith("application/atom+xml")
        links = [
            link.get("href")
            for link in ET.fromstring(atom.content).iter(f"{ATOM}link")
            if link.get("rel") == "alternate"
        ]
        assert any(event.public_id in href for href in links)
        for href in links:
            alert = client.get(href.replace("http://testserver", ""))
            assert alert.status_code == 200 and alert.headers["content-type"].startswith("application/cap+xml")
            assert validate_cap(alert.text, standards / "cap" / "CAP-v1.2-schema.xsd") == [], href
        events = client.get("/api/traffic/events.geojson").json()
        assert validate_geojson(events) == [] and event.public_id in [f["id"] for f in events["features"]]
        assert client.get("/api/traffic/feeds/cap/00000000-0000-0000-0000-000000000000.xml").status_code == 404


def test_operator_endpoints_refuse_the_public_and_roles_without_permission(app, session, settings, clock):
    analyst = make_user(session, settings, "traffic-analyst", ["analyst"])
    body = closure(clock).model_dump(mode="json")
    with TestClient(app) as client:
        assert client.get("/api/traffic/events").status_code == 401
        sign_in(client, analyst, session)
        refused = client.post("/api/traffic/events", json=body)
        assert refused.status_code == 403 and "traffic:manage" in refused.json()["message"]


def test_a_dispatcher_records_and_ends_an_event_and_creates_an_accident_from_an_incident(app, session, settings):
    dispatcher = make_user(session, settings, "traffic-desk", ["dispatcher"])
    incident = incident_service.list_incidents(session, RowScope.everything(), limit=5)[0]
    with TestClient(app) as client:
        sign_in(client, dispatcher, session)
        created = client.post(
            f"/api/traffic/incidents/{incident.id}/road-event",
            json={"description": "Crash, right lane blocked", "road_names": ["Hämeentie"], "lanes_total": 2,
                  "lanes_closed": [2]},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        event = created.json()
        assert (
            event["incident_id"] == incident.id
            and event["kind"] == "accident"
            and event["created_by"] == "traffic-desk"
        )
        listed = client.get("/api/traffic/events").json()
        assert event["id"] in [e["id"] for e in listed]
        ended = client.post(f"/api/traffic/events/{event['id']}/end")
        assert ended.status_code == 200 and ended.json()["end_at"] is not None and ended.json()["revision"] == 2
        again = client.post(f"/api/traffic/events/{event['id']}/end")
        assert again.status_code == 409 and "already ended" in again.json()["message"]
        timeline = client.get(f"/api/dispatch/incidents/{incident.id}").json()["timeline"]
        assert timeline[-1]["kind"] == "road_event"


def test_webster_api_textbook_and_oversaturated_cases(client, session):
    client.headers.update(bearer(session, ["traffic:read"]))
    textbook = {
        "phases": [
            {"name": "NS", "flow_veh_h": 500, "saturation_veh_h": 1600},
            {"name": "EW", "flow_veh_h": 300, "saturation_veh_h": 1600},
        ],
        "lost_time_s": 16,
    }
    plan = client.post("/api/traffic/signals/webster", json=textbook).json()
    assert (plan["status"], plan["total_flow_ratio"], plan["cycle_s"]) == ("ok", 0.5, 58.0)
    assert [p["green_s"] for p in plan["phases"]] == [26.25, 15.75]
    over = {**textbook, "phases": [{**p, "flow_veh_h": p["flow_veh_h"] * 2.2} for p in textbook["phases"]]}
    plan = client.post("/api/traffic/signals/webster", json=over).json()
    assert plan["status"] == "oversaturated" and plan["webster_cycle_s"] is None and plan["cycle_s"] == 150.0
    assert all(p["degree_of_saturation"] > 1 for p in plan["phases"])
    tight = {**textbook, "max_cycle_s": 40, "phases": [{**p, "min_green_s": 15} for p in textbook["phases"]]}
    refused = client.post("/api/traffic/signals/webster", json=tight)
    assert refused.status_code == 422 and "exceed the maximum cycle 40 s" in refused.json()["message"]


def test_signal_page_computes_from_the_form(client):
    page = client.get(
        "/traffic/signals",
        params=[("name", "NS"), ("flow", "500"), ("saturation", "1600"), ("min_green", ""),
                ("name", "EW"), ("flow", "300"), ("saturation", "1600"), ("min_green", ""), ("lost_time", "16")],
    )  # fmt: skip
    assert page.status_code == 200
    assert "Cycle 58.0 s" in page.text and "26.25" in page.text and 'data-status="ok"' in page.text
    bad = client.get("/traffic/signals", params=[("name", "NS"), ("flow", "lots"), ("saturation", "1600")])
    assert bad.status_code == 200 and 'id="webster-error"' in bad.text


def test_the_public_traffic_page_and_the_desk_page_render(app, session, settings, clock):
    traffic_service.create_event(session, principal_for("supervisor"), closure(clock))
    supervisor = make_user(session, settings, "traffic-sup", ["supervisor"])
    with TestClient(app) as client:
        page = client.get("/traffic")
        assert page.status_code == 200 and "Pohjoisesplanadi" in page.text and 'id="traffic-map"' in page.text
        assert "<script>" not in page.text  # the CSP forbids inline scripts
        sign_in(client, supervisor, session)
        desk = client.get("/traffic/events")
        assert desk.status_code == 200 and "Pohjoisesplanadi" in desk.text
        form = {
            "csrf_token": csrf_from(desk.text),
            "kind": "roadwork",
            "road_name": "Unioninkatu",
            "coordinates": "60.1700, 24.9500\n60.1712, 24.9503",
            "start": "2026-03-02T08:00",
            "end": "2026-03-09T17:00",
            "lanes_total": "2",
            "lanes_closed": "1",
            "description": "Pipe works",
        }
        created = client.post("/traffic/events", data=form, follow_redirects=False)
        assert created.status_code == 303
        event = next(e for e in traffic_service.list_events(session, principal_for("supervisor"), include_ended=True)
                     if e.road_names == ["Unioninkatu"])  # fmt: skip
        # 08:00 in Helsinki (UTC+2 in March) is 06:00 UTC.
        assert event.start_at.isoformat() == "2026-03-02T06:00:00+00:00" and event.geometry["type"] == "LineString"
        assert event.geometry["coordinates"][0] == [24.95, 60.17]
        bad = client.post("/traffic/events", data={**form, "coordinates": "60.17"})
        assert bad.status_code == 422 and "one `lat, lon` pair per line" in bad.text


def test_detector_import_through_a_profile_adds_nothing_the_second_time(app, session):
    readings = (
        "sensor_id,time,speed_kmh,flow_veh_h,occupancy\n"
        "A1,2026-03-02T06:00:00+02:00,82.5,1200,0.08\n"
        "A1,2026-03-02T06:05:00+02:00,41.0,1650,0.21\n"
        "B7,2026-03-02T06:00:00Z,0,0,0\n"  # a detector's "no data": dropped
        "B7,2026-03-02T06:05:00Z,64.0,900,0.05\n"
    )
    locations = "sensor_id,lat,lon,name,length_m\nA1,60.1699,24.9384,Mannerheimintie N,420\nB7,60.18,24.95,Hameentie,\n"
    headers = bearer(session, ["traffic:import"])
    files = {"readings": ("loops.csv", readings), "locations": ("where.csv", locations)}
    with TestClient(app) as client:
        first = client.post("/api/traffic/detectors/import", data={"profile": "lantern-detectors"}, files=files,
                            headers=headers)  # fmt: skip
        assert first.status_code == 200, first.text
        assert first.json() | {} == {
            "profile": "lantern-detectors",
            "source": "lantern",
            "detectors_added": 2,
            "readings_read": 3,
            "inserted": 3,
            "already_present": 0,
        }
        second = client.post("/api/traffic/detectors/import", data={"profile": "lantern-detectors"}, files=files,
                             headers=headers)  # fmt: skip
        again = second.json()
        assert (again["inserted"], again["already_present"], again["detectors_added"]) == (0, 3, 0)
        unknown = client.post("/api/traffic/detectors/import", data={"profile": "nope"}, files=files, headers=headers)
        assert (
            unknown.status_code == 422 and "built-in profiles: lantern-detectors, metr-la" in unknown.json()["message"]
        )
        path = client.post("/api/traffic/detectors/import", data={"profile": "../../etc/x.toml"}, files=files,
                           headers=headers)  # fmt: skip
        assert path.status_code == 422
    detectors = {d.code: d for d in traffic_service.list_detectors(session, principal_for("supervisor"))}
    assert detectors["A1"].length_m == 420 and detectors["A1"].district_id is not None
    history = TestClient(app).get(f"/api/traffic/segments/det:{detectors['A1'].id}/history").json()
    assert [h["mean_speed_kmh"] for h in history] == [61.8]  # (82.5 + 41.0) / 2, rounded to 0.1
