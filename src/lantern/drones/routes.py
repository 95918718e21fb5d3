"""Drone API: geozones, declarations (approved or rejected with the reason), telemetry, live flights."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, status
from pydantic import TypeAdapter

from lantern.drones import service as drone_service
from lantern.drones.schemas import DeclarationIn, DeclarationRead, GeozoneIn, TelemetryIn
from lantern.errors import ValidationFailed
from lantern.security.policy import Principal
from lantern.web.auth import require
from lantern.web.deps import SessionDep
from lantern.web.records import Accepted, ContentType, RawBody, parse_records

router = APIRouter(prefix="/api/drones", tags=["drones"])
Reader = Annotated[Principal, require("drones:read")]
Declarer = Annotated[Principal, require("drones:declare")]
Manager = Annotated[Principal, require("drones:manage")]
Telemetry = Annotated[Principal, require("drones:telemetry")]
ZoneIdPath = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_\-.]+$")]
DeclarationIdPath = Annotated[str, Path(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_\-]+$")]
_TELEMETRY = TypeAdapter(TelemetryIn)


@router.get("/geozones.geojson")
def geozones_geojson(session: SessionDep, principal: Reader) -> dict[str, Any]:
    return drone_service.geozones_geojson(session, principal)


@router.put("/geozones/{zone_id}", response_model=GeozoneIn)
def save_geozone(session: SessionDep, principal: Manager, zone_id: ZoneIdPath, zone_in: GeozoneIn) -> Any:
    if zone_in.id != zone_id:
        raise ValidationFailed(f"id: the body says {zone_in.id!r} but the URL says {zone_id!r}")
    return drone_service.save_geozone(session, principal, zone_in)


@router.post("/geozones/import", response_model=Accepted)
def import_geozones(session: SessionDep, principal: Manager, document: dict[str, Any]) -> Any:
    """A GeoJSON FeatureCollection or an ED-269 UASZone document; all-or-nothing."""
    return {"accepted": drone_service.import_geozones(session, principal, document)}


@router.delete("/geozones/{zone_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_geozone(session: SessionDep, principal: Manager, zone_id: ZoneIdPath) -> None:
    drone_service.delete_geozone(session, principal, zone_id)


@router.post("/declarations", response_model=DeclarationRead, status_code=status.HTTP_201_CREATED)
def file_declaration(session: SessionDep, principal: Declarer, declaration_in: DeclarationIn) -> Any:
    """Checked at once against geozones and approved flights: the answer is approved, or rejected with the reason."""
    return drone_service.file_declaration(session, principal, declaration_in)


@router.get("/declarations", response_model=list[DeclarationRead])
def declarations(session: SessionDep, principal: Reader) -> Any:
    return drone_service.list_declarations(session, principal, datetime.now(UTC) - timedelta(days=7))


@router.get("/declarations.geojson")
def declarations_geojson(session: SessionDep, principal: Reader) -> dict[str, Any]:
    return drone_service.declarations_geojson(session, principal, datetime.now(UTC) - timedelta(days=1))


@router.post("/declarations/{declaration_id}/cancel", response_model=DeclarationRead)
def cancel(session: SessionDep, principal: Declarer, declaration_id: DeclarationIdPath) -> Any:
    return drone_service.cancel_declaration(session, principal, declaration_id)


@router.post("/telemetry", response_model=Accepted, status_code=status.HTTP_202_ACCEPTED)
def telemetry(session: SessionDep, principal: Telemetry, body: RawBody, content_type: ContentType = "") -> Any:
    """Telemetry points (JSON array or NDJSON), all-or-nothing; a 202 means they will be checked."""
    points = parse_records(body, content_type, _TELEMETRY)
    return {"accepted": drone_service.ingest_telemetry(session, principal, points)}


@router.get("/flights")
def flights(session: SessionDep, principal: Reader) -> list[dict[str, Any]]:
    """Today's approved flights with their last telemetry and conformance."""
    return [
        {
            **f,
            "starts_at": f["starts_at"].isoformat(),
            "ends_at": f["ends_at"].isoformat(),
            "last_time": f["last_time"].isoformat() if f["last_time"] else None,
        }
        for f in drone_service.live_flights(session, principal)
    ]
