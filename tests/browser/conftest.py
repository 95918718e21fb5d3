"""Browser tests: Playwright driving Debian's Chromium against a real uvicorn server.

They skip with a reason when Chromium is absent, and fail instead when CI is set.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from lantern.app import create_app
from lantern.config import Settings
from lantern.demo import prepare_demo
from lantern.runtime import build_runtime
from lantern.security import totp
from lantern.sim.accounts import DemoAccount
from tests.support import databases
from tests.support.server import running_server

CHROMIUM = os.environ.get("LANTERN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--enable-unsafe-swiftshader",  # software WebGL for MapLibre
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but Chromium is missing at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@dataclass
class LiveDemo:
    base_url: str
    accounts: dict[str, DemoAccount]
    runtime: object


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDemo]:
    """The demo city with its accounts on a fresh database, served on a free loopback port."""
    folder = tmp_path_factory.mktemp("browser")
    url = databases.create_database(folder, "browser")
    settings = Settings(
        env="test", database_url=url, data_dir=folder, city_timezone="Europe/Helsinki", scheduler_enabled=False
    )
    runtime = build_runtime(settings)
    prepared = prepare_demo(runtime, seed=42)
    try:
        with running_server(create_app(runtime=runtime, scheduler=False)) as base:
            yield LiveDemo(base, {a.username: a for a in prepared.accounts}, runtime)
    finally:
        runtime.dispose()
        databases.drop_database(url)


def sign_in_as(page: Page, live: LiveDemo, username: str) -> None:
    """Sign in through the pages: password, then the authenticator code."""
    account = live.accounts[username]
    page.goto(f"{live.base_url}/login")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/mfa**")
    # A TOTP code is accepted once per 30 s step: when another test signed the same account in
    # within this step, the code is refused as a replay, so wait for the next step and retry.
    for attempt in range(2):
        page.get_by_label("Code").fill(totp.code_at(account.totp_secret, live.runtime.clock.now()))
        page.get_by_role("button", name="Continue").click()
        try:
            page.wait_for_url(lambda url: "/mfa" not in url and "/login" not in url, timeout=5_000)
            return
        except PlaywrightTimeoutError:
            if attempt:
                raise
            time.sleep(30 - time.time() % 30 + 0.5)
