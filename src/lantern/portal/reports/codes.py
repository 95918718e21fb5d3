"""Tracking codes: 11 random Crockford base32 symbols and a check symbol, shown as XXXX-XXXX-XXXX.

55 random bits: guessing one live code among a million reports takes ~3.6e10 tries on average.
The check symbol (weighted sum mod 31) catches every single mistyped symbol and every swap of
neighbours, so the track page can say "check the code" without looking anything up.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
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
