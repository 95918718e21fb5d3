"""Pydantic schemas of the traffic API: road events, signal timing, index reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from lantern.kit.time import within_supported_range


def _supported(value: datetime | None) -> datetime | None:
    """Times between 1900 and 2200 (UTC); a year-1 time with an offset would overflow on conversion."""
    if value is None:
        return None
    try:
        return within_supported_range(value)
    except OverflowError as exc:
        raise ValueError(f"time {value.isoformat()} is outside the supported range 1900-2200") from exc


EventKindIn = Literal["roadwork", "closure", "accident", "incident"]
DirectionIn = Literal[
    "northbound", "eastbound", "southbound", "westbound", "undefined", "unknown", "inner-loop", "outer-loop"
]


class GeometryIn(BaseModel):
    """A GeoJSON Point or LineString in WGS84 ``[lon, lat]``."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["Point", "LineString"]
    coordinates: list[float] | list[list[float]]


class RoadEventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: EventKindIn
    geometry: GeometryIn
    start_at: AwareDatetime
    end_at: AwareDatetime | None = None
    name: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)
    road_names: list[str] = Field(default_factory=list, max_length=10)
    direction: DirectionIn = "unknown"
    lanes_total: int | None = Field(default=None, ge=1, le=20)
    lanes_closed: list[int] = Field(default_factory=list, max_length=20)
    published: bool = True

    _times = field_validator("start_at", "end_at")(_supported)


class RoadEventUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    end_at: AwareDatetime | None = None
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    lanes_total: int | None = Field(default=None, ge=1, le=20)
    lanes_closed: list[int] | None = Field(default=None, max_length=20)
    published: bool | None = None

    _times = field_validator("end_at")(_supported)


class AccidentFromIncident(BaseModel):
    """What the public may read about an accident created from a dispatch incident."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(default="", max_length=2000)
    road_names: list[str] = Field(default_factory=list, max_length=10)
    lanes_total: int | None = Field(default=None, ge=1, le=20)
    lanes_closed: list[int] = Field(default_factory=list, max_length=20)
    kind: Literal["accident", "closure"] = "accident"


class RoadEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    public_id: str
    kind: str
    name: str
    description: str
    road_names: list[str]
    direction: str
    lanes_total: int | None
    lanes_closed: list[int]
    geometry: dict[str, Any]
    lat: float
    lon: float
    district_id: int | None
    start_at: datetime
    end_at: datetime | None
    published: bool
    incident_id: int | None
    revision: int
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime


class PhaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40)
    flow_veh_h: float = Field(ge=0, le=20_000)
    saturation_veh_h: float = Field(gt=0, le=20_000)
    min_green_s: float = Field(default=0.0, ge=0, le=300)


class WebsterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phases: list[PhaseIn] = Field(min_length=1, max_length=12)
    lost_time_s: float = Field(ge=0, le=300)
    min_cycle_s: float = Field(default=30.0, gt=0, le=600)
    max_cycle_s: float = Field(default=150.0, gt=0, le=600)


class PhaseRead(BaseModel):
    name: str
    flow_ratio: float
    green_s: float
    degree_of_saturation: float | None
    min_green_bound: bool


class WebsterRead(BaseModel):
    status: str
    message: str
    cycle_s: float
    webster_cycle_s: float | None
    lost_time_s: float
    total_flow_ratio: float
    phases: list[PhaseRead]


class DetectorImportRead(BaseModel):
    profile: str
    source: str
    detectors_added: int
    readings_read: int
    inserted: int
    already_present: int


class FixIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    time: AwareDatetime

    _time = field_validator("time")(_supported)


class ProbeTrackBody(BaseModel):
    """One vehicle's fixes in time order. No vehicle id is taken: only speeds per road are kept."""

    model_config = ConfigDict(extra="forbid")

    fixes: list[FixIn] = Field(min_length=2, max_length=5000)


class ProbesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tracks: list[ProbeTrackBody] = Field(min_length=1, max_length=500)
    source: str = Field(default="probe", pattern=r"^[a-z0-9][a-z0-9._-]{0,39}$")


class ProbesRead(BaseModel):
    tracks: int
    fixes: int
    matched: int
    slots_added: int
    slots_updated: int
