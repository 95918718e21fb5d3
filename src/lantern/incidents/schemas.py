"""Pydantic schemas of incidents."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class IncidentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    category: str
    occurred_from: datetime
    occurred_to: datetime
    time_precision: str
    lat: float
    lon: float
    h3_cell: str
    district_id: int | None
    source_district: str
    premise: str


class IncidentPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[IncidentRead]
