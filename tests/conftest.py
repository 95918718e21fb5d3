"""Shared fixtures: a real database (SQLite by default, PostgreSQL when
LANTERN_TEST_DATABASE_URL is set), each test in a transaction that is rolled back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lantern.city import service as city_service
from lantern.city.osm import build_from_osm, helsinki_extract
from lantern.config import Settings
from lantern.db import make_engine, make_session_factory, transaction
from lantern.kit.time import FakeClock
from lantern.runtime import Runtime, build_runtime
from lantern.security.crypto import Keyring, new_keyring
from lantern.sim import service as sim_service
from lantern.sim.history import HistoryParams
from lantern.store import upgrade
from tests.support import databases
from tests.support.app import app_for

ROOT = Path(__file__).resolve().parents[1]
DEMO_SEED = 42
H3_RES = 9


def pytest_report_header() -> str:
    return f"lantern database backend: {databases.backend()}"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared folder of real data; absent -> skip, unless CI is set (then fail)."""
    path = Path(os.environ.get("LANTERN_SHARED_DIR", ROOT.parent / "shared"))
    if not (path / "data").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the shared data folder {path} is missing")
        pytest.skip(f"shared data folder {path} is absent (set LANTERN_SHARED_DIR)")
    return path


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = databases.create_database(tmp_path_factory.mktemp("db"), "suite")
    yield url
    databases.drop_database(url)


@pytest.fixture(scope="session")
def keyring() -> Keyring:
    """An in-memory keyring shared by the suite (rotation tests make their own file)."""
    return new_keyring(None)


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when a test says so; starts at the real current time."""
    return FakeClock()


@pytest.fixture(scope="session")
def engine(database_url: str, keyring: Keyring) -> Iterator[Engine]:
    """Migrated engine with the demo city (Helsinki extract) and its simulated history committed."""
    engine = make_engine(database_url)
    upgrade(engine)
    factory = make_session_factory(engine, info={"keyring": keyring})
    with transaction(factory) as session:
        build = build_from_osm(helsinki_extract(), "Test City")
        city_service.import_city(session, build, h3_resolution=H3_RES)
    with transaction(factory) as session:
        params = HistoryParams(seed=DEMO_SEED, timezone="Europe/Helsinki")
        sim_service.build_demo(session, params, H3_RES)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine, keyring: Keyring, clock: FakeClock) -> Iterator[Session]:
    """A session whose work is rolled back after the test (commits become savepoints)."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        info={"keyring": keyring, "clock": clock},
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        data_dir=tmp_path,
        city_timezone="Europe/Helsinki",
        scheduler_enabled=False,
    )


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """An empty, unmigrated database of the suite's backend, dropped afterwards."""
    url = databases.create_database(tmp_path, "fresh")
    yield url
    databases.drop_database(url)


@pytest.fixture
def fresh_runtime(fresh_database: str, tmp_path: Path) -> Iterator[Runtime]:
    """A migrated, empty database with its own runtime (keyring file under tmp_path)."""
    settings = Settings(env="test", database_url=fresh_database, data_dir=tmp_path, scheduler_enabled=False)
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    yield runtime
    runtime.dispose()


@pytest.fixture
def app(session, settings, engine, clock):
    """The application over the test's own connection (its work is rolled back)."""
    return app_for(session, settings, engine, clock)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client
