"""Browser tests: Playwright driving Debian's Chromium against a real uvicorn server.

They skip with a reason when Chromium is absent, and fail instead when CI is set.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from lantern.app import create_app
from lantern.cli import prepare_demo
from lantern.config import Settings
from lantern.runtime import build_runtime
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


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo city on a fresh database, served on a free loopback port."""
    folder = tmp_path_factory.mktemp("browser")
    url = databases.create_database(folder, "browser")
    settings = Settings(env="test", database_url=url, data_dir=folder, city_timezone="Europe/Helsinki")
    runtime = build_runtime(settings)
    prepare_demo(runtime, seed=42)
    try:
        with running_server(create_app(runtime=runtime)) as base:
            yield base
    finally:
        runtime.dispose()
        databases.drop_database(url)
