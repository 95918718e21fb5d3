"""Identifiers and content keys."""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated

from pydantic import Field

MAX_ID = 2**31 - 1  # ids are 32-bit INTEGER keys on PostgreSQL
# A database id inside a request body: out-of-range numbers are a 422, not a driver overflow.
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]


def content_key(text: str) -> str:
    """Stable 128-bit content key (hex) of a canonical text; stable across versions and hosts."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def token(nbytes: int = 32) -> str:
    """A URL-safe random token for secrets (sessions, tracking codes)."""
    return secrets.token_urlsafe(nbytes)


def file_sha256(path: str) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
