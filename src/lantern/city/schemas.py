"""Pydantic schemas of the city domain."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class CityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    source: str
    attribution: str
    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float
    imported_at: datetime


class CityImportSummary(BaseModel):
    name: str
    source: str
    districts: int
    road_nodes: int
    road_edges: int
    addresses: int
    addresses_outside_districts: int


class DistrictRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    area_m2: float
    centroid_lat: float
    centroid_lon: float


class AddressRead(BaseModel):
    id: int
    text: str
    lat: float
    lon: float
    district_id: int | None


class GeocodeRead(BaseModel):
    address: AddressRead
    score: float
    exact: bool


class ReverseRead(BaseModel):
    address: AddressRead
    distance_m: float
    district: DistrictRead | None


class AddressCandidate(BaseModel):
    id: int
    text: str
    score: float
    lat: float
    lon: float
