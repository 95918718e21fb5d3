"""Fixed-time signal timing by Webster's method (Webster 1958; Road Research Technical Paper 39).

For phases with critical flows ``q_i`` and saturation flows ``s_i`` (veh/h) and total lost
time ``L`` (s per cycle)::

    y_i = q_i / s_i        Y = sum(y_i)
    C0  = (1.5 L + 5) / (1 - Y)              optimal cycle, minimises delay
    g_i = (y_i / Y) (C0 - L)                 effective green, equal degree of saturation

Textbook check: flows 500 and 300 veh/h, saturation 1600 veh/h, L = 16 s give Y = 0.5 and
C0 = 58 s, greens 26.25 s and 15.75 s.

Practice adds bounds. The cycle is clipped to ``[min_cycle_s, max_cycle_s]`` (long cycles
add delay and queue spill-back for little capacity), and raised if needed so the minimum
greens fit. A phase whose proportional share falls below its minimum green (pedestrian
crossing time) gets the minimum, and the remaining green is re-shared among the other phases
in proportion to their ``y_i``, repeating until no further minimum binds.

When ``Y >= 1`` demand exceeds capacity at any cycle length: Webster's formula would return
a negative or infinite cycle. The result then says ``status="oversaturated"``, runs the
maximum cycle with greens in proportion to ``y_i`` (the least-bad split), and reports each
phase's degree of saturation (> 1 means a growing queue).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "cycle_capped", "cycle_raised", "oversaturated"]


@dataclass(frozen=True)
class Phase:
    """One signal phase: its critical lane-group flow and saturation flow (veh/h), and minimum green (s)."""

    name: str
    flow_veh_h: float
    saturation_veh_h: float
    min_green_s: float = 0.0

    def __post_init__(self) -> None:
        if self.flow_veh_h < 0:
            raise ValueError(f"phase {self.name!r}: flow {self.flow_veh_h} veh/h is negative")
        if self.saturation_veh_h <= 0:
            raise ValueError(f"phase {self.name!r}: saturation flow must be positive, got {self.saturation_veh_h}")
        if self.min_green_s < 0:
            raise ValueError(f"phase {self.name!r}: minimum green {self.min_green_s} s is negative")

    @property
    def flow_ratio(self) -> float:
        """y = q / s."""
        return self.flow_veh_h / self.saturation_veh_h


@dataclass(frozen=True)
class SignalPlan:
    """A Webster timing: cycle, effective greens, and how it was arrived at.

    ``webster_cycle_s`` is the unbounded C0 (``None`` when ``Y >= 1``); ``cycle_s`` is what runs.
    ``degree_of_saturation[i] = y_i * cycle / green_i`` (1.0 = at capacity).
    """

    status: Status
    cycle_s: float
    webster_cycle_s: float | None
    lost_time_s: float
    flow_ratios: tuple[float, ...]
    total_flow_ratio: float
    greens_s: tuple[float, ...]
    degree_of_saturation: tuple[float, ...]
    min_green_bound: tuple[bool, ...]
    message: str


def split_greens(
    ratios: Sequence[float], minimums: Sequence[float], effective_green_s: float
) -> tuple[list[float], list[bool]]:
    """Share ``effective_green_s`` in proportion to ``ratios``, no phase below its minimum.

    Phases whose proportional share is below their minimum are fixed at it and the rest is
    re-shared among the others; repeated until stable (at most one pass per phase).

    Examples
    --------
    >>> split_greens([0.3, 0.05], [0.0, 10.0], 42.0)
    ([32.0, 10.0], [False, True])
    """
    if sum(minimums) > effective_green_s + 1e-9:
        raise ValueError(f"minimum greens total {sum(minimums):g} s, more than the {effective_green_s:g} s available")
    fixed = [False] * len(ratios)
    greens = [0.0] * len(ratios)
    for _ in range(len(ratios) + 1):
        free_green = effective_green_s - sum(m for m, f in zip(minimums, fixed, strict=True) if f)
        free_ratio = sum(r for r, f in zip(ratios, fixed, strict=True) if not f)
        newly = False
        for i, (ratio, minimum) in enumerate(zip(ratios, minimums, strict=True)):
            if fixed[i]:
                greens[i] = minimum
                continue
            share = free_green * ratio / free_ratio if free_ratio > 0 else free_green / fixed.count(False)
            greens[i] = share
            if share < minimum - 1e-9:
                fixed[i] = newly = True
        if not newly:
            break
    return [float(m) if f else g for g, m, f in zip(greens, minimums, fixed, strict=True)], fixed


def webster(
    phases: Sequence[Phase],
    lost_time_s: float,
    *,
    min_cycle_s: float = 30.0,
    max_cycle_s: float = 150.0,
) -> SignalPlan:
    """Webster's optimal cycle and green splits for ``phases``, within cycle bounds and minimum greens.

    Examples
    --------
    >>> plan = webster([Phase("NS", 500, 1600), Phase("EW", 300, 1600)], lost_time_s=16)
    >>> plan.status, plan.total_flow_ratio, plan.cycle_s, plan.greens_s
    ('ok', 0.5, 58.0, (26.25, 15.75))
    >>> webster([Phase("NS", 1000, 1600), Phase("EW", 700, 1600)], lost_time_s=16).status
    'oversaturated'
    """
    if not phases:
        raise ValueError("an intersection needs at least one phase")
    if lost_time_s < 0:
        raise ValueError(f"lost time {lost_time_s} s is negative")
    if not 0 < min_cycle_s <= max_cycle_s:
        raise ValueError(f"cycle bounds [{min_cycle_s}, {max_cycle_s}] s are not an interval of positive lengths")
    lost_time_s = float(lost_time_s)
    ratios = [p.flow_ratio for p in phases]
    minimums = [float(p.min_green_s) for p in phases]
    total = sum(ratios)
    needed = lost_time_s + sum(minimums)
    if needed > max_cycle_s:
        raise ValueError(
            f"lost time {lost_time_s:g} s + minimum greens {sum(minimums):g} s = {needed:g} s "
            f"exceed the maximum cycle {max_cycle_s:g} s; shorten the minimums or allow a longer cycle"
        )
    if total >= 1.0:
        webster_cycle = None
        cycle = float(max_cycle_s)
        status: Status = "oversaturated"
        message = (
            f"Y = {total:.3f} >= 1: demand exceeds capacity at any cycle length; running the maximum "
            f"cycle {cycle:g} s, queues will grow on every phase with a degree of saturation above 1"
        )
    else:
        webster_cycle = (1.5 * lost_time_s + 5.0) / (1.0 - total)
        cycle = float(min(max(webster_cycle, min_cycle_s), max_cycle_s))
        status, message = "ok", f"Y = {total:.3f}, Webster cycle {webster_cycle:.1f} s"
        if webster_cycle > max_cycle_s:
            status, message = "cycle_capped", message + f", capped at the maximum {max_cycle_s:g} s"
        elif webster_cycle < min_cycle_s:
            message += f", raised to the minimum {min_cycle_s:g} s"
        if cycle < needed:
            cycle, status = needed, "cycle_raised"
            message += f", raised to {needed:g} s so the minimum greens fit"
    greens, bound = split_greens(ratios, minimums, cycle - lost_time_s)
    saturation = tuple(
        (r * cycle / g) if g > 0 else (0.0 if r == 0 else float("inf")) for r, g in zip(ratios, greens, strict=True)
    )
    return SignalPlan(
        status=status,
        cycle_s=cycle,
        webster_cycle_s=webster_cycle,
        lost_time_s=lost_time_s,
        flow_ratios=tuple(ratios),
        total_flow_ratio=total,
        greens_s=tuple(greens),
        degree_of_saturation=saturation,
        min_green_bound=tuple(bound),
        message=message,
    )
