"""A resident books an appointment and cancels it through the link, in Chinese and in English;
the appointment pages have no WCAG A/AA violations in either language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import wcag_violations

TEXT = {
    "zh": {
        "book": "预约此时间",
        "booked": "预约成功",
        "cancel": "取消预约",
        "cancelled": "您的预约已取消。",
        "status": "已取消",
        "name": "姓名",
        "id": "证件号码",
        "phone": "电话",
    },
    "en": {
        "book": "Book this time",
        "booked": "Your appointment is booked",
        "cancel": "Cancel my appointment",
        "cancelled": "Your appointment is cancelled.",
        "status": "Cancelled",
        "name": "Name",
        "id": "ID number",
        "phone": "Phone",
    },
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_resident_books_and_cancels_through_the_link(page: Page, live, lang):
    words = TEXT[lang]
    page.goto(f"{live.base_url}/portal/appointments/harbour-24h?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if lang == "zh" else "en")
    # The 24-hour point has free times every day: take the first free one by keyboard-usable radio.
    page.locator("input[name=starts_at]:not([disabled])").first.check()
    page.get_by_label(words["name"], exact=True).fill("Chen Jing")
    page.get_by_label(words["id"], exact=True).fill(f"BROWSER{lang.upper()}12345")
    page.get_by_label(words["phone"], exact=True).fill("13800001234")
    page.get_by_role("button", name=words["book"]).click()

    page.wait_for_url(re.compile(r"/portal/appointments/manage/[A-Za-z0-9_\-]+\?done=booked"))
    expect(page.locator("#done")).to_contain_text(words["booked"])
    code = page.locator("#booking-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    expect(page.locator(".p-qr svg")).to_be_visible()
    assert wcag_violations(page) == []
    manage_link = page.url.split("?")[0]

    page.get_by_role("button", name=words["cancel"]).click()
    expect(page.locator("#done")).to_have_text(words["cancelled"])
    expect(page.locator("#booking-status")).to_have_text(words["status"])
    # The link still shows the booking, now cancelled, and offers no second cancellation.
    page.goto(manage_link)
    expect(page.locator("#booking-code")).to_have_text(code)
    expect(page.get_by_role("button", name=words["cancel"])).to_have_count(0)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", ["/portal/appointments", "/portal/appointments/central"])
def test_appointment_pages_have_no_wcag_violations(page: Page, live, path, lang):
    page.goto(f"{live.base_url}{path}?lang={lang}")
    assert wcag_violations(page) == []


def test_a_full_form_error_is_announced_in_the_residents_language(page: Page, live):
    page.goto(f"{live.base_url}/portal/appointments/harbour-24h?lang=zh")
    page.locator("input[name=starts_at]:not([disabled])").first.check()
    page.get_by_label("姓名", exact=True).fill("Chen Jing")
    page.get_by_label("证件号码", exact=True).fill("ZH-ERROR-12345")
    page.get_by_role("button", name="预约此时间").click()
    expect(page.get_by_role("alert")).to_have_text("请填写电子邮箱或电话号码。")
    assert wcag_violations(page) == []
