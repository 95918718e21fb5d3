"""Probe speeds from matched tracks, the probe simulator on the demo city, and the traffic demo end to end."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from lantern.incidents import service as incident_service
from lantern.kit.scope import RowScope
from lantern.models import SegmentSpeed
from lantern.traffic import congestion, probe_ingest
from lantern.traffic import demo as traffic_demo
from lantern.traffic import service as traffic_service
from lantern.traffic.feeds.validate import validate_geojson
from lantern.traffic.mapmatch import MatchParams, RoadIndex, match_track
from lantern.traffic.probes import ProbeDayParams, peak_factor, probe_speeds, simulate_probe_day, slot_speeds
from tests.factories.security import bearer
from tests.traffic.test_mapmatch import ROUTE, city, drive  # noqa: F401 - `city` is a fixture

END = datetime(2026, 3, 3, 0, tzinfo=UTC)


def test_speeds_along_the_matched_path_equal_the_driven_speed(city):  # noqa: F811
    graph, proj, index = city
    lat, lon, t, _, _ = drive(graph, proj, ROUTE, speed_ms=10.0, every_s=5.0, sigma_m=0.0, seed=0)
    result = match_track(index, lat, lon, t)
    speeds = probe_speeds(index, result, t)
    assert speeds.height == len(t) - 1
    # Around corners the straight line between fixes is shorter than the road; the path is not.
    assert speeds["speed_kmh"].min() == pytest.approx(36.0, abs=0.5)
    assert speeds["speed_kmh"].max() == pytest.approx(36.0, abs=0.5)
    driven = {index.edge_ids[e] for e in result.paths[0]}
    assert set(speeds["edge"].to_list()) <= driven


def test_slot_speed_is_the_harmonic_mean_of_the_probes():
    t0 = datetime(2026, 3, 2, 8, 1, tzinfo=UTC)
    frame = pl.DataFrame({"key": [1, 1, 1, 2], "time": [t0] * 4, "speed_kmh": [60.0, 30.0, 0.0, 50.0]})
    out = slot_speeds(frame, slot_minutes=15, min_speed_kmh=10.0)
    # 3 / (1/60 + 1/30 + 1/10) = 20 km/h: one vehicle standing at a light (floored to 10) dominates.
    assert out.select("key", "speed_kmh", "samples").rows() == [(1, pytest.approx(20.0), 3), (2, 50.0, 1)]


def test_simulated_probes_on_the_demo_city_are_matched_back_to_the_roads_they_drove(session):
    graph = probe_ingest.road_graph(session)
    params = ProbeDayParams(end=END, timezone="Europe/Helsinki", trips=25, seed=3)
    tracks = simulate_probe_day(graph, params)
    index = RoadIndex.from_graph(graph)
    found, total = 0, 0
    for track in tracks:
        result = match_track(index, track.lat, track.lon, track.t_s, MatchParams(radius_m=40, sigma_m=6, beta_m=10))
        assert result.matched == len(track.t_s)
        matched = {e for path in result.paths for e in path}
        # An edge shorter than about half the distance between fixes (10 s at 30-50 km/h) can be
        # crossed between two fixes and leave no trace; count the ones a fix lands on for sure.
        long_enough = [e for e in track.driven if graph.edges[e]["length_m"] > 40]
        found += sum(e in matched for e in long_enough)
        total += len(long_enough)
    assert len(tracks) == 25 and total > 100
    assert found / total > 0.95  # measured 142 of 145 (seed 3)


def test_peak_factor_slows_arterials_more_than_side_streets():
    p = ProbeDayParams(end=END, timezone="UTC")
    assert peak_factor(8.0, p, True) < peak_factor(8.0, p, False) < peak_factor(3.0, p, False)
    assert peak_factor(3.0, p, True) == pytest.approx(1.0, abs=1e-4)


def test_the_traffic_demo_builds_a_day_with_peaks_and_a_closure_linked_to_an_incident(app, session, clock):
    end = clock.now().replace(minute=0, second=0, microsecond=0)
    built = traffic_demo.build_demo(session, end=end, timezone="Europe/Helsinki", seed=7, trips=160)
    assert built.trips == 160 and built.matched == built.fixes and built.segment_slots > 500 and built.events == 2
    with pytest.raises(Exception, match="already exists"):
        traffic_demo.build_demo(session, end=end, timezone="Europe/Helsinki", trips=5)

    series = congestion.state(session).series.with_columns(
        pl.col("time").dt.convert_time_zone("Europe/Helsinki").dt.hour().alias("hour")
    )
    by_hour = series.group_by("hour").agg(pl.col("index").mean()).sort("hour")
    index_at = dict(by_hour.rows())
    night = np.mean([index_at[h] for h in (0, 1, 2, 3) if h in index_at])
    assert index_at[8] > night + 2 and max(index_at[16], index_at[17]) > night + 2

    # The same settings as the app's sessions: the city's time zone sets the night hours that
    # free-flow speeds come from (without it the index is computed for UTC nights, and whether the
    # two agree then depends on the hour the test runs).
    session.info["settings"] = app.state.runtime.settings
    public = congestion.city_index(session)
    assert public["now"]["index"] is not None and public["series"] and public["districts"]
    layer = congestion.congestion_geojson(session)
    assert validate_geojson(layer) == [] and {f["geometry"]["type"] for f in layer["features"]} == {"LineString"}

    events = traffic_service.public_events(session)
    closure = next(e for e in events if e.kind == "closure")
    assert closure.incident_id is not None
    timeline = incident_service.timeline(session, RowScope.everything(), closure.incident_id)
    assert any(ev.kind == "road_event" and ev.data["road_event_id"] == closure.id for ev in timeline)
    assert {e.kind for e in events} >= {"roadwork", "closure"}
    assert end - closure.start_at < timedelta(days=400)

    with TestClient(app) as client:
        index = client.get("/api/traffic/index").json()
        assert index["now"] == public["now"] and len(index["levels"]) == 5
        cells = client.get("/api/traffic/heatmap").json()["cells"]
        at_eight = [c["index"] for c in cells if c["hour"] == 8]
        at_night = [c["index"] for c in cells if c["hour"] in (22, 23, 0, 1, 2, 3, 4, 5)]
        assert at_eight and at_night and max(at_eight) > np.mean(at_night) + 2
        worst = client.get("/api/traffic/reliability", params={"limit": 5}).json()
        assert len(worst) == 5 and worst[0]["pti"] >= worst[-1]["pti"] >= 1.0
        history = client.get(f"/api/traffic/segments/{worst[0]['key']}/history").json()
        assert history and all(h["tti"] >= 1.0 for h in history)
        assert client.get("/api/traffic/segments/edge:999999999/history").status_code == 404


def test_probe_tracks_posted_twice_merge_into_the_same_slots(app, session):
    graph = probe_ingest.road_graph(session)
    tracks = simulate_probe_day(graph, ProbeDayParams(end=END, timezone="Europe/Helsinki", trips=4, seed=11))
    body = {
        "tracks": [
            {
                "fixes": [
                    {"lat": la, "lon": lo, "time": datetime.fromtimestamp(t, UTC).isoformat()}
                    for la, lo, t in zip(track.lat.tolist(), track.lon.tolist(), track.t_s.tolist(), strict=True)
                ]
            }
            for track in tracks
        ],
        "source": "fleet-test",
    }
    headers = bearer(session, ["traffic:import"])
    with TestClient(app) as client:
        first = client.post("/api/traffic/probes", json=body, headers=headers)
        assert first.status_code == 200, first.text
        added = first.json()
        assert added["tracks"] == 4 and added["matched"] == added["fixes"] and added["slots_added"] > 10
        before = {(r.edge_id, r.time): (r.speed_kmh, r.samples) for r in _slots(session, "fleet-test")}
        second = client.post("/api/traffic/probes", json=body, headers=headers).json()
        assert (second["slots_added"], second["slots_updated"]) == (0, added["slots_added"])
        after = {(r.edge_id, r.time): (r.speed_kmh, r.samples) for r in _slots(session, "fleet-test")}
        # The same probes twice: twice the samples, the same harmonic-mean speed.
        assert after.keys() == before.keys()
        assert all(after[k][1] == 2 * before[k][1] and after[k][0] == pytest.approx(before[k][0]) for k in before)
        # The cached index state follows the data: merged samples are a new state.
        assert congestion.state(session).readings.height == len(after)
        more = simulate_probe_day(graph, ProbeDayParams(end=END, timezone="Europe/Helsinki", trips=2, seed=12))
        extra = {"tracks": [{"fixes": [{"lat": la, "lon": lo, "time": datetime.fromtimestamp(t, UTC).isoformat()}
                  for la, lo, t in zip(m.lat.tolist(), m.lon.tolist(), m.t_s.tolist(), strict=True)]} for m in more],
                 "source": "fleet-test"}  # fmt: skip
        grown = client.post("/api/traffic/probes", json=extra, headers=headers).json()
        assert congestion.state(session).readings.height == len(after) + grown["slots_added"]
        backwards = {"tracks": [{"fixes": list(reversed(body["tracks"][0]["fixes"]))}]}
        refused = client.post("/api/traffic/probes", json=backwards, headers=headers)
        assert refused.status_code == 422 and "before the previous fix" in refused.json()["message"]
        anonymous = client.post("/api/traffic/probes", json=body)
        assert anonymous.status_code in (401, 403)


def _slots(session, source):
    return probe_ingest.repository.segment_speeds_between(
        session, source, datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    )


def test_the_index_follows_changed_speeds_even_when_the_ids_and_counts_stay(session, clock):
    """Another process rewrites speeds under the same ids (SQLite reuses rolled-back ids too):
    the cached index must not survive that."""
    end = clock.now().replace(minute=0, second=0, microsecond=0)
    traffic_demo.build_demo(session, end=end, timezone="Europe/Helsinki", seed=7, trips=40)
    before = congestion.city_index(session)["now"]
    latest_hour = SegmentSpeed.time > end - timedelta(hours=1)
    session.execute(update(SegmentSpeed).where(latest_hour).values(speed_kmh=SegmentSpeed.speed_kmh / 2))
    time.sleep(congestion.FINGERPRINT_TTL_S + 0.1)  # how long a write by another process may go unseen
    after = congestion.city_index(session)["now"]
    assert after["tti"] > before["tti"]
