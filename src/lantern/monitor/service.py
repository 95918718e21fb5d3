"""Regulated-vehicle monitoring: vehicles and terminals, position intake, the engine runner,
geofences and routes, and a vehicle's day.

The engine runner is what makes processing exactly-once: one transaction reads positions after
the checkpoint, raises the alerts the rules return, and moves the checkpoint with the new state.
A crash before the commit leaves the checkpoint where it was; alert keys make a repeat harmless.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from shapely.geometry import mapping, shape
from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.city import service as city_service
from lantern.errors import Conflict, NotFound, ValidationFailed
from lantern.models import Geofence, MonitoredVehicle, Terminal
from lantern.monitor import analytics, repository, streams, tracks
from lantern.monitor.rules.config import VehicleClass, load_classes
from lantern.monitor.rules.engine import SEVERITY, TITLES, Rules, alert_key, offline, step
from lantern.monitor.rules.state import EngineState
from lantern.monitor.rules.zones import Fence, Route, project
from lantern.monitor.schemas import GeofenceIn, PositionIn, VehicleCreate
from lantern.monitor.tracks import TrackPoint
from lantern.security import context
from lantern.security.access import audit, guard
from lantern.security.policy import Principal

ENGINE = "vehicles"
SOURCES = ("jt808", "http", "replay")


def classes(session: Session) -> dict[str, VehicleClass]:
    path = context.setting(session, "monitor_classes_path")
    return load_classes(str(path) if path else None)


# --- vehicles and terminals -----------------------------------------------------------------


def list_vehicles(session: Session, principal: Principal) -> list[MonitoredVehicle]:
    guard(principal, "monitor:read")
    return list(repository.vehicles(session, active_only=False))


def vehicle_exists(session: Session, vehicle_id: str) -> bool:
    return repository.vehicle(session, vehicle_id) is not None


def get_vehicle_or_raise(session: Session, vehicle_id: str) -> MonitoredVehicle:
    vehicle = repository.vehicle(session, vehicle_id)
    if vehicle is None:
        raise NotFound(f"vehicle {vehicle_id!r} is not registered")
    return vehicle


def create_vehicle(session: Session, principal: Principal, vehicle_in: VehicleCreate) -> MonitoredVehicle:
    """Register a regulated vehicle, optionally with its terminal's phone number."""
    guard(principal, "monitor:manage")
    if vehicle_in.vehicle_class not in classes(session):
        raise ValidationFailed(
            f"vehicle_class {vehicle_in.vehicle_class!r} is not one of {', '.join(classes(session))}"
        )
    if repository.vehicle(session, vehicle_in.id) is not None:
        raise Conflict(f"vehicle {vehicle_in.id!r} is already registered")
    if repository.vehicle_by_plate(session, vehicle_in.plate) is not None:
        raise Conflict(f"plate {vehicle_in.plate!r} is already registered to another vehicle")
    now = context.now(session)
    vehicle = repository.add(
        session,
        MonitoredVehicle(
            id=vehicle_in.id,
            plate=vehicle_in.plate,
            vehicle_class=vehicle_in.vehicle_class,
            operator=vehicle_in.operator,
            route=None,
            route_width_m=200.0,
            active=True,
            created_at=now,
            updated_at=now,
        ),
    )
    if vehicle_in.terminal_phone:
        attach_terminal(session, principal, vehicle.id, vehicle_in.terminal_phone)
    audit(session, principal, "create", "monitor_vehicle", vehicle.id, details={"class": vehicle.vehicle_class})
    return vehicle


def attach_terminal(session: Session, principal: Principal, vehicle_id: str, phone: str) -> Terminal:
    """Register a terminal (by its phone number) to a vehicle; its own registration then succeeds."""
    guard(principal, "monitor:manage")
    get_vehicle_or_raise(session, vehicle_id)
    phone = phone.lstrip("0") or "0"
    existing = repository.terminal(session, phone)
    if existing is not None and existing.vehicle_id != vehicle_id:
        raise Conflict(f"terminal {phone} is registered to vehicle {existing.vehicle_id}")
    if existing is not None:
        return existing
    return repository.add(session, Terminal(phone=phone, vehicle_id=vehicle_id, auth_code="", protocol="", active=True))


def set_route(
    session: Session, principal: Principal, vehicle_id: str, geometry: dict[str, Any] | None, width_m: float
) -> MonitoredVehicle:
    """Declare (or clear) the route corridor a vehicle must keep to."""
    guard(principal, "monitor:manage")
    vehicle = get_vehicle_or_raise(session, vehicle_id)
    if geometry is not None:
        line = _geometry(geometry, "route")
        if line.geom_type != "LineString" or len(line.coords) < 2:
            raise ValidationFailed("route: geometry must be a GeoJSON LineString with at least two points")
    vehicle.route, vehicle.route_width_m, vehicle.updated_at = geometry, width_m, context.now(session)
    audit(session, principal, "alter", "monitor_vehicle", vehicle.id, details={"route": geometry is not None})
    return vehicle


@dataclass(frozen=True)
class TerminalAuth:
    vehicle_id: str
    auth_code: str


def register_terminal(session: Session, phone: str, protocol: str) -> TerminalAuth | None:
    """A terminal's 0x0100 registration: known terminals get a fresh auth code, others None."""
    terminal = repository.terminal(session, phone.lstrip("0") or "0")
    if terminal is None or not terminal.active:
        return None
    terminal.auth_code = secrets.token_hex(8)
    terminal.protocol = protocol
    terminal.registered_at = context.now(session)
    return TerminalAuth(terminal.vehicle_id, terminal.auth_code)


def terminal_auth(session: Session, phone: str) -> TerminalAuth | None:
    """The vehicle and current auth code of an active terminal (the gateway's 0x0102 check)."""
    terminal = repository.terminal(session, phone.lstrip("0") or "0")
    if terminal is None or not terminal.active:
        return None
    return TerminalAuth(terminal.vehicle_id, terminal.auth_code)


# --- positions ------------------------------------------------------------------------------


def record_positions(session: Session, rows: list[dict[str, Any]]) -> int:
    """Append acknowledged reports to the engine's input log (the caller commits, then acks)."""
    now = context.now(session)
    for row in rows:
        row.setdefault("received_at", now)
    repository.insert_positions(session, rows)
    return len(rows)


def ingest_positions(session: Session, principal: Principal, positions: list[PositionIn], source: str = "http") -> int:
    """Positions from HTTP or file replay: all-or-nothing; unknown vehicles are named."""
    guard(principal, "monitor:ingest")
    if source not in SOURCES:
        raise ValidationFailed(f"source {source!r} is not one of {', '.join(SOURCES)}")
    known = {v.id for v in repository.vehicles(session)}
    unknown = sorted({p.vehicle_id for p in positions} - known)
    if unknown:
        raise ValidationFailed(
            f"vehicles not registered: {', '.join(unknown[:10])}" + (" ..." if len(unknown) > 10 else "")
        )
    rows = [
        {
            "vehicle_id": p.vehicle_id,
            "time": p.time,
            "lat": p.lat,
            "lon": p.lon,
            "speed_kmh": p.speed_kmh,
            "heading": p.heading,
            "valid": p.valid,
            "source": source,
            "alarm_flags": 0,
            "status_flags": 0,
            "altitude_m": 0,
            "extras": {},
        }
        for p in positions
    ]
    return record_positions(session, rows)


# --- the engine runner ----------------------------------------------------------------------


def _geometry(data: dict[str, Any], what: str) -> Any:
    try:
        geometry = shape(data)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise ValidationFailed(f"{what}: not a valid GeoJSON geometry ({exc})") from exc
    if geometry.is_empty:
        raise ValidationFailed(f"{what}: the geometry is empty")
    return geometry


def fence_of(row: Geofence) -> Fence:
    return Fence(
        row.id, row.name, row.shape, shape(row.geometry), row.size_m, row.alert_on, frozenset(row.classes), row.severity
    )


def current_rules(session: Session) -> Rules:
    """Rules as configured right now: classes, registered vehicles, active fences and routes."""
    vehicles = repository.vehicles(session)
    city = city_service.get(session)
    fences = [fence_of(f) for f in repository.geofences(session)]
    routes = [Route(v.id, shape(v.route), v.route_width_m) for v in vehicles if v.route]
    if city is not None:
        centre = ((city.min_lat + city.max_lat) / 2, (city.min_lon + city.max_lon) / 2)
    else:  # no city imported: centre the projection on the fences (only they need one)
        centre = _centre_of([f.geometry for f in fences] + [r.geometry for r in routes])
    return Rules(
        classes=classes(session),
        vehicle_classes={v.id: v.vehicle_class for v in vehicles},
        centre=centre,
        zone=context.setting(session, "city_timezone", "UTC"),
        fences=fences,
        routes=routes,
    )


def _centre_of(geometries: list[Any]) -> tuple[float, float]:
    if not geometries:
        return (0.0, 0.0)
    points = [g.centroid for g in geometries]
    return (sum(p.y for p in points) / len(points), sum(p.x for p in points) / len(points))


class VehicleStream:
    """Regulated vehicles' positions through the vehicle rules (``lantern.monitor.rules``)."""

    name = ENGINE

    def __init__(self, rules: Rules | None = None) -> None:
        self.rules = rules

    def fetch(self, session: Session, after_id: int, limit: int) -> list[Any]:
        return repository.positions_after(session, after_id, limit)

    def apply(self, session: Session, state_bytes: bytes, rows: Sequence[Any]) -> streams.Applied:
        rules = self.rules or current_rules(session)
        state = EngineState.from_bytes(state_bytes)
        frames, counts = [], {}
        if rows:
            batch = pl.DataFrame([r[1:] for r in rows], schema=POSITION_BATCH, orient="row")
            result = step(state, batch, rules, consume=True)  # state was decoded for this batch alone
            state, counts = result.state, result.counts
            frames.append(result.alerts)
        now = _offline_clock(session, state)
        if now is not None:
            state, silent = offline(state, rules, now)
            frames.append(silent)
        plates = {v.id: v.plate for v in repository.vehicles(session, active_only=False)}
        severity = {f.id: f.severity for f in rules.fences}
        alerts = [_alert_in(row, plates, severity) for frame in frames for row in frame.to_dicts()]
        return streams.Applied(state.to_bytes(), alerts, counts)


POSITION_BATCH = {
    "vehicle_id": pl.String,
    "time": pl.Datetime("us", "UTC"),
    "lat": pl.Float64,
    "lon": pl.Float64,
    "speed_kmh": pl.Float64,
    "valid": pl.Boolean,
}
EngineRun = streams.EngineRun


def process_pending(session: Session, limit: int | None = None, rules: Rules | None = None) -> EngineRun:
    """One engine step over the next positions after the checkpoint, committed by the caller."""
    limit = limit or int(context.setting(session, "monitor_batch_size", 20_000))
    return streams.run_once(session, VehicleStream(rules), limit)


def _offline_clock(session: Session, state: EngineState) -> datetime | None:
    """Wall clock in live service; the newest report's time when replaying history."""
    if context.setting(session, "monitor_clock", "wall") == "event":
        newest = state.vehicles["last_time"].max() if not state.vehicles.is_empty() else None
        return newest if isinstance(newest, datetime) else None
    return context.now(session)


def _alert_in(row: dict[str, Any], plates: dict[str, str], fence_severity: dict[str, str]) -> alert_service.AlertIn:
    kind, vehicle_id = row["kind"], row["vehicle_id"]
    plate = plates.get(vehicle_id, vehicle_id)
    return alert_service.AlertIn(
        source="monitor",
        kind=kind,
        severity=fence_severity.get(row["ref"], "warning") if row["ref"] else SEVERITY.get(kind, "warning"),
        subject_type="vehicle",
        subject_id=vehicle_id,
        # A fence alert names the fence ("HG-104 entered Old town"); the others name the rule.
        title=f"{plate} {row['detail']}" if row["ref"] else f"{TITLES.get(kind, kind)}: {plate}",
        detail=row["detail"] or "",
        dedupe_key=alert_key(row),
        data={
            "lat": row["lat"],
            "lon": row["lon"],
            "at": row["time"].isoformat(),
            "value": row["value"],
            "fence": row["ref"] or None,
        },
    )


def engine_status(session: Session, principal: Principal) -> dict[str, Any]:
    """How far the engine and the track stream have read, how far behind they are, what was dropped."""
    guard(principal, "monitor:read")
    checkpoint = repository.checkpoint(session, ENGINE)
    latest = repository.latest_position_id(session)
    done = checkpoint.position_id if checkpoint else 0
    moved = tracks.moved_up_to(session)
    return {
        "processed_up_to": done,
        "latest": latest,
        "backlog": latest - done,
        "tracks_up_to": moved,
        "tracks_backlog": latest - moved,
        "counts": checkpoint.counts if checkpoint else {},
        "updated_at": checkpoint.updated_at.isoformat() if checkpoint else None,
    }


def engine_state(session: Session) -> EngineState:
    checkpoint = repository.checkpoint(session, ENGINE)
    return EngineState.from_bytes(checkpoint.state if checkpoint else b"")


# --- geofences ------------------------------------------------------------------------------


def list_geofences(session: Session, principal: Principal) -> list[Geofence]:
    guard(principal, "monitor:read")
    return list(repository.geofences(session, active_only=False))


def save_geofence(session: Session, principal: Principal, fence_in: GeofenceIn) -> Geofence:
    """Create or replace a geofence; the geometry must fit the shape."""
    guard(principal, "monitor:manage")
    geometry = _geometry(fence_in.geometry, f"geofence {fence_in.id}")
    expected = {"polygon": "Polygon", "circle": "Point", "corridor": "LineString"}[fence_in.shape]
    if geometry.geom_type != expected:
        raise ValidationFailed(
            f"geofence {fence_in.id}: a {fence_in.shape} needs a GeoJSON {expected}, got {geometry.geom_type}"
        )
    if fence_in.shape == "polygon" and not geometry.is_valid:
        raise ValidationFailed(f"geofence {fence_in.id}: the polygon crosses itself")
    if fence_in.shape != "polygon" and fence_in.size_m <= 0:
        raise ValidationFailed(f"geofence {fence_in.id}: a {fence_in.shape} needs size_m (radius or width) above 0")
    unknown = sorted(set(fence_in.classes) - set(classes(session)))
    if unknown:
        raise ValidationFailed(f"geofence {fence_in.id}: unknown vehicle classes {unknown}")
    row = repository.geofence(session, fence_in.id)
    values = fence_in.model_dump()
    if row is None:
        row = repository.add(
            session, Geofence(**values, active=True, created_by=principal.name, created_at=context.now(session))
        )
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.active = True
    audit(session, principal, "alter", "geofence", row.id, details={"shape": row.shape})
    return row


def delete_geofence(session: Session, principal: Principal, fence_id: str) -> None:
    guard(principal, "monitor:manage")
    row = repository.geofence(session, fence_id)
    if row is None:
        raise NotFound(f"geofence {fence_id!r} does not exist")
    row.active = False
    audit(session, principal, "erase", "geofence", fence_id)


# --- a vehicle's day ------------------------------------------------------------------------


def day_track(
    session: Session, principal: Principal, vehicle_id: str, start: datetime
) -> tuple[MonitoredVehicle, list[TrackPoint]]:
    """One vehicle's positions for 24 h from ``start`` (audited: it is a movement record)."""
    guard(principal, "monitor:read")
    vehicle = get_vehicle_or_raise(session, vehicle_id)
    rows = tracks.read(session, vehicle_id, start, start + timedelta(days=1))
    audit(
        session,
        principal,
        "consult",
        "vehicle_track",
        vehicle_id,
        details={"day": start.date().isoformat(), "positions": len(rows)},
    )
    return vehicle, rows


def purge_tracks(session: Session, before: datetime) -> int:
    """Retention of vehicles' history: track rows whose hour ended before the cut-off."""
    return repository.delete_tracks_before(session, before)


def purge_position_log(session: Session, before: datetime) -> int:
    """Retention of the input log: rows received before the cut-off that both the rule engine
    and the track stream have read (a row neither has read yet is kept, however old)."""
    engine = repository.checkpoint(session, ENGINE)
    read_by_both = min(engine.position_id if engine else 0, tracks.moved_up_to(session))
    return repository.delete_log_before(session, before, read_by_both)


def vehicle_statuses(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Every vehicle with its last accepted fix and driving accumulators, from the engine state."""
    guard(principal, "monitor:read")
    state = {row["vehicle_id"]: row for row in engine_state(session).vehicles.to_dicts()}
    known_classes = classes(session)
    now = context.now(session)
    out = []
    for vehicle in repository.vehicles(session, active_only=False):
        row = state.get(vehicle.id, {})
        last = row.get("last_time")
        vc = known_classes.get(vehicle.vehicle_class)
        silent_s = (now - last).total_seconds() if last else None
        online = silent_s is not None and vc is not None and silent_s <= vc.offline_s
        out.append(
            {
                "id": vehicle.id,
                "plate": vehicle.plate,
                "vehicle_class": vehicle.vehicle_class,
                "class_label": vc.label if vc else vehicle.vehicle_class,
                "operator": vehicle.operator,
                "active": vehicle.active,
                "has_route": vehicle.route is not None,
                "last_time": last.isoformat() if last else None,
                "lat": row.get("last_lat"),
                "lon": row.get("last_lon"),
                "speed_kmh": row.get("last_speed"),
                "driving": bool(row.get("last_driving")),
                "continuous_drive_min": round((row.get("cont_drive_s") or 0) / 60, 1),
                "online": online,
            }
        )
    return out


def vehicles_geojson(session: Session, principal: Principal) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [v["lon"], v["lat"]]},
            "properties": {
                k: v[k]
                for k in ("id", "plate", "class_label", "speed_kmh", "online", "last_time", "continuous_drive_min")
            },
        }
        for v in vehicle_statuses(session, principal)
        if v["lat"] is not None
    ]
    return {"type": "FeatureCollection", "features": features}


def geofences_geojson(session: Session, principal: Principal) -> dict[str, Any]:
    """Fences as drawn areas: circles and corridors buffered to their real size."""
    fences = list_geofences(session, principal)
    rules = current_rules(session)
    features = []
    for row in fences:
        if not row.active:
            continue
        area = _drawn_area(fence_of(row), rules)
        features.append(
            {
                "type": "Feature",
                "geometry": area,
                "properties": {
                    "id": row.id,
                    "name": row.name,
                    "shape": row.shape,
                    "alert_on": row.alert_on,
                    "severity": row.severity,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _drawn_area(fence: Fence, rules: Rules) -> dict[str, Any]:
    if fence.shape == "polygon":
        return dict(mapping(fence.geometry))
    projection = rules.projection
    local = project(fence.geometry, projection)
    area = local.buffer(fence.size_m if fence.shape == "circle" else fence.size_m / 2, quad_segs=16)
    xs, ys = area.exterior.coords.xy
    lat, lon = projection.to_latlon(list(xs), list(ys))
    return {"type": "Polygon", "coordinates": [[[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]]}


def vehicle_day(session: Session, principal: Principal, vehicle_id: str, start: datetime) -> dict[str, Any]:
    """A vehicle's 24 h from ``start``: positions, driving/stopped periods, and its alerts."""
    vehicle, rows = day_track(session, principal, vehicle_id, start)
    vc = classes(session).get(vehicle.vehicle_class)
    track = pl.DataFrame(
        {"time": [r.time for r in rows], "speed_kmh": [r.speed_kmh for r in rows]},
        schema={"time": pl.Datetime("us", "UTC"), "speed_kmh": pl.Float64},
    ).filter(pl.Series([r.valid for r in rows], dtype=pl.Boolean) if rows else pl.lit(True))
    spans = analytics.periods(track, vc.moving_kmh if vc else 5.0, vc.max_fix_gap_s if vc else 300.0)
    end = start + timedelta(days=1)
    alerts = [
        a
        for a in alert_service.list_alerts(session, principal, include_resolved=True, source="monitor", limit=1000)
        if a.subject_id == vehicle_id
        and start <= datetime.fromisoformat((a.data or {}).get("at", a.created_at.isoformat())) < end
    ]
    driving = spans.filter(pl.col("kind") == "driving")["minutes"].sum() if not spans.is_empty() else 0.0
    return {
        "vehicle": {
            "id": vehicle.id,
            "plate": vehicle.plate,
            "vehicle_class": vehicle.vehicle_class,
            "operator": vehicle.operator,
        },
        "day_start": start.isoformat(),
        "positions": [
            {"time": r.time.isoformat(), "lat": r.lat, "lon": r.lon, "speed_kmh": r.speed_kmh, "valid": r.valid}
            for r in rows
        ],
        "periods": [
            {
                "kind": p["kind"],
                "start": p["start"].isoformat(),
                "end": p["end"].isoformat(),
                "minutes": round(p["minutes"], 1),
            }
            for p in spans.to_dicts()
        ],
        "driving_minutes": round(float(driving or 0.0), 1),
        "speed_limit_kmh": vc.speed_limit if vc else None,
        "alerts": [
            {
                "id": a.id,
                "kind": a.kind,
                "title": a.title,
                "detail": a.detail,
                "status": a.status,
                "at": (a.data or {}).get("at"),
            }
            for a in alerts
        ],
    }
