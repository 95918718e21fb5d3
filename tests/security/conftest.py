"""Fixtures for security tests: an app client and account factories over the test transaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support.app import app_for


@pytest.fixture
def app(session, settings, engine, clock):
    return app_for(session, settings, engine, clock)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client
