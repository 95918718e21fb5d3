"""The portal's shell in a real browser: language switch by keyboard, and no WCAG A/AA violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import wcag_violations


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", ["/portal", "/portal/accessibility"])
def test_portal_pages_have_no_wcag_violations(page: Page, live, path, lang):
    page.goto(f"{live.base_url}{path}?lang={lang}")
    assert wcag_violations(page) == []


def test_resident_switches_language_with_the_keyboard(page: Page, live):
    page.goto(f"{live.base_url}/portal?lang=zh")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("公安网上服务")
    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.get_by_role("link", name="跳到主要内容")).to_be_focused()
    page.get_by_role("link", name="English").focus()
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Police services online")
    # The choice is remembered on the next page.
    page.get_by_role("link", name="Accessibility").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility statement")
