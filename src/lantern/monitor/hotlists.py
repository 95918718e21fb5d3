"""Hotlist matching: fold confusable characters, then compare plate candidates and tag ids.

Plate readers confuse O/0/D, B/8, I/1, S/5 and Z/2; folding both the hotlist entry and every
candidate reading to one canonical form makes those equal. Tags are exact identifiers, so they
are only normalised (case, separators), never folded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

KINDS = ("plate", "tag")
CONFUSABLE = str.maketrans({"O": "0", "D": "0", "B": "8", "I": "1", "S": "5", "Z": "2"})
_SEPARATORS = re.compile(r"[\s\-·.•_:]+")


def normalise(kind: str, text: str) -> str:
    """The match key of a plate or tag (full-width forms, case and separators removed)."""
    if kind not in KINDS:
        raise ValueError(f"hotlist kind {kind!r} is not one of {', '.join(KINDS)}")
    plain = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    if not plain:
        raise ValueError(f"{kind} {text!r} has no characters to match")
    return plain.translate(CONFUSABLE) if kind == "plate" else plain


@dataclass(frozen=True)
class Candidate:
    text: str
    confidence: float


def best_match(kind: str, candidates: Iterable[Candidate], keys: set[str], min_confidence: float) -> Candidate | None:
    """The most confident candidate whose folded form is on the hotlist, if any."""
    found = [c for c in candidates if c.confidence >= min_confidence and normalise(kind, c.text) in keys]
    return max(found, key=lambda c: c.confidence) if found else None
