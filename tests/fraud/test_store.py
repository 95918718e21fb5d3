"""The 0008 migration creates exactly what the fraud models declare (on SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.support.schema import migration_drift


def test_migration_matches_the_fraud_models(session):
    assert migration_drift(session, "fraud_") == []
