"""Time helpers: everything inside Lantern is timezone-aware UTC; local zones only at the edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC, refusing naive datetimes (their zone is unknowable)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} has no time zone; pass an aware value")
    return value.astimezone(UTC)


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def within_supported_range(value: datetime, name: str = "time") -> datetime:
    """``value`` in UTC if between 1900 and 2200, else ValueError naming it (keeps date arithmetic safe)."""
    value = ensure_utc(value)
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"{name} {value.isoformat()} is outside the supported range 1900-2200")
    return value


def zone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name`` or raise ValueError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Asia/Shanghai'") from exc


def to_local(value: datetime, zone_name: str) -> datetime:
    """Convert an aware datetime to the named zone for display."""
    return ensure_utc(value).astimezone(zone(zone_name))


class Clock(Protocol):
    """Source of the current time; tests pass a fake one."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock (aware UTC)."""

    def now(self) -> datetime:
        return utcnow()


class FakeClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = ensure_utc(start) if start else utcnow()

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)`` and return the new time."""
        self.current += timedelta(**delta)
        return self.current
