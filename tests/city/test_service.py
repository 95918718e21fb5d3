"""City import through the service, against the real database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from lantern.city import service as city_service
from lantern.city.grid import build_grid_city
from lantern.errors import Conflict
from lantern.models import Address, District, Incident


def test_the_imported_city_has_districts_roads_and_a_registry(session):
    summary = city_service.summary(session)
    assert summary["districts"] == 4
    assert summary["road_edges"] > 2000
    assert summary["addresses"] > 500
    located = session.scalar(select(func.count()).select_from(Address).where(Address.district_id.is_not(None)))
    assert located == summary["addresses"]  # derived districts cover the whole network hull


def test_importing_over_an_existing_city_needs_replace(session):
    with pytest.raises(Conflict, match="--replace"):
        city_service.import_city(session, build_grid_city(3, 3), h3_resolution=9)


def test_replace_rebuilds_the_city_and_unlinks_incidents_from_old_districts(session):
    summary = city_service.import_city(session, build_grid_city(6, 6, name="Grid"), h3_resolution=9, replace=True)
    assert summary.road_nodes == 36
    assert city_service.get_or_raise(session).name == "Grid"
    assert session.scalar(select(func.count()).select_from(District)) == 4
    linked = session.scalar(select(func.count()).select_from(Incident).where(Incident.district_id.is_not(None)))
    assert linked == 0


def test_district_area_is_measured_in_square_metres(session):
    city_service.import_city(session, build_grid_city(11, 11, spacing_m=100), h3_resolution=9, replace=True)
    areas = [d.area_m2 for d in city_service.list_districts(session)]
    # 11x11 nodes at 100 m, padded by half a spacing: 1.1 km square in 4 blocks of 0.3025 km²
    assert areas == pytest.approx([302_500] * 4, rel=0.01)


def test_geojson_layers_are_feature_collections(session):
    districts = city_service.districts_geojson(session)
    assert districts["type"] == "FeatureCollection"
    assert {f["geometry"]["type"] for f in districts["features"]} == {"Polygon"}
    roads = city_service.roads_geojson(session)
    first = roads["features"][0]
    assert first["geometry"]["type"] == "LineString"
    assert len(first["geometry"]["coordinates"]) >= 2
    json.dumps(roads)  # serialisable as is
