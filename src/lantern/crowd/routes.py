"""Crowd API: zones and their density, anonymous counts in."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, status

from lantern.crowd import service as crowd_service
from lantern.crowd.schemas import ZoneIn
from lantern.errors import ValidationFailed
from lantern.security.policy import Principal
from lantern.web.auth import require
from lantern.web.deps import SessionDep
from lantern.web.records import Accepted, ContentType, RawBody, parse_records

router = APIRouter(prefix="/api/crowd", tags=["crowd safety"])
Reader = Annotated[Principal, require("crowd:read")]
Manager = Annotated[Principal, require("crowd:manage")]
Reporter = Annotated[Principal, require("crowd:report")]
ZoneIdPath = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")]


@router.get("/zones")
def zones(session: SessionDep, principal: Reader) -> list[dict[str, Any]]:
    """Zones with their latest density, level, rate of rise and forecast."""
    return [
        {
            "id": z["zone"].id,
            "name": z["zone"].name,
            "area_m2": z["zone"].area_m2,
            "levels": z["zone"].levels,
            "density": z["density"],
            "level": z["level"],
            "slope_per_min": z["slope"],
            "forecast": z["forecast"],
        }
        for z in crowd_service.zone_statuses(session, principal)
    ]


@router.put("/zones/{zone_id}")
def save_zone(session: SessionDep, principal: Manager, zone_id: ZoneIdPath, zone_in: ZoneIn) -> dict[str, Any]:
    if zone_in.id != zone_id:
        raise ValidationFailed(f"id: the body says {zone_in.id!r} but the URL says {zone_id!r}")
    row = crowd_service.save_zone(session, principal, zone_in)
    return {"id": row.id, "name": row.name, "area_m2": row.area_m2, "levels": row.levels}


@router.post("/counts", response_model=Accepted, status_code=status.HTTP_202_ACCEPTED)
def counts(session: SessionDep, principal: Reporter, body: RawBody, content_type: ContentType = "") -> Any:
    """Anonymous people counts (JSON array or NDJSON). Identities, images or device ids are refused."""
    records = parse_records(body, content_type)
    return {"accepted": crowd_service.record_counts(session, principal, records)}
