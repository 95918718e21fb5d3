"""Traffic rules: road events and their public feeds, the congestion index, detector import, signal timing.

Road events are recorded by operators (``traffic:manage``); an accident can be created from a
dispatch incident, which links the two and adds a line to the incident's timeline. What is
published (WZDx, CAP, GeoJSON, the public page) is only what an operator wrote for the public:
never the incident's own description, callers or category.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from lantern.city import service as city_service
from lantern.errors import Conflict, NotFound, ValidationFailed
from lantern.incidents import service as incident_service
from lantern.kit.geo import h3_cell
from lantern.models import RoadEvent, TrafficDetector
from lantern.security import context
from lantern.security.access import guard
from lantern.security.policy import Principal
from lantern.traffic import probe_ingest, repository
from lantern.traffic.detectors import load_detector_profile, locations_of, read_table, readings_of
from lantern.traffic.feeds import events as feed_events
from lantern.traffic.feeds.cap import CapSender, cap_alert, cap_time
from lantern.traffic.feeds.wzdx import WZDX_KINDS, FeedPublisher, build_wzdx_feed
from lantern.traffic.probe_ingest import ProbeTrackIn
from lantern.traffic.schemas import (
    AccidentFromIncident,
    DetectorImportRead,
    GeometryIn,
    PhaseRead,
    ProbesIn,
    ProbesRead,
    RoadEventCreate,
    RoadEventUpdate,
    WebsterIn,
    WebsterRead,
)
from lantern.traffic.signals import Phase, webster

# A namespace for the feed's data_source_id: the same city always publishes under the same UUID.
FEED_NAMESPACE = uuid.UUID("6c1f4f1e-9a55-4b8e-8c1a-2f0f2b8d9a41")


def _settings_value(session: Session, name: str, default: Any) -> Any:
    return context.setting(session, name, default)


def now(session: Session) -> datetime:
    """Current time by the session's clock."""
    return context.now(session)


def _timezone(session: Session) -> str:
    return str(_settings_value(session, "city_timezone", "UTC"))


# --- road events -----------------------------------------------------------------------------


def to_feed_event(event: RoadEvent) -> feed_events.RoadEvent:
    """The stored event as the feed builders see it."""
    return feed_events.RoadEvent(
        id=event.public_id,
        kind=event.kind,  # type: ignore[arg-type]
        geometry=event.geometry,
        start=event.start_at,
        end=event.end_at,
        description=event.description,
        road_names=tuple(event.road_names),
        direction=event.direction,
        lanes_total=event.lanes_total,
        lanes_closed=tuple(event.lanes_closed),
        name=event.name,
        created=event.created_at,
        updated=event.updated_at,
    )


def _checked(event: RoadEvent) -> None:
    """Run the feed model's checks (coordinates, times, lanes) on the row; ValueError -> 422."""
    try:
        to_feed_event(event)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from exc


def _place(session: Session, event: RoadEvent) -> None:
    lon, lat = to_feed_event(event).positions()[0]  # checked by _checked before
    event.lat, event.lon = lat, lon
    event.h3_cell = h3_cell(lat, lon, int(_settings_value(session, "h3_resolution", 9)))
    districts = city_service.district_index_or_none(session)
    found = districts.locate_one(lat, lon) if districts else None
    event.district_id = found.id if found else None


def create_event(session: Session, principal: Principal, event_in: RoadEventCreate) -> RoadEvent:
    """Record a road event; it is published at once unless ``published`` is false."""
    guard(principal, "traffic:manage", "road_event", "new")
    now = context.now(session)
    event = RoadEvent(
        public_id=str(uuid.uuid4()),
        kind=event_in.kind,
        name=event_in.name.strip(),
        description=event_in.description.strip(),
        road_names=[r.strip() for r in event_in.road_names if r.strip()],
        direction=event_in.direction,
        lanes_total=event_in.lanes_total,
        lanes_closed=sorted(event_in.lanes_closed),
        geometry=event_in.geometry.model_dump(),
        start_at=event_in.start_at,
        end_at=event_in.end_at,
        published=event_in.published,
        revision=1,
        created_by=principal.name,
        created_at=now,
        updated_by=principal.name,
        updated_at=now,
    )
    _checked(event)
    if event.kind in WZDX_KINDS and not event.road_names:
        # The WZDx feed needs a road name for every work zone; one unnamed event would break it.
        raise ValidationFailed(f"a {event.kind} needs the name of the road (road_names) for the WZDx feed")
    _place(session, event)
    return repository.add_event(session, event)


def get_event_or_raise(session: Session, event_id: int) -> RoadEvent:
    """One road event or NotFound."""
    event = repository.get_event(session, event_id)
    if event is None:
        raise NotFound(f"road event {event_id} does not exist")
    return event


def update_event(session: Session, principal: Principal, event_id: int, event_in: RoadEventUpdate) -> RoadEvent:
    """Change an event's end, texts, lanes or publication; each change is a new CAP revision."""
    guard(principal, "traffic:manage", "road_event", event_id)
    event = get_event_or_raise(session, event_id)
    changes = event_in.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in ("end_at", "lanes_total"):
            continue  # an explicit null means "no change" for fields that always have a value
        setattr(event, name, sorted(value) if name == "lanes_closed" else value)
    _checked(event)
    event.revision += 1
    event.updated_by, event.updated_at = principal.name, context.now(session)
    session.flush()
    return event


def end_event(session: Session, principal: Principal, event_id: int) -> RoadEvent:
    """End an event now (the road is clear); ending an ended event is a conflict."""
    guard(principal, "traffic:manage", "road_event", event_id)
    event = get_event_or_raise(session, event_id)
    now = context.now(session)
    if event.end_at is not None and event.end_at <= now:
        raise Conflict(f"road event {event_id} already ended at {event.end_at.isoformat()}")
    if event.start_at >= now:
        raise Conflict(f"road event {event_id} has not started yet; change its times or unpublish it instead")
    event.end_at = now
    event.revision += 1
    event.updated_by, event.updated_at = principal.name, now
    session.flush()
    return event


def event_from_incident(
    session: Session, principal: Principal, incident_id: int, event_in: AccidentFromIncident
) -> RoadEvent:
    """An accident (or closure) at a dispatch incident's location, linked to it and noted on its timeline.

    Only what ``event_in`` says is published; a restricted incident is refused, because even
    its location must not reach a public feed.
    """
    guard(principal, "traffic:manage", "road_event", f"incident:{incident_id}")
    incident = incident_service.get_or_raise(session, principal.row_scope(), incident_id)
    if incident.restricted:
        raise Conflict(f"incident {incident_id} is restricted; its location cannot be published as a road event")
    now = context.now(session)
    for existing in repository.list_events(session, at=now, incident_id=incident_id):
        if existing.kind == event_in.kind:
            raise Conflict(
                f"incident {incident_id} already has an open {event_in.kind} road event ({existing.id}); update it"
            )
    label = "Traffic accident" if event_in.kind == "accident" else "Road closed"
    created = create_event(
        session,
        principal,
        RoadEventCreate(
            kind=event_in.kind,
            geometry=GeometryIn(type="Point", coordinates=[incident.lon, incident.lat]),
            start_at=min(incident.occurred_from, now),
            name=label,
            description=event_in.description or label,
            road_names=event_in.road_names,
            lanes_total=event_in.lanes_total,
            lanes_closed=event_in.lanes_closed,
        ),
    )
    created.incident_id = incident.id
    incident_service.add_event(
        session,
        incident.id,
        "road_event",
        principal.name,
        text=f"{label} published for road users (road event {created.id})",
        data={"road_event_id": created.id, "public_id": created.public_id, "kind": created.kind},
    )
    session.flush()
    return created


def list_events(session: Session, principal: Principal, *, include_ended: bool = False) -> list[RoadEvent]:
    """Every road event for operators, published or not, newest first."""
    guard(principal, "traffic:read", "road_event", "list")
    return repository.list_events(session, at=None if include_ended else context.now(session))


def public_events(session: Session) -> list[RoadEvent]:
    """Published events that have not ended (current and planned)."""
    return repository.list_events(session, at=context.now(session), published_only=True)


# --- feeds -----------------------------------------------------------------------------------


def publisher(session: Session) -> FeedPublisher:
    """Who publishes the feeds: the deployment's city."""
    city = str(_settings_value(session, "city_name", "Lantern"))
    return FeedPublisher(
        publisher=f"{city} traffic centre",
        data_source_id=str(uuid.uuid5(FEED_NAMESPACE, city)),
        organization_name=f"{city} traffic centre",
        update_frequency_s=60,
    )


def cap_sender(session: Session) -> CapSender:
    """The CAP sender of this deployment (no spaces: CAP forbids them)."""
    city = str(_settings_value(session, "city_name", "Lantern"))
    slug = "".join(c if c.isalnum() else "-" for c in city.lower()).strip("-") or "city"
    web = _settings_value(session, "public_url", "") or None
    return CapSender(
        sender=f"traffic@{slug}.lantern",
        sender_name=f"{city} traffic centre",
        timezone=_timezone(session),
        web=f"{web.rstrip('/')}/traffic" if web else None,
    )


def wzdx_feed(session: Session) -> dict[str, Any]:
    """The WZDx 4.2 work zone feed of current and planned road works and closures."""
    events = [to_feed_event(e) for e in public_events(session)]
    return build_wzdx_feed(events, publisher(session), generated_at=context.now(session))


def cap_message(session: Session, public_id: str) -> str:
    """The CAP 1.2 alert of one published event; an Update (with references) after the first revision."""
    event = next((e for e in public_events(session) if e.public_id == public_id), None)
    if event is None:
        raise NotFound(f"no current published road event {public_id!r}")
    sender = cap_sender(session)
    sent = event.updated_at.replace(microsecond=0)
    references = None
    if event.revision > 1:
        first = event.created_at.replace(microsecond=0)
        references = f"{sender.sender},{event.public_id}.{int(first.timestamp())},{cap_time(first, sender.timezone)}"
    return cap_alert(
        to_feed_event(event),
        sender,
        sent=sent,
        msg_type="Update" if event.revision > 1 else "Alert",
        references=references,
        identifier=f"{event.public_id}.{int(sent.timestamp())}",
    )


def cap_index(session: Session) -> list[dict[str, Any]]:
    """Entries of the CAP Atom index: one per published event with its alert's address and headline."""
    return [
        {
            "public_id": e.public_id,
            "kind": e.kind,
            "title": f"{e.name or e.kind.title()} on {', '.join(e.road_names) or 'the marked area'}",
            "updated": e.updated_at,
            "summary": e.description,
        }
        for e in public_events(session)
    ]


def events_geojson(session: Session) -> dict[str, Any]:
    """Published current and planned events as plain GeoJSON for map apps."""
    features = [
        {
            "type": "Feature",
            "id": e.public_id,
            "geometry": e.geometry,
            "properties": {
                "kind": e.kind,
                "name": e.name,
                "description": e.description,
                "road_names": e.road_names,
                "lanes_total": e.lanes_total,
                "lanes_closed": e.lanes_closed,
                "start": feed_events.utc_z(e.start_at),
                "end": feed_events.utc_z(e.end_at) if e.end_at else None,
            },
        }
        for e in public_events(session)
    ]
    return {"type": "FeatureCollection", "features": features}


# --- probes ----------------------------------------------------------------------------------


def record_probes(session: Session, principal: Principal, probes_in: ProbesIn) -> ProbesRead:
    """Match vehicle tracks to the city's roads and merge their speeds into the segment slots."""
    guard(principal, "traffic:import", "traffic_probe", probes_in.source)
    tracks = [
        ProbeTrackIn(
            lat=[f.lat for f in t.fixes],
            lon=[f.lon for f in t.fixes],
            t_s=[f.time.timestamp() for f in t.fixes],
        )
        for t in probes_in.tracks
    ]
    summary = probe_ingest.record_city_probes(session, tracks, source=probes_in.source)
    return ProbesRead(**asdict(summary))


# --- signal timing ---------------------------------------------------------------------------


def signal_plan(plan_in: WebsterIn) -> WebsterRead:
    """Webster's cycle and greens for an intersection; impossible bounds are a 422 naming the numbers."""
    try:
        phases = [Phase(p.name, p.flow_veh_h, p.saturation_veh_h, p.min_green_s) for p in plan_in.phases]
        plan = webster(phases, plan_in.lost_time_s, min_cycle_s=plan_in.min_cycle_s, max_cycle_s=plan_in.max_cycle_s)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from exc
    return WebsterRead(
        status=plan.status,
        message=plan.message,
        cycle_s=round(plan.cycle_s, 2),
        webster_cycle_s=None if plan.webster_cycle_s is None else round(plan.webster_cycle_s, 2),
        lost_time_s=plan.lost_time_s,
        total_flow_ratio=round(plan.total_flow_ratio, 4),
        phases=[
            PhaseRead(
                name=p.name,
                flow_ratio=round(y, 4),
                green_s=round(g, 2),
                degree_of_saturation=None if d == float("inf") else round(d, 3),
                min_green_bound=b,
            )
            for p, y, g, d, b in zip(
                phases,
                plan.flow_ratios,
                plan.greens_s,
                plan.degree_of_saturation,
                plan.min_green_bound,
                strict=True,
            )
        ],
    )


# --- detectors -------------------------------------------------------------------------------


def import_detectors(
    session: Session,
    principal: Principal,
    readings_path: str | Path,
    profile_name: str,
    locations_path: str | Path | None = None,
) -> DetectorImportRead:
    """Import detector readings (and optionally locations) through a profile; re-importing adds nothing."""
    guard(principal, "traffic:import", "traffic_detector", "import")
    try:
        profile = load_detector_profile(profile_name)
        readings = readings_of(read_table(readings_path), profile)
        locations = locations_of(read_table(locations_path), profile) if locations_path else None
    except (ValueError, pl.exceptions.PolarsError) as exc:
        raise ValidationFailed(f"{Path(readings_path).name}: {exc}") from exc
    now = context.now(session)
    known = repository.detectors_by_code(session, profile.source)
    located = {row["sensor_id"]: row for row in locations.iter_rows(named=True)} if locations is not None else {}
    districts = city_service.district_index_or_none(session)
    resolution = int(_settings_value(session, "h3_resolution", 9))
    new = []
    for code in sorted(set(readings["sensor_id"].unique().to_list()) | set(located)):
        place = located.get(code)
        detector = known.get(code)
        if detector is None:
            detector = TrafficDetector(source=profile.source, code=code, name="", created_at=now, h3_cell="")
            new.append(detector)
            known[code] = detector
        if place is not None:
            detector.lat, detector.lon = place["lat"], place["lon"]
            detector.name = place["name"] or detector.name
            detector.length_m = place["length_m"]
            detector.h3_cell = h3_cell(place["lat"], place["lon"], resolution)
            found = districts.locate_one(place["lat"], place["lon"]) if districts else None
            detector.district_id = found.id if found else None
    repository.add_detectors(session, new)
    repository.note_write()
    ids = {code: d.id for code, d in known.items()}
    frame = readings.with_columns(pl.col("sensor_id").replace_strict(ids, return_dtype=pl.Int64).alias("detector_id"))
    present: set[tuple[int, datetime]] = set()
    if frame.height:
        first, last = frame["time"].min(), frame["time"].max()
        assert isinstance(first, datetime) and isinstance(last, datetime)  # a non-empty UTC time column
        present = repository.existing_reading_keys(session, list(ids.values()), first, last)
    columns = [c for c in ("flow_veh_h", "occupancy") if c in frame.columns]
    rows = []
    for row in frame.select("detector_id", "time", "speed_kmh", *columns).iter_rows(named=True):
        if (row["detector_id"], row["time"]) in present:
            continue
        rows.append(row)
    inserted = repository.insert_readings(session, rows)
    return DetectorImportRead(
        profile=profile.name,
        source=profile.source,
        detectors_added=len(new),
        readings_read=frame.height,
        inserted=inserted,
        already_present=frame.height - inserted,
    )


def list_detectors(session: Session, principal: Principal) -> list[TrafficDetector]:
    """Every detector, by source and code."""
    guard(principal, "traffic:read", "traffic_detector", "list")
    return repository.list_detectors(session)


def edge_coordinates(session: Session) -> dict[int, list[list[float]]]:
    """Geometry of every road edge, by id."""
    return {int(e.id): json.loads(e.coordinates) for e in city_service.road_edges(session)}
