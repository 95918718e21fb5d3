"""Pydantic shapes of the drone API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class DeclarationIn(BaseModel):
    """A flight declaration: who flies what, why, where (polygon or corridor), how high, when."""

    model_config = ConfigDict(extra="forbid")

    operator: str = Field(min_length=2, max_length=120)
    aircraft: str = Field(min_length=2, max_length=60)
    purpose: str = Field(min_length=3, max_length=300)
    police: bool = False
    incident_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    shape: Literal["polygon", "corridor"] = "polygon"
    geometry: dict[str, Any]
    width_m: float = Field(default=0, ge=0, le=5000)
    floor_m: float = Field(ge=0, le=5000)
    ceiling_m: float = Field(gt=0, le=5000)
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class DeclarationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    operator: str
    aircraft: str
    purpose: str
    police: bool
    incident_id: int | None
    shape: str
    geometry: dict[str, Any]
    width_m: float
    floor_m: float
    ceiling_m: float
    starts_at: datetime
    ends_at: datetime
    state: str
    reason: str


class GeozoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_\-.]+$")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["airport", "prison", "event", "hospital", "other"] = "other"
    restriction: Literal["prohibited", "authorisation"] = "prohibited"
    geometry: dict[str, Any]
    lower_m: float = Field(default=0, ge=0, le=10_000)
    upper_m: float = Field(default=120, gt=0, le=10_000)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None


class TelemetryIn(BaseModel):
    """One telemetry point (>= 1 Hz while flying). Altitude in metres above ground."""

    model_config = ConfigDict(extra="forbid")

    declaration_id: str = Field(min_length=1, max_length=20)
    time: AwareDatetime
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    alt_m: float = Field(ge=-100, le=10_000)
