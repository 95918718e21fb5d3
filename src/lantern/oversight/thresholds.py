"""Early-intervention thresholds, completeness rules and audit-review settings from TOML."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from lantern.oversight.analytics import AuditReviewParams, IndicatorThreshold

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.toml")


@dataclass(frozen=True)
class SceneSpec:
    """What a scene examination of one type must contain."""

    type: str
    label: str
    required_items: tuple[str, ...]
    photo_kinds: tuple[str, ...]
    min_photos: int


@dataclass(frozen=True)
class OversightSettings:
    """Everything ``thresholds.toml`` configures."""

    indicators: tuple[IndicatorThreshold, ...]
    labels: dict[str, str]
    enforcement_kinds: tuple[str, ...]
    within_hours: float
    retain_days: int
    audit_review: AuditReviewParams
    scenes: tuple[SceneSpec, ...] = ()
    complaint_assign_days: int = 5
    complaint_finding_days: int = 90

    def scene(self, scene_type: str) -> SceneSpec | None:
        """The spec of one scene type, or None."""
        return next((s for s in self.scenes if s.type == scene_type), None)

    def indicator(self, name: str) -> IndicatorThreshold | None:
        """The threshold of one indicator, or None."""
        return next((t for t in self.indicators if t.indicator == name), None)


def parse_settings(data: dict[str, Any]) -> OversightSettings:
    """Validate a parsed TOML document; raises ValueError naming the bad field."""
    eis = data.get("eis", {})
    min_peers = int(eis.get("min_peers", 4))
    indicators = []
    for raw in eis.get("indicator", []):
        name = raw.get("name", "?")
        try:
            t = IndicatorThreshold(
                indicator=str(raw["name"]),
                window_days=int(raw["window_days"]),
                yellow_z=float(raw["yellow_z"]),
                red_z=float(raw["red_z"]),
                min_count=int(raw["min_count"]),
                min_peers=min_peers,
            )
        except KeyError as exc:
            raise ValueError(f"eis indicator {name}: field `{exc.args[0]}` is missing") from exc
        if not 0 < t.yellow_z <= t.red_z:
            raise ValueError(f"eis indicator {name}: need 0 < yellow_z <= red_z")
        if t.window_days < 1:
            raise ValueError(f"eis indicator {name}: window_days must be at least 1")
        indicators.append(t)
    completeness = data.get("completeness", {})
    review = data.get("audit_review", {})
    return OversightSettings(
        indicators=tuple(indicators),
        labels={str(r["name"]): str(r.get("label", r["name"])) for r in eis.get("indicator", [])},
        enforcement_kinds=tuple(completeness.get("kinds", [])),
        within_hours=float(completeness.get("within_hours", 24)),
        retain_days=int(completeness.get("retain_days", 183)),
        audit_review=_audit_review(review),
        complaint_assign_days=int(data.get("complaints", {}).get("assign_days", 5)),
        complaint_finding_days=int(data.get("complaints", {}).get("finding_days", 90)),
        scenes=tuple(
            SceneSpec(
                type=str(raw["type"]),
                label=str(raw.get("label", raw["type"])),
                required_items=tuple(raw.get("required_items", [])),
                photo_kinds=tuple(raw.get("photo_kinds", [])),
                min_photos=int(raw.get("min_photos", 0)),
            )
            for raw in data.get("scene", [])
        ),
    )


def _audit_review(raw: dict[str, Any]) -> AuditReviewParams:
    defaults = AuditReviewParams()
    return AuditReviewParams(
        timezone=str(raw.get("timezone", defaults.timezone)),
        work_start_hour=int(raw.get("work_start_hour", defaults.work_start_hour)),
        work_end_hour=int(raw.get("work_end_hour", defaults.work_end_hour)),
        bulk_rows=int(raw.get("bulk_rows", defaults.bulk_rows)),
        peer_z=float(raw.get("peer_z", defaults.peer_z)),
        peer_min_reads=int(raw.get("peer_min_reads", defaults.peer_min_reads)),
        exempt_object_types=tuple(raw.get("exempt_object_types", defaults.exempt_object_types)),
    )


def load_settings(path: Path | None = None) -> OversightSettings:
    """Read and validate a thresholds file (the built-in one when ``path`` is None)."""
    return parse_settings(tomllib.loads((path or DEFAULT_THRESHOLDS).read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def default_settings() -> OversightSettings:
    """The built-in settings, parsed once."""
    return load_settings()
