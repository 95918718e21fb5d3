"""Per-session context the runtime provides: the clock and the keyring (``Session.info``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lantern.kit.time import Clock, SystemClock
from lantern.security.crypto import Keyring, KeyringError, refreshed

_SYSTEM_CLOCK = SystemClock()


def clock(session: Session) -> Clock:
    """The clock of this session's runtime (a fake one in tests)."""
    found = session.info.get("clock")
    return found if found is not None else _SYSTEM_CLOCK


def now(session: Session) -> datetime:
    """Current time by this session's clock."""
    return clock(session).now()


def setting(session: Session, name: str, default: Any = None) -> Any:
    """A deployment setting visible to services (the runtime puts its Settings in Session.info)."""
    settings = session.info.get("settings")
    return getattr(settings, name, default) if settings is not None else default


def keyring(session: Session) -> Keyring:
    """The keyring of this session's runtime, reloaded if rotated by another process."""
    ring: Keyring | None = session.info.get("keyring")
    if ring is None:
        raise KeyringError("no keyring is configured for this session; build it with lantern.runtime")
    fresh = refreshed(ring)
    if fresh is not ring:
        session.info["keyring"] = fresh
    return fresh
