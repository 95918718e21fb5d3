"""The map page renders districts, roads and incidents in a real browser."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in_as

RENDERED = """(layer) => window.lanternMap && window.lanternMap.loaded()
    ? window.lanternMap.queryRenderedFeatures({layers: [layer]}).length : -1"""


def _wait_for_features(page: Page, layer: str) -> int:
    # Functions, not expression strings: our CSP forbids eval, which Playwright uses for those.
    page.wait_for_function(f"(layer) => ({RENDERED})(layer) > 0", arg=layer, timeout=20_000)
    return page.evaluate(RENDERED, layer)


def test_map_page_draws_districts_roads_and_incidents(page: Page, live):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    sign_in_as(page, live, "analyst")
    page.goto(f"{live.base_url}/map")
    expect(page.get_by_role("heading", name="Map")).to_be_visible()
    assert _wait_for_features(page, "districts-fill") >= 4
    assert _wait_for_features(page, "roads") > 100
    assert _wait_for_features(page, "incidents") > 10
    expect(page.locator("#map-status")).to_contain_text("incidents shown")
    expect(page.locator(".maplibregl-ctrl-attrib")).to_contain_text("OpenStreetMap contributors")
    assert errors == []


def test_filtering_by_category_updates_the_incident_layer(page: Page, live):
    sign_in_as(page, live, "supervisor")
    page.goto(f"{live.base_url}/map")
    _wait_for_features(page, "incidents")
    page.select_option("#days", "365")
    page.wait_for_function("() => Number(document.querySelector('#map').dataset.incidentCount) > 1000")
    total = int(page.locator("#map").get_attribute("data-incident-count"))
    page.select_option("#category", "robbery")
    page.wait_for_function(f"() => Number(document.querySelector('#map').dataset.incidentCount) < {total}")
    # The count drops as soon as the new data is set; the source's features follow a moment later.
    page.wait_for_function(
        "() => { const c = [...new Set(window.lanternMap.querySourceFeatures('incidents')"
        ".map(f => f.properties.category))]; return c.length === 1 && c[0] === 'robbery'; }",
        timeout=10_000,
    )
