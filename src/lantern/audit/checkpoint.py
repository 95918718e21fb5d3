"""Signed checkpoints of the audit log, exported outside the database.

A checkpoint states: the log had ``tree_size`` entries, with this RFC 6962 root over their
entry hashes, and lists the entry hashes added since the previous checkpoint, signed with
Ed25519. The signing key belongs to the checkpoint job (`lantern audit checkpoint`), run
under an account the web process does not share: the web process has no setting that could
point at it. A log rewritten with recomputed hashes, or truncated, no longer matches.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lantern.audit.merkle import tree_hash

FORMAT = "lantern-audit-checkpoint/1"


@dataclass(frozen=True)
class Checkpoint:
    tree_size: int
    first_seq: int
    root_hash: str
    leaves: list[str]
    created_at: str
    key_id: str
    signature: str
    path: Path | None = None

    def body(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "tree_size": self.tree_size,
            "first_seq": self.first_seq,
            "root_hash": self.root_hash,
            "leaves": self.leaves,
            "created_at": self.created_at,
            "key_id": self.key_id,
        }


def _signed_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_keypair(private_path: Path) -> Path:
    """Write a new Ed25519 private key (mode 0600) and its public key beside it (.pub)."""
    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public_path = private_path.with_suffix(".pub")
    public_path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return public_path


def load_private(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


def make_checkpoint(
    all_hashes: list[str], first_seq: int, signing_key: Ed25519PrivateKey, created_at: str
) -> Checkpoint:
    """Sign the state of a log whose entry hashes (seq 1..n) are ``all_hashes``."""
    root = tree_hash([bytes.fromhex(h) for h in all_hashes]).hex()
    unsigned = Checkpoint(
        len(all_hashes),
        first_seq,
        root,
        all_hashes[first_seq - 1 :],
        created_at,
        key_id(signing_key.public_key()),
        "",
    )
    signature = base64.b64encode(signing_key.sign(_signed_bytes(unsigned.body()))).decode()
    return Checkpoint(**{**unsigned.__dict__, "signature": signature})


def write_checkpoint(checkpoint: Checkpoint, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"checkpoint-{checkpoint.tree_size:012d}.json"
    path.write_text(json.dumps({**checkpoint.body(), "signature": checkpoint.signature}, indent=1))
    return path


def read_checkpoints(folder: Path) -> list[Checkpoint]:
    """Checkpoints in a folder, oldest first."""
    found = []
    for path in sorted(folder.glob("checkpoint-*.json")):
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT:
            raise ValueError(f"{path.name} is not a Lantern audit checkpoint")
        found.append(
            Checkpoint(
                data["tree_size"],
                data["first_seq"],
                data["root_hash"],
                data["leaves"],
                data["created_at"],
                data["key_id"],
                data["signature"],
                path,
            )
        )
    return sorted(found, key=lambda c: c.tree_size)


def signature_valid(checkpoint: Checkpoint, public: Ed25519PublicKey) -> bool:
    try:
        public.verify(base64.b64decode(checkpoint.signature), _signed_bytes(checkpoint.body()))
    except InvalidSignature:
        return False
    return True
