"""A dispatcher enters a call from an address, accepts the recommendation, sees the unit turn
"dispatched" on the live map; the officer crewing that unit sees the assignment on the phone view."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import sign_in_as


def test_call_to_dispatch_to_officer(page: Page, browser: Browser, live):
    sign_in_as(page, live, "dispatcher")
    page.goto(f"{live.base_url}/dispatch")
    expect(page.locator("#live-status")).to_have_text("live", timeout=15_000)
    page.select_option("#type_code", "BURG")
    page.fill("#address", "Annankatu 25")
    page.get_by_role("button", name="Check location").click()
    expect(page.locator("#check")).to_contain_text("Annankatu 25")
    page.fill("#caller_name", "Test Caller")
    page.fill("#caller_phone", "+358401112233")
    page.fill("#narrative", "back door forced, nobody home")
    page.get_by_role("button", name="Save call").click()
    page.wait_for_url(re.compile(r"/dispatch\?incident=\d+"))
    panel = page.locator(".incident-panel")
    expect(panel).to_contain_text("BURG")
    expect(panel.get_by_role("heading", name=re.compile("Recommended"))).to_be_visible()
    callsign = panel.locator("tbody tr").first.locator("td").nth(1).inner_text().strip()
    number = panel.locator("h2").inner_text().split()[1]
    page.get_by_role("button", name="Dispatch").click()
    expect(page.locator(".incident-panel")).to_contain_text("Units dispatched.")
    expect(page.locator(".incident-panel")).to_contain_text(f"dispatched {callsign}")
    # the live map received the unit's new status over server-sent events
    page.wait_for_function(
        "(callsign) => JSON.parse(document.querySelector('#ops-map').dataset.units || '[]')"
        ".some(([name, status]) => name === callsign && status === 'dispatched')",
        arg=callsign,
        timeout=10_000,
    )

    officer_context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    officer = officer_context.new_page()
    sign_in_as(officer, live, "officer")
    officer.goto(f"{live.base_url}/officer")
    officer.select_option("#callsign", callsign)
    officer.get_by_role("button", name="Take this unit").click()
    expect(officer.locator("#assignment")).to_contain_text(number)
    expect(officer.locator("#my-status")).to_have_text("dispatched")
    officer.get_by_role("button", name="En route").click()
    expect(officer.locator("#my-status")).to_have_text("en route")
    officer_context.close()
