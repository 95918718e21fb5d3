"""Schemas of the dispatch desk."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lantern.kit.ids import DbId
from lantern.people.schemas import PartyCreate


class CallCreate(BaseModel):
    """A call as the dispatcher enters it: where, what, who called, what they said."""

    model_config = ConfigDict(extra="forbid")

    type_code: str = Field(min_length=1, max_length=20)
    address: str | None = Field(None, max_length=300, description="free text, resolved by the geocoder")
    address_id: int | None = Field(None, ge=1, le=2**31 - 1)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    priority: int | None = Field(None, ge=1, le=4, description="override of the type's default grade")
    priority_reason: str = Field("", max_length=300)
    narrative: str = Field("", max_length=4000)
    caller_name: str | None = Field(None, max_length=200)
    caller_phone: str | None = Field(None, max_length=40)
    merge_into: int | None = Field(None, ge=1, le=2**31 - 1, description="join this open incident instead")

    @model_validator(mode="after")
    def _one_location(self) -> CallCreate:
        given = [
            self.address is not None and self.address.strip() != "",
            self.address_id is not None,
            self.lat is not None or self.lon is not None,
        ]
        if sum(given) != 1:
            raise ValueError("give exactly one location: address, address_id, or lat and lon")
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon")
        if (self.caller_name is None) != (self.caller_phone is None):
            raise ValueError("give both caller_name and caller_phone, or neither")
        return self

    def caller(self) -> PartyCreate | None:
        if self.caller_name is None or self.caller_phone is None:
            return None
        return PartyCreate(role="caller", name=self.caller_name, phone=self.caller_phone)


class DuplicateRead(BaseModel):
    id: int
    number: str
    type_code: str | None
    priority: int | None
    distance_m: float
    minutes_ago: float


class IncidentSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    natural_key: str
    category: str
    type_code: str | None
    priority: int | None
    status: str
    lat: float
    lon: float
    district_id: int | None
    occurred_from: datetime
    restricted: bool


class IntakeRead(BaseModel):
    incident: IncidentSummary
    call_id: int
    merged: bool
    duplicates: list[DuplicateRead]
    premise_warnings: list[str]


class RecommendationRead(BaseModel):
    unit_id: int
    callsign: str
    kind: str
    slot: str
    seconds: float
    distance_m: float
    straight_line: bool


class RecommendationsRead(BaseModel):
    incident_id: int
    plan: dict[str, int]
    recommendations: list[RecommendationRead]
    missing: dict[str, int]
    note: str = ""


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_ids: list[DbId] = Field(min_length=1, max_length=20)
    override_reason: str = Field("", max_length=300)


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str = Field(max_length=20)
    reason: str = Field("", max_length=300)


class PositionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class FieldReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disposition: str = Field(min_length=2, max_length=300)


class UnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    callsign: str
    kind: str
    status: str
    lat: float | None
    lon: float | None
    incident_id: int | None
    status_changed_at: datetime | None


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: str
    actor: str
    text: str
    data: dict[str, object]
