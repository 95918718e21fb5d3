"""Hash chain over audit entries (pure): canonical encoding, entry hashes, verification.

entry_hash(n) = SHA-256(entry_hash(n-1) || 0x0a || canonical JSON of entry n), where the
canonical JSON holds every field (sequence number included, so reordering is detected),
keys sorted, times in UTC with microseconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "seq",
    "at",
    "actor",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "purpose_ref",
    "purpose_reason",
    "outcome",
    "request_id",
    "client_address",
    "details",
)


def _normal(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def canonical(entry: Mapping[str, Any]) -> bytes:
    """Canonical bytes of an entry's hashed fields."""
    body = {name: _normal(entry[name]) for name in HASHED_FIELDS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    """Hash linking an entry to its predecessor."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(entry)).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """Outcome of walking the chain; ``first_bad_seq`` names the first entry that fails."""

    ok: bool
    entries: int
    last_seq: int
    last_hash: str
    first_bad_seq: int | None = None
    problem: str = ""


def verify_chain(entries: Iterable[Mapping[str, Any]]) -> ChainReport:
    """Check sequence continuity, links and hashes, stopping at the first bad entry.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> e = {f: "" for f in HASHED_FIELDS} | {"seq": 1, "at": datetime(2026, 1, 1, tzinfo=timezone.utc), "details": {}}
    >>> e["prev_hash"] = GENESIS_HASH; e["entry_hash"] = entry_hash(GENESIS_HASH, e)
    >>> verify_chain([e]).ok
    True
    """
    expected_seq, previous, count = 1, GENESIS_HASH, 0
    for entry in entries:
        seq = int(entry["seq"])
        if seq != expected_seq:
            return ChainReport(
                False,
                count,
                expected_seq - 1,
                previous,
                expected_seq,
                f"entry {expected_seq} is missing: the next stored entry is {seq} (deleted or renumbered)",
            )
        if entry["prev_hash"] != previous:
            return ChainReport(
                False,
                count,
                seq - 1,
                previous,
                seq,
                f"entry {seq} does not link to entry {seq - 1} (inserted, reordered or a predecessor removed)",
            )
        recomputed = entry_hash(previous, entry)
        if entry["entry_hash"] != recomputed:
            return ChainReport(
                False,
                count,
                seq - 1,
                previous,
                seq,
                f"entry {seq} was altered: its content does not match its hash",
            )
        previous, expected_seq, count = recomputed, seq + 1, count + 1
    return ChainReport(True, count, expected_seq - 1, previous)
