"""What a process needs to work: settings, the engine and the session factory."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lantern.config import Settings
from lantern.db import make_engine, make_session_factory
from lantern.kit.time import Clock, SystemClock
from lantern.live.broker import Broker
from lantern.security.crypto import Keyring, load_keyring


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    keyring: Keyring
    broker: Broker = field(default_factory=Broker)

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    """Create the engine, keyring and session factory for ``settings``."""
    engine = make_engine(settings.database_url)
    clock = clock or SystemClock()
    assert settings.keyring_path is not None  # derived in Settings
    # Outside production a missing keyring is created; production must be given one.
    ring = load_keyring(settings.keyring_path, create=settings.env != "production")
    broker = Broker()
    factory = make_session_factory(
        engine, info={"clock": clock, "keyring": ring, "broker": broker, "settings": settings}
    )
    return Runtime(settings=settings, engine=engine, sessions=factory, clock=clock, keyring=ring, broker=broker)
