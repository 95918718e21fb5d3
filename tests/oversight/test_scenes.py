"""Scene-examination quality check: each scene type lists what a record lacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lantern.errors import ValidationFailed
from lantern.oversight.evidence import service as evidence_service
from lantern.oversight.scenes import Photo, missing
from lantern.oversight.schemas import PhotoIn, SceneCreate
from lantern.oversight.thresholds import default_settings
from tests.oversight.factories import OFFICER, case

START = datetime(2026, 3, 6, 21, 0, tzinfo=UTC)
END = START + timedelta(hours=2)
BURGLARY = default_settings().scene("burglary")


def photos(kinds: list[str], at: datetime = START + timedelta(minutes=10)) -> list[Photo]:
    return [Photo(kind, at) for kind in kinds]


def test_a_complete_burglary_record_passes_and_each_gap_is_named():
    items = list(BURGLARY.required_items)
    complete = photos(["overview", "orientation", "detail", "detail", "detail", "detail"])
    assert missing(BURGLARY, items, complete, START, END) == []

    gaps = missing(
        BURGLARY,
        [i for i in items if i != "tool_marks"],
        [
            Photo("overview", START + timedelta(minutes=5)),
            Photo("detail", None),
            Photo("detail", END + timedelta(hours=1)),
        ],
        START,
        END,
    )
    assert gaps == [
        "item not recorded: tool_marks",
        "no orientation photo",
        "only 3 photo(s), at least 6 needed",
        "photo 2 (detail) has no time",
        "photo 3 (detail) was taken outside the examination window",
    ]
    assert missing(BURGLARY, items, complete, END, START) == ["the examination ends before it starts"]


def test_scene_types_differ_and_a_record_is_stored_with_its_gaps(session):
    collision = default_settings().scene("traffic_collision")
    assert "skid_marks" in collision.required_items and "vehicle_damage" in collision.photo_kinds
    c = case(session)
    with pytest.raises(ValidationFailed, match="known: burglary"):
        evidence_service.record_scene(session, OFFICER, c.id, SceneCreate(scene_type="garden_party"))
    got = evidence_service.record_scene(
        session,
        OFFICER,
        c.id,
        SceneCreate(
            scene_type="traffic_collision",
            started_at=START,
            items=list(collision.required_items),
            photos=[
                PhotoIn(kind=k, taken_at=START + timedelta(minutes=i)) for i, k in enumerate(collision.photo_kinds * 2)
            ],
        ),
    )
    assert got.examiner == "off-li" and got.missing == ["end time missing"]
