"""Key rotation for encrypted fields, without downtime.

1. A new primary key is added to the keyring file; running processes reload it (mtime check)
   and encrypt new values with it, while every older key still decrypts.
2. Existing ciphertexts are re-encrypted in batches, each batch its own short transaction.
3. Older keys are marked retired (kept, so that old backups can still be read).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from lantern.db import transaction
from lantern.fraud.reveal import service as reveal_service
from lantern.people import service as people_service
from lantern.runtime import Runtime
from lantern.security import service as security_service
from lantern.security.access import audit
from lantern.security.crypto import load_keyring
from lantern.security.policy import Principal

BATCH = 500

# Every encrypted column's re-encryption, as (name, batch function(session, after_id, limit)).
REENCRYPTORS: list[tuple[str, Callable[[Session, int, int], tuple[int, int]]]] = [
    ("incident_parties", people_service.reencrypt_batch),
    ("users.mfa_secret", security_service.reencrypt_mfa_batch),
    ("fraud_reveal_requests.answer", reveal_service.reencrypt_batch),
]


@dataclass(frozen=True)
class RotationReport:
    new_key: str
    reencrypted: dict[str, int]
    retired: list[str]


def rotate(runtime: Runtime, progress: Callable[[str, int], None] | None = None) -> RotationReport:
    """Add a primary key, re-encrypt everything with it, retire the old keys."""
    path = runtime.settings.keyring_path
    assert path is not None
    ring = load_keyring(path, create=False)
    new_key = ring.add_primary()
    ring.save()
    runtime.sessions.kw["info"]["keyring"] = ring
    counts: dict[str, int] = {}
    for name, batch in REENCRYPTORS:
        after, total = 0, 0
        while True:
            with transaction(runtime.sessions) as session:
                session.info["keyring"] = ring
                last, changed = batch(session, after, BATCH)
            total += changed
            if progress:
                progress(name, total)
            if last == after:
                break
            after = last
        counts[name] = total
    retired = ring.retire_all_but_primary()
    ring.save()
    with transaction(runtime.sessions) as session:
        audit(
            session,
            Principal.system("keys-rotate"),
            "key_rotation",
            "keyring",
            new_key.id,
            details={"reencrypted": counts, "retired": retired},
        )
    return RotationReport(new_key.id, counts, retired)
