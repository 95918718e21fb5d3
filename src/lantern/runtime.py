"""What a process needs to work: settings, the engine and the session factory."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lantern.config import Settings
from lantern.db import make_engine, make_session_factory


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


def build_runtime(settings: Settings) -> Runtime:
    """Create the engine and session factory for ``settings``."""
    engine = make_engine(settings.database_url)
    return Runtime(settings=settings, engine=engine, sessions=make_session_factory(engine))
