"""TOTP second factor (RFC 6238: SHA-1, 30 s steps, 6 digits) and recovery codes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno

ISSUER = "Lantern"
STEP_SECONDS = 30
# Accept the previous and next step too: phones drift, and a code typed at the boundary of
# a step must still work. Replay is blocked by remembering the last accepted step.
DRIFT_STEPS = 1
RECOVERY_CODES = 10


def new_secret() -> str:
    """A fresh base32 secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str) -> str:
    """otpauth:// URI for authenticator apps."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (no external image service)."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#15324f")


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step whose code equals ``code`` (within the drift window), else None."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    step = int(at.timestamp()) // STEP_SECONDS
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def code_at(secret: str, at: datetime) -> str:
    """The code shown by an authenticator at ``at`` (tests, demo helper)."""
    return pyotp.TOTP(secret).at(at)


def new_recovery_codes() -> list[str]:
    """Ten single-use codes like 'k7m2-q9xd-4tpa' (about 60 bits each)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3)) for _ in range(RECOVERY_CODES)
    ]


def hash_recovery_code(code: str) -> str:
    """SHA-256 of the normalised code: the codes are random, so a slow hash adds nothing."""
    return hashlib.sha256(code.strip().lower().replace(" ", "").encode()).hexdigest()
