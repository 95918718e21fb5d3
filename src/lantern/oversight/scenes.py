"""Scene-examination quality check: what a record lacks for its scene type (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lantern.kit.time import ensure_utc
from lantern.oversight.thresholds import SceneSpec


@dataclass(frozen=True)
class Photo:
    kind: str
    taken_at: datetime | None
    sha256: str = ""


def missing(
    spec: SceneSpec, items: list[str], photos: list[Photo], started_at: datetime | None, ended_at: datetime | None
) -> list[str]:
    """Everything the record lacks, in a fixed order; empty when it passes.

    >>> spec = SceneSpec("x", "x", ("entry",), ("overview",), 1)
    >>> missing(spec, ["entry"], [], None, None)
    ['no overview photo', 'only 0 photo(s), at least 1 needed', 'start time missing', 'end time missing']
    """
    found = [f"item not recorded: {item}" for item in spec.required_items if item not in set(items)]
    kinds = {p.kind for p in photos}
    found += [f"no {kind.replace('_', ' ')} photo" for kind in spec.photo_kinds if kind not in kinds]
    if len(photos) < spec.min_photos:
        found.append(f"only {len(photos)} photo(s), at least {spec.min_photos} needed")
    if started_at is None:
        found.append("start time missing")
    if ended_at is None:
        found.append("end time missing")
    window = started_at is not None and ended_at is not None and ensure_utc(started_at) < ensure_utc(ended_at)
    if started_at and ended_at and not window:
        found.append("the examination ends before it starts")
    for i, photo in enumerate(photos, start=1):
        if photo.taken_at is None:
            found.append(f"photo {i} ({photo.kind}) has no time")
        elif window and not ensure_utc(started_at) <= ensure_utc(photo.taken_at) <= ensure_utc(ended_at):  # type: ignore[arg-type]
            found.append(f"photo {i} ({photo.kind}) was taken outside the examination window")
        if photo.sha256 and len(photo.sha256) != 64:
            found.append(f"photo {i} ({photo.kind}) has a malformed SHA-256")
    return found
