"""Crowd density: levels, rate of rise, time-to-level forecast, and refusal of identifying payloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from lantern.crowd.density import CrowdState, ZoneSpec, level_of, minutes_to, status, step
from lantern.crowd.service import validate_counts
from lantern.errors import ValidationFailed

T0 = datetime(2026, 12, 31, 22, 0, tzinfo=UTC)
SQUARE = ZoneSpec("senate", "Senate Square", 1000.0, (2.0, 4.0, 5.0), rise_per_min=0.2)


@pytest.mark.parametrize(
    ("density", "level"), [(0.0, 0), (1.99, 0), (2.0, 1), (3.9, 1), (4.0, 2), (4.7, 2), (5.0, 3), (7.5, 3)]
)
def test_levels(density: float, level: int) -> None:
    assert level_of(density, SQUARE.levels) == level


def test_time_to_level_at_the_current_rate() -> None:
    assert minutes_to(3.0, 0.25, 4.0) == pytest.approx(4.0)
    assert minutes_to(3.0, 0.0, 4.0) is None and minutes_to(4.5, 0.3, 4.0) is None


def counts(minutes_and_people: list[tuple[float, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "zone_id": ["senate"] * len(minutes_and_people),
            "time": [T0 + timedelta(minutes=m) for m, _ in minutes_and_people],
            "count": [c for _, c in minutes_and_people],
        }
    )


def test_a_filling_square_alerts_on_rise_and_on_each_level_once() -> None:
    filling = [(m, 1000 + 300 * m) for m in range(0, 15)]  # +0.3 persons/m² a minute, 1.0 -> 5.2
    state, first, _ = step(CrowdState(), counts(filling[:6]), {"senate": SQUARE})
    state = CrowdState.from_bytes(state.to_bytes())
    state, second, _ = step(state, counts(filling[6:]), {"senate": SQUARE})
    alerts = pl.concat([first, second])
    assert alerts["kind"].to_list() == ["crowd_rising", "crowd_watch", "crowd_warning", "crowd_critical"]
    rising = alerts.filter(pl.col("kind") == "crowd_rising")["detail"][0]
    assert "rising 0.30 persons/m² per minute" in rising and "watch (2) in about 1 min" in rising  # at 1.6, 0.4 to go
    _, repeat, _ = step(state, counts([(15, 5500)]), {"senate": SQUARE})
    assert repeat.is_empty(), "still critical and still rising: nothing new"


def test_status_forecasts_the_next_level() -> None:
    points = [(T0 + timedelta(minutes=m), 2.0 + 0.5 * m) for m in range(5)]  # 2.0 -> 4.0, +0.5/min
    view = status(points, SQUARE)
    assert view["level"] == "warning" and view["slope"] == pytest.approx(0.5)
    assert view["forecast"] == "critical in about 2 min"


@pytest.mark.parametrize("field", ["faces", "image_url", "device_ids", "mac_addresses", "person_id"])
def test_payloads_with_identities_images_or_devices_are_refused(field: str) -> None:
    record = {"zone_id": "senate", "time": T0.isoformat(), "count": 120, field: ["x"]}
    with pytest.raises(ValidationFailed, match=f"record 1: `{field}` is not accepted: crowd counts must be anonymous"):
        validate_counts([record])


def test_a_plain_count_is_accepted_and_an_unknown_field_named() -> None:
    assert validate_counts([{"zone_id": "senate", "time": T0.isoformat(), "count": 120}])[0].count == 120
    with pytest.raises(ValidationFailed, match="record 2: unknown field `colour`"):
        validate_counts(
            [
                {"zone_id": "senate", "time": T0.isoformat(), "count": 1},
                {"zone_id": "senate", "time": T0.isoformat(), "count": 1, "colour": "red"},
            ]
        )
