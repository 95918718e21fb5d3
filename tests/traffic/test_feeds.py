"""Road-event feeds validated offline against the official WZDx 4.2 schemas and the CAP 1.2 XSD."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from lantern.traffic.feeds.cap import CapSender, cap_alert, cap_alerts
from lantern.traffic.feeds.events import RoadEvent
from lantern.traffic.feeds.geojson import congestion_layer
from lantern.traffic.feeds.validate import is_rfc3339, validate_cap, validate_geojson, validate_wzdx
from lantern.traffic.feeds.wzdx import FeedPublisher, build_wzdx_feed

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
PUBLISHER = FeedPublisher(
    publisher="Lantern City DOT",
    data_source_id="0f7a3c1e-3c1b-4a9e-9a36-7f1f6c2a5b10",
    organization_name="Lantern City traffic centre",
    contact_email="traffic@city.example",
    update_frequency_s=60,
)
SENDER = CapSender(
    "traffic@city.example", "Lantern City traffic centre", "Asia/Shanghai", web="https://city.example/traffic"
)
LINE = {"type": "LineString", "coordinates": [[116.3100, 39.9900], [116.3150, 39.9901], [116.3200, 39.9903]]}
POINT = {"type": "Point", "coordinates": [116.3251, 39.9842]}


def events() -> list[RoadEvent]:
    return [
        RoadEvent(
            id="9b0e6d6a-roadwork-1",
            kind="roadwork",
            geometry=LINE,
            start=T0,
            end=T0 + timedelta(days=3),
            description="Resurfacing, right lane closed",
            road_names=("Zhongguancun St",),
            direction="northbound",
            lanes_total=3,
            lanes_closed=(3,),
            created=T0 - timedelta(days=1),
            updated=T0,
        ),
        RoadEvent(
            id="closure-7",
            kind="closure",
            geometry=POINT,
            start=T0 + timedelta(hours=2),
            description="Bridge inspection",
            road_names=("Chengfu Rd",),
            lanes_total=2,
        ),
        RoadEvent(
            id="acc-42",
            kind="accident",
            geometry=POINT,
            start=T0 - timedelta(minutes=10),
            description="Two cars, left lane blocked",
            road_names=("4th Ring Rd",),
            lanes_total=4,
            lanes_closed=(1,),
        ),
        RoadEvent(id="inc-3", kind="incident", geometry=LINE, start=T0, end=T0 + timedelta(hours=1)),
    ]


@pytest.fixture(scope="module")
def standards(shared_dir: Path) -> Path:
    return shared_dir / "standards"


def test_wzdx_feed_of_road_events_is_valid_wzdx_4_2(standards):
    feed = build_wzdx_feed(events(), PUBLISHER, generated_at=T0)
    assert validate_wzdx(feed, standards / "wzdx" / "schemas") == []
    ids = [f["id"] for f in feed["features"]]
    assert ids == ["9b0e6d6a-roadwork-1", "closure-7"]  # accident and incident have no WZDx type
    roadwork, closure = (f["properties"] for f in feed["features"])
    assert roadwork["vehicle_impact"] == "some-lanes-closed"
    assert [lane["status"] for lane in roadwork["lanes"]] == ["open", "open", "closed"]
    assert roadwork["start_date"] == "2026-03-02T01:00:00Z"
    assert closure["vehicle_impact"] == "all-lanes-closed"
    assert closure["end_date"] == "2026-03-03T03:00:00Z"  # no end given: start + the assumed 24 h
    assert closure["is_end_date_verified"] is False
    assert feed["features"][1]["geometry"] == {"type": "MultiPoint", "coordinates": [[116.3251, 39.9842]] * 2}
    assert json.loads(json.dumps(feed, ensure_ascii=False)) == feed  # plain JSON, nothing exotic


def test_wzdx_builder_refuses_an_accident_when_asked_to():
    with pytest.raises(ValueError, match="no event type for 'accident'; publish it as CAP"):
        build_wzdx_feed(events(), PUBLISHER, generated_at=T0, unsupported="error")


def test_every_official_wzdx_example_passes_the_validator(standards):
    examples = sorted((standards / "wzdx" / "examples").glob("*/*.geojson"))
    assert len(examples) == 11
    for path in examples:
        schema = path.parent.name  # WorkZoneFeed or DeviceFeed
        assert validate_wzdx(json.loads(path.read_text()), standards / "wzdx" / "schemas", schema=schema) == [], path


def test_broken_feeds_fail_with_the_path_of_the_problem(standards):
    schemas = standards / "wzdx" / "schemas"
    example = json.loads(
        (standards / "wzdx/examples/WorkZoneFeed/scenario1_simple_linestring_example.geojson").read_text()
    )
    missing_source = copy.deepcopy(example)
    del missing_source["features"][0]["properties"]["core_details"]["data_source_id"]
    errors = validate_wzdx(missing_source, schemas)
    assert any("core_details: 'data_source_id' is a required property" in e for e in errors)

    ours = build_wzdx_feed(events(), PUBLISHER, generated_at=T0)
    bad_date = copy.deepcopy(ours)
    bad_date["feed_info"]["update_date"] = "2026-03-02 09:00"  # no T, no offset: not RFC 3339
    assert validate_wzdx(bad_date, schemas) == ["feed_info/update_date: '2026-03-02 09:00' is not a 'date-time'"]
    point = copy.deepcopy(ours)
    point["features"][0]["geometry"] = POINT  # WZDx allows LineString or MultiPoint only
    assert any(e.startswith("features/0/geometry") for e in validate_wzdx(point, schemas))
    accident = copy.deepcopy(ours)
    accident["features"][0]["properties"]["core_details"]["event_type"] = "accident"
    assert validate_wzdx(accident, schemas) != []


def test_rfc3339_checker_accepts_offsets_and_rejects_near_misses():
    assert is_rfc3339("2026-03-02T01:00:00Z") and is_rfc3339("2026-03-02T09:00:00.5+08:00")
    assert not is_rfc3339("2026-03-02T01:00:00")  # no offset
    assert not is_rfc3339("2026-02-30T01:00:00Z")  # no such day


def test_cap_alert_per_event_is_valid_cap_1_2_with_local_offsets(standards):
    xsd = standards / "cap" / "CAP-v1.2-schema.xsd"
    alerts = cap_alerts(events(), SENDER, sent=T0)
    assert len(alerts) == 4
    for xml in alerts:
        assert validate_cap(xml, xsd) == [], xml
        assert "<sent>2026-03-02T09:00:00+08:00</sent>" in xml
        assert "Z<" not in xml
    roadwork, closure, accident, _ = alerts
    assert "<polygon>" in roadwork and "<expires>2026-03-05T09:00:00+08:00</expires>" in roadwork
    assert "<urgency>Future</urgency>" in closure and "<circle>39.984200,116.325100 0.2</circle>" in closure
    assert "<responseType>Avoid</responseType>" in accident and "<value>1</value>" in accident


def test_cap_validator_rejects_a_z_time_wrong_order_and_forbidden_characters(standards):
    xsd = standards / "cap" / "CAP-v1.2-schema.xsd"
    good = cap_alert(events()[2], SENDER, sent=T0)
    zulu = good.replace("<sent>2026-03-02T09:00:00+08:00</sent>", "<sent>2026-03-02T01:00:00Z</sent>")
    assert validate_cap(zulu, xsd) != []
    swapped = good.replace(
        "<status>Actual</status><msgType>Alert</msgType>", "<msgType>Alert</msgType><status>Actual</status>"
    )
    assert swapped != good and validate_cap(swapped, xsd) != []
    spaced = good.replace("<sender>traffic@city.example</sender>", "<sender>traffic centre</sender>")
    assert validate_cap(spaced, xsd) == ["/alert/sender: 'traffic centre' contains a space, comma, < or &"]
    with pytest.raises(ValueError, match="identifier"):
        cap_alert(events()[2], SENDER, sent=T0, identifier="acc 42")


def test_cap_update_references_the_earlier_message(standards):
    first = cap_alert(events()[2], SENDER, sent=T0)
    reference = f"{SENDER.sender},acc-42.{int(T0.timestamp())},2026-03-02T09:00:00+08:00"
    update = cap_alert(events()[2], SENDER, sent=T0 + timedelta(minutes=15), msg_type="Update", references=reference)
    assert validate_cap(update, standards / "cap" / "CAP-v1.2-schema.xsd") == []
    assert "<msgType>Update</msgType>" in update and f"<references>{reference}</references>" in update
    assert first != update


def test_road_events_refuse_what_no_feed_could_say():
    with pytest.raises(ValueError, match="naive"):
        RoadEvent(id="x", kind="roadwork", geometry=POINT, start=datetime(2026, 3, 2))
    with pytest.raises(ValueError, match="not a WGS84"):
        RoadEvent(id="x", kind="roadwork", geometry={"type": "Point", "coordinates": [39.9, 116.3]}, start=T0)
    with pytest.raises(ValueError, match="lanes_closed"):
        RoadEvent(id="x", kind="roadwork", geometry=POINT, start=T0, lanes_total=2, lanes_closed=(3,))
    with pytest.raises(ValueError, match="not after start"):
        RoadEvent(id="x", kind="roadwork", geometry=POINT, start=T0, end=T0)


def test_congestion_layer_is_geojson_with_levels_and_colours():
    segments = pl.DataFrame(
        {
            "sensor_id": ["a", "b", "c"],
            "coordinates": [[[116.31, 39.99], [116.32, 39.99]], None, None],
            "lat": [None, 39.98, 39.97],
            "lon": [None, 116.33, 116.34],
            "tti": [1.0, 1.65, None],
            "speed_kmh": [60.04, 36.4, None],
        }
    )
    layer = congestion_layer(segments, generated_at=T0)
    assert validate_geojson(layer) == []
    props = [f["properties"] for f in layer["features"]]
    assert [p["level"] for p in props] == ["畅通", "轻度拥堵", None]
    assert [p["colour"] for p in props] == ["#2e7d32", "#fdd835", "#9e9e9e"]
    assert props[1]["index"] == pytest.approx(5.0)
    assert [f["geometry"]["type"] for f in layer["features"]] == ["LineString", "Point", "Point"]
    layer["features"][0]["geometry"]["coordinates"] = [[116.31, 39.99]]  # a one-point line
    assert validate_geojson(layer) != []
