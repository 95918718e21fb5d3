"""Lost and found: registration, reports, scored suggestions, the resident's e-mail, hand-over, unclaimed flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lantern.errors import Conflict, ValidationFailed
from lantern.mail import service as mail_service
from lantern.models import District
from lantern.portal.lostfound import matching
from lantern.portal.lostfound import service as lostfound_service
from lantern.portal.lostfound.service import FoundCreate, LostCreate
from lantern.security.policy import Principal


def desk_officer() -> Principal:
    return Principal(
        kind="user", name="lf-desk", roles=frozenset({"officer"}), permissions=frozenset({"portal:lostfound"})
    )


@pytest.fixture
def districts(session):
    return session.scalars(select(District).order_by(District.code)).all()


def test_the_right_item_is_suggested_first_and_other_categories_never(session, clock, districts):
    now = clock.now()
    near, far = districts[0].code, districts[-1].code
    report = lostfound_service.report_lost(
        session,
        LostCreate(
            category="bag",
            description="black leather wallet with a red stripe, bank cards",
            lost_from=now - timedelta(days=2, hours=3),
            lost_to=now - timedelta(days=2),
            lost_place="tram 3",
            email="owner@example.org",
            district=near,
            lang="en",
        ),
        now,
    )
    officer = desk_officer()

    def found(category, description, days_ago, district):
        return lostfound_service.register_found(
            session,
            officer,
            FoundCreate(
                category, description, now - timedelta(days=days_ago), "street", "Central desk, shelf B", district
            ),
            now,
        )

    right = found("bag", "wallet, black leather, red stripe, cards inside", 1.9, near)
    vague = found("bag", "blue backpack with books", 1.5, far)
    elsewhere = found("phone", "black leather wallet with a red stripe", 1.9, near)
    too_early = found("bag", "black leather wallet with a red stripe", 20, near)
    _, suggested = lostfound_service.suggestions(session, officer, report.id)
    ids = [s.item.id for s in suggested]
    assert ids[0] == right.id and suggested[0].score.total >= 80
    assert elsewhere.id not in ids and too_early.id not in ids
    assert (
        vague.id not in ids
        or next(s for s in suggested if s.item.id == vague.id).score.total < suggested[0].score.total
    )


def test_scores_use_time_window_and_distance():
    t = datetime(2031, 1, 10, 12, tzinfo=UTC)
    lost = matching.Lost("keys", "three keys on a ring", t - timedelta(hours=2), t, 60.17, 24.94)
    same = matching.Found("keys", "three keys on a ring", t + timedelta(hours=3), 60.171, 24.941)
    later_far = matching.Found("keys", "three keys on a ring", t + timedelta(days=20), 60.30, 25.20)
    assert matching.score(lost, same).total == 100.0
    assert matching.score(lost, later_far).total < 60
    assert matching.score(lost, matching.Found("keys", "x", t - timedelta(days=3), None, None)).total == 0.0


def test_marking_a_likely_match_tells_the_resident_once_and_hand_over_closes_the_report(session, clock, districts):
    now = clock.now()
    report = lostfound_service.report_lost(
        session,
        LostCreate(
            "keys",
            "钥匙三把，蓝色钥匙扣",
            now - timedelta(hours=5),
            now - timedelta(hours=4),
            "地铁站",
            "k@example.org",
        ),
        now,
    )
    officer = desk_officer()
    item = lostfound_service.register_found(
        session, officer, FoundCreate("keys", "三把钥匙 蓝色钥匙扣", now - timedelta(hours=3), "地铁站", "二号柜"), now
    )
    lostfound_service.mark_likely(session, officer, report.id, item.id, now)
    lostfound_service.mark_likely(session, officer, report.id, item.id, now)
    mails = mail_service.messages_about(session, f"lost-report:{report.id}")
    assert [m.subject for m in mails] == [
        f"您的失物登记{report.tracking_code}",
        f"我们可能找到了您的物品（{report.tracking_code}）",
    ]
    assert "二号柜" in mails[1].body
    assert lostfound_service.track(session, report.tracking_code.lower()).status == "likely_match"

    handed = lostfound_service.hand_over(session, officer, item.id, "Li Lei", True, now + timedelta(hours=1))
    assert (handed.status, handed.handed_to_name, handed.id_checked, handed.handed_over_by) == (
        "handed_over",
        "Li Lei",
        True,
        "lf-desk",
    )
    assert lostfound_service.track(session, report.tracking_code).status == "returned"
    with pytest.raises(Conflict, match="already handed over to Li Lei"):
        lostfound_service.hand_over(session, officer, item.id, "Someone Else", False, now)


def test_items_unclaimed_after_the_legal_period_are_flagged_once(session, clock):
    now = clock.now()
    officer = desk_officer()
    old = lostfound_service.register_found(
        session, officer, FoundCreate("other", "umbrella", now - timedelta(days=366), "park", "basement"), now
    )
    recent = lostfound_service.register_found(
        session, officer, FoundCreate("other", "scarf", now - timedelta(days=300), "park", "basement"), now
    )
    assert lostfound_service.flag_unclaimed(session, now) >= 1
    assert lostfound_service.flag_unclaimed(session, now) == 0
    assert old.unclaimed_flagged_at == now and recent.unclaimed_flagged_at is None
    assert lostfound_service.flag_unclaimed(session, now, keep_for=timedelta(days=200)) >= 1
    assert recent.unclaimed_flagged_at == now


def test_bad_input_names_the_field(session, clock):
    now = clock.now()
    with pytest.raises(ValidationFailed, match="field `category`"):
        lostfound_service.report_lost(session, LostCreate("car", "x", now, now, "y", "a@example.org"), now)
    with pytest.raises(ValidationFailed, match="field `lost_to`"):
        lostfound_service.report_lost(
            session,
            LostCreate("keys", "x", now - timedelta(hours=1), now - timedelta(hours=2), "y", "a@example.org"),
            now,
        )
    with pytest.raises(ValidationFailed, match="field `email`"):
        lostfound_service.report_lost(session, LostCreate("keys", "x", now, now, "y", "nobody"), now)
    with pytest.raises(Exception, match="does not allow portal:lostfound"):
        lostfound_service.register_found(
            session, Principal(kind="anonymous", name="anon"), FoundCreate("keys", "x", now, "y", "z"), now
        )
