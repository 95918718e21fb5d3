"""Scoring a lost-item report against a found item: pure functions, no session.

score = 40 % text similarity (rapidfuzz WRatio, which copes with word order and with Chinese
text that has no spaces) + 30 % time fit + 30 % distance; items of another category never match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz, utils

from lantern.kit.geo import haversine_m

TEXT_WEIGHT, TIME_WEIGHT, PLACE_WEIGHT = 0.4, 0.3, 0.3
EARLY_TOLERANCE = timedelta(hours=12)  # clocks and memories are vague: found a little "before" it was lost
LATE_LIMIT = timedelta(days=30)  # found this long after the loss: time says nothing any more
NEAR_M, FAR_M = 500.0, 10_000.0


@dataclass(frozen=True)
class Lost:
    category: str
    description: str
    lost_from: datetime
    lost_to: datetime
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class Found:
    category: str
    description: str
    found_at: datetime
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class Score:
    total: float  # 0-100
    text: float  # 0-1 each
    time: float
    place: float
    distance_m: float | None


def time_fit(lost: Lost, found: Found) -> float:
    """1 when found within the loss window (or up to a day after), falling to 0 at 30 days after."""
    if found.found_at < lost.lost_from - EARLY_TOLERANCE:
        return 0.0
    after = found.found_at - lost.lost_to
    if after <= timedelta(days=1):
        return 1.0
    return max(0.0, 1.0 - (after - timedelta(days=1)) / (LATE_LIMIT - timedelta(days=1)))


def place_fit(lost: Lost, found: Found) -> tuple[float, float | None]:
    """1 within 500 m, 0 beyond 10 km, linear between; 0.5 (no evidence) when a place is unknown."""
    if None in (lost.lat, lost.lon, found.lat, found.lon):
        return 0.5, None
    metres = haversine_m(lost.lat, lost.lon, found.lat, found.lon)  # type: ignore[arg-type]
    if metres <= NEAR_M:
        return 1.0, metres
    return max(0.0, 1.0 - (metres - NEAR_M) / (FAR_M - NEAR_M)), metres


def score(lost: Lost, found: Found) -> Score:
    """How likely ``found`` is the item of ``lost``; 0 for another category."""
    if lost.category != found.category:
        return Score(0.0, 0.0, 0.0, 0.0, None)
    text = fuzz.WRatio(lost.description, found.description, processor=utils.default_process) / 100.0
    timing = time_fit(lost, found)
    place, metres = place_fit(lost, found)
    if timing == 0.0:
        return Score(0.0, text, 0.0, place, metres)
    total = 100.0 * (TEXT_WEIGHT * text + TIME_WEIGHT * timing + PLACE_WEIGHT * place)
    return Score(round(total, 1), text, timing, place, metres)
