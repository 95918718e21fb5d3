"""The public traffic page in a real browser: the index, the congestion map and road events, no sign-in."""

from __future__ import annotations

from playwright.sync_api import Page, expect

RENDERED = """(layer) => window.lanternTrafficMap && window.lanternTrafficMap.loaded()
    ? window.lanternTrafficMap.queryRenderedFeatures({layers: [layer]}).length : -1"""


def _wait_for_features(page: Page, layer: str) -> int:
    # Functions, not expression strings: our CSP forbids eval, which Playwright uses for those.
    page.wait_for_function(f"(layer) => ({RENDERED})(layer) > 0", arg=layer, timeout=20_000)
    return page.evaluate(RENDERED, layer)


def test_the_public_traffic_page_shows_the_index_and_draws_congestion_and_events(page: Page, live):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(f"{live.base_url}/traffic")  # anonymous: the page is public
    expect(page.get_by_role("heading", name="Traffic", exact=True)).to_be_visible()
    expect(page.locator("#traffic-index")).to_contain_text("/ 10")
    expect(page.locator("#traffic-events")).to_contain_text("Water main renewal")
    assert _wait_for_features(page, "congestion-lines") > 10
    assert _wait_for_features(page, "events-lines") >= 1
    assert _wait_for_features(page, "events-points") >= 1  # the closure at the demo incident
    expect(page.locator("#traffic-map-status")).to_contain_text("road events on the map")
    assert errors == []


def test_signal_timing_page_computes_webster_in_the_browser(page: Page, live):
    page.goto(f"{live.base_url}/traffic/signals")
    page.get_by_label("Phase 1 name").fill("NS")
    page.get_by_label("Phase 1 critical flow").fill("500")
    page.get_by_label("Phase 1 saturation flow").fill("1600")
    page.get_by_label("Phase 2 name").fill("EW")
    page.get_by_label("Phase 2 critical flow").fill("300")
    page.get_by_label("Phase 2 saturation flow").fill("1600")
    page.get_by_label("Lost time per cycle L (s)").fill("16")
    page.get_by_role("button", name="Compute timing").click()
    expect(page.locator("#webster-result h2")).to_contain_text("Cycle 58.0 s")
    expect(page.locator("#webster-result")).to_contain_text("26.25")
