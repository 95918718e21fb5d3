"""WZDx 4.2 Work Zone Feed (GeoJSON) from road events.

WZDx 4.2 carries two event types in a work zone feed, ``work-zone`` and ``detour``. Lantern maps
roadworks to ``work-zone`` and closures to ``work-zone`` with ``all-lanes-closed``; accidents and
incidents have no WZDx type (WZDx describes planned and active work, not crashes), so they are
left out (``unsupported="skip"``, the default) or refused (``"error"``). Publish those as CAP.

Geometry: WZDx accepts a LineString or a MultiPoint; a Point event becomes a two-point
MultiPoint whose start and end coincide (the MultiPoint form of WZDx is "start and end point").
WZDx requires an end date: an event without one gets ``start + assumed_duration`` (24 h by
default), and ``is_end_date_verified`` stays false.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from lantern.traffic.feeds.events import RoadEvent, utc_z

WZDX_VERSION = "4.2"
WZDX_LICENSE = "https://creativecommons.org/publicdomain/zero/1.0/"
WZDX_KINDS = {"roadwork": "work-zone", "closure": "work-zone"}


@dataclass(frozen=True)
class FeedPublisher:
    """Who publishes the feed and the one data source it draws from (``feed_info``)."""

    publisher: str
    data_source_id: str
    organization_name: str
    contact_name: str | None = None
    contact_email: str | None = None
    update_frequency_s: int | None = None


def _geometry(event: RoadEvent) -> dict[str, Any]:
    positions = [list(p) for p in event.positions()]
    if event.geometry["type"] == "Point":
        return {"type": "MultiPoint", "coordinates": [positions[0], positions[0]]}
    return {"type": "LineString", "coordinates": positions}


def road_event_feature(
    event: RoadEvent, publisher: FeedPublisher, *, assumed_duration: timedelta = timedelta(hours=24)
) -> dict[str, Any]:
    """One WZDx RoadEventFeature for a roadwork or closure event."""
    if event.kind not in WZDX_KINDS:
        raise ValueError(f"event {event.id!r}: WZDx 4.2 has no event type for {event.kind!r}; publish it as CAP")
    if not event.road_names:
        raise ValueError(f"event {event.id!r}: WZDx needs at least one road name (core_details.road_names)")
    core: dict[str, Any] = {
        "data_source_id": publisher.data_source_id,
        "event_type": WZDX_KINDS[event.kind],
        "road_names": list(event.road_names),
        "direction": event.direction,
    }
    if event.name:
        core["name"] = event.name
    if event.description:
        core["description"] = event.description
    if event.created:
        core["creation_date"] = utc_z(event.created)
    if event.updated:
        core["update_date"] = utc_z(event.updated)
    end = event.end or event.start + assumed_duration
    properties: dict[str, Any] = {
        "core_details": core,
        "start_date": utc_z(event.start),
        "end_date": utc_z(end),
        "is_start_date_verified": False,
        "is_end_date_verified": False,
        "is_start_position_verified": False,
        "is_end_position_verified": False,
        "location_method": "unknown",
        "vehicle_impact": event.vehicle_impact(),
    }
    if event.lanes_total:
        closed = set(range(1, event.lanes_total + 1)) if event.kind == "closure" else set(event.lanes_closed)
        properties["lanes"] = [
            {"order": order, "status": "closed" if order in closed else "open", "type": "general"}
            for order in range(1, event.lanes_total + 1)
        ]
    return {"id": event.id, "type": "Feature", "properties": properties, "geometry": _geometry(event)}


def build_wzdx_feed(
    events: Iterable[RoadEvent],
    publisher: FeedPublisher,
    *,
    generated_at: datetime,
    unsupported: Literal["skip", "error"] = "skip",
    assumed_duration: timedelta = timedelta(hours=24),
) -> dict[str, Any]:
    """A WZDx 4.2 WorkZoneFeed (``feed_info`` + GeoJSON FeatureCollection) of the roadwork and closure events.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 3, 2, 1, tzinfo=timezone.utc)
    >>> events = [
    ...     RoadEvent(id="w1", kind="roadwork", start=t, road_names=("Ring 2",), lanes_total=3, lanes_closed=(3,),
    ...               geometry={"type": "LineString", "coordinates": [[116.30, 39.90], [116.31, 39.90]]}),
    ...     RoadEvent(id="a1", kind="accident", start=t, geometry={"type": "Point", "coordinates": [116.3, 39.9]}),
    ... ]
    >>> pub = FeedPublisher(publisher="City DOT", data_source_id="1", organization_name="City DOT")
    >>> feed = build_wzdx_feed(events, pub, generated_at=t)
    >>> [f["id"] for f in feed["features"]], feed["features"][0]["properties"]["vehicle_impact"]
    (['w1'], 'some-lanes-closed')
    """
    features = []
    for event in events:
        if event.kind not in WZDX_KINDS and unsupported == "skip":
            continue
        features.append(road_event_feature(event, publisher, assumed_duration=assumed_duration))
    source: dict[str, Any] = {
        "data_source_id": publisher.data_source_id,
        "organization_name": publisher.organization_name,
        "update_date": utc_z(generated_at),
    }
    info: dict[str, Any] = {
        "publisher": publisher.publisher,
        "update_date": utc_z(generated_at),
        "version": WZDX_VERSION,
        "license": WZDX_LICENSE,
        "data_sources": [source],
    }
    for key, value in (("contact_name", publisher.contact_name), ("contact_email", publisher.contact_email)):
        if value:
            info[key] = value
            source[key] = value
    if publisher.update_frequency_s:
        info["update_frequency"] = publisher.update_frequency_s
    return {"feed_info": info, "type": "FeatureCollection", "features": features}
