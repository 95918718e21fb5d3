"""Field encryption (AES-256-GCM) and keyed pseudonyms (HMAC-SHA-256) from one keyring file.

Ciphertexts look like ``enc:v1:<key id>:<base64(nonce | ciphertext | tag)>``. The column's
name is bound in as associated data, so a value copied into another column fails to decrypt.
The keyring holds every key ever used: the primary one encrypts, all decrypt, so
``lantern keys rotate`` can re-encrypt in batches while the service keeps running.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lantern.errors import DomainError

PREFIX = "enc:v1:"


class KeyringError(DomainError):
    status_code = 500
    code = "keyring_error"


@dataclass
class FieldKey:
    id: str
    key: bytes
    created_at: str
    status: str  # primary | active | retired


@dataclass
class Keyring:
    """Keys of one deployment; loaded from and saved to a 0600 JSON file."""

    path: Path | None
    field_keys: list[FieldKey]
    pseudonym_key: bytes
    mtime: float = 0.0
    _aead: dict[str, AESGCM] = field(default_factory=dict, repr=False)

    @property
    def primary(self) -> FieldKey:
        return next(k for k in self.field_keys if k.status == "primary")

    def _cipher(self, key_id: str) -> AESGCM:
        if key_id not in self._aead:
            found = next((k for k in self.field_keys if k.id == key_id), None)
            if found is None:
                raise KeyringError(f"ciphertext names key {key_id!r}, which is not in the keyring")
            self._aead[key_id] = AESGCM(found.key)
        return self._aead[key_id]

    def encrypt(self, plaintext: str, context: str) -> str:
        """Encrypt with the primary key, binding ``context`` (e.g. 'incident_parties.phone')."""
        key = self.primary
        nonce = os.urandom(12)  # 96-bit random nonces: safe for far more than 2^32 messages per key
        sealed = self._cipher(key.id).encrypt(nonce, plaintext.encode("utf-8"), context.encode())
        return f"{PREFIX}{key.id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, context: str) -> str:
        """Decrypt a value made by :meth:`encrypt` for the same context."""
        if not token.startswith(PREFIX):
            raise KeyringError("value is not an encrypted field")
        key_id, _, payload = token[len(PREFIX) :].partition(":")
        raw = base64.b64decode(payload)
        try:
            return self._cipher(key_id).decrypt(raw[:12], raw[12:], context.encode()).decode("utf-8")
        except InvalidTag as exc:
            raise KeyringError(f"encrypted field for {context} failed authentication (altered or moved)") from exc

    def key_id_of(self, token: str) -> str:
        """The key a ciphertext was made with."""
        return token[len(PREFIX) :].partition(":")[0]

    def pseudonym(self, value: str, kind: str) -> str:
        """Keyed pseudonym of an identifier: equal inputs link, the value cannot be recovered."""
        message = f"{kind}\x1f{value}".encode()
        return hmac.new(self.pseudonym_key, message, hashlib.sha256).hexdigest()

    def add_primary(self) -> FieldKey:
        """Make a new primary key; the previous primary stays to decrypt existing values."""
        for key in self.field_keys:
            if key.status == "primary":
                key.status = "active"
        key = FieldKey(
            id=f"k{len(self.field_keys) + 1}-{secrets.token_hex(3)}",
            key=AESGCM.generate_key(256),
            created_at=datetime.now(UTC).isoformat(),
            status="primary",
        )
        self.field_keys.append(key)
        return key

    def retire_all_but_primary(self) -> list[str]:
        """Mark non-primary keys retired (kept, so old backups still decrypt)."""
        retired = []
        for key in self.field_keys:
            if key.status == "active":
                key.status = "retired"
                retired.append(key.id)
        return retired

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "field_keys": [
                {
                    "id": k.id,
                    "key": base64.b64encode(k.key).decode(),
                    "created_at": k.created_at,
                    "status": k.status,
                }
                for k in self.field_keys
            ],
            "pseudonym_key": base64.b64encode(self.pseudonym_key).decode(),
        }

    def save(self) -> None:
        """Write atomically with mode 0600."""
        if self.path is None:
            raise KeyringError("this keyring has no file")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(self.to_json(), handle, indent=2)
        temporary.replace(self.path)
        self.mtime = self.path.stat().st_mtime


def new_keyring(path: Path | None) -> Keyring:
    """A keyring with one primary field key and a pseudonym key."""
    ring = Keyring(path=path, field_keys=[], pseudonym_key=secrets.token_bytes(32))
    ring.add_primary()
    return ring


def load_keyring(path: Path, *, create: bool) -> Keyring:
    """Load the keyring file; create it when missing and ``create`` (never in production)."""
    if not path.exists():
        if not create:
            raise KeyringError(f"keyring {path} does not exist; create it with `lantern keys init`")
        ring = new_keyring(path)
        ring.save()
        return ring
    data = json.loads(path.read_text())
    keys = [FieldKey(k["id"], base64.b64decode(k["key"]), k["created_at"], k["status"]) for k in data["field_keys"]]
    if sum(k.status == "primary" for k in keys) != 1:
        raise KeyringError(f"keyring {path} must have exactly one primary key")
    return Keyring(
        path=path,
        field_keys=keys,
        pseudonym_key=base64.b64decode(data["pseudonym_key"]),
        mtime=path.stat().st_mtime,
    )


def refreshed(ring: Keyring) -> Keyring:
    """The same keyring, reloaded if its file changed (after a rotation by another process)."""
    if ring.path is None or not ring.path.exists() or ring.path.stat().st_mtime == ring.mtime:
        return ring
    return load_keyring(ring.path, create=False)
