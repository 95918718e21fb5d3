"""Geocoding real Helsinki street addresses from the OSM extract, and normalisation rules."""

from __future__ import annotations

import pytest

from lantern.city import service as city_service
from lantern.city.addressing import normalise_text, parse_address
from lantern.city.geocoder import AddressEntry, AddressNotFound, Geocoder
from lantern.errors import ValidationFailed


def test_exact_address(session):
    match = city_service.geocode(session, "Mannerheimintie 22-24")
    assert match.address.text == "Mannerheimintie 22-24"
    assert match.exact and match.score == 100.0
    assert 60.16 < match.address.lat < 60.18


@pytest.mark.parametrize(
    "typed",
    [
        "mannerheimintie 22 - 24",
        "MANNERHEIMINTIE 22-24",
        "Mannerheimint. 22-24",
        "ＭＡＮＮＥＲＨＥＩＭＩＮＴＩＥ　２２－２４",
    ],
)
def test_case_punctuation_abbreviation_and_full_width_variants_find_the_same_entry(session, typed):
    expected = city_service.geocode(session, "Mannerheimintie 22-24").address.id
    assert city_service.geocode(session, typed).address.id == expected


def test_misspelled_street_matches_with_a_lower_score(session):
    exact = city_service.geocode(session, "Annankatu 25").address
    match = city_service.geocode(session, "Anankatu 25")
    assert match.address.id == exact.id
    assert not match.exact
    assert 80 <= match.score < 100


def test_unknown_street_lists_the_best_candidates(session):
    with pytest.raises(AddressNotFound) as caught:
        city_service.geocode(session, "Qwertyuiop Road 7")
    candidates = caught.value.details["candidates"]
    assert 1 <= len(candidates) <= 5
    assert all({"id", "text", "score"} <= set(c) for c in candidates)


def test_unknown_house_number_on_a_known_street_lists_numbers_on_that_street(session):
    with pytest.raises(AddressNotFound, match="not registered on Bulevardi") as caught:
        city_service.geocode(session, "Bulevardi 999")
    assert all(c["text"].startswith("Bulevardi") for c in caught.value.details["candidates"])


def test_empty_text_is_a_validation_error(session):
    with pytest.raises(ValidationFailed, match="empty"):
        city_service.geocode(session, "   ")


def test_reverse_geocoding_returns_the_nearest_address_and_district(session):
    target = city_service.geocode(session, "Kaivokatu 1").address
    match, district = city_service.reverse(session, target.lat + 0.00005, target.lon)
    assert match.address.id == target.id
    assert match.distance_m == pytest.approx(5.6, abs=1.0)
    assert district is not None and district.id == target.district_id


def test_suggestions_for_a_partial_street(session):
    suggestions = city_service.suggest(session, "Bulev")
    assert suggestions and all(s["text"].startswith("Bulevardi") for s in suggestions)


def test_chinese_addresses_with_traditional_and_full_width_forms():
    geocoder = Geocoder(
        [
            AddressEntry(1, "中山路12号", "中山路", "12", 31.23, 121.47, None),
            AddressEntry(2, "中山路14号", "中山路", "14", 31.231, 121.471, None),
            AddressEntry(3, "南京东路1号", "南京东路", "1", 31.24, 121.48, None),
        ]
    )
    assert geocoder.geocode("中山路12号").address.id == 1
    assert geocoder.geocode("中山路 １２ 號").address.id == 1
    assert geocoder.geocode("南京東路1号").address.id == 3
    with pytest.raises(AddressNotFound):
        geocoder.geocode("中山路99号")


@pytest.mark.parametrize(
    ("text", "street", "number"),
    [
        ("12 Main St.", "main street", "12"),
        ("Snellmaninkatu 14 A, 00170 Helsinki", "snellmaninkatu", "14a"),
        ("Annank. 25", "annankatu", "25"),
        ("Bulevardi", "bulevardi", ""),
    ],
)
def test_parse_address(text, street, number):
    parsed = parse_address(text)
    assert (parsed.street, parsed.housenumber) == (street, number)


def test_normalise_text_folds_width_and_case():
    assert normalise_text("Ｍａｉｎ　Ｓｔ．") == "main street"
