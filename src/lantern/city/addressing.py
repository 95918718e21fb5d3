"""Address text normalisation for the registry and the geocoder.

Handles case, punctuation, common abbreviations (English, Finnish, Chinese) and full-width
characters (NFKC turns "Ｍａｉｎ　１２" into "Main 12" and "，" into ",").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Whole-token abbreviations, matched after case folding and punctuation removal.
TOKEN_ABBREVIATIONS = {
    "st": "street",
    "str": "street",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "blvd": "boulevard",
    "dr": "drive",
    "ln": "lane",
    "sq": "square",
    "pl": "place",
    "ct": "court",
    "hwy": "highway",
}
# Finnish suffix abbreviations written with a dot: "Annank." = Annankatu, "Mannerheimint." = -tie.
_FINNISH_SUFFIXES = (
    (re.compile(r"(\w{2,})k\.(?=\s|$|\d)"), r"\1katu"),
    (re.compile(r"(\w{2,})t\.(?=\s|$|\d)"), r"\1tie"),
)
# Traditional forms that appear in otherwise simplified addresses.
_CHINESE_VARIANTS = str.maketrans({"號": "号", "路": "路", "街": "街", "巷": "巷", "區": "区", "東": "东", "門": "门"})
_PUNCTUATION = re.compile(r"[^\w\s\-]", re.UNICODE)
_SPACES = re.compile(r"\s+")
_HOUSENUMBER = re.compile(r"^(\d+)\s*([a-z]?)(?:\s*-\s*(\d+)\s*([a-z]?))?$")
_CJK = re.compile(r"[\u3400-\u9fff]")
# "<street>12号" or "<street> 12 号" (Chinese order: street then number with 号)
_CHINESE_NUMBER = re.compile(r"^(?P<street>.*?[\u3400-\u9fff])\s*(?P<number>\d+(?:-\d+)?[a-z]?)\s*号?(?P<rest>.*)$")
_LEADING_NUMBER = re.compile(r"^(?P<number>\d+(?:\s*-\s*\d+)?\s*[a-z]?)\s+(?P<street>\D.*)$")
_TRAILING_NUMBER = re.compile(r"^(?P<street>.*?\D)\s+(?P<number>\d+(?:\s*-\s*\d+)?(?:\s*[a-z])?)(?:\s+(?P<rest>.*))?$")


def normalise_text(text: str) -> str:
    """Case-folded, width-folded, punctuation-free text with abbreviations expanded."""
    value = unicodedata.normalize("NFKC", text).translate(_CHINESE_VARIANTS)
    for pattern, replacement in _FINNISH_SUFFIXES:
        value = pattern.sub(replacement, value)
    value = _PUNCTUATION.sub(" ", value.casefold())
    tokens = [TOKEN_ABBREVIATIONS.get(token, token) for token in value.split()]
    return _SPACES.sub(" ", " ".join(tokens)).strip()


def normalise_housenumber(number: str) -> str:
    """'14 A' -> '14a', '22 - 24' -> '22-24'; other forms are only case- and space-folded."""
    value = _SPACES.sub(" ", unicodedata.normalize("NFKC", number).casefold().replace("号", "")).strip()
    match = _HOUSENUMBER.match(value)
    if not match:
        return value.replace(" ", "")
    first = match.group(1) + match.group(2)
    if match.group(3):
        return f"{first}-{match.group(3)}{match.group(4)}"
    return first


@dataclass(frozen=True)
class ParsedAddress:
    """A free-text address split into its street and house number (normalised)."""

    street: str
    housenumber: str


def parse_address(text: str) -> ParsedAddress:
    """Split free text into normalised street and house number ('' when absent)."""
    raw = unicodedata.normalize("NFKC", text).translate(_CHINESE_VARIANTS).strip()
    if _CJK.search(raw):
        compact = raw.replace(" ", "")
        match = _CHINESE_NUMBER.match(compact.casefold())
        if match:
            return ParsedAddress(normalise_text(match.group("street")), normalise_housenumber(match.group("number")))
        return ParsedAddress(normalise_text(compact), "")
    value = normalise_text(text)
    # Drop a trailing postcode or city ("..., 00100 Helsinki") after the first number we keep.
    lead = _LEADING_NUMBER.match(value)
    if lead:
        return ParsedAddress(lead.group("street").strip(), normalise_housenumber(lead.group("number")))
    trail = _TRAILING_NUMBER.match(value)
    if trail:
        return ParsedAddress(trail.group("street").strip(), normalise_housenumber(trail.group("number")))
    return ParsedAddress(value, "")


def registry_key(street: str, housenumber: str) -> str:
    """The normalised text stored in the registry for an address."""
    return f"{normalise_text(street)} {normalise_housenumber(housenumber)}".strip()
