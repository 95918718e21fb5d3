"""Pydantic shapes of the monitoring API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Plate = Field(min_length=2, max_length=20)


class PositionIn(BaseModel):
    """One position report over HTTP (terminal partners, file replay)."""

    model_config = ConfigDict(extra="forbid")

    vehicle_id: str = Field(min_length=1, max_length=40)
    time: AwareDatetime
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    speed_kmh: float = Field(ge=0, le=400)
    heading: int = Field(default=0, ge=0, le=359)
    valid: bool = True


class VehicleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")
    plate: str = Plate
    vehicle_class: str = Field(min_length=1, max_length=40)
    operator: str = Field(default="", max_length=120)
    terminal_phone: str | None = Field(default=None, pattern=r"^\d{1,20}$")


class RouteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    geometry: dict[str, Any]
    width_m: float = Field(default=200, gt=0, le=5000)


class VehicleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    plate: str
    vehicle_class: str
    operator: str
    active: bool
    route_width_m: float
    has_route: bool = False


class GeofenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")
    name: str = Field(min_length=1, max_length=120)
    shape: Literal["polygon", "circle", "corridor"]
    geometry: dict[str, Any]
    size_m: float = Field(default=0, ge=0, le=50_000)
    alert_on: Literal["enter", "exit", "both"] = "enter"
    classes: list[str] = Field(default_factory=list)
    severity: Literal["info", "warning", "critical"] = "warning"


class GeofenceRead(GeofenceIn):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    active: bool = True


class HotlistEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["plate", "tag"]
    value: str = Field(min_length=2, max_length=40)
    case_ref: str = Field(min_length=3, max_length=60)
    description: str = Field(default="", max_length=300)
    expires_at: AwareDatetime


class HotlistEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    value: str
    case_ref: str
    description: str
    added_by: str
    created_at: datetime
    expires_at: datetime
    active: bool


class CandidateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=40)
    confidence: float = Field(ge=0, le=1)


class ReadIn(BaseModel):
    """A plate read (several candidate readings) or a tag read (one exact id)."""

    model_config = ConfigDict(extra="forbid")

    reader_id: str = Field(min_length=1, max_length=40)
    time: AwareDatetime
    tag: str | None = Field(default=None, min_length=2, max_length=40)
    candidates: list[CandidateIn] = Field(default_factory=list, max_length=10)


class ReadResult(BaseModel):
    matched: bool
    alert_id: int | None = None


class ReaderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")
    name: str = Field(min_length=1, max_length=120)
    kind: Literal["plate", "tag"]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
