"""Tracking codes: 11 random symbols and a check symbol, shown as XXXX-XXXX-XXXX.

The symbols are Crockford's base32 without Z: 31 of them, so that every symbol has its own
value modulo 31 (with all 32, Z = 31 = 0 mod 31 and a 0 typed for a Z went unnoticed, found by
a test that failed now and then). 54 random bits: guessing one live code among a million
reports takes ~1.8e10 tries on average. The check symbol (weighted sum mod 31, a prime) catches
every single mistyped symbol and every swap of neighbours, so the track page can say "check the
code" without looking anything up.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY"  # Crockford's base32 (no I, L, O, U) without Z
RANDOM_SYMBOLS = 11
LENGTH = RANDOM_SYMBOLS + 1
_READ_AS = {"O": "0", "I": "1", "L": "1"}


def _check(body: str) -> str:
    total = sum((position + 1) * ALPHABET.index(symbol) for position, symbol in enumerate(body))
    return ALPHABET[total % 31]


def new_code() -> str:
    """A fresh code (12 symbols, no separators)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return body + _check(body)


def normalise(typed: str) -> str | None:
    """The code as stored, from what a person typed (any case, spaces, dashes, O for 0); None if invalid."""
    text = "".join(ch for ch in typed.upper() if ch not in " -").translate(str.maketrans(_READ_AS))
    if len(text) != LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    return text if _check(text[:-1]) == text[-1] else None


def display(code: str) -> str:
    """XXXX-XXXX-XXXX, easier to read aloud and to copy."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
