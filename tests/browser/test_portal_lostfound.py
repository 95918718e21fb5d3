"""A resident reports a lost item and gets a tracking code; staff register the item handed in and
mark it a likely match; the resident's tracking page says so, in Chinese and in English. The public
lost-and-found pages have no WCAG A/AA violations in either language."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import wcag_violations
from tests.browser.conftest import sign_in_as

ZONE = ZoneInfo("Europe/Helsinki")
TEXT = {
    "zh": {
        "what": "您丢失了什么？",
        "bag": "包或钱包",
        "describe": "物品描述",
        "description": "黑色皮钱包，红色条纹，里面有银行卡",
        "day": "日期（或可能丢失的第一天）",
        "where": "您在哪里丢失的？",
        "email": "您的电子邮箱",
        "send": "提交失物登记",
        "looking": "正在查找",
        "likely": "可能已找到：请前来认领",
        "error": "请填写电子邮箱：我们会把查询码和进展发到这里",
    },
    "en": {
        "what": "What did you lose?",
        "bag": "Bag or wallet",
        "describe": "Describe it",
        "description": "black leather wallet with a red stripe, bank cards inside",
        "day": "Day (or the first day it may have been)",
        "where": "Where did you lose it?",
        "email": "Your e-mail address",
        "send": "Report the loss",
        "looking": "We are looking",
        "likely": "Likely found: please come and identify it",
        "error": "Type your e-mail address: we send the tracking code and any news there",
    },
}
# What the finder's description says, written by the desk officer (staff pages are in English).
FOUND = {"zh": "黑色皮钱包 红色条纹 银行卡", "en": "wallet, black leather, red stripe, bank cards"}
ACCOUNT = {"zh": "officer", "en": "supervisor"}  # two accounts: no wait for a fresh authenticator code


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_resident_reports_a_loss_and_sees_the_likely_match_staff_marked(page: Page, browser: Browser, live, lang):
    words = TEXT[lang]
    now = live.runtime.clock.now()
    page.goto(f"{live.base_url}/portal/lost-found/report?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if lang == "zh" else "en")
    page.get_by_label(words["what"]).select_option(label=words["bag"])
    page.get_by_label(words["describe"]).fill(words["description"])
    page.get_by_label(words["day"]).fill(now.astimezone(ZONE).date().isoformat())
    page.get_by_label(words["where"]).fill("Tram 3")
    # Forgetting the e-mail address: the problem is named at the top and next to the field.
    page.get_by_role("button", name=words["send"]).click()
    expect(page.locator("#error-summary")).to_contain_text(words["error"])
    expect(page.locator("#email-error")).to_have_text(words["error"])
    assert wcag_violations(page) == []
    page.get_by_label(words["email"]).fill(f"owner-{lang}@example.org")
    page.get_by_role("button", name=words["send"]).click()

    page.wait_for_url(re.compile(r"/portal/lost-found/track/L[A-Z0-9]{10}\?filed=1"))
    code = page.locator("#tracking-code").inner_text()
    assert re.fullmatch(r"L[A-Z2-9]{10}", code)
    expect(page.locator("#lf-status")).to_have_text(words["looking"])
    assert wcag_violations(page) == []

    staff = browser.new_context().new_page()
    sign_in_as(staff, live, ACCOUNT[lang])
    staff.get_by_role("link", name="Lost and found").click()
    staff.get_by_role("link", name="Register a found item").click()
    staff.get_by_label("Kind of item").select_option(label="Bag or wallet")
    staff.get_by_label("Description").fill(FOUND[lang])
    staff.get_by_label("Found at").fill((now - timedelta(hours=1)).astimezone(ZONE).strftime("%Y-%m-%dT%H:%M"))
    staff.get_by_label("Where it was found").fill("Tram 3, last car")
    staff.get_by_label("Storage place").fill("Central station desk, shelf B")
    staff.get_by_role("button", name="Register").click()
    expect(staff.locator("#lf-done")).to_contain_text("Registered")
    row = staff.locator(f'tr[data-report="{code}"]')
    expect(row).to_contain_text("40 × text")
    row.get_by_role("button", name=f"Mark {code} as a likely match").click()
    expect(staff.locator("#lf-done")).to_contain_text("likely match")
    staff.context.close()

    page.goto(f"{live.base_url}/portal/lost-found/track?lang={lang}")
    page.locator("#code").fill(code.lower())
    page.locator("#code").press("Enter")
    expect(page.locator("#lf-status")).to_have_text(words["likely"])
    # The public list shows the item handed in, without where it is kept.
    page.goto(f"{live.base_url}/portal/lost-found?lang={lang}&category=bag")
    expect(page.locator("#lf-items")).to_contain_text(words["bag"])
    expect(page.locator("#main")).not_to_contain_text("shelf B")
    assert wcag_violations(page) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    "path",
    [
        "/portal/lost-found",
        "/portal/lost-found/report",
        "/portal/lost-found/track",
        "/portal/lost-found/track/LNOSUCHCODE",
    ],
)
def test_lost_and_found_pages_have_no_wcag_violations(page: Page, live, path, lang):
    page.goto(f"{live.base_url}{path}?lang={lang}")
    expect(page.locator("h1")).to_be_visible()
    assert wcag_violations(page) == []
