"""Crowd safety (not surveillance): zones, anonymous counts, and the density stream on the shared
monitoring engine. Counts are numbers only: a payload carrying identities, images or device
identifiers is refused, naming the field, and nothing of it is stored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from pydantic import ValidationError
from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.crowd import repository
from lantern.crowd.density import LEVELS, CrowdState, ZoneSpec, status, step
from lantern.crowd.schemas import CountIn, ZoneIn
from lantern.errors import NotFound, ValidationFailed
from lantern.models import CrowdZone
from lantern.monitor import streams
from lantern.security import context
from lantern.security.access import audit, guard
from lantern.security.policy import Principal

STREAM = "crowd"
ALLOWED = set(CountIn.model_fields)
# Field names that betray identities, images or device ids: refused with a reason, not just "unknown".
IDENTIFYING = (
    "face",
    "image",
    "photo",
    "picture",
    "video",
    "frame",
    "name",
    "person",
    "id_card",
    "passport",
    "phone",
    "imsi",
    "imei",
    "mac",
    "device",
    "bluetooth",
    "wifi",
    "ip_address",
    "plate",
    "track",
)
SEVERITY = {"crowd_watch": "info", "crowd_warning": "warning", "crowd_critical": "critical", "crowd_rising": "warning"}


def spec_of(row: CrowdZone) -> ZoneSpec:
    return ZoneSpec(row.id, row.name, row.area_m2, tuple(row.levels), row.rise_per_min, row.lat, row.lon)


def save_zone(session: Session, principal: Principal, zone_in: ZoneIn) -> CrowdZone:
    guard(principal, "crowd:manage")
    row = repository.zone(session, zone_in.id)
    if row is None:
        row = repository.add(session, CrowdZone(**zone_in.model_dump(), active=True, created_at=context.now(session)))
    else:
        for name, value in zone_in.model_dump().items():
            setattr(row, name, value)
    audit(session, principal, "alter", "crowd_zone", row.id, details={"area_m2": row.area_m2})
    return row


def validate_counts(records: list[Any]) -> list[CountIn]:
    """Anonymous counts only; the first bad record is named with its field."""
    out = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise ValidationFailed(f"record {number}: expected an object with zone_id, time and count")
        for key in record:
            lowered = str(key).lower()
            if any(word in lowered for word in IDENTIFYING):
                raise ValidationFailed(
                    f"record {number}: `{key}` is not accepted: crowd counts must be anonymous "
                    "(no identities, images or device identifiers); send zone_id, time and count only"
                )
            if key not in ALLOWED:
                raise ValidationFailed(
                    f"record {number}: unknown field `{key}`; send zone_id, time, count (and source)"
                )
        try:
            out.append(CountIn.model_validate(record))
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ValidationFailed(
                f"record {number}: field `{'.'.join(map(str, first['loc']))}`: {first['msg']}"
            ) from exc
    return out


def record_counts(session: Session, principal: Principal, records: list[Any]) -> int:
    """Validate (all-or-nothing) and append counts to the density stream's input log."""
    guard(principal, "crowd:report")
    counts = validate_counts(records)
    known = {z.id for z in repository.zones(session)}
    unknown = sorted({c.zone_id for c in counts} - known)
    if unknown:
        raise ValidationFailed(f"unknown crowd zones: {', '.join(unknown[:10])}")
    now = context.now(session)
    repository.insert_counts(session, [{**c.model_dump(), "received_at": now} for c in counts])
    return len(counts)


class CrowdStream:
    name = STREAM

    def fetch(self, session: Session, after_id: int, limit: int) -> list[Any]:
        return repository.counts_after(session, after_id, limit)

    def apply(self, session: Session, state_bytes: bytes, rows: Sequence[Any]) -> streams.Applied:
        state = CrowdState.from_bytes(state_bytes)
        if not rows:
            return streams.Applied(state_bytes, [], {})
        specs = {z.id: spec_of(z) for z in repository.zones(session)}
        batch = pl.DataFrame(
            [r[1:] for r in rows],
            schema={"zone_id": pl.String, "time": pl.Datetime("us", "UTC"), "count": pl.Int64},
            orient="row",
        )
        state, alerts, counts = step(state, batch, specs)
        return streams.Applied(state.to_bytes(), [_alert_in(r, specs) for r in alerts.to_dicts()], counts)


def _alert_in(row: dict[str, Any], specs: dict[str, ZoneSpec]) -> alert_service.AlertIn:
    spec = specs[row["vehicle_id"]]
    kind = row["kind"]
    title = (
        f"Crowd {kind.removeprefix('crowd_')} at {spec.name}"
        if kind != "crowd_rising"
        else f"Crowd density rising fast at {spec.name}"
    )
    return alert_service.AlertIn(
        source="crowd",
        kind=kind,
        severity=SEVERITY[kind],
        subject_type="crowd_zone",
        subject_id=spec.id,
        title=title,
        detail=row["detail"] or "",
        dedupe_key=f"crowd:{kind}:{spec.id}:{row['key_time'].isoformat()}",
        data={"lat": spec.lat, "lon": spec.lon, "at": row["time"].isoformat(), "density": row["value"]},
    )


def process_pending(session: Session, limit: int = 20_000) -> streams.EngineRun:
    return streams.run_once(session, CrowdStream(), limit)


def zone_statuses(session: Session, principal: Principal, hours: float = 1.0) -> list[dict[str, Any]]:
    """Every zone with its latest density, level, rate and forecast, and the points of its chart."""
    guard(principal, "crowd:read")
    since = context.now(session) - timedelta(hours=hours)
    out = []
    for row in repository.zones(session):
        spec = spec_of(row)
        points = [(c.time, c.count / row.area_m2) for c in repository.counts_since(session, row.id, since)]
        out.append({"zone": row, "spec": spec, "points": points, **status(points, spec), "levels": LEVELS})
    return out


def get_zone_or_raise(session: Session, zone_id: str) -> CrowdZone:
    row = repository.zone(session, zone_id)
    if row is None:
        raise NotFound(f"crowd zone {zone_id!r} does not exist")
    return row


def chart_points(
    points: list[tuple[datetime, float]], width: float, height: float, top: float, since: datetime, span_s: float
) -> str:
    """SVG polyline points for density over the chart's time span."""
    out = []
    for t, d in points:
        x = min(width, max(0.0, (t - since).total_seconds() / span_s * width))
        out.append(f"{x:.1f},{height - min(height, d / top * height):.1f}")
    return " ".join(out)
