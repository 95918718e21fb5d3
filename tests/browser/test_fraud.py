"""An investigator opens an anti-fraud alert, sees the account's network, and opens a case from it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from lantern.db import transaction
from lantern.fraud import service as fraud_service
from lantern.fraud.schemas import TransactionIn
from lantern.security.policy import Principal
from tests.browser.conftest import sign_in_as


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
