"""Stolen and wanted vehicles: hotlist entries with a case and an expiry, readers, and reads.

A read that matches no live entry is dropped at once: nothing of it is stored or logged except
one more count for its reader's hour. A hit is stored with the alert it raised.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.errors import Conflict, NotFound, ValidationFailed
from lantern.models import HotlistEntry, HotlistHit, Reader
from lantern.monitor import repository
from lantern.monitor.hotlists import Candidate, best_match, normalise
from lantern.monitor.schemas import HotlistEntryIn, ReaderIn, ReadIn
from lantern.security import context
from lantern.security.access import audit, guard
from lantern.security.policy import Principal

MAX_ENTRY_DAYS = 366  # an entry must be renewed at least yearly, with its case still open
ALERT_WINDOW_MIN = 10  # one alert per entry per reader per 10 minutes (a car waiting at a light)


def add_entry(session: Session, principal: Principal, entry_in: HotlistEntryIn) -> HotlistEntry:
    """Put a plate or tag on the hotlist; it needs a case reference and an expiry within a year."""
    guard(principal, "hotlist:manage")
    now = context.now(session)
    if entry_in.expires_at <= now:
        raise ValidationFailed("expires_at: the expiry must be in the future")
    if entry_in.expires_at > now + timedelta(days=MAX_ENTRY_DAYS):
        raise ValidationFailed(
            f"expires_at: an entry may last at most {MAX_ENTRY_DAYS} days; renew it when it runs out"
        )
    try:
        key = normalise(entry_in.kind, entry_in.value)
    except ValueError as exc:
        raise ValidationFailed(f"value: {exc}") from exc
    duplicate = repository.live_entries_for(session, entry_in.kind, [key], now)
    if duplicate:
        raise Conflict(
            f"{entry_in.kind} {entry_in.value!r} is already on the hotlist "
            f"(entry {duplicate[0].id}, case {duplicate[0].case_ref})"
        )
    entry = repository.add(
        session,
        HotlistEntry(
            kind=entry_in.kind,
            value=entry_in.value.strip(),
            match_key=key,
            case_ref=entry_in.case_ref.strip(),
            description=entry_in.description,
            added_by=principal.name,
            created_at=now,
            expires_at=entry_in.expires_at,
            active=True,
        ),
    )
    audit(
        session,
        principal,
        "create",
        "hotlist_entry",
        entry.id,
        details={"kind": entry.kind, "case_ref": entry.case_ref},
    )
    return entry


def remove_entry(session: Session, principal: Principal, entry_id: int, reason: str) -> HotlistEntry:
    """Take an entry off (vehicle recovered, case closed), saying why."""
    guard(principal, "hotlist:manage")
    entry = repository.hotlist_entry(session, entry_id)
    if entry is None:
        raise NotFound(f"hotlist entry {entry_id} does not exist")
    if len(reason.strip()) < 3:
        raise ValidationFailed("reason: say why the entry is removed (at least 3 characters)")
    entry.active, entry.removed_by, entry.removed_reason = False, principal.name, reason.strip()[:300]
    audit(session, principal, "erase", "hotlist_entry", entry.id, details={"reason": entry.removed_reason})
    return entry


def list_entries(session: Session, principal: Principal, include_inactive: bool = False) -> list[HotlistEntry]:
    guard(principal, "hotlist:read")
    entries = list(repository.hotlist_entries(session, active_only=not include_inactive))
    audit(session, principal, "consult", "hotlist", "entries", details={"count": len(entries)})
    return entries


def save_reader(session: Session, principal: Principal, reader_in: ReaderIn) -> Reader:
    guard(principal, "monitor:manage")
    reader = repository.reader(session, reader_in.id)
    if reader is None:
        return repository.add(session, Reader(**reader_in.model_dump(), active=True))
    for name, value in reader_in.model_dump().items():
        setattr(reader, name, value)
    return reader


def record_read(session: Session, principal: Principal, read_in: ReadIn) -> HotlistHit | None:
    """Match one read against the live hotlist; keep it only if it hits."""
    guard(principal, "hotlist:report")
    reader = repository.reader(session, read_in.reader_id)
    if reader is None or not reader.active:
        raise NotFound(f"reader {read_in.reader_id!r} is not registered")
    if reader.kind == "tag":
        if not read_in.tag or read_in.candidates:
            raise ValidationFailed(f"reader {reader.id} reads RFID tags: send `tag`, not plate candidates")
        candidates = [Candidate(read_in.tag, 1.0)]
    else:
        if not read_in.candidates or read_in.tag:
            raise ValidationFailed(f"reader {reader.id} reads plates: send `candidates`, not a tag")
        candidates = [Candidate(c.text, c.confidence) for c in read_in.candidates]
    now = context.now(session)
    keys: dict[str, Candidate] = {}
    for candidate in candidates:
        try:
            keys.setdefault(normalise(reader.kind, candidate.text), candidate)
        except ValueError as exc:
            raise ValidationFailed(f"reading {candidate.text!r}: {exc}") from exc
    entries = {e.match_key: e for e in repository.live_entries_for(session, reader.kind, list(keys), now)}
    minimum = 1.0 if reader.kind == "tag" else float(context.setting(session, "hotlist_min_confidence", 0.5))
    match = best_match(reader.kind, candidates, set(entries), minimum)
    read_at = read_in.time.astimezone(UTC)
    hour = read_at.replace(minute=0, second=0, microsecond=0)
    repository.count_read(session, reader.id, hour, hit=match is not None)
    if match is None:
        return None
    entry = entries[normalise(reader.kind, match.text)]
    return _hit(session, reader, entry, match, read_at)


def _hit(session: Session, reader: Reader, entry: HotlistEntry, match: Candidate, read_at: datetime) -> HotlistHit:
    window = read_at.replace(minute=read_at.minute - read_at.minute % ALERT_WINDOW_MIN, second=0, microsecond=0)
    what = "Stolen motorcycle tag" if entry.kind == "tag" else "Hotlist plate"
    alert, _ = alert_service.raise_alert(
        session,
        alert_service.AlertIn(
            source="hotlist",
            kind=f"hotlist_{entry.kind}",
            severity="critical",
            subject_type="hotlist_entry",
            subject_id=str(entry.id),
            title=f"{what} {entry.value} at {reader.name}",
            detail=f"case {entry.case_ref}; read {match.text!r} (confidence {match.confidence:.2f}) "
            f"at {read_at.isoformat()}",
            dedupe_key=f"hotlist:{entry.id}:{reader.id}:{window.isoformat()}",
            data={
                "lat": reader.lat,
                "lon": reader.lon,
                "reader": reader.id,
                "case_ref": entry.case_ref,
                "at": read_at.isoformat(),
            },
        ),
    )
    return repository.add(
        session,
        HotlistHit(
            entry_id=entry.id,
            reader_id=reader.id,
            read_at=read_at,
            read_text=match.text[:40],
            confidence=match.confidence,
            alert_id=alert.id,
        ),
    )


def reader_statistics(session: Session, principal: Principal, since: datetime) -> list[dict[str, Any]]:
    """Reads per reader per hour (traffic statistics)."""
    guard(principal, "monitor:read")
    return [
        {"reader_id": c.reader_id, "hour": c.hour.isoformat(), "reads": c.reads, "hits": c.hits}
        for c in repository.reader_counts(session, since)
    ]


def recent_hits(session: Session, principal: Principal) -> list[HotlistHit]:
    guard(principal, "hotlist:read")
    found = list(repository.hits(session))
    audit(session, principal, "consult", "hotlist", "hits", details={"count": len(found)})
    return found
