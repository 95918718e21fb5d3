"""Public information pages in a real browser: no WCAG A/AA violations in either language."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import wcag_violations


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    "path", ["/portal/traffic", "/portal/fraud-advice", "/portal/complaints/new", "/portal/complaints/track"]
)
def test_info_pages_have_no_wcag_violations(page: Page, live, path, lang):
    page.goto(f"{live.base_url}{path}?lang={lang}")
    assert wcag_violations(page) == []


def test_todays_traffic_figures_open_as_a_table_by_keyboard(page: Page, live):
    page.goto(f"{live.base_url}/portal/traffic?lang=en")
    # The demo day has data: the index, the chart and its table, and the demo's road works.
    expect(page.locator("#traffic-index")).to_contain_text("/ 10")
    table = page.locator("#today-table")
    expect(table).to_be_hidden()
    page.get_by_text("Show today's figures as a table").focus()
    page.keyboard.press("Enter")
    expect(table).to_be_visible()
    expect(page.locator("#road-events")).to_contain_text("Road works")
    assert wcag_violations(page) == []  # also with the table open


def test_a_complaint_with_a_problem_and_then_its_tracking_page_are_accessible(page: Page, live):
    page.goto(f"{live.base_url}/portal/complaints/new?lang=zh")
    page.get_by_label("发生了什么？").fill("太短")
    page.get_by_role("button", name="提交投诉").click()
    expect(page.locator("#error-summary")).to_contain_text("请选择投诉的类别。")
    assert wcag_violations(page) == []  # the error summary and the invalid fields
    page.get_by_label("态度粗暴或言行不当").check()
    page.get_by_label("发生了什么？").fill("民警在路口检查时态度粗暴，拒绝出示证件。")
    page.get_by_role("button", name="提交投诉").click()
    code = page.locator("#tracking-code").inner_text()
    assert wcag_violations(page) == []
    page.goto(f"{live.base_url}/portal/complaints/track?lang=en")
    page.get_by_label("Complaint tracking code").fill(code)
    page.keyboard.press("Enter")
    expect(page.locator("#complaint-status")).to_contain_text("Received, waiting for an investigator")
    assert wcag_violations(page) == []
