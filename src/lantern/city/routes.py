"""JSON endpoints of the city model and the geocoder."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from lantern.city import service as city_service
from lantern.city.schemas import (
    AddressCandidate,
    AddressRead,
    CityRead,
    DistrictRead,
    GeocodeRead,
    ReverseRead,
)
from lantern.web.auth import require
from lantern.web.deps import SessionDep

router = APIRouter(prefix="/api", tags=["city"])
CITY_READ = [require("city:read")]
GEOCODE = [require("geocode:use")]


@router.get("/city", response_model=CityRead, dependencies=CITY_READ)
def read_city(session: SessionDep) -> Any:
    """The imported city: name, source, bounding box."""
    return city_service.get_or_raise(session)


@router.get("/city/districts", response_model=list[DistrictRead], dependencies=CITY_READ)
def read_districts(session: SessionDep) -> Any:
    """Districts with area and centroid."""
    return city_service.list_districts(session)


@router.get("/city/districts.geojson", dependencies=CITY_READ)
def districts_geojson(session: SessionDep) -> dict[str, Any]:
    """Districts as a GeoJSON FeatureCollection."""
    return city_service.districts_geojson(session)


@router.get("/city/roads.geojson", dependencies=CITY_READ)
def roads_geojson(session: SessionDep) -> dict[str, Any]:
    """Road segments as a GeoJSON FeatureCollection (class, name, free-flow speed)."""
    return city_service.roads_geojson(session)


@router.get("/geocode", response_model=GeocodeRead, dependencies=GEOCODE)
def geocode(session: SessionDep, q: str = Query(min_length=1, max_length=300)) -> Any:
    """Resolve an address; 404 lists the best candidates when nothing matches."""
    match = city_service.geocode(session, q)
    a = match.address
    return GeocodeRead(
        address=AddressRead(id=a.id, text=a.text, lat=a.lat, lon=a.lon, district_id=a.district_id),
        score=match.score,
        exact=match.exact,
    )


@router.get("/geocode/suggest", response_model=list[AddressCandidate], dependencies=GEOCODE)
def suggest(session: SessionDep, q: str = Query(max_length=300), limit: int = Query(5, ge=1, le=20)) -> Any:
    """Type-ahead suggestions for a partial address."""
    return city_service.suggest(session, q, limit)


@router.get("/geocode/reverse", response_model=ReverseRead, dependencies=GEOCODE)
def reverse(session: SessionDep, lat: float = Query(ge=-90, le=90), lon: float = Query(ge=-180, le=180)) -> Any:
    """The nearest registered address and the district containing the point."""
    match, district = city_service.reverse(session, lat, lon)
    a = match.address
    return ReverseRead(
        address=AddressRead(id=a.id, text=a.text, lat=a.lat, lon=a.lon, district_id=a.district_id),
        distance_m=match.distance_m,
        district=DistrictRead.model_validate(district) if district else None,
    )
