"""The map page renders districts, roads and incidents in a real browser."""

from __future__ import annotations

from playwright.sync_api import Page, expect

RENDERED = """(layer) => window.lanternMap && window.lanternMap.loaded()
    ? window.lanternMap.queryRenderedFeatures({layers: [layer]}).length : -1"""


def _wait_for_features(page: Page, layer: str) -> int:
    page.wait_for_function(f"({RENDERED})('{layer}') > 0", timeout=20_000)
    return page.evaluate(RENDERED, layer)


def test_map_page_draws_districts_roads_and_incidents(page: Page, live_server: str):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/map")
    expect(page.get_by_role("heading", name="Map")).to_be_visible()
    assert _wait_for_features(page, "districts-fill") >= 4
    assert _wait_for_features(page, "roads") > 100
    assert _wait_for_features(page, "incidents") > 10
    expect(page.locator("#map-status")).to_contain_text("incidents shown")
    expect(page.locator(".maplibregl-ctrl-attrib")).to_contain_text("OpenStreetMap contributors")
    assert errors == []


def test_filtering_by_category_updates_the_incident_layer(page: Page, live_server: str):
    page.goto(f"{live_server}/map")
    _wait_for_features(page, "incidents")
    page.select_option("#days", "365")
    page.wait_for_function("document.querySelector('#map').dataset.incidentCount > 1000")
    total = int(page.locator("#map").get_attribute("data-incident-count"))
    page.select_option("#category", "robbery")
    page.wait_for_function(f"document.querySelector('#map').dataset.incidentCount < {total}")
    page.wait_for_timeout(300)
    categories = page.evaluate(
        "() => [...new Set(window.lanternMap.querySourceFeatures('incidents').map(f => f.properties.category))]"
    )
    assert categories == ["robbery"]
