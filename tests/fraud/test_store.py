"""The 0008 migration creates exactly what the fraud models declare (on SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lantern.db import Base


def test_migration_matches_the_fraud_models(session):
    # Only our tables are reflected (PostGIS columns of other domains warn when reflected).
    opts = {
        "compare_type": False,
        "include_name": lambda name, kind, _parent: kind != "table" or name.startswith("fraud_"),
    }
    context = MigrationContext.configure(session.connection(), opts=opts)
    diff = [d for d in compare_metadata(context, Base.metadata) if "fraud_" in repr(d)]
    assert diff == []
