"""A supervisor sees an overdue case step and an early-intervention flag, opens the flag, sees the
indicators that drove it and records a review outcome."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from lantern.db import transaction
from lantern.oversight import service as oversight_service
from lantern.oversight.eis import service as eis_service
from lantern.oversight.schemas import CaseCreate, StepRecord
from lantern.security.policy import Principal
from tests.browser.conftest import sign_in_as

SEEDER = Principal.system("test-oversight")


def seed(live) -> None:
    now = live.runtime.clock.now()
    with transaction(live.runtime.sessions) as session:
        c = oversight_service.create_case(
            session,
            SEEDER,
            CaseCreate(
                number="2026-B001",
                kind="criminal",
                jurisdiction="CN-CPL",
                statute_version="2018",
                title="burglary",
                responsible_officer="officer",
                supervisor="supervisor",
            ),
        )
        oversight_service.record_step(session, SEEDER, c.id, StepRecord(kind="detained", at=now - timedelta(hours=30)))
        for i, n in enumerate([1, 0, 2, 1, 0, 1, 2, 9]):
            officer = f"eis-b-{i}"
            eis_service.set_post(session, SEEDER, officer, "harbour", "night", supervisor="supervisor")
            for k in range(n):
                eis_service.record_event(
                    session, SEEDER, officer, "use_of_force", now - timedelta(days=k + 1), f"b-{officer}:{k}"
                )
        eis_service.run_flags(session, SEEDER)


def test_supervisor_reviews_an_overdue_step_and_an_early_intervention_flag(page: Page, live) -> None:
    seed(live)
    sign_in_as(page, live, "supervisor")
    page.goto(f"{live.base_url}/oversight")
    red = page.locator('#oversight-steps tr[data-status="red"]', has_text="2026-B001").filter(
        has_text="family notified"
    )
    expect(red).to_be_visible()
    expect(red).to_contain_text("overdue")
    flag_row = page.locator("#eis-flags tr", has_text="eis-b-7")
    expect(flag_row).to_contain_text("use-of-force reports")
    flag_row.get_by_role("link", name="eis-b-7").click()

    drivers = page.locator("#flag-drivers")
    expect(drivers).to_contain_text("use-of-force reports")
    expect(drivers.locator("tr", has_text="use-of-force reports")).to_contain_text("9")
    expect(page.locator("#flag-status")).to_have_text("new")
    page.select_option("#to-status", "review")
    page.fill("#review-reason", "reading the nine reports with the officer")
    page.get_by_role("button", name="Record outcome").click()
    expect(page.locator("#flag-status")).to_have_text("review")
    page.select_option("#to-status", "no_action")
    page.fill("#review-reason", "all nine during one public-order event, each justified")
    page.get_by_role("button", name="Record outcome").click()
    expect(page.locator("#flag-status")).to_have_text("no action")
    expect(page.locator("#flag-reviews")).to_contain_text("supervisor: review → no action: all nine during one")
