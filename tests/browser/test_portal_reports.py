"""A resident files a report with a photo in each language, staff triage it, the resident sees the change;
and every public report page has no WCAG A/AA violation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import wcag_violations
from tests.browser.conftest import sign_in_as
from tests.portal.test_reports_service import png_with_gps

WORDS = {
    "zh": {
        "noise": "噪声扰民",
        "thanks": "谢谢！我们已收到您的反映。",
        "received": "已收到，待审核",
        "progress": "处理中",
    },
    "en": {
        "noise": "Noise",
        "thanks": "Thank you. Your report has been received.",
        "received": "Received, not yet assessed",
        "progress": "In progress",
    },
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_resident_reports_with_a_photo_and_sees_the_status_change_after_triage(
    page: Page, browser: Browser, live, tmp_path, lang
):
    words = WORDS[lang]
    photo = tmp_path / "night.png"
    photo.write_bytes(png_with_gps())

    page.goto(f"{live.base_url}/portal/reports/new?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if lang == "zh" else "en")
    assert wcag_violations(page) == []
    page.get_by_role("link", name=words["noise"], exact=True).click()
    expect(page.locator("#report-map canvas")).to_be_visible()  # the map is there, but not needed
    assert wcag_violations(page) == []

    # A first try without a description: the problem is summarised at the top and shown at the field.
    page.locator("#attr-noise_kind").select_option("music")
    page.locator("#address_string").fill("Annankatu 25")
    page.locator("form.p-form button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#description")).to_have_attribute("aria-invalid", "true")
    assert wcag_violations(page) == []

    page.locator("#attr-noise_kind").select_option("music")
    page.locator("#description").fill("Loud music every night after midnight, for two weeks now.")
    page.locator("#media").set_input_files(str(photo))
    page.locator("#email").fill(f"resident-{lang}@example.org")
    page.locator("form.p-form button[type=submit]").click()
    expect(page.get_by_text(words["thanks"])).to_be_visible()
    code = page.locator("#tracking-code").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    expect(page.locator("#report-status")).to_have_text(words["received"])
    assert wcag_violations(page) == []

    # Staff open the newest report in the queue, see the photo and set a status with a public note.
    staff_page = browser.new_context().new_page()
    sign_in_as(staff_page, live, "dispatcher")
    staff_page.goto(f"{live.base_url}/portal-admin/reports")
    staff_page.locator("#report-queue tbody tr a").last.click()
    expect(staff_page.locator("img.report-photo")).to_be_visible()
    assert staff_page.locator("img.report-photo").evaluate("img => img.naturalWidth") == 64
    staff_page.locator("#status").select_option("in_progress")
    staff_page.locator("#note").fill("An officer will visit tonight.")
    staff_page.get_by_role("button", name="Save and notify").click()
    expect(staff_page.locator("#triage-done")).to_contain_text("Status set")
    staff_page.context.close()

    # The resident comes back with the code.
    page.goto(f"{live.base_url}/portal/track?lang={lang}")
    assert wcag_violations(page) == []
    page.locator("#code").fill(code.lower())
    page.locator("form.p-form button[type=submit]").click()
    expect(page.locator("#report-status")).to_have_text(words["progress"])
    expect(page.locator("#report-timeline")).to_contain_text("An officer will visit tonight.")
    assert wcag_violations(page) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_tracking_errors_and_unsubscribe_pages_have_no_wcag_violations(page: Page, live, lang):
    page.goto(f"{live.base_url}/portal/track?code=NOT-A-CODE&lang={lang}")
    expect(page.locator("#code-error")).to_be_visible()
    assert wcag_violations(page) == []
    page.goto(f"{live.base_url}/portal/unsubscribe/{'x' * 43}?lang={lang}")
    assert wcag_violations(page) == []
    page.locator("form.p-form button[type=submit]").click()
    assert wcag_violations(page) == []
