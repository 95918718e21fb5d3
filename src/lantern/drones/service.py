"""Drone flight management: geozones, declarations checked against zones and approved flights,
telemetry intake, and the conformance stream on the shared monitoring engine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from shapely.geometry import shape
from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.city import service as city_service
from lantern.drones import repository
from lantern.drones.airspace import Volume, Zone, conflicts, problems
from lantern.drones.conformance import BATCH_SCHEMA, Airspace, FlightState, check, lost
from lantern.drones.schemas import DeclarationIn, GeozoneIn, TelemetryIn
from lantern.errors import NotFound, ValidationFailed
from lantern.kit.geo import LocalProjection
from lantern.models import FlightDeclaration, Geozone
from lantern.monitor import streams
from lantern.security import context
from lantern.security.access import audit, guard
from lantern.security.policy import Principal

STREAM = "drones"
SEVERITY = {
    "drone_outside_volume": "warning",
    "drone_nonconformance": "critical",
    "drone_in_geozone": "critical",
    "drone_telemetry_lost": "warning",
}
TITLES = {
    "drone_outside_volume": "Drone outside its declared volume",
    "drone_nonconformance": "Drone not conforming for over 60 s",
    "drone_in_geozone": "Drone inside a geozone",
    "drone_telemetry_lost": "Drone telemetry lost",
}
WATCH_AFTER_END = timedelta(minutes=10)  # late telemetry of a flight that just ended is still checked


def _geometry(data: dict[str, Any], what: str, expected: tuple[str, ...]) -> Any:
    try:
        geometry = shape(data)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise ValidationFailed(f"{what}: not a valid GeoJSON geometry ({exc})") from exc
    if geometry.is_empty or geometry.geom_type not in expected:
        raise ValidationFailed(f"{what}: expected a GeoJSON {' or '.join(expected)}, got {geometry.geom_type}")
    return geometry


def centre(session: Session) -> tuple[float, float]:
    """The projection centre: the city's, so checks and conformance measure the same metres."""
    city = city_service.get(session)
    return ((city.min_lat + city.max_lat) / 2, (city.min_lon + city.max_lon) / 2) if city else (0.0, 0.0)


def zone_of(row: Geozone) -> Zone:
    return Zone(
        row.id, row.name, row.restriction, shape(row.geometry), row.lower_m, row.upper_m, row.starts_at, row.ends_at
    )


def volume_of(row: FlightDeclaration) -> Volume:
    return Volume(row.shape, shape(row.geometry), row.width_m, row.floor_m, row.ceiling_m, row.starts_at, row.ends_at)


# --- geozones -------------------------------------------------------------------------------


def list_geozones(session: Session, principal: Principal) -> list[Geozone]:
    guard(principal, "drones:read")
    return list(repository.geozones(session))


def save_geozone(session: Session, principal: Principal, zone_in: GeozoneIn, source: str = "") -> Geozone:
    guard(principal, "drones:manage")
    geometry = _geometry(zone_in.geometry, f"geozone {zone_in.id}", ("Polygon", "MultiPolygon"))
    if not geometry.is_valid:
        raise ValidationFailed(f"geozone {zone_in.id}: the polygon crosses itself")
    if not zone_in.lower_m < zone_in.upper_m:
        raise ValidationFailed(
            f"geozone {zone_in.id}: lower limit {zone_in.lower_m:g} m must be below upper {zone_in.upper_m:g} m"
        )
    row = repository.geozone(session, zone_in.id)
    values = zone_in.model_dump()
    if row is None:
        row = repository.add(session, Geozone(**values, active=True, source=source, created_at=context.now(session)))
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.active, row.source = True, source or row.source
    audit(session, principal, "alter", "geozone", row.id, details={"restriction": row.restriction})
    return row


def import_geozones(session: Session, principal: Principal, document: dict[str, Any]) -> int:
    """A GeoJSON FeatureCollection, or ED-269 UASZone features (``geometry`` as a list of
    horizontalProjection/lowerLimit/upperLimit items, metres); all-or-nothing."""
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise ValidationFailed("expected a FeatureCollection (or ED-269 document) with a non-empty `features` list")
    saved = 0
    for number, feature in enumerate(features, start=1):
        try:
            zone_in = _zone_from_feature(feature, number)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationFailed(f"feature {number}: {exc}") from exc
        save_geozone(session, principal, zone_in, source="import")
        saved += 1
    return saved


def _zone_from_feature(feature: dict[str, Any], number: int) -> GeozoneIn:
    props = feature.get("properties") or {}
    if isinstance(feature.get("geometry"), list):  # ED-269: UASZone with a list of volumes
        volume = feature["geometry"][0]
        geometry = volume["horizontalProjection"]
        lower, upper = float(volume.get("lowerLimit", 0)), float(volume.get("upperLimit", 120))
        name = feature.get("name") or props.get("name") or f"zone {number}"
        ident = str(feature.get("identifier") or props.get("id") or f"zone-{number}")
        restriction = (
            "prohibited" if str(feature.get("restriction", "PROHIBITED")).upper() == "PROHIBITED" else "authorisation"
        )
    else:
        geometry = feature["geometry"]
        lower, upper = float(props.get("lower_m", 0)), float(props.get("upper_m", 120))
        name = props.get("name") or f"zone {number}"
        ident = str(props.get("id") or feature.get("id") or f"zone-{number}")
        restriction = props.get("restriction", "prohibited")
    return GeozoneIn(
        id=ident[:60],
        name=name,
        kind=props.get("kind", "other"),
        restriction=restriction,
        geometry=geometry,
        lower_m=lower,
        upper_m=upper,
    )


def delete_geozone(session: Session, principal: Principal, zone_id: str) -> None:
    guard(principal, "drones:manage")
    row = repository.geozone(session, zone_id)
    if row is None:
        raise NotFound(f"geozone {zone_id!r} does not exist")
    row.active = False
    audit(session, principal, "erase", "geozone", zone_id)


def geozones_geojson(session: Session, principal: Principal) -> dict[str, Any]:
    zones = list_geozones(session, principal)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": z.geometry,
                "properties": {
                    "id": z.id,
                    "name": z.name,
                    "restriction": z.restriction,
                    "lower_m": z.lower_m,
                    "upper_m": z.upper_m,
                    "kind": z.kind,
                },
            }
            for z in zones
        ],
    }


# --- declarations ---------------------------------------------------------------------------


def file_declaration(session: Session, principal: Principal, declaration_in: DeclarationIn) -> FlightDeclaration:
    """Check a declaration against geozones and approved flights; store it approved or rejected."""
    guard(principal, "drones:declare")
    if declaration_in.police and not principal.can("drones:manage"):
        raise ValidationFailed("police: only the police drone unit may file police missions")
    expected = ("Polygon",) if declaration_in.shape == "polygon" else ("LineString",)
    geometry = _geometry(declaration_in.geometry, "geometry", expected)
    volume = Volume(
        declaration_in.shape,
        geometry,
        declaration_in.width_m,
        declaration_in.floor_m,
        declaration_in.ceiling_m,
        declaration_in.starts_at,
        declaration_in.ends_at,
    )
    wrong = problems(volume)
    if wrong:
        raise ValidationFailed("; ".join(wrong))
    approved = [(d.id, volume_of(d)) for d in repository.approved_between(session, volume.starts_at, volume.ends_at)]
    zones = [zone_of(z) for z in repository.geozones(session)]
    reasons = conflicts(volume, zones, approved, LocalProjection(*centre(session)), declaration_in.police)
    number = repository.next_number(session)
    row = repository.add(
        session,
        FlightDeclaration(
            id=f"FD-{number:05d}",
            **declaration_in.model_dump(),
            state="rejected" if reasons else "approved",
            reason="; ".join(reasons),
            created_by=principal.name,
            created_at=context.now(session),
        ),
    )
    audit(session, principal, "create", "flight_declaration", row.id, details={"state": row.state})
    return row


def cancel_declaration(session: Session, principal: Principal, declaration_id: str) -> FlightDeclaration:
    guard(principal, "drones:declare")
    row = get_declaration_or_raise(session, declaration_id)
    if row.state == "approved":
        row.state = "cancelled"
        audit(session, principal, "alter", "flight_declaration", row.id, details={"state": "cancelled"})
    return row


def cancel_own_active(session: Session, principal: Principal) -> int:
    """Cancel the approved, unfinished declarations this principal filed (a re-planning operator)."""
    guard(principal, "drones:declare")
    now = context.now(session)
    mine = [
        d for d in repository.approved_between(session, now, now + timedelta(days=2)) if d.created_by == principal.name
    ]
    for row in mine:
        row.state = "cancelled"
        audit(session, principal, "alter", "flight_declaration", row.id, details={"state": "cancelled"})
    return len(mine)


def get_declaration_or_raise(session: Session, declaration_id: str) -> FlightDeclaration:
    row = repository.declaration(session, declaration_id)
    if row is None:
        raise NotFound(f"flight declaration {declaration_id!r} does not exist")
    return row


def list_declarations(session: Session, principal: Principal, since: datetime | None = None) -> list[FlightDeclaration]:
    guard(principal, "drones:read")
    return list(repository.declarations(session, since))


def declarations_geojson(session: Session, principal: Principal, since: datetime | None = None) -> dict[str, Any]:
    rows = list_declarations(session, principal, since)
    projection = LocalProjection(*centre(session))
    features = []
    for row in rows:
        area = volume_of(row).footprint(projection)
        xs, ys = area.exterior.coords.xy
        lat, lon = projection.to_latlon(list(xs), list(ys))
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]],
                },
                "properties": {
                    "id": row.id,
                    "state": row.state,
                    "reason": row.reason,
                    "operator": row.operator,
                    "police": row.police,
                    "floor_m": row.floor_m,
                    "ceiling_m": row.ceiling_m,
                    "starts_at": row.starts_at.isoformat(),
                    "ends_at": row.ends_at.isoformat(),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


# --- telemetry and conformance --------------------------------------------------------------


def ingest_telemetry(session: Session, principal: Principal, points: list[TelemetryIn]) -> int:
    """Telemetry of approved flights; all-or-nothing, unknown or unapproved flights named."""
    guard(principal, "drones:telemetry")
    ids = sorted({p.declaration_id for p in points})
    states = {i: repository.declaration(session, i) for i in ids}
    bad = [i for i, row in states.items() if row is None or row.state != "approved"]
    if bad:
        raise ValidationFailed(f"telemetry for flights that are not approved declarations: {', '.join(bad[:10])}")
    now = context.now(session)
    repository.insert_telemetry(session, [{**p.model_dump(), "received_at": now} for p in points])
    return len(points)


def current_airspace(session: Session) -> Airspace:
    now = context.now(session)
    flights = {
        d.id: volume_of(d)
        for d in repository.approved_between(session, now - timedelta(days=1), now + timedelta(days=1))
    }
    zones_rows = list(repository.geozones(session))
    police = {d_id for d_id in flights if (d := repository.declaration(session, d_id)) is not None and d.police}
    authorised = {f: {z.id for z in zones_rows if z.restriction == "authorisation"} for f in police}
    return Airspace(flights, [zone_of(z) for z in zones_rows], centre(session), authorised)


class DroneStream:
    """Telemetry of declared flights through the conformance rules."""

    name = STREAM

    def __init__(self, airspace: Airspace | None = None) -> None:
        self.airspace = airspace

    def fetch(self, session: Session, after_id: int, limit: int) -> list[Any]:
        return repository.telemetry_after(session, after_id, limit)

    def apply(self, session: Session, state_bytes: bytes, rows: Sequence[Any]) -> streams.Applied:
        airspace = self.airspace or current_airspace(session)
        state = FlightState.from_bytes(state_bytes)
        frames, counts = [], {}
        if rows:
            batch = pl.DataFrame([r[1:] for r in rows], schema=list(BATCH_SCHEMA.items()), orient="row")
            state, alerts, counts = check(state, batch, airspace)
            frames.append(alerts)
        now = context.now(session)
        if context.setting(session, "monitor_clock", "wall") == "event":
            newest = state.flights["last_time"].max() if not state.flights.is_empty() else None
            now = newest if isinstance(newest, datetime) else now
        state, silent = lost(state, airspace, now)
        frames.append(silent)
        labels = {
            d.id: f"{d.aircraft} ({d.operator})"
            for d in repository.declarations(session, now - timedelta(days=2), limit=5000)
        }
        alert_ins = [_alert_in(row, labels) for frame in frames for row in frame.to_dicts()]
        return streams.Applied(state.to_bytes(), alert_ins, counts)


def _alert_in(row: dict[str, Any], labels: dict[str, str]) -> alert_service.AlertIn:
    kind, flight = row["kind"], row["vehicle_id"]
    key_time = row["key_time"]
    return alert_service.AlertIn(
        source="drones",
        kind=kind,
        severity=SEVERITY[kind],
        subject_type="flight",
        subject_id=flight,
        title=f"{TITLES[kind]}: {flight} {labels.get(flight, '')}".strip(),
        detail=row["detail"] or "",
        dedupe_key=f"drones:{kind}:{flight}:{key_time.isoformat() if isinstance(key_time, datetime) else key_time}",
        data={"lat": row["lat"], "lon": row["lon"], "at": row["time"].isoformat(), "altitude_m": row["value"]},
    )


def process_pending(session: Session, limit: int = 20_000, airspace: Airspace | None = None) -> streams.EngineRun:
    """One conformance step (the scheduler runs it every second)."""
    return streams.run_once(session, DroneStream(airspace), limit)


def live_flights(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Approved flights of today with their last telemetry and conformance."""
    guard(principal, "drones:read")
    now = context.now(session)
    rows = [d for d in repository.declarations(session, now - timedelta(hours=12)) if d.state == "approved"]
    state = FlightState.from_bytes(streams.state_of(session, STREAM))
    known = {r["flight_id"]: r for r in state.flights.to_dicts()}
    out = []
    for d in rows:
        s = known.get(d.id, {})
        status = "waiting"
        if s:
            status = "in geozone" if s.get("zone_start") else "outside volume" if s.get("out_start") else "conforming"
            if s.get("lost_alerted"):
                status = "telemetry lost"
        out.append(
            {
                "id": d.id,
                "operator": d.operator,
                "aircraft": d.aircraft,
                "police": d.police,
                "incident_id": d.incident_id,
                "starts_at": d.starts_at,
                "ends_at": d.ends_at,
                "last_time": s.get("last_time"),
                "status": status,
                "active": d.starts_at <= now <= d.ends_at,
            }
        )
    return out
