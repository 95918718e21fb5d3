"""Road events through the service: recording, an accident from a dispatch incident, and the published feeds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from lantern.errors import Conflict, Forbidden, ValidationFailed
from lantern.incidents import service as incident_service
from lantern.kit.scope import RowScope
from lantern.traffic import service as traffic_service
from lantern.traffic.feeds.validate import validate_cap, validate_geojson, validate_wzdx
from lantern.traffic.schemas import AccidentFromIncident, GeometryIn, RoadEventCreate, RoadEventUpdate
from tests.factories.security import principal_for

LINE = GeometryIn(type="LineString", coordinates=[[24.9402, 60.1689], [24.9431, 60.1693], [24.9458, 60.1697]])


def roadwork(clock, **changes) -> RoadEventCreate:
    fields = {
        "kind": "roadwork",
        "geometry": LINE,
        "start_at": clock.now() - timedelta(hours=1),
        "end_at": clock.now() + timedelta(days=2),
        "name": "Tram track renewal",
        "description": "Right lane closed",
        "road_names": ["Aleksanterinkatu"],
        "direction": "eastbound",
        "lanes_total": 2,
        "lanes_closed": [2],
    }
    return RoadEventCreate(**{**fields, **changes})


@pytest.fixture
def standards(shared_dir: Path) -> Path:
    return shared_dir / "standards"


def open_incident(session, *, restricted: bool = False):
    incident = incident_service.list_incidents(session, RowScope.everything(), limit=50)[0]
    incident.restricted = restricted
    session.flush()
    return incident


def test_an_operator_records_road_works_and_they_appear_in_a_valid_wzdx_feed(session, clock, standards):
    supervisor = principal_for("supervisor")
    event = traffic_service.create_event(session, supervisor, roadwork(clock))
    assert event.district_id is not None and event.h3_cell and (event.lat, event.lon) == (60.1689, 24.9402)
    feed = traffic_service.wzdx_feed(session)
    assert validate_wzdx(feed, standards / "wzdx" / "schemas") == []
    [feature] = [f for f in feed["features"] if f["id"] == event.public_id]
    assert feature["properties"]["vehicle_impact"] == "some-lanes-closed"
    assert [lane["status"] for lane in feature["properties"]["lanes"]] == ["open", "closed"]
    assert feature["properties"]["core_details"]["road_names"] == ["Aleksanterinkatu"]


def test_unpublished_and_ended_events_leave_the_public_feeds(session, clock):
    supervisor = principal_for("supervisor")
    hidden = traffic_service.create_event(session, supervisor, roadwork(clock, published=False))
    shown = traffic_service.create_event(session, supervisor, roadwork(clock))
    public = {e.public_id for e in traffic_service.public_events(session)}
    assert shown.public_id in public and hidden.public_id not in public
    traffic_service.end_event(session, supervisor, shown.id)
    clock.advance(seconds=1)
    assert shown.public_id not in {e.public_id for e in traffic_service.public_events(session)}
    with pytest.raises(Conflict, match="already ended"):
        traffic_service.end_event(session, supervisor, shown.id)
    # Operators still see both.
    assert {hidden.id, shown.id} <= {e.id for e in traffic_service.list_events(session, supervisor, include_ended=True)}


def test_bad_coordinates_times_and_lanes_are_refused_with_the_reason(session, clock):
    supervisor = principal_for("supervisor")
    swapped = GeometryIn(type="Point", coordinates=[60.17, 124.94])
    with pytest.raises(ValidationFailed, match=r"not a WGS84 \[lon, lat\] pair"):
        traffic_service.create_event(session, supervisor, roadwork(clock, geometry=swapped))
    with pytest.raises(ValidationFailed, match="is not after start"):
        traffic_service.create_event(session, supervisor, roadwork(clock, end_at=clock.now() - timedelta(days=1)))
    with pytest.raises(ValidationFailed, match=r"lanes_closed \(3,\) must be distinct lanes in 1..2"):
        traffic_service.create_event(session, supervisor, roadwork(clock, lanes_closed=[3]))


def test_works_without_a_road_name_are_refused_so_the_wzdx_feed_stays_valid(session, clock, standards):
    supervisor = principal_for("supervisor")
    with pytest.raises(ValidationFailed, match="needs the name of the road"):
        traffic_service.create_event(session, supervisor, roadwork(clock, road_names=[]))
    # An accident may be unnamed: it is not a WZDx work zone.
    traffic_service.create_event(session, supervisor, roadwork(clock, kind="accident", road_names=[]))
    assert validate_wzdx(traffic_service.wzdx_feed(session), standards / "wzdx" / "schemas") == []


def test_roles_without_traffic_manage_cannot_record_events(session, clock):
    with pytest.raises(Forbidden, match="does not allow traffic:manage"):
        traffic_service.create_event(session, principal_for("analyst"), roadwork(clock))
    with pytest.raises(Forbidden, match="does not allow traffic:read"):
        traffic_service.list_events(session, principal_for("auditor"))


def test_an_accident_created_from_a_dispatch_incident_is_linked_and_on_its_timeline(session, clock, standards):
    dispatcher = principal_for("dispatcher")
    incident = open_incident(session)
    body = AccidentFromIncident(description="Two cars, left lane blocked", road_names=["Mannerheimintie"])
    event = traffic_service.event_from_incident(session, dispatcher, incident.id, body)
    assert (event.kind, event.incident_id, event.lat, event.lon) == (
        "accident",
        incident.id,
        incident.lat,
        incident.lon,
    )
    timeline = incident_service.timeline(session, RowScope.everything(), incident.id)
    assert timeline[-1].kind == "road_event" and timeline[-1].data["road_event_id"] == event.id
    # Published text is the operator's, never the incident's own description.
    xml = traffic_service.cap_message(session, event.public_id)
    assert validate_cap(xml, standards / "cap" / "CAP-v1.2-schema.xsd") == []
    assert "Two cars, left lane blocked" in xml and (incident.description or "\u0000") not in xml
    with pytest.raises(Conflict, match="already has an open accident road event"):
        traffic_service.event_from_incident(session, dispatcher, incident.id, body)
    # Accidents are not WZDx work zones: the WZDx feed leaves them out.
    assert event.public_id not in [f["id"] for f in traffic_service.wzdx_feed(session)["features"]]


def test_a_restricted_incident_is_never_published_as_a_road_event(session):
    incident = open_incident(session, restricted=True)
    with pytest.raises(Conflict, match="restricted"):
        traffic_service.event_from_incident(session, principal_for("supervisor"), incident.id, AccidentFromIncident())


def test_changing_an_event_issues_a_cap_update_that_references_the_first_alert(session, clock, standards):
    supervisor = principal_for("supervisor")
    event = traffic_service.create_event(session, supervisor, roadwork(clock))
    first = traffic_service.cap_message(session, event.public_id)
    assert "<msgType>Alert</msgType>" in first and "<polygon>" in first
    clock.advance(minutes=10)
    traffic_service.update_event(session, supervisor, event.id, RoadEventUpdate(lanes_closed=[1, 2]))
    update = traffic_service.cap_message(session, event.public_id)
    assert validate_cap(update, standards / "cap" / "CAP-v1.2-schema.xsd") == []
    identifier = first.split("<identifier>")[1].split("</identifier>")[0]
    assert "<msgType>Update</msgType>" in update and f",{identifier}," in update
    assert "<value>1,2</value>" in update


def test_events_geojson_is_valid_geojson(session, clock):
    traffic_service.create_event(session, principal_for("supervisor"), roadwork(clock))
    layer = traffic_service.events_geojson(session)
    assert validate_geojson(layer) == [] and layer["features"]
