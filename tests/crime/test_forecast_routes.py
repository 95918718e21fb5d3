"""The forecast API and page over HTTP, on the demo city and its simulated year of incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point, shape
from sqlalchemy import func, select

from lantern.crime.forecast import service as forecast_service
from lantern.models import Incident
from tests.factories.security import make_user, sign_in

URL = "/api/crime/forecast.geojson"
# The demo year ends 2026-01-01; forecast the week from Monday 1 December 2025 (Helsinki
# midnight = 22:00 UTC the day before) and score it against the incidents recorded in it.
AS_OF = "2025-11-30T20:00:00Z"
WEEK_FROM = datetime(2025, 11, 30, 22, tzinfo=UTC)


@pytest.fixture
def analyst_client(app, session, settings):
    forecast_service.CACHE.clear()  # each test sees its own computations
    account = make_user(session, settings, "forecast-analyst", ["analyst"])
    with TestClient(app) as client:
        sign_in(client, account, session)
        yield client


def _incidents_between(session, since: datetime, until: datetime, categories) -> list[tuple[float, float]]:
    rows = session.execute(
        select(Incident.lon, Incident.lat).where(
            Incident.occurred_from >= since,
            Incident.occurred_from < until,
            Incident.category.in_(categories),
            Incident.restricted.is_(False),
        )
    ).all()
    return [(lon, lat) for lon, lat in rows]


def test_next_weeks_hot_cells_capture_far_more_than_their_share_of_that_weeks_incidents(analyst_client, session):
    response = analyst_client.get(URL, params={"until": AS_OF, "period": "week", "method": "ours", "coverage": 5})
    assert response.status_code == 200, response.text
    layer = response.json()
    meta = layer["meta"]
    assert meta["forecast_from"] == WEEK_FROM.isoformat()  # Monday, midnight in Helsinki
    assert meta["forecast_to"] == (WEEK_FROM + timedelta(days=7)).isoformat()
    assert meta["data"]["history_to"] == meta["forecast_from"]
    assert meta["data"]["last_incident"] < meta["forecast_from"]  # nothing of the forecast week was seen
    assert meta["categories"] == list(forecast_service.VICTIM_REPORTED) and meta["types"].startswith("victim")
    cells = meta["study_area_cells"]
    assert len(layer["features"]) == meta["selected_cells"]
    untied = [f for f in layer["features"] if not f["properties"]["tied"]]
    assert len(untied) <= round(0.05 * cells) <= len(layer["features"])
    assert [f["properties"]["rank"] for f in layer["features"]] == list(range(1, len(layer["features"]) + 1))

    # the forecast, scored by hand against the week it forecast (the API never saw that week)
    week = _incidents_between(session, WEEK_FROM, WEEK_FROM + timedelta(days=7), forecast_service.VICTIM_REPORTED)
    polygons = [shape(f["geometry"]) for f in layer["features"]]
    hits = sum(any(p.contains(Point(lon, lat)) for p in polygons) for lon, lat in week)
    area_share = len(layer["features"]) / cells
    assert len(week) > 20 and hits / len(week) > 2 * area_share  # PAI above 2 in a week it never saw

    backtest = meta["backtest"]
    assert backtest["coverage"] == 0.05 and backtest["origins"] == 13  # the latest quarter of weeks
    assert 0 < backtest["hit_rate"] < 1
    assert backtest["pai"] == pytest.approx(backtest["hit_rate"] / 0.05, rel=1e-3)
    low, high = backtest["hit_rate_ci95"]
    assert low < backtest["hit_rate"] < high
    assert [row["coverage"] for row in backtest["by_coverage"]] == [0.01, 0.05, 0.1]
    # a larger share of the area catches a larger share of the incidents
    hit_rates = [row["hit_rate"] for row in backtest["by_coverage"]]
    assert hit_rates == sorted(hit_rates)
    params = meta["parameters"]
    assert params["backtest"]["origins"] == 13 and params["backtest"]["last_origin"] < meta["forecast_from"]
    assert "gradient boosting (ours)" in params["backtest"]["methods"]
    assert (
        params["live_fit"]["method"]["loss"] == "poisson" and params["live_fit"]["periods"] == meta["data"]["periods"]
    )
    assert "victim-reported" in meta["limits"]


def test_switching_method_changes_the_cells_and_the_figures_and_repeats_come_from_the_cache(analyst_client):
    base = {"until": AS_OF, "period": "day"}
    ours = analyst_client.get(URL, params={**base, "method": "ours"}).json()
    naive = analyst_client.get(URL, params={**base, "method": "naive"}).json()
    assert ours["meta"]["cached"] is False and naive["meta"]["cached"] is False
    assert naive["meta"]["method_name"] == "naive (last period)"
    assert naive["meta"]["backtest"]["hit_rate"] != ours["meta"]["backtest"]["hit_rate"]
    assert {f["properties"]["cell"] for f in naive["features"]} != {f["properties"]["cell"] for f in ours["features"]}
    assert naive["meta"]["parameters"]["backtest"]["methods"].keys() == {"naive (last period)"}

    again = analyst_client.get(URL, params={**base, "method": "ours"}).json()
    assert again["meta"]["cached"] is True and again["features"] == ours["features"]
    wider = analyst_client.get(URL, params={**base, "method": "ours", "coverage": 10}).json()
    assert wider["meta"]["cached"] is True  # the coverage is chosen from the cached scores
    assert wider["meta"]["selected_cells"] > ours["meta"]["selected_cells"]
    assert wider["meta"]["backtest"]["hit_rate"] > ours["meta"]["backtest"]["hit_rate"]


def test_a_new_incident_is_never_answered_from_a_stale_cache(analyst_client, session):
    params = {"until": AS_OF, "period": "week", "method": "kde"}
    first = analyst_client.get(URL, params=params).json()["meta"]
    session.add(
        Incident(
            source="test",
            natural_key="forecast-cache-1",
            category="burglary",
            occurred_from=WEEK_FROM - timedelta(days=2),
            occurred_to=WEEK_FROM - timedelta(days=2),
            time_precision="minute",
            lat=60.17,
            lon=24.944,
            h3_cell="891126d3203ffff",
            recorded_at=WEEK_FROM,
        )
    )
    session.flush()
    second = analyst_client.get(URL, params=params).json()["meta"]
    assert second["cached"] is False
    assert second["data"]["incidents"] == first["data"]["incidents"] + 1


def test_victim_reported_types_by_default_and_a_warning_for_any_other(analyst_client, session):
    default = analyst_client.get(URL, params={"until": AS_OF, "method": "naive"}).json()["meta"]
    since = datetime.fromisoformat(default["data"]["history_from"])
    counted = session.scalar(
        select(func.count()).where(
            Incident.occurred_from >= since,
            Incident.occurred_from < WEEK_FROM,
            Incident.category.in_(forecast_service.VICTIM_REPORTED),
            Incident.restricted.is_(False),
        )
    )
    assert default["data"]["incidents"] == counted and default["warnings"] == []
    disorder = analyst_client.get(URL, params={"until": AS_OF, "method": "naive", "category": "disorder"}).json()
    assert disorder["meta"]["categories"] == ["disorder"]
    assert any("not a victim-reported category" in w for w in disorder["meta"]["warnings"])
    everything = analyst_client.get(URL, params={"until": AS_OF, "method": "naive", "types": "all"}).json()["meta"]
    assert everything["data"]["incidents"] > default["data"]["incidents"]
    assert any("feedback loop" in w for w in everything["warnings"])


def test_shift_boundaries_are_local_and_a_short_history_is_refused_with_a_reason(analyst_client):
    shift = analyst_client.get(URL, params={"until": "2025-06-10T09:30:00Z", "period": "shift", "method": "sepp"})
    assert shift.status_code == 200, shift.text
    # 12:30 in Helsinki (UTC+3 in June): the next shift starts at 14:00 local = 11:00 UTC
    assert shift.json()["meta"]["forecast_from"] == "2025-06-10T11:00:00+00:00"
    assert shift.json()["meta"]["forecast_to"] == "2025-06-10T19:00:00+00:00"

    young = analyst_client.get(URL, params={"until": "2025-02-01T00:00:00Z", "period": "week"})
    assert young.status_code == 422 and "choose a shorter period" in young.json()["message"]
    assert analyst_client.get(URL, params={"coverage": 3}).status_code == 422
    assert analyst_client.get(URL, params={"period": "month"}).status_code == 422
    assert analyst_client.get(URL, params={"method": "oracle"}).status_code == 422


def test_the_forecast_page_renders_its_choices_and_limits(analyst_client):
    page = analyst_client.get("/crime/forecast", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert 'id="forecast-filters"' in page.text and "/static/crime_forecast.js" in page.text
    assert "<script>" not in page.text  # CSP: no inline scripts
    for key in forecast_service.METHODS:
        assert f'value="{key}"' in page.text
    assert 'value="shift"' in page.text and 'value="10"' in page.text
    assert "Victim-reported (burglary, theft" in page.text and "sends patrols back" in page.text
    hotspots = analyst_client.get("/crime/hotspots", headers={"Accept": "text/html"})
    assert 'href="/crime/forecast"' in hotspots.text and 'id="trend-table"' in hotspots.text


def test_roles_without_crime_read_cannot_see_forecasts(app, session, settings):
    account = make_user(session, settings, "forecast-dispatcher", ["dispatcher"])
    with TestClient(app) as client:
        sign_in(client, account, session)
        assert client.get(URL).status_code == 403
        assert client.get("/crime/forecast", headers={"Accept": "text/html"}).status_code == 403
