"""Hall staff pages: a booking checked in through the page gets a queue number; other roles are refused."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from lantern.portal.appointments import service as appointment_service
from lantern.portal.appointments.service import BookingCreate, HallCreate
from tests.factories.security import make_user, sign_in

ZONE = ZoneInfo(appointment_service.DEFAULT_TIMEZONE)


@pytest.fixture
def booked(session, clock):
    """Two bookings at 10:00 on a Monday at a test hall; the clock stands at 09:50 that day."""
    appointment_service.create_hall(
        session,
        HallCreate(
            code="page-hall",
            kind="hall",
            name_zh="页面测试大厅",
            name_en="Page test hall",
            address_zh="测试路2号",
            address_en="2 Test Road",
            services=["id_card"],
            slot_minutes=30,
            capacity=4,
            horizon_days=14,
            min_notice_minutes=60,
            hours=appointment_service.parse_hours({"mon": ["09:00-12:00"]}),
            closed_days=[],
        ),
    )
    starts = datetime(2031, 6, 2, 10, 0, tzinfo=ZONE).astimezone(UTC)
    made = [
        appointment_service.create_booking(
            session,
            BookingCreate(
                hall_code="page-hall",
                service="id_card",
                starts_at=starts,
                name=name,
                id_number=id_number,
                email="wang@example.org",
                lang="en",
            ),
            starts - timedelta(days=2),
        )
        for name, id_number in (("Wang Fang", "A1234567"), ("Li Lei", "B1234567"))
    ]
    clock.current = starts - timedelta(minutes=10)
    return made


def test_check_in_through_the_page_gives_queue_numbers(client, session, settings, booked):
    first, second = booked
    with TestClient(client.app) as desk:
        sign_in(desk, make_user(session, settings, "hall-desk", ["officer"]), session)
        assert "/halls/page-hall" in desk.get("/halls").text
        page = desk.get("/halls/page-hall")
        assert page.status_code == 200 and date(2031, 6, 2).isoformat() in page.text
        assert first.booking.code in page.text and "Nobody checked in yet." in page.text
        done = desk.post("/halls/page-hall/check-in", data={"booking_code": second.booking.code.lower()})
        assert re.search(r'id="queue-number">1<', done.text)
        done = desk.post("/halls/page-hall/check-in", data={"booking_code": first.booking.code})
        assert re.search(r'id="queue-number">2<', done.text)
        again = desk.post("/halls/page-hall/check-in", data={"booking_code": first.booking.code})
        assert re.search(r'id="queue-number">2<', again.text) and "was already checked in" in again.text
        queue = re.search(r'<table[^>]*id="hall-queue".*?</table>', again.text, re.S).group(0)
        assert queue.index("Li Lei") < queue.index("Wang Fang")
        wrong = desk.post("/halls/page-hall/check-in", data={"booking_code": "ZZZZ-ZZZZ"})
        assert wrong.status_code == 404 and 'id="check-in-error"' in wrong.text and "ZZZZ-ZZZZ" in wrong.text


def test_hall_pages_refuse_without_the_hall_permission(client, session, settings, booked):
    for path in ("/halls", "/halls/page-hall"):
        assert client.get(path, follow_redirects=False).status_code in (302, 303, 401), path
    with TestClient(client.app) as analyst:
        sign_in(analyst, make_user(session, settings, "hall-analyst", ["analyst"]), session)
        assert analyst.get("/halls").status_code == 403
        assert analyst.get("/halls/page-hall").status_code == 403
        refused = analyst.post("/halls/page-hall/check-in", data={"booking_code": booked[0].booking.code})
        assert refused.status_code == 403
    # The refused check-in gave no queue number: the first real check-in is still number 1.
    with TestClient(client.app) as desk:
        sign_in(desk, make_user(session, settings, "hall-desk2", ["supervisor"]), session)
        done = desk.post("/halls/page-hall/check-in", data={"booking_code": booked[0].booking.code})
        assert re.search(r'id="queue-number">1<', done.text)
