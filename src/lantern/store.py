"""Schema management: Alembic migrations run programmatically (``lantern db upgrade``)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine


def alembic_config(engine: Engine) -> Config:
    """Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", "lantern:migrations")
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to ``revision``; idempotent. Returns (before, after) revisions."""
    config = alembic_config(engine)
    before = current_revision(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return before, current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when empty)."""
    with engine.connect() as connection:
        return revision_of(connection)


def revision_of(connection: Connection) -> str | None:
    """The revision of the database behind an open connection."""
    return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    """The newest revision shipped with this version."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
