"""Monitoring JSON API: vehicles, positions (JSON or NDJSON), engine status, geofences, hotlists."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from lantern.errors import ValidationFailed
from lantern.monitor import hotlist_service
from lantern.monitor import service as monitor_service
from lantern.monitor.schemas import (
    GeofenceIn,
    GeofenceRead,
    HotlistEntryIn,
    HotlistEntryRead,
    PositionIn,
    ReaderIn,
    ReadIn,
    ReadResult,
    RouteIn,
    VehicleCreate,
    VehicleRead,
)
from lantern.security.policy import Principal
from lantern.web.auth import require
from lantern.web.deps import SessionDep
from lantern.web.params import IdPath
from lantern.web.records import Accepted, ContentType, RawBody, parse_records

router = APIRouter(prefix="/api/monitor", tags=["monitoring"])
hotlist_router = APIRouter(prefix="/api/hotlist", tags=["hotlists"])
Reader = Annotated[Principal, require("monitor:read")]
Manager = Annotated[Principal, require("monitor:manage")]
Ingest = Annotated[Principal, require("monitor:ingest")]
HotlistReader = Annotated[Principal, require("hotlist:read")]
HotlistManager = Annotated[Principal, require("hotlist:manage")]
ReadReporter = Annotated[Principal, require("hotlist:report")]
VehicleIdPath = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")]
_POSITION = TypeAdapter(PositionIn)
_READ = TypeAdapter(ReadIn)


class TerminalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(pattern=r"^\d{1,20}$")


class RemoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=300)


@router.post("/positions", response_model=Accepted, status_code=status.HTTP_202_ACCEPTED)
def post_positions(session: SessionDep, principal: Ingest, body: RawBody, content_type: ContentType = "") -> Any:
    """Position reports as a JSON array or NDJSON (``Content-Type: application/x-ndjson``).

    All-or-nothing: one bad record rejects the batch with its line and field named. A 202 means
    the reports are committed and will be evaluated.
    """
    positions = parse_records(body, content_type, _POSITION)
    return {"accepted": monitor_service.ingest_positions(session, principal, positions)}


@router.get("/vehicles")
def vehicles(session: SessionDep, principal: Reader) -> list[dict[str, Any]]:
    """Registered vehicles with their last status."""
    return monitor_service.vehicle_statuses(session, principal)


@router.get("/vehicles.geojson")
def vehicles_geojson(session: SessionDep, principal: Reader) -> dict[str, Any]:
    return monitor_service.vehicles_geojson(session, principal)


@router.post("/vehicles", response_model=VehicleRead, status_code=status.HTTP_201_CREATED)
def create_vehicle(session: SessionDep, principal: Manager, vehicle_in: VehicleCreate) -> Any:
    return monitor_service.create_vehicle(session, principal, vehicle_in)


@router.post("/vehicles/{vehicle_id}/terminals", status_code=status.HTTP_201_CREATED)
def attach_terminal(
    session: SessionDep, principal: Manager, vehicle_id: VehicleIdPath, terminal_in: TerminalIn
) -> dict[str, str]:
    terminal = monitor_service.attach_terminal(session, principal, vehicle_id, terminal_in.phone)
    return {"phone": terminal.phone, "vehicle_id": terminal.vehicle_id}


@router.put("/vehicles/{vehicle_id}/route", response_model=VehicleRead)
def set_route(session: SessionDep, principal: Manager, vehicle_id: VehicleIdPath, route_in: RouteIn) -> Any:
    return monitor_service.set_route(session, principal, vehicle_id, route_in.geometry, route_in.width_m)


@router.get("/vehicles/{vehicle_id}/day")
def vehicle_day(
    session: SessionDep, principal: Reader, vehicle_id: VehicleIdPath, day: Annotated[date | None, Query()] = None
) -> dict[str, Any]:
    """One day of a vehicle: positions, driving and rest periods (UTC day)."""
    start = datetime.combine(day or datetime.now(UTC).date(), datetime.min.time(), UTC)
    timeline = monitor_service.vehicle_day(session, principal, vehicle_id, start)
    return timeline


@router.get("/engine")
def engine(session: SessionDep, principal: Reader) -> dict[str, Any]:
    """How far the rule engine has read and what it dropped (invalid, late, teleport ...)."""
    return monitor_service.engine_status(session, principal)


@router.get("/gateway")
def gateway(request: Request, principal: Reader) -> dict[str, Any]:
    """JT/T 808 gateway counters (frames, replies, bad frames, floods, connections)."""
    gw = getattr(request.app.state, "gateway", None)
    if gw is None:
        return {"running": False}
    return {"running": True, "open_connections": gw.connections, **dict(gw.stats)}


@router.get("/geofences", response_model=list[GeofenceRead])
def geofences(session: SessionDep, principal: Reader) -> Any:
    return monitor_service.list_geofences(session, principal)


@router.get("/geofences.geojson")
def geofences_geojson(session: SessionDep, principal: Reader) -> dict[str, Any]:
    return monitor_service.geofences_geojson(session, principal)


@router.put("/geofences/{fence_id}", response_model=GeofenceRead)
def save_geofence(session: SessionDep, principal: Manager, fence_id: VehicleIdPath, fence_in: GeofenceIn) -> Any:
    if fence_in.id != fence_id:
        raise ValidationFailed(f"id: the body says {fence_in.id!r} but the URL says {fence_id!r}")
    return monitor_service.save_geofence(session, principal, fence_in)


@router.delete("/geofences/{fence_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_geofence(session: SessionDep, principal: Manager, fence_id: VehicleIdPath) -> None:
    monitor_service.delete_geofence(session, principal, fence_id)


@router.get("/reader-counts")
def reader_counts(
    session: SessionDep, principal: Reader, hours: Annotated[int, Query(ge=1, le=24 * 31)] = 24
) -> list[dict[str, Any]]:
    """Reads per reader per hour: the only record of reads that matched nothing."""
    return hotlist_service.reader_statistics(session, principal, datetime.now(UTC) - timedelta(hours=hours))


@hotlist_router.get("/entries", response_model=list[HotlistEntryRead])
def entries(session: SessionDep, principal: HotlistReader, include_inactive: bool = False) -> Any:
    return hotlist_service.list_entries(session, principal, include_inactive)


@hotlist_router.post("/entries", response_model=HotlistEntryRead, status_code=status.HTTP_201_CREATED)
def add_entry(session: SessionDep, principal: HotlistManager, entry_in: HotlistEntryIn) -> Any:
    return hotlist_service.add_entry(session, principal, entry_in)


@hotlist_router.post("/entries/{entry_id}/remove", response_model=HotlistEntryRead)
def remove_entry(session: SessionDep, principal: HotlistManager, entry_id: IdPath, remove_in: RemoveIn) -> Any:
    return hotlist_service.remove_entry(session, principal, entry_id, remove_in.reason)


@hotlist_router.put("/readers/{reader_id}")
def save_reader(
    session: SessionDep, principal: Manager, reader_id: VehicleIdPath, reader_in: ReaderIn
) -> dict[str, Any]:
    if reader_in.id != reader_id:
        raise ValidationFailed(f"id: the body says {reader_in.id!r} but the URL says {reader_id!r}")
    reader = hotlist_service.save_reader(session, principal, reader_in)
    return {"id": reader.id, "name": reader.name, "kind": reader.kind, "lat": reader.lat, "lon": reader.lon}


@hotlist_router.post("/reads", response_model=list[ReadResult])
def post_reads(session: SessionDep, principal: ReadReporter, body: RawBody, content_type: ContentType = "") -> Any:
    """Plate or tag reads (JSON or NDJSON). Reads that match nothing are dropped at once."""
    reads = parse_records(body, content_type, _READ)
    results = []
    for read in reads:
        hit = hotlist_service.record_read(session, principal, read)
        results.append({"matched": hit is not None, "alert_id": hit.alert_id if hit else None})
    return results


@hotlist_router.get("/hits")
def hits(session: SessionDep, principal: HotlistReader) -> list[dict[str, Any]]:
    return [
        {
            "id": h.id,
            "entry_id": h.entry_id,
            "reader_id": h.reader_id,
            "read_at": h.read_at.isoformat(),
            "read_text": h.read_text,
            "confidence": h.confidence,
            "alert_id": h.alert_id,
        }
        for h in hotlist_service.recent_hits(session, principal)
    ]
