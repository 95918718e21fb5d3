"""The hotspot page in a real browser: an analyst changes the time window and the layer follows."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from lantern.db import transaction
from lantern.security import totp
from tests.factories.security import make_user

RENDERED = """(layer) => window.lanternMap && window.lanternMap.loaded()
    ? window.lanternMap.queryRenderedFeatures({layers: [layer]}).length : -1"""


def _analyst(live):
    # Our own analyst: the demo's "analyst" signs in elsewhere, and a TOTP code is accepted once per step.
    runtime = live.runtime
    with transaction(runtime.sessions) as session:
        return make_user(session, runtime.settings, "hotspot-analyst", ["analyst"])


def _sign_in(page: Page, live, account) -> None:
    page.goto(f"{live.base_url}/login")
    page.get_by_label("Username").fill(account.user.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/mfa**")
    page.get_by_label("Code").fill(totp.code_at(account.secret, live.runtime.clock.now()))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/mfa" not in url and "/login" not in url)


def test_an_analyst_changes_the_time_window_and_the_hotspot_layer_updates(page: Page, live):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    _sign_in(page, live, _analyst(live))
    page.goto(f"{live.base_url}/crime/hotspots")
    expect(page.get_by_role("heading", name="Hotspots")).to_be_visible()
    page.wait_for_function(f"() => ({RENDERED})('hotspots') > 0", timeout=20_000)
    expect(page.locator("#hotspot-status")).to_contain_text("hot spots")
    month = page.locator("#map").get_attribute("data-window")
    month_incidents = float(page.locator("#map").get_attribute("data-incident-count"))

    page.select_option("#days", "365")
    page.wait_for_function(f"() => document.querySelector('#map').dataset.window !== {month!r}", timeout=20_000)
    year_incidents = float(page.locator("#map").get_attribute("data-incident-count"))
    assert year_incidents > month_incidents > 0
    page.wait_for_timeout(300)
    drawn = page.evaluate(
        "() => window.lanternMap.querySourceFeatures('hotspots').reduce((s, f) => s + f.properties.count, 0)"
    )
    # the layer on the map now holds the year's cells (tiles may split a polygon: at least the total)
    assert drawn >= year_incidents * 0.99
    hot = page.evaluate("() => window.lanternMap.querySourceFeatures('hotspots').filter(f => f.properties.hot).length")
    assert hot > 0
    assert errors == []
