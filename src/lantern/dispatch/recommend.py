"""Choosing units for a response plan from travel estimates (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from lantern.dispatch.routing import TravelEstimate


@dataclass(frozen=True)
class Candidate:
    unit_id: int
    callsign: str
    kind: str
    estimate: TravelEstimate


@dataclass(frozen=True)
class Recommendation:
    unit_id: int
    callsign: str
    kind: str
    slot: str  # the plan's unit kind this unit fills
    seconds: float
    distance_m: float
    straight_line: bool


def fill_plan(
    plan_units: dict[str, int], substitutes: dict[str, list[str]], candidates: list[Candidate]
) -> tuple[list[Recommendation], dict[str, int]]:
    """Fastest suitable unit for each slot; scarcer slots are filled first so they are not starved.

    Returns the recommendations (in plan order) and the slots that could not be filled.
    """
    ordered = sorted(candidates, key=lambda c: c.estimate.seconds)
    taken: set[int] = set()
    chosen: list[Recommendation] = []
    missing: dict[str, int] = {}
    # A slot with fewer acceptable kinds (e.g. "patrol" only) is filled before a flexible one.
    slots = sorted(plan_units.items(), key=lambda item: len(substitutes.get(item[0], [item[0]])))
    for slot, count in slots:
        kinds = substitutes.get(slot, [slot])
        suitable = [c for c in ordered if c.kind in kinds and c.unit_id not in taken]
        for candidate in suitable[:count]:
            taken.add(candidate.unit_id)
            chosen.append(
                Recommendation(
                    candidate.unit_id,
                    candidate.callsign,
                    candidate.kind,
                    slot,
                    round(candidate.estimate.seconds, 1),
                    round(candidate.estimate.distance_m, 1),
                    candidate.estimate.straight_line,
                )
            )
        if len(suitable) < count:
            missing[slot] = count - len(suitable)
    return sorted(chosen, key=lambda r: r.seconds), missing
