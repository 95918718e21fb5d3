"""The unit status machine (pure): which transitions are legal.

available -> dispatched -> en_route -> on_scene -> (transporting) -> cleared, plus
out_of_service. "cleared" is an event: the unit is free again at once (status available).
"""

from __future__ import annotations

from lantern.errors import Conflict

STATUSES = ("available", "dispatched", "en_route", "on_scene", "transporting", "out_of_service")
TRANSITIONS: dict[str, frozenset[str]] = {
    "available": frozenset({"dispatched", "out_of_service"}),
    "dispatched": frozenset({"en_route", "on_scene", "cleared", "out_of_service"}),
    "en_route": frozenset({"on_scene", "cleared"}),
    "on_scene": frozenset({"transporting", "cleared"}),
    "transporting": frozenset({"cleared"}),
    "out_of_service": frozenset({"available"}),
}
BUSY = frozenset({"dispatched", "en_route", "on_scene", "transporting"})


class IllegalTransition(Conflict):
    code = "illegal_status_transition"


def check(current: str, wanted: str, callsign: str) -> None:
    """Raise IllegalTransition saying what is allowed when ``current -> wanted`` is not."""
    allowed = TRANSITIONS.get(current, frozenset())
    if wanted not in allowed:
        options = ", ".join(sorted(allowed)) or "nothing"
        raise IllegalTransition(f"unit {callsign} is {current.replace('_', ' ')}; it can go to {options}, not {wanted}")
