"""Monitoring over HTTP: NDJSON intake with named errors, hotlist reads by token, the pages."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lantern.models import Position
from lantern.monitor import service as monitor_service
from tests.factories import monitor as f
from tests.factories.security import bearer, make_user, sign_in
from tests.factories.tracks import Leg, track


def _ndjson(rows: list[dict]) -> str:
    return "\n".join(json.dumps(r, default=str) for r in rows)


def test_positions_arrive_as_ndjson_and_a_bad_line_rejects_the_batch(app, session, clock):
    f.vehicle(session, "HG-1")
    fixes = track("HG-1", clock.now() - timedelta(minutes=10), [Leg(3, 100)], every_s=10, origin=f.HELSINKI)
    rows = [{**r, "time": r["time"].isoformat()} for r in fixes.to_dicts()]
    headers = {**bearer(session, ["monitor:ingest"]), "Content-Type": "application/x-ndjson"}
    with TestClient(app) as client:
        broken = [*rows[:5], {**rows[5], "lat": 123.4}, *rows[6:]]
        refused = client.post("/api/monitor/positions", content=_ndjson(broken), headers=headers)
        assert refused.status_code == 422
        assert refused.json()["message"].startswith("line 6: field `lat`"), refused.json()
        assert session.scalar(select(func.count()).select_from(Position)) == 0, "nothing half-written"
        accepted = client.post("/api/monitor/positions", content=_ndjson(rows), headers=headers)
        assert accepted.status_code == 202 and accepted.json() == {"accepted": len(rows)}
        no_scope = client.post(
            "/api/monitor/positions",
            content=_ndjson(rows),
            headers={**bearer(session, ["hotlist:report"]), "Content-Type": "application/x-ndjson"},
        )
        assert no_scope.status_code == 403
    monitor_service.process_pending(session)
    assert [v["speed_kmh"] for v in monitor_service.vehicle_statuses(session, f.SUPERVISOR)] == [0.0]


def test_reads_by_token_answer_only_matched_or_not(app, session, clock):
    f.reader(session, "CAM-1", "plate")
    f.entry(session, "SZD108")
    reads = [
        {"reader_id": "CAM-1", "time": clock.now().isoformat(), "candidates": [{"text": "QQQ111", "confidence": 0.9}]},
        {"reader_id": "CAM-1", "time": clock.now().isoformat(), "candidates": [{"text": "5ZD-1O8", "confidence": 0.9}]},
    ]
    with TestClient(app) as client:
        response = client.post("/api/hotlist/reads", json=reads, headers=bearer(session, ["hotlist:report"]))
        assert response.status_code == 200, response.text
        first, second = response.json()
        assert first == {"matched": False, "alert_id": None}
        assert second["matched"] is True and second["alert_id"] > 0
        unknown = client.post(
            "/api/hotlist/reads", json=[{**reads[0], "reader_id": "NOPE"}], headers=bearer(session, ["hotlist:report"])
        )
        assert unknown.status_code == 404 and "NOPE" in unknown.json()["message"]


def test_monitoring_pages_render_for_a_supervisor(app, session, settings, clock):
    f.vehicle(session, "HG-1")
    fixes = track(
        "HG-1", clock.now() - timedelta(hours=1), [Leg(5, 100), Leg(10, 0), Leg(5, 60)], every_s=15, origin=f.HELSINKI
    )
    monitor_service.ingest_positions(session, f.FEED, f.positions(fixes))
    monitor_service.process_pending(session)
    account = make_user(session, settings, "sup-pages", ["supervisor"])
    with TestClient(app) as client:
        sign_in(client, account, session)
        overview = client.get("/monitor")
        assert overview.status_code == 200 and "P-HG-1" in overview.text and "Overspeed: P-HG-1" in overview.text
        day = client.get("/monitor/vehicles/HG-1", params={"day": fixes["time"][0].date().isoformat()})
        assert day.status_code == 200 and "<polyline" in day.text and "stopped" in day.text
        assert client.get("/monitor/geofences").status_code == 200
        assert client.get("/monitor/hotlist").status_code == 200
        added = client.post(
            "/monitor/hotlist", data={"kind": "plate", "value": "ABC123", "case_ref": "", "expires": "2099-01-01"}
        )
        assert added.status_code in (200, 422) and "ABC123" not in client.get("/api/hotlist/entries").text
