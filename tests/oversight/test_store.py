"""The migrations create exactly what the oversight models declare (on SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lantern.db import Base


def test_migrations_match_the_oversight_models(session):
    # Only our tables are reflected (PostGIS columns of other domains warn when reflected).
    opts = {
        "compare_type": False,
        "include_name": lambda name, kind, _parent: kind != "table" or name.startswith("oversight_"),
    }
    context = MigrationContext.configure(session.connection(), opts=opts)
    diff = [d for d in compare_metadata(context, Base.metadata) if "oversight_" in repr(d)]
    assert diff == []
