"""Does a migrated database hold exactly the tables the models declare? (one domain at a time)"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session

from lantern.db import Base


def migration_drift(session: Session, prefix: str) -> list[Any]:
    """Differences between the migrated tables named ``prefix*`` and the models; [] when none.

    Only those tables are reflected: PostGIS columns of other domains warn when reflected.
    """
    opts = {
        "compare_type": False,
        "include_name": lambda name, kind, _parent: kind != "table" or name.startswith(prefix),
    }
    context = MigrationContext.configure(session.connection(), opts=opts)
    return [d for d in compare_metadata(context, Base.metadata) if prefix in repr(d)]
