"""The migrations create exactly what the oversight models declare (on SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.support.schema import migration_drift


def test_migrations_match_the_oversight_models(session):
    assert migration_drift(session, "oversight_") == []
