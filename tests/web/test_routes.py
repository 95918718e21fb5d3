"""The web shell and JSON endpoints through a real app over the test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.security import make_user, sign_in
from tests.support.app import app_for


@pytest.fixture
def client(session: Session, settings, engine, clock) -> Iterator[TestClient]:
    """A dispatcher signed in through the real sign-in pages."""
    account = make_user(session, settings, "disp", ["dispatcher"])
    with TestClient(app_for(session, settings, engine, clock)) as client:
        sign_in(client, account, session)
        yield client


def test_health_reports_the_database_and_schema(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["revision"]


def test_overview_and_map_pages_render(client):
    home = client.get("/")
    assert home.status_code == 200
    assert "Test City" in home.text and "OpenStreetMap contributors" in home.text
    page = client.get("/map")
    assert 'id="map"' in page.text
    assert "/static/vendor/maplibre-gl-5.24.1/maplibre-gl-csp.js" in page.text
    assert "cdn" not in page.text.lower()


def test_vendored_assets_are_served_locally(client):
    assert client.get("/static/vendor/maplibre-gl-5.24.1/maplibre-gl-csp-worker.js").status_code == 200
    assert client.get("/static/vendor/htmx-2.0.11/htmx.min.js").status_code == 200
    assert client.get("/static/js/map.js").status_code == 200


def test_geojson_layers(client):
    districts = client.get("/api/city/districts.geojson").json()
    assert len(districts["features"]) == 4
    incidents = client.get("/api/incidents.geojson", params={"days": 30}).json()
    assert incidents["features"]
    times = sorted(f["properties"]["occurred_from"] for f in incidents["features"])
    assert times[0] >= times[-1][:4]  # ISO strings, same year prefix or later


def test_incident_filters_and_paging(client):
    page = client.get("/api/incidents", params={"category": "burglary", "limit": 5}).json()
    assert page["total"] > 100 and len(page["items"]) == 5
    assert {i["category"] for i in page["items"]} == {"burglary"}
    one = client.get(f"/api/incidents/{page['items'][0]['id']}")
    assert one.status_code == 200


def test_a_naive_time_filter_is_refused_with_advice(client):
    response = client.get("/api/incidents", params={"since": "2025-01-01T00:00:00"})
    assert response.status_code == 422
    assert "aware time" in response.json()["message"]


def test_a_bad_query_value_names_the_parameter(client):
    response = client.get("/api/incidents", params={"limit": 0})
    assert response.status_code == 422
    assert "query.limit" in response.json()["message"]


def test_geocode_endpoint_and_candidates_on_failure(client):
    ok = client.get("/api/geocode", params={"q": "Annankatu 25"})
    assert ok.status_code == 200 and ok.json()["address"]["text"] == "Annankatu 25"
    missing = client.get("/api/geocode", params={"q": "Annankatu 999"})
    assert missing.status_code == 404
    assert missing.json()["details"]["candidates"]


def test_reverse_geocode_endpoint(client):
    body = client.get("/api/geocode/reverse", params={"lat": 60.17, "lon": 24.94}).json()
    assert body["district"]["code"].startswith("D")
    assert body["distance_m"] < 200


def test_unknown_incident_is_404(client):
    response = client.get("/api/incidents/999999999")
    assert response.status_code == 404
    assert "does not exist" in response.json()["message"]


def test_request_id_is_echoed_or_made(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers["x-request-id"]
    assert made != "bad id with spaces" and len(made) == 32


def test_openapi_docs_are_published(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/geocode" in spec["paths"]
