"""Audit rules: append entries to the chain, search them, verify the chain and checkpoints.

Domains never call this directly: they go through the security layer, which decides what is
audited. An entry holds references only (object type and id, purpose reference), never the
personal data itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from lantern.audit import checkpoint as checkpoints
from lantern.audit import repository
from lantern.audit.chain import ChainReport, entry_hash, verify_chain
from lantern.audit.merkle import tree_hash
from lantern.models import AuditEntry

ACTIONS = frozenset(
    {
        # EU LED art. 25: collection, alteration, consultation, disclosure, combination, erasure
        "create", "alter", "consult", "disclose", "combine", "erase",
        # accounts and access
        "sign_in", "sign_in_failed", "sign_out", "lockout", "unlock", "deny", "mfa_enrol", "mfa_failed",
        "mfa_reset", "user_create", "user_disable", "user_enable", "token_create", "token_revoke",
        # the log itself and housekeeping
        "audit_read", "audit_export", "retention_purge", "key_rotation", "backup", "restore",
    }
)  # fmt: skip


@dataclass(frozen=True)
class AuditEvent:
    """What to record; the security layer fills actor and request from the principal."""

    actor: str
    actor_role: str
    action: str
    object_type: str
    object_id: str
    outcome: str = "success"
    purpose_ref: str = ""
    purpose_reason: str = ""
    request_id: str = ""
    client_address: str = ""
    details: dict[str, Any] | None = None


def record(session: Session, event: AuditEvent, at: datetime) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits with the data change)."""
    if event.action not in ACTIONS:
        raise ValueError(f"unknown audit action {event.action!r}")
    head = repository.lock_head(session)
    fields: dict[str, Any] = {
        "seq": head.seq + 1,
        "at": at,
        "actor": event.actor[:120],
        "actor_role": event.actor_role[:120],
        "action": event.action,
        "object_type": event.object_type[:60],
        "object_id": str(event.object_id)[:120],
        "purpose_ref": event.purpose_ref[:120],
        "purpose_reason": event.purpose_reason[:500],
        "outcome": event.outcome,
        "request_id": event.request_id[:64],
        "client_address": event.client_address[:64],
        "details": event.details or {},
    }
    digest = entry_hash(head.entry_hash, fields)
    return repository.append(session, head, AuditEntry(**fields, prev_hash=head.entry_hash, entry_hash=digest))


def search(session: Session, *, limit: int = 100, offset: int = 0, **filters: Any) -> tuple[int, list[AuditEntry]]:
    """Entries newest first with filters (actor, object_ref 'type:id', purpose, action, since, until)."""
    return repository.count(session, **filters), repository.search(session, limit=limit, offset=offset, **filters)


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    entries: int
    checkpoints: int
    first_bad_seq: int | None
    problems: list[str]

    def lines(self) -> list[str]:
        if self.ok:
            return [f"audit log verified: {self.entries} entries, {self.checkpoints} checkpoints, chain intact"]
        first = f"first bad entry: {self.first_bad_seq}" if self.first_bad_seq else "log damaged"
        return [f"AUDIT LOG FAILED VERIFICATION ({first})", *self.problems]


def verify(session: Session, checkpoint_dir: Path | None = None, public_key: Path | None = None) -> VerifyReport:
    """Walk the chain and compare it with exported checkpoints, naming the first bad entry."""
    entries = list(repository.iterate(session))
    chain: ChainReport = verify_chain(entries)
    problems: list[str] = [] if chain.ok else [chain.problem]
    first_bad = chain.first_bad_seq
    head = repository.head(session)
    if chain.ok and (head.seq != chain.last_seq or head.entry_hash != chain.last_hash):
        problems.append(f"the head row says {head.seq} entries but the chain ends at {chain.last_seq}")
        first_bad = first_bad or chain.last_seq + 1
    count = 0
    if checkpoint_dir is not None:
        found = checkpoints.read_checkpoints(checkpoint_dir)
        count = len(found)
        bad, cp_problems = _check_against_checkpoints(entries, found, public_key)
        problems.extend(cp_problems)
        if bad is not None:
            first_bad = bad if first_bad is None else min(first_bad, bad)
    return VerifyReport(not problems, len(entries), count, first_bad, problems)


def _check_against_checkpoints(
    entries: list[dict[str, Any]], found: list[checkpoints.Checkpoint], public_key: Path | None
) -> tuple[int | None, list[str]]:
    problems: list[str] = []
    if public_key is None:
        return None, ["checkpoints given without --public-key: signatures cannot be checked"]
    key = checkpoints.load_public(public_key)
    leaves: list[str] = []
    for cp in found:
        name = cp.path.name if cp.path else f"checkpoint {cp.tree_size}"
        if not checkpoints.signature_valid(cp, key):
            problems.append(f"{name}: signature does not verify (forged or altered checkpoint)")
            continue
        if cp.first_seq != len(leaves) + 1:
            problems.append(
                f"{name}: starts at entry {cp.first_seq}, expected {len(leaves) + 1} (a checkpoint is missing)"
            )
            continue
        leaves.extend(cp.leaves)
        recomputed = tree_hash([bytes.fromhex(h) for h in leaves]).hex()
        if recomputed != cp.root_hash or len(leaves) != cp.tree_size:
            problems.append(f"{name}: root hash does not match its leaves")
    stored = {int(e["seq"]): str(e["entry_hash"]) for e in entries}
    for seq, expected in enumerate(leaves, start=1):
        if seq not in stored:
            last = max(stored) if stored else 0
            problems.append(
                f"entry {seq} is missing: the log ends at entry {last} but a signed checkpoint covers "
                f"{len(leaves)} entries (tail truncated)"
            )
            return seq, problems
        if stored[seq] != expected:
            problems.append(f"entry {seq} differs from the signed checkpoint (rewritten, hashes recomputed)")
            return seq, problems
    return None, problems


def create_checkpoint(session: Session, signing_key: Path, out_dir: Path, created_at: datetime) -> Path | None:
    """Export a signed checkpoint of every entry so far; None when nothing is new."""
    hashes = repository.all_hashes(session)
    previous = checkpoints.read_checkpoints(out_dir) if out_dir.exists() else []
    covered = previous[-1].tree_size if previous else 0
    if len(hashes) <= covered:
        return None
    made = checkpoints.make_checkpoint(
        hashes, covered + 1, checkpoints.load_private(signing_key), created_at.isoformat()
    )
    return checkpoints.write_checkpoint(made, out_dir)
