"""City rules: importing the city model, geocoding, district lookup and map layers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np
from shapely.geometry import shape
from sqlalchemy.orm import Session

from lantern.city import repository
from lantern.city.addressing import registry_key
from lantern.city.build import CityBuild
from lantern.city.geocoder import AddressEntry, GeocodeMatch, Geocoder, ReverseMatch
from lantern.city.schemas import CityImportSummary
from lantern.city.spatial import DistrictIndex, DistrictShape
from lantern.errors import Conflict, NotFound, ValidationFailed
from lantern.kit.geo import LocalProjection, h3_cells
from lantern.kit.time import utcnow
from lantern.models import City, District, RoadEdge, RoadNode
from lantern.models.city import Address

# Indexes are rebuilt only when the city changes; key: (database url, city import time).
_GEOCODERS: dict[tuple[str, datetime], Geocoder] = {}
_DISTRICT_INDEXES: dict[tuple[str, datetime], DistrictIndex] = {}


def get(session: Session) -> City | None:
    """The imported city, if any."""
    return repository.get_city(session)


def get_or_raise(session: Session) -> City:
    """The imported city, or NotFound telling how to import one."""
    city = repository.get_city(session)
    if city is None:
        raise NotFound("no city has been imported; run `lantern city import --osm FILE` or `lantern demo`")
    return city


def import_city(session: Session, build: CityBuild, *, h3_resolution: int, replace: bool = False) -> CityImportSummary:
    """Create the city tables from a build; refuses to overwrite unless ``replace``."""
    if not build.nodes or not build.edges:
        raise ValidationFailed(f"{build.source}: the road network is empty")
    if not build.districts:
        raise ValidationFailed(f"{build.source}: no districts could be made")
    existing = repository.get_city(session)
    if existing is not None:
        if not replace:
            raise Conflict(
                f"a city ({existing.name}, from {existing.source}) is already imported; "
                "pass --replace to rebuild it (incident links to districts are recomputed)"
            )
        repository.delete_city(session)
    min_lat, min_lon, max_lat, max_lon = build.bbox()
    repository.add_city(
        session,
        City(
            id=1,
            name=build.name,
            source=build.source,
            attribution=build.attribution,
            min_lat=min_lat,
            min_lon=min_lon,
            max_lat=max_lat,
            max_lon=max_lon,
            imported_at=utcnow(),
        ),
    )
    districts = _add_districts(session, build)
    repository.bulk_insert(
        session, RoadNode, [{"id": n.id, "osm_id": n.osm_id, "lat": n.lat, "lon": n.lon} for n in build.nodes]
    )
    node_ids = {n.id for n in build.nodes}
    edges = [
        {
            "source_id": e.source_id,
            "target_id": e.target_id,
            "length_m": round(e.length_m, 2),
            "road_class": e.road_class,
            "speed_kmh": round(e.speed_kmh, 1),
            "name": e.name,
            "osm_way_id": e.osm_way_id,
            "coordinates": json.dumps(e.coordinates, separators=(",", ":")),
        }
        for e in build.edges
        if e.source_id in node_ids and e.target_id in node_ids
    ]
    repository.bulk_insert(session, RoadEdge, edges)
    outside = _add_addresses(session, build, districts, h3_resolution)
    return CityImportSummary(
        name=build.name,
        source=build.source,
        districts=len(districts),
        road_nodes=len(build.nodes),
        road_edges=len(edges),
        addresses=len(build.addresses),
        addresses_outside_districts=outside,
    )


def _add_districts(session: Session, build: CityBuild) -> list[District]:
    rows = []
    for row in build.districts:
        geometry = shape(row.geojson)
        if not geometry.is_valid or geometry.is_empty:
            raise ValidationFailed(f"district {row.code} ({row.name}) has an invalid polygon")
        centroid = geometry.centroid
        projection = LocalProjection(centroid.y, centroid.x)
        area = _projected_area(geometry, projection)
        rows.append(
            District(
                code=row.code,
                name=row.name,
                geojson=json.dumps(row.geojson, separators=(",", ":")),
                area_m2=round(area, 1),
                centroid_lat=round(centroid.y, 7),
                centroid_lon=round(centroid.x, 7),
            )
        )
    return repository.add_districts(session, rows)


def _projected_area(geometry: Any, projection: LocalProjection) -> float:
    polygons = getattr(geometry, "geoms", [geometry])
    total = 0.0
    for polygon in polygons:
        xs, ys = polygon.exterior.coords.xy
        x, y = projection.to_xy(np.asarray(ys), np.asarray(xs))
        # Shoelace formula on the projected ring (holes are rare in district polygons).
        total += abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))) / 2
    return total


def _add_addresses(session: Session, build: CityBuild, districts: list[District], h3_resolution: int) -> int:
    if not build.addresses:
        return 0
    index = DistrictIndex([DistrictShape(d.id, d.code, d.name, d.geojson) for d in districts])
    lats = np.array([a.lat for a in build.addresses])
    lons = np.array([a.lon for a in build.addresses])
    located = index.locate(lats, lons)
    cells = h3_cells(lats, lons, h3_resolution).to_list()
    rows = [
        {
            "text": f"{a.street} {a.housenumber}",
            "normalised": registry_key(a.street, a.housenumber),
            "street": a.street,
            "housenumber": a.housenumber,
            "postcode": a.postcode,
            "lat": round(a.lat, 7),
            "lon": round(a.lon, 7),
            "h3_cell": cells[i],
            "district_id": int(located[i]) if located[i] >= 0 else None,
            "source": a.source,
        }
        for i, a in enumerate(build.addresses)
    ]
    repository.bulk_insert(session, Address, rows)
    return int((located < 0).sum())


def _cache_key(session: Session) -> tuple[str, datetime]:
    city = get_or_raise(session)
    return (str(session.get_bind().engine.url), city.imported_at)


def geocoder(session: Session) -> Geocoder:
    """The geocoder over the current address registry (cached until the city changes)."""
    key = _cache_key(session)
    found = _GEOCODERS.get(key)
    if found is None:
        entries = [
            AddressEntry(a.id, a.text, a.street, a.housenumber, a.lat, a.lon, a.district_id)
            for a in repository.list_addresses(session)
        ]
        found = _GEOCODERS[key] = Geocoder(entries)
    return found


def district_index(session: Session) -> DistrictIndex:
    """Point-in-district index over the current districts (cached until the city changes)."""
    key = _cache_key(session)
    found = _DISTRICT_INDEXES.get(key)
    if found is None:
        shapes = [DistrictShape(d.id, d.code, d.name, d.geojson) for d in repository.list_districts(session)]
        found = _DISTRICT_INDEXES[key] = DistrictIndex(shapes)
    return found


def district_index_or_none(session: Session) -> DistrictIndex | None:
    """Like :func:`district_index`, but None when no city is imported (ingest of other cities)."""
    return district_index(session) if repository.get_city(session) is not None else None


def geocode(session: Session, text: str) -> GeocodeMatch:
    """Address text -> registry entry with a score; AddressNotFound lists candidates."""
    return geocoder(session).geocode(text)


def suggest(session: Session, text: str, limit: int = 5) -> list[dict[str, object]]:
    """Type-ahead suggestions for a partial address."""
    return geocoder(session).suggest(text, limit)


def reverse(session: Session, lat: float, lon: float) -> tuple[ReverseMatch, District | None]:
    """Point -> nearest registry entry and the district containing the point."""
    match = geocoder(session).reverse(lat, lon)
    found = district_index(session).locate_one(lat, lon)
    district = repository.get_district(session, found.id) if found else None
    return match, district


def list_districts(session: Session) -> list[District]:
    """All districts ordered by code."""
    return repository.list_districts(session)


def districts_geojson(session: Session) -> dict[str, Any]:
    """Districts as a GeoJSON FeatureCollection."""
    features = [
        {
            "type": "Feature",
            "id": d.id,
            "geometry": json.loads(d.geojson),
            "properties": {"id": d.id, "code": d.code, "name": d.name, "area_km2": round(d.area_m2 / 1e6, 3)},
        }
        for d in repository.list_districts(session)
    ]
    return {"type": "FeatureCollection", "features": features}


def roads_geojson(session: Session) -> dict[str, Any]:
    """Road segments as GeoJSON; the two directions of a two-way road become one feature."""
    seen: set[tuple[int, int]] = set()
    features = []
    for edge in repository.list_edges(session):
        pair = (min(edge.source_id, edge.target_id), max(edge.source_id, edge.target_id))
        if pair in seen:
            continue
        seen.add(pair)
        features.append(
            {
                "type": "Feature",
                "id": edge.id,
                "geometry": {"type": "LineString", "coordinates": json.loads(edge.coordinates)},
                "properties": {"class": edge.road_class, "name": edge.name, "speed_kmh": edge.speed_kmh},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def summary(session: Session) -> dict[str, Any]:
    """Counts of everything the city model holds."""
    city = repository.get_city(session)
    return {"city": city.name if city else None, **repository.counts(session)}


def road_nodes(session: Session) -> list[Any]:
    """All road nodes (id, lat, lon)."""
    return list(repository.list_nodes(session))


def road_edges(session: Session) -> list[Any]:
    """All directed road edges with geometry."""
    return list(repository.list_edges(session))


def address_or_raise(session: Session, address_id: int) -> Address:
    """One registry entry or NotFound."""
    address = repository.get_address(session, address_id)
    if address is None:
        raise NotFound(f"address {address_id} is not in the registry")
    return address


def district_code(session: Session, district_id: int | None) -> str | None:
    """The code of a district (None for None)."""
    if district_id is None:
        return None
    district = repository.get_district(session, district_id)
    return district.code if district else None


def list_addresses(session: Session) -> list[Address]:
    """Every registry entry."""
    return repository.list_addresses(session)
