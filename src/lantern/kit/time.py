"""Time helpers: everything inside Lantern is timezone-aware UTC; local zones only at the edges."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC, refusing naive datetimes (their zone is unknowable)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} has no time zone; pass an aware value")
    return value.astimezone(UTC)


def zone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name`` or raise ValueError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Asia/Shanghai'") from exc


def to_local(value: datetime, zone_name: str) -> datetime:
    """Convert an aware datetime to the named zone for display."""
    return ensure_utc(value).astimezone(zone(zone_name))
