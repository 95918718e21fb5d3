"""Building the city model from the real Helsinki OSM extract and from a generated grid."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lantern.city.build import free_flow_speed
from lantern.city.grid import build_grid_city
from lantern.city.osm import build_from_osm, helsinki_extract
from lantern.city.spatial import DistrictIndex, DistrictShape
from lantern.errors import ValidationFailed


@pytest.fixture(scope="module")
def helsinki():
    return build_from_osm(helsinki_extract(), "Helsinki")


def test_helsinki_extract_gives_roads_addresses_and_districts(helsinki):
    assert len(helsinki.nodes) > 1000
    assert len(helsinki.edges) > len(helsinki.nodes)  # two-way roads become two directed edges
    streets = {a.street for a in helsinki.addresses}
    assert {"Mannerheimintie", "Annankatu", "Bulevardi"} <= streets
    assert len(helsinki.districts) == 4
    assert "© OpenStreetMap contributors" in helsinki.attribution


def test_one_way_streets_have_one_direction_and_two_way_streets_two(helsinki):
    pairs = {(e.source_id, e.target_id) for e in helsinki.edges}
    one_way = [e for e in helsinki.edges if (e.target_id, e.source_id) not in pairs]
    two_way = [e for e in helsinki.edges if (e.target_id, e.source_id) in pairs]
    assert one_way and two_way
    # The extract tags 874 of 1,500 ways oneway=yes: most edges have no reverse twin.
    assert len(one_way) > 500


def test_every_road_node_lies_in_exactly_one_district(helsinki):
    shapes = [DistrictShape(i, d.code, d.name, json.dumps(d.geojson)) for i, d in enumerate(helsinki.districts, 1)]
    index = DistrictIndex(shapes)
    located = index.locate(np.array([n.lat for n in helsinki.nodes]), np.array([n.lon for n in helsinki.nodes]))
    assert (located > 0).all()
    names = {d.name for d in helsinki.districts}
    assert "Central" in names and len(names) == 4


@pytest.mark.parametrize(
    ("road_class", "maxspeed", "expected"),
    [
        ("primary", "40", 40.0),
        ("primary", None, 60.0),
        ("residential", "20 mph", pytest.approx(32.19, abs=0.01)),
        ("secondary", "FI:urban", 50.0),
        ("primary_link", None, pytest.approx(42.0)),
        ("secondary", "50;30", 50.0),
        ("track", None, 30.0),
    ],
)
def test_free_flow_speed_from_tags(road_class, maxspeed, expected):
    assert free_flow_speed(road_class, maxspeed) == expected


def test_grid_city_is_a_connected_lattice():
    city = build_grid_city(10, 12, spacing_m=100)
    assert len(city.nodes) == 120
    # each undirected street segment gives two directed edges
    assert len(city.edges) == 2 * (10 * 11 + 9 * 12)
    assert all(abs(e.length_m - 100) < 1e-9 for e in city.edges)
    assert {e.speed_kmh for e in city.edges} == {30.0, 50.0}
    assert len(city.districts) == 4
    assert len(city.addresses) == 10 * 11 * 2


def test_grid_city_rejects_a_degenerate_size():
    with pytest.raises(ValueError, match="at least 2x2"):
        build_grid_city(1, 5)


def test_missing_osm_file_is_named(tmp_path):
    with pytest.raises(ValidationFailed, match="does not exist"):
        build_from_osm(tmp_path / "nowhere.osm.pbf", "X")


def test_unreadable_osm_file_is_reported(tmp_path):
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"this is not a protobuf")
    with pytest.raises(ValidationFailed, match="broken.osm.pbf"):
        build_from_osm(bad, "X")
