"""The legal rule table: jurisdictions, statute versions and the time limits of case steps.

Loaded from TOML (``rules.toml`` next to this file, or a deployment's own file) and validated
once; everything downstream takes the parsed, frozen objects.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from lantern.kit.time import zone

DEFAULT_RULES = Path(__file__).with_name("rules.toml")


class RuleTableError(ValueError):
    """The rule table is malformed; the message names the jurisdiction, rule and field."""


@dataclass(frozen=True)
class ExtensionRule:
    """How far one step may be extended, how often and who must approve."""

    kind: str
    source: str
    approver_role: str
    max_times: int = 1
    to_total_hours: float | None = None
    to_total_days: int | None = None
    by_hours: float | None = None
    by_days: int | None = None


@dataclass(frozen=True)
class Rule:
    """A time limit: ``step`` is due a period after ``trigger`` was recorded."""

    id: str
    trigger: str
    step: str
    source: str
    hours: float | None = None
    days: int | None = None
    roll_over: bool = False
    yellow_hours: float | None = None
    extensions: tuple[ExtensionRule, ...] = ()

    def extension(self, kind: str) -> ExtensionRule | None:
        """The extension of this kind, or None."""
        return next((e for e in self.extensions if e.kind == kind), None)


@dataclass(frozen=True)
class Jurisdiction:
    """A jurisdiction under one statute version, its calendar and its rules."""

    key: str
    statute_version: str
    name: str
    timezone: str
    case_kinds: tuple[str, ...]
    holidays: frozenset[date]
    workdays: frozenset[date]
    rules: tuple[Rule, ...]

    def rule(self, rule_id: str) -> Rule | None:
        """The rule with this id, or None."""
        return next((r for r in self.rules if r.id == rule_id), None)

    def rules_triggered_by(self, step: str) -> tuple[Rule, ...]:
        """Rules that open an obligation when ``step`` is recorded."""
        return tuple(r for r in self.rules if r.trigger == step)


@dataclass(frozen=True)
class RuleTable:
    """Every jurisdiction and statute version known to this deployment."""

    jurisdictions: tuple[Jurisdiction, ...]

    def get(self, key: str, statute_version: str) -> Jurisdiction | None:
        """The jurisdiction under ``statute_version``, or None."""
        return next((j for j in self.jurisdictions if j.key == key and j.statute_version == statute_version), None)


def _need(table: dict[str, Any], name: str, where: str) -> Any:
    if name not in table:
        raise RuleTableError(f"{where}: field `{name}` is missing")
    return table[name]


def _extension(raw: dict[str, Any], where: str) -> ExtensionRule:
    ext = ExtensionRule(
        kind=str(_need(raw, "kind", where)),
        source=str(_need(raw, "source", where)),
        approver_role=str(_need(raw, "approver_role", where)),
        max_times=int(raw.get("max_times", 1)),
        to_total_hours=raw.get("to_total_hours"),
        to_total_days=raw.get("to_total_days"),
        by_hours=raw.get("by_hours"),
        by_days=raw.get("by_days"),
    )
    given = [n for n in ("to_total_hours", "to_total_days", "by_hours", "by_days") if getattr(ext, n) is not None]
    if len(given) != 1:
        raise RuleTableError(f"{where}: give exactly one of to_total_hours, to_total_days, by_hours, by_days")
    if ext.max_times < 1:
        raise RuleTableError(f"{where}: max_times must be at least 1")
    return ext


def _rule(raw: dict[str, Any], where: str) -> Rule:
    rule_id = str(_need(raw, "id", where))
    where = f"{where} rule {rule_id}"
    rule = Rule(
        id=rule_id,
        trigger=str(_need(raw, "trigger", where)),
        step=str(_need(raw, "step", where)),
        source=str(_need(raw, "source", where)),
        hours=raw.get("hours"),
        days=raw.get("days"),
        roll_over=bool(raw.get("roll_over", False)),
        yellow_hours=raw.get("yellow_hours"),
        extensions=tuple(_extension(e, f"{where} extension {i + 1}") for i, e in enumerate(raw.get("extension", []))),
    )
    if (rule.hours is None) == (rule.days is None):
        raise RuleTableError(f"{where}: give exactly one of `hours` or `days`")
    if rule.hours is not None and rule.roll_over:
        raise RuleTableError(f"{where}: `roll_over` applies to periods in days only")
    for ext in rule.extensions:
        if rule.hours is not None and (ext.to_total_days is not None or ext.by_days is not None):
            raise RuleTableError(f"{where} extension {ext.kind}: a period in hours is extended in hours")
        if rule.days is not None and (ext.to_total_hours is not None or ext.by_hours is not None):
            raise RuleTableError(f"{where} extension {ext.kind}: a period in days is extended in days")
    if not rule.source.strip():
        raise RuleTableError(f"{where}: `source` must name the legal text")
    return rule


def parse_rule_table(data: dict[str, Any]) -> RuleTable:
    """Validate a parsed TOML document into a RuleTable."""
    jurisdictions = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("jurisdiction", [])):
        key = str(_need(raw, "key", f"jurisdiction {i + 1}"))
        version = str(_need(raw, "statute_version", f"jurisdiction {key}"))
        where = f"jurisdiction {key} ({version})"
        tz = str(_need(raw, "timezone", where))
        try:
            zone(tz)
        except ValueError as exc:
            raise RuleTableError(f"{where}: {exc}") from exc
        rules = tuple(_rule(r, where) for r in raw.get("rule", []))
        for rule in rules:
            if rule.id in seen:
                raise RuleTableError(f"{where}: rule id {rule.id!r} is used twice")
            seen.add(rule.id)
        jurisdictions.append(
            Jurisdiction(
                key=key,
                statute_version=version,
                name=str(raw.get("name", key)),
                timezone=tz,
                case_kinds=tuple(raw.get("case_kinds", [])),
                holidays=frozenset(date.fromisoformat(d) for d in raw.get("holidays", [])),
                workdays=frozenset(date.fromisoformat(d) for d in raw.get("workdays", [])),
                rules=rules,
            )
        )
    if not jurisdictions:
        raise RuleTableError("the rule table has no [[jurisdiction]]")
    return RuleTable(tuple(jurisdictions))


def load_rule_table(path: Path | None = None) -> RuleTable:
    """Read and validate a rule table (the built-in one when ``path`` is None)."""
    target = path or DEFAULT_RULES
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RuleTableError(f"{target}: not valid TOML ({exc})") from exc
    return parse_rule_table(data)


@lru_cache(maxsize=1)
def default_rule_table() -> RuleTable:
    """The built-in rule table, parsed once."""
    return load_rule_table()
