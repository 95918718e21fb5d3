"""The incident type code table and response plans, loaded from TOML."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from lantern.errors import NotFound, ValidationFailed


@dataclass(frozen=True)
class IncidentType:
    code: str
    label: str
    apco: str
    family: str
    priority: int
    category: str
    restricted: bool = False


@dataclass(frozen=True)
class Plan:
    type: str
    priority: int
    district: str | None
    units: dict[str, int]


@dataclass(frozen=True)
class CodeTable:
    types: dict[str, IncidentType]
    plans: list[Plan]
    substitutes: dict[str, list[str]]
    dispatch_within: dict[int, int]
    on_scene_without_update: int
    duplicate_radius_m: float
    duplicate_minutes: float
    source: str = field(default="built-in")

    def type_or_raise(self, code: str) -> IncidentType:
        found = self.types.get(code.upper())
        if found is None:
            raise NotFound(f"unknown incident type {code!r}; known codes: {', '.join(sorted(self.types))}")
        return found

    def plan_for(self, type_code: str, priority: int, district_code: str | None) -> Plan:
        """The most specific response plan for a type, priority and district."""
        candidates = [
            (p.district is not None, p.type != "*", p)
            for p in self.plans
            if p.priority == priority
            and p.type in (type_code, "*")
            and (p.district is None or p.district == district_code)
        ]
        if not candidates:
            return Plan(type="*", priority=priority, district=None, units={"patrol": 1})
        return max(candidates, key=lambda c: (c[1], c[0]))[2]


def _parse(data: dict[str, Any], source: str) -> CodeTable:
    try:
        types = {
            code.upper(): IncidentType(
                code=code.upper(),
                label=t["label"],
                apco=t["apco"],
                family=t["family"],
                priority=int(t["priority"]),
                category=t["category"],
                restricted=bool(t.get("restricted", False)),
            )
            for code, t in data["types"].items()
        }
        plans = [
            Plan(
                type=p["type"].upper() if p["type"] != "*" else "*",
                priority=int(p["priority"]),
                district=p.get("district"),
                units={k: int(v) for k, v in p["units"].items()},
            )
            for p in data.get("plans", [])
        ]
        timers = data.get("timers", {})
        duplicates = data.get("duplicates", {})
        table = CodeTable(
            types=types,
            plans=plans,
            substitutes={k: list(v) for k, v in data.get("substitutes", {}).items()},
            dispatch_within={int(k): int(v) for k, v in timers.get("dispatch_within", {}).items()},
            on_scene_without_update=int(timers.get("on_scene_without_update", 2700)),
            duplicate_radius_m=float(duplicates.get("radius_m", 250)),
            duplicate_minutes=float(duplicates.get("minutes", 30)),
            source=source,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(f"{source}: the incident type table is malformed ({exc!r})") from exc
    for code, kind in ((t.code, t.priority) for t in types.values()):
        if kind not in (1, 2, 3, 4):
            raise ValidationFailed(f"{source}: type {code} has priority {kind}; use 1-4")
    return table


@lru_cache(maxsize=4)
def load_codes(path: str | None = None) -> CodeTable:
    """The packaged table, or the agency's own file."""
    if path:
        file = Path(path)
        return _parse(tomllib.loads(file.read_text(encoding="utf-8")), str(file))
    text = (resources.files("lantern.dispatch") / "incident_types.toml").read_text(encoding="utf-8")
    return _parse(tomllib.loads(text), "built-in incident_types.toml")
