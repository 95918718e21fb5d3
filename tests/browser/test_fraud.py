"""An investigator opens an anti-fraud alert, sees the account's network, and opens a case from it;
asks a partner who holds a mule account, a supervisor approves, the partner answers over its
token, and the investigator reads the identity on the case page and closes the case. The demo
shows mule-ring candidates and a victim warning out of the box; the investigator works a victim
warning against its countdown and records that the payer was warned."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from lantern.db import transaction
from lantern.fraud import service as fraud_service
from lantern.fraud.schemas import TransactionIn
from lantern.models import Alert
from lantern.security import service as security_service
from lantern.security.policy import Principal
from tests.browser.conftest import sign_in_as
from tests.factories.security import principal_for


def pseudonym(value: str) -> str:
    return hashlib.sha256(f"browser-test:{value}".encode()).hexdigest()


def test_open_an_alert_see_the_network_and_open_a_case(page: Page, live) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    rows = [
        {"tx_id": f"BT-F{k}", "time": now - timedelta(hours=6 - k), "from_account": pseudonym(f"payer{k}"),
         "to_account": pseudonym("mule"), "amount": 1000, "currency": "EUR", "channel": "transfer"}
        for k in range(5)
    ]  # fmt: skip
    rows.append({"tx_id": "BT-OUT", "time": now, "from_account": pseudonym("mule"),
                 "to_account": pseudonym("collector"), "amount": 4900, "currency": "EUR", "channel": "transfer"})  # fmt: skip
    with transaction(live.runtime.sessions) as session:
        result = fraud_service.ingest_transactions(
            session, Principal.system("bank-browser-test"), [TransactionIn.model_validate(r) for r in rows]
        )
    assert result.alerts >= 1

    sign_in_as(page, live, "investigator")
    page.goto(f"{live.base_url}/fraud")
    page.locator("#fraud-alerts a", has_text="Mule account").first.click()
    expect(page.locator("#fraud-hits")).to_contain_text("mule pass through")
    expect(page.locator("#fraud-hits")).to_contain_text("alert only")
    expect(page.locator("#fraud-network circle")).to_have_count(7)
    expect(page.locator("#fraud-network circle.focus")).to_have_count(1)
    page.fill("#case-title", "Mule ring from the browser test")
    page.get_by_role("button", name="Open case").click()
    expect(page.locator("#case-title")).to_contain_text("Mule ring from the browser test")
    expect(page.locator("#case-status")).to_have_text("open")
    # The ring is the suspicious edges' accounts: the mule and where its money went (the five
    # payers' single payments are in the network view, not in the ring).
    expect(page.locator("#case-accounts li")).to_have_count(2)
    expect(page.locator("#case-accounts")).to_contain_text(pseudonym("mule")[:12])


def test_the_demo_shows_mule_ring_candidates_and_a_victim_warning(page: Page, live) -> None:
    sign_in_as(page, live, "investigator")
    page.goto(f"{live.base_url}/fraud")
    rings = page.locator("#fraud-rings tbody tr")
    expect(rings.first.get_by_role("link", name="alert #")).to_be_visible()
    assert rings.count() >= 3
    expect(page.locator("#fraud-alerts")).to_contain_text("Warn a likely scam victim now")


def test_an_investigator_works_a_demo_victim_warning_against_its_countdown(page: Page, live) -> None:
    sign_in_as(page, live, "investigator")
    page.goto(f"{live.base_url}/fraud")
    page.locator(".fraud-nav").get_by_role("link", name="Victim warnings").click()
    expect(page.get_by_role("heading", name="Victim warnings", exact=True)).to_be_visible()
    card = page.locator("#open-warnings article").first
    warning_id = card.get_attribute("data-warning")
    countdown = card.get_by_role("timer")
    expect(countdown).to_have_text(re.compile(r"^(\d+ min )?\d+ s left$|^Overdue by "))
    shown = countdown.inner_text()
    expect(countdown).not_to_have_text(shown, timeout=3_000)  # the script ticks it every second
    expect(card).to_contain_text("flagged number")
    expect(card).to_contain_text("demo-bank")

    card.get_by_label("payer warned").check()
    card.get_by_label("Note").fill("payer confirmed the caller posed as the bank; did not pay again")
    card.get_by_role("button", name="Record outcome").click()
    expect(page.locator(f"#warning-{warning_id}")).to_have_count(0)
    row = page.locator(f"#recorded-{warning_id}")
    expect(row).to_contain_text("payer warned")
    expect(row).to_contain_text("by investigator")
    expect(row).to_contain_text("recorded as label fraud for the typology evaluation")


def test_an_identity_reveal_from_request_to_reading_then_the_case_closes(page: Page, browser: Browser, live) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    rows = [
        {"tx_id": f"RV-F{k}", "time": now - timedelta(hours=6 - k), "from_account": pseudonym(f"rv-payer{k}"),
         "to_account": pseudonym("rv-mule"), "amount": 1000, "currency": "EUR", "channel": "transfer"}
        for k in range(5)
    ]  # fmt: skip
    rows.append({"tx_id": "RV-OUT", "time": now, "from_account": pseudonym("rv-mule"),
                 "to_account": pseudonym("rv-collector"), "amount": 4900, "currency": "EUR", "channel": "transfer"})  # fmt: skip
    with transaction(live.runtime.sessions) as session:
        fraud_service.ingest_transactions(
            session, Principal.system("bank-reveal"), [TransactionIn.model_validate(r) for r in rows]
        )
        alert_id = session.scalars(
            select(Alert.id).where(Alert.kind == "fraud_mule_pass_through", Alert.subject_id == pseudonym("rv-mule"))
        ).one()
        case = fraud_service.open_case(session, principal_for("investigator", "investigator"), alert_id, "Reveal ring")
        case_id = case.id
        _, token = security_service.create_token(
            session, Principal.system("tests"), name="bank-reveal", scopes=["fraud:reveal_answer"], days=1
        )
    partner = {"Authorization": f"Bearer {token}"}

    sign_in_as(page, live, "investigator")
    page.goto(f"{live.base_url}/fraud/cases/{case_id}")
    page.select_option("#reveal-type", "account")
    page.fill("#reveal-subject", pseudonym("rv-mule"))
    page.fill("#reveal-reason", "holder of the mule account, to summon them")
    page.get_by_role("button", name="Ask the partner").click()
    expect(page.locator("#case-reveals tbody tr").first).to_contain_text("pending approval")

    approver_context = browser.new_context()
    approver = approver_context.new_page()
    sign_in_as(approver, live, "supervisor")
    approver.goto(f"{live.base_url}/fraud/reveals")
    row = approver.locator("#pending-reveals tr", has_text="Reveal ring")
    row.get_by_label("Reason").fill("proportionate: the ring is still active")
    row.get_by_role("button", name="Approve").click()
    expect(approver.locator("#pending-reveals")).not_to_contain_text("Reveal ring")
    approver_context.close()

    asked = page.request.get(f"{live.base_url}/api/fraud/partner/reveal-requests", headers=partner).json()
    assert [r["subject"] for r in asked] == [pseudonym("rv-mule")]
    answered = page.request.post(
        f"{live.base_url}/api/fraud/partner/reveal-requests/{asked[0]['id']}/answer",
        headers=partner,
        data={"name": "Mikko Mallikas", "holder_ref": "CUST-7781"},
    )
    assert answered.status == 200, answered.text()

    page.reload()
    expect(page.locator("#case-reveals tbody tr").first).to_contain_text("answered")
    expect(page.locator("body")).not_to_contain_text("Mikko Mallikas")
    page.get_by_role("link", name="Show identity (audited)").click()
    expect(page.locator("#identity-name")).to_have_text("Mikko Mallikas")
    expect(page.locator("#identity-holder")).to_have_text("CUST-7781")

    page.select_option("#close-outcome", "referred")
    page.fill("#close-reason", "file sent to the prosecutor with the holder's identity")
    page.get_by_role("button", name="Close case").click()
    expect(page.locator("#case-status")).to_have_text("closed")
    expect(page.locator("#case-outcome")).to_contain_text("referred for prosecution")
    expect(page.locator("#case-timeline li").last).to_contain_text("file sent to the prosecutor")
    expect(page.get_by_role("link", name="Show identity (audited)")).to_have_count(0)
