"""A supervisor draws a geofence on the map, then sees a vehicle alert and acknowledges it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from lantern.db import transaction
from lantern.monitor import service as monitor_service
from lantern.security.policy import Principal
from tests.browser.conftest import sign_in_as
from tests.factories.monitor import positions
from tests.factories.tracks import Leg, track


def test_draw_a_geofence_and_acknowledge_an_overspeed(page: Page, live) -> None:
    sign_in_as(page, live, "supervisor")
    page.goto(f"{live.base_url}/monitor/geofences")
    expect(page.locator("#monitor-map")).to_have_attribute("data-ready", "true", timeout=15_000)
    page.select_option("#fence-shape", "polygon")
    area = page.locator("#monitor-map")
    for x, y in ((200, 150), (320, 150), (300, 260)):
        area.click(position={"x": x, "y": y})
    expect(page.locator("#point-count")).to_have_text("3")
    page.fill("#fence-id", "depot-7")
    page.fill("#fence-name", "Fuel depot 7")
    page.get_by_role("button", name="Save geofence").click()
    expect(page.locator("#fence-list")).to_contain_text("Fuel depot 7")

    # A demo truck speeds for two minutes; the engine turns it into an alert.
    start = datetime.now(UTC) - timedelta(minutes=5)
    with transaction(live.runtime.sessions) as session:
        fixes = track("HG-02", start, [Leg(2, 100)], every_s=10, origin=(60.17, 24.94))
        monitor_service.ingest_positions(session, Principal.system("test-feed"), positions(fixes))
    with transaction(live.runtime.sessions) as session:
        monitor_service.process_pending(session)

    page.goto(f"{live.base_url}/monitor")
    row = page.locator("#monitor-alerts tr", has_text="Overspeed: HG-102")
    expect(row).to_be_visible()
    row.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#monitor-alerts tr", has_text="Overspeed: HG-102")).to_contain_text(
        "acknowledged by supervisor"
    )
    page.get_by_role("link", name="HG-102").first.click()
    expect(page.locator("#speed-line")).to_be_attached()
    expect(page.locator("#vehicle-alerts")).to_contain_text("Overspeed")
