"""Geocoder over the address registry: text -> address with a score, point -> nearest address.

Matching first normalises the text (see ``addressing``), then looks the street up exactly or
fuzzily (rapidfuzz WRatio over the registry's street names) and the house number exactly.
A house number that does not exist on a known street is not guessed: the error lists the
nearest numbers on that street instead.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from lantern.city.addressing import normalise_housenumber, normalise_text, parse_address
from lantern.city.spatial import NearestPointIndex
from lantern.errors import NotFound, ValidationFailed

MIN_STREET_SCORE = 80.0  # below this a street match is more often wrong than right (Helsinki tests)
CANDIDATE_COUNT = 5


@dataclass(frozen=True)
class AddressEntry:
    id: int
    text: str
    street: str
    housenumber: str
    lat: float
    lon: float
    district_id: int | None


@dataclass(frozen=True)
class GeocodeMatch:
    address: AddressEntry
    score: float
    exact: bool


@dataclass(frozen=True)
class ReverseMatch:
    address: AddressEntry
    distance_m: float


class AddressNotFound(NotFound):
    """No registry entry matches; ``details`` lists the best candidates."""

    code = "address_not_found"


def _number_value(number: str) -> int:
    match = re.match(r"\d+", number)
    return int(match.group()) if match else 0


class Geocoder:
    """An immutable index over the address registry, rebuilt when the registry changes."""

    def __init__(self, entries: Sequence[AddressEntry]) -> None:
        self.entries = list(entries)
        self.by_street: dict[str, dict[str, AddressEntry]] = defaultdict(dict)
        for entry in self.entries:
            self.by_street[normalise_text(entry.street)][normalise_housenumber(entry.housenumber)] = entry
        self.streets = list(self.by_street)
        self._nearest = (
            NearestPointIndex(np.array([e.lat for e in self.entries]), np.array([e.lon for e in self.entries]))
            if self.entries
            else None
        )

    def geocode(self, text: str) -> GeocodeMatch:
        """Resolve free text to one registry entry, or raise AddressNotFound with candidates."""
        if not text or not text.strip():
            raise ValidationFailed("address text is empty; type a street and house number")
        parsed = parse_address(text)
        street_matches = self._street_candidates(parsed.street)
        if not street_matches:
            raise AddressNotFound(
                f"no street like {text.strip()!r} in the address registry",
                details={"candidates": self._fallback_candidates(text)},
            )
        best_street, best_score = street_matches[0]
        numbers = self.by_street[best_street]
        if parsed.housenumber and parsed.housenumber in numbers:
            exact = best_street == parsed.street
            return GeocodeMatch(numbers[parsed.housenumber], 100.0 if exact else round(best_score, 1), exact)
        # Street known but the number is missing or unknown: list the nearest numbers on it.
        wanted = _number_value(parsed.housenumber)
        nearby = sorted(numbers.values(), key=lambda e: abs(_number_value(e.housenumber) - wanted))
        candidates = [self._candidate(e, best_score) for e in nearby[:CANDIDATE_COUNT]]
        reason = (
            f"house number {parsed.housenumber!r} is not registered on {nearby[0].street}"
            if parsed.housenumber
            else f"{text.strip()!r} names a street but no house number"
        )
        raise AddressNotFound(reason, details={"candidates": candidates})

    def suggest(self, text: str, limit: int = CANDIDATE_COUNT) -> list[dict[str, object]]:
        """Best registry entries for a partial text, for type-ahead suggestions."""
        if not text.strip():
            return []
        parsed = parse_address(text)
        results: list[dict[str, object]] = []
        for street, score in self._street_candidates(parsed.street, cutoff=60.0):
            numbers = self.by_street[street]
            entries = sorted(numbers.values(), key=lambda e: _number_value(e.housenumber))
            if parsed.housenumber:
                entries = [e for e in entries if normalise_housenumber(e.housenumber).startswith(parsed.housenumber)]
            results.extend(self._candidate(e, score) for e in entries[:limit])
            if len(results) >= limit:
                break
        return results[:limit]

    def reverse(self, lat: float, lon: float) -> ReverseMatch:
        """The registry entry nearest to a point."""
        if self._nearest is None:
            raise NotFound("the address registry is empty; import a city first")
        index, distance = self._nearest.nearest(lat, lon)
        return ReverseMatch(self.entries[index], round(distance, 1))

    def _street_candidates(self, street: str, cutoff: float = MIN_STREET_SCORE) -> list[tuple[str, float]]:
        if not street:
            return []
        if street in self.by_street:
            return [(street, 100.0)]
        found = process.extract(street, self.streets, scorer=fuzz.WRatio, limit=CANDIDATE_COUNT, score_cutoff=cutoff)
        return [(name, float(score)) for name, score, _ in found]

    def _fallback_candidates(self, text: str) -> list[dict[str, object]]:
        parsed = parse_address(text)
        found = process.extract(
            parsed.street or normalise_text(text), self.streets, scorer=fuzz.WRatio, limit=CANDIDATE_COUNT
        )
        candidates = []
        for street, score, _ in found:
            entries = sorted(self.by_street[street].values(), key=lambda e: _number_value(e.housenumber))
            candidates.append(self._candidate(entries[0], float(score)))
        return candidates

    @staticmethod
    def _candidate(entry: AddressEntry, score: float) -> dict[str, object]:
        return {
            "id": entry.id,
            "text": entry.text,
            "score": round(score, 1),
            "lat": entry.lat,
            "lon": entry.lon,
        }
