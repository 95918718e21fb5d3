"""Fresh databases for tests on SQLite (a temp file) or PostgreSQL (a new database)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

TEST_URL_ENV = "LANTERN_TEST_DATABASE_URL"


def base_url() -> str | None:
    """The PostgreSQL server URL the suite runs against, or None for SQLite."""
    return os.environ.get(TEST_URL_ENV) or None


def backend() -> str:
    url = base_url()
    return make_url(url).get_backend_name() if url else "sqlite"


def create_database(tmp_dir: Path, label: str) -> str:
    """Create an empty database and return its URL."""
    url = base_url()
    if url is None or make_url(url).get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_dir / f'{label}-{uuid.uuid4().hex[:8]}.db'}"
    server = make_url(url).set(drivername="postgresql+psycopg")
    name = f"lt_{label}_{uuid.uuid4().hex[:10]}".lower()
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop a database made by :func:`create_database` (SQLite files go with the temp dir)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()
