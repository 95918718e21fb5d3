"""The hotspot API and page over HTTP, on the demo city and its simulated year of incidents."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from fastapi.testclient import TestClient
from sqlalchemy import select

from lantern.crime import hotspots
from lantern.models import Incident
from tests.factories.security import make_user, sign_in

END = "2026-01-01T00:00:00Z"


def _demo_frame(session, since: datetime, until: datetime, category: str | None = None) -> pl.DataFrame:
    query = select(Incident.h3_cell, Incident.lat, Incident.lon).where(
        Incident.occurred_from >= since, Incident.occurred_from < until, Incident.restricted.is_(False)
    )
    if category:
        query = query.where(Incident.category == category)
    rows = session.execute(query).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=["h3_cell", "lat", "lon"], orient="row")


def test_an_analyst_gets_the_hotspot_layer_with_counts_matching_the_records(app, session, settings):
    account = make_user(session, settings, "crime-analyst", ["analyst"])
    with TestClient(app) as client:
        sign_in(client, account, session)
        response = client.get("/api/crime/hotspots.geojson", params={"until": END, "days": 91})  # default res 10
        assert response.status_code == 200, response.text
        layer = response.json()
    meta = layer["meta"]
    expected = _demo_frame(session, datetime(2025, 10, 2, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    # every demo incident has an exact time, so its aoristic weight is 1
    assert meta["incidents"] == expected.height
    counts = hotspots.h3_counts(expected.drop("h3_cell"), 10)  # resolution 10, finer than the stored 9
    by_cell = {f["properties"]["cell"]: f["properties"]["count"] for f in layer["features"]}
    assert by_cell == dict(zip(counts["h3_cell"], counts["count"], strict=True))
    assert meta["hot_cells"] > 0
    hot = [f["properties"] for f in layer["features"] if f["properties"]["hot"]]
    assert all(p["z"] > 0 and p["p"] < 0.05 for p in hot)
    assert "recorded" in meta["limits"]
    ring = layer["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and 24 < ring[0][0] < 26 and 59 < ring[0][1] < 61  # Helsinki lon/lat


def test_changing_the_window_and_type_changes_the_layer(app, session, settings):
    account = make_user(session, settings, "crime-super", ["supervisor"])
    with TestClient(app) as client:
        sign_in(client, account, session)
        year = client.get("/api/crime/hotspots.geojson", params={"until": END, "days": 365}).json()["meta"]
        week = client.get("/api/crime/hotspots.geojson", params={"until": END, "days": 7}).json()["meta"]
        burglary = client.get(
            "/api/crime/hotspots.geojson", params={"until": END, "days": 365, "category": "burglary"}
        ).json()["meta"]
        png = client.get("/api/crime/hotspots.png", params={"until": END, "days": 365})
        grid = client.get(
            "/api/crime/hotspots.geojson",
            params={"until": END, "days": 365, "method": "grid", "cell_m": 250, "bandwidth_m": 200},
        ).json()
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert year["incidents"] > 10 * week["incidents"] > 0
    assert 0 < burglary["incidents"] < year["incidents"]
    assert grid["meta"]["incidents"] == year["incidents"]
    assert sum(f["properties"]["count"] for f in grid["features"]) == year["incidents"]
    assert any("bandwidth 200 m" in w for w in grid["meta"]["warnings"])


def test_bad_windows_are_refused_with_a_reason(app, session, settings):
    account = make_user(session, settings, "crime-analyst2", ["analyst"])
    with TestClient(app) as client:
        sign_in(client, account, session)
        backwards = client.get(
            "/api/crime/hotspots.geojson", params={"since": "2026-01-01T00:00:00Z", "until": "2025-01-01T00:00:00Z"}
        )
        assert backwards.status_code == 422 and "before it starts" in backwards.json()["message"]
        assert client.get("/api/crime/hotspots.geojson", params={"method": "kde"}).status_code == 422


def test_roles_without_crime_read_are_refused(app, session, settings):
    account = make_user(session, settings, "crime-dispatcher", ["dispatcher"])
    with TestClient(app) as client:
        sign_in(client, account, session)
        assert client.get("/api/crime/hotspots.geojson").status_code == 403
        assert client.get("/crime/hotspots", headers={"Accept": "text/html"}).status_code == 403


def test_the_hotspot_page_renders_its_filters(app, session, settings):
    account = make_user(session, settings, "crime-analyst3", ["analyst"])
    with TestClient(app) as client:
        sign_in(client, account, session)
        page = client.get("/crime/hotspots", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert 'id="hotspot-filters"' in page.text and "/static/crime_hotspots.js" in page.text
    assert "<script>" not in page.text  # CSP: no inline scripts
    assert 'value="burglary"' in page.text


def test_emerging_hotspots_classify_cells_over_the_window(app, session, settings):
    account = make_user(session, settings, "crime-analyst4", ["analyst"])
    with TestClient(app) as client:
        sign_in(client, account, session)
        layer = client.get("/api/crime/emerging.geojson", params={"until": END, "days": 364, "periods": 8}).json()
    meta = layer["meta"]
    assert meta["periods"] == 8 and meta["period_days"] == 45.5
    assert sum(meta["classes"].values()) > len(layer["features"]) > 0
    # the demo's hot spots are fixed places, so most hot cells persist over the year
    classes = {f["properties"]["class"] for f in layer["features"]}
    assert classes <= {"new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "historical"}
    assert meta["classes"].get("persistent", 0) + meta["classes"].get("intensifying", 0) > 0
