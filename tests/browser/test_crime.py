"""The crime pages in a real browser: hotspot windows and classes over time, forecasts by method."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from lantern.db import transaction
from lantern.security import totp
from tests.factories.security import make_user

RENDERED = """(layer) => window.lanternMap && window.lanternMap.loaded()
    ? window.lanternMap.queryRenderedFeatures({layers: [layer]}).length : -1"""
# the forecast layer's cells and scores, as the map holds them
CELLS = """() => window.lanternMap.querySourceFeatures('forecast')
    .map(f => f.properties.cell + ':' + f.properties.score).sort().filter((c, i, a) => c !== a[i - 1])"""


def _analyst(live, username: str = "hotspot-analyst"):
    # Our own analyst: the demo's "analyst" signs in elsewhere, and a TOTP code is accepted once per step.
    runtime = live.runtime
    with transaction(runtime.sessions) as session:
        return make_user(session, runtime.settings, username, ["analyst"])


def _watch_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    return errors


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


def test_an_analyst_colours_hotspots_by_change_over_time_and_sees_the_legend(page: Page, live):
    errors = _watch_errors(page)
    _sign_in(page, live, _analyst(live, "trend-analyst"))
    page.goto(f"{live.base_url}/crime/hotspots")
    page.wait_for_function(f"() => ({RENDERED})('hotspots') > 0", timeout=20_000)
    expect(page.locator("#trend-legend")).to_be_hidden()

    page.get_by_label("Change over time").check()
    page.wait_for_function("() => document.querySelector('#map').dataset.mode === 'trend'", timeout=20_000)
    expect(page.locator("#trend-legend")).to_be_visible()
    expect(page.locator("#gi-legend")).to_be_hidden()
    page.wait_for_function(f"() => ({RENDERED})('emerging') > 0", timeout=20_000)
    assert page.evaluate(f"() => ({RENDERED})('hotspots')") == 0  # the Gi* layer is hidden meanwhile
    counts = {
        row.get_attribute("data-class"): int(row.locator("td").inner_text())
        for row in page.locator("#trend-table tbody tr").all()
    }
    assert {"new", "persistent", "intensifying", "diminishing"} <= counts.keys()
    drawn = page.evaluate("() => window.lanternMap.querySourceFeatures('emerging').map(f => f.properties['class'])")
    # the table counts the cells the map colours (tiles may split a polygon: compare the classes)
    assert set(drawn) == {c for c, n in counts.items() if n > 0}
    assert int(page.locator("#map").get_attribute("data-trend-cells")) == sum(counts.values())
    expect(page.locator("#hotspot-status")).to_contain_text("8 windows of 28 days")

    page.get_by_label("Hot spots in this window").check()
    page.wait_for_function("() => document.querySelector('#map').dataset.mode === 'gi'", timeout=20_000)
    expect(page.locator("#gi-legend")).to_be_visible()
    assert errors == []


def test_an_analyst_switches_the_forecast_method_and_the_map_and_figures_follow(page: Page, live):
    errors = _watch_errors(page)
    _sign_in(page, live, _analyst(live, "forecast-analyst"))
    page.goto(f"{live.base_url}/crime/hotspots")
    page.get_by_role("link", name="Forecast the next period").click()
    expect(page.get_by_role("heading", name="Forecast", exact=True)).to_be_visible()
    page.wait_for_function(f"() => ({RENDERED})('forecast') > 0", timeout=30_000)
    assert page.locator("#map").get_attribute("data-method") == "ours"
    expect(page.locator("#figures-method")).to_contain_text("gradient boosting (ours) at 5%")
    expect(page.locator("#forecast-coverages tbody tr")).to_have_count(3)
    expect(page.locator("#forecast-window")).to_contain_text("victim-reported")
    expect(page.locator("#forecast-parameters")).to_contain_text("min_samples_leaf")
    ours_hit = page.locator("#figure-hit").inner_text()
    ours_cells = page.evaluate(CELLS)
    assert ours_hit.endswith("%") and ours_cells

    page.select_option("#method", "naive")
    page.wait_for_function("() => document.querySelector('#map').dataset.method === 'naive'", timeout=30_000)
    expect(page.locator("#figures-method")).to_contain_text("naive (last period) at 5%")
    assert page.locator("#figure-hit").inner_text() != ours_hit
    expect(page.locator("#forecast-parameters")).not_to_contain_text("min_samples_leaf")
    page.wait_for_timeout(300)
    assert page.evaluate(CELLS) != ours_cells  # the map layer now holds the naive forecast

    cells_at_5 = int(page.locator("#map").get_attribute("data-cell-count"))
    page.select_option("#coverage", "10")
    page.wait_for_function(
        f"() => Number(document.querySelector('#map').dataset.cellCount) > {cells_at_5}", timeout=30_000
    )
    expect(page.locator("#figures-method")).to_contain_text("at 10%")

    page.get_by_text("Compare methods").click()
    rows = page.locator("#forecast-compare tbody tr")
    expect(rows).to_have_count(5, timeout=30_000)
    expect(page.locator("#forecast-compare tbody")).to_contain_text("(best here)")
    naive_row = page.locator("#forecast-compare tbody tr[data-method='naive'] td").first
    assert naive_row.inner_text() == page.locator("#figure-hit").inner_text()  # same back-test, same figure
    assert errors == []
