"""Appointments: opening hours, horizon and notice, one booking per person, cancel, reschedule,
check-in to a queue number, no-shows and the booking block, reminders over a real SMTP server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from lantern.errors import Conflict, NotFound
from lantern.mail import service as mail_service
from lantern.models.appointments import Booking, Slot
from lantern.portal.appointments import service as appointment_service
from lantern.portal.appointments.service import BookingCreate, HallCreate
from lantern.security.policy import Principal
from tests.support.smtp import smtp_server

ZONE = ZoneInfo(appointment_service.DEFAULT_TIMEZONE)
# A Monday 08:00 local time, well away from daylight-saving changes.
MONDAY = datetime(2031, 6, 2, 8, 0, tzinfo=ZONE).astimezone(UTC)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).astimezone(UTC)


@pytest.fixture
def hall(session):
    return appointment_service.create_hall(
        session,
        HallCreate(
            code="test-hall",
            kind="hall",
            name_zh="测试大厅",
            name_en="Test hall",
            address_zh="测试路1号",
            address_en="1 Test Road",
            services=["id_card", "traffic"],
            slot_minutes=30,
            capacity=2,
            horizon_days=14,
            min_notice_minutes=120,
            hours=appointment_service.parse_hours({"mon": ["09:00-12:00", "13:00-15:00"], "tue": ["09:00-12:00"]}),
            closed_days=[date(2031, 6, 3)],  # that Tuesday is a holiday
        ),
    )


def booking(starts_at: datetime, id_number: str = "110101199003071234", **extra) -> BookingCreate:
    fields = {"name": "Wang Fang", "email": "wang@example.org", "lang": "en", **extra}
    return BookingCreate(hall_code="test-hall", service="id_card", starts_at=starts_at, id_number=id_number, **fields)


def staff() -> Principal:
    return Principal(kind="user", name="desk1", roles=frozenset({"officer"}), permissions=frozenset({"portal:hall"}))


def test_slots_follow_opening_hours_notice_horizon_and_closed_days(session, hall):
    slots = appointment_service.available_slots(session, hall, MONDAY)
    monday = MONDAY.astimezone(ZONE).date()
    first = slots[0]
    # 08:00 + 2 h notice: 10:00 is the first bookable start; the lunch break has no slots.
    assert first.starts_at == local(monday, 10) and first.free == 2
    starts = {s.starts_at for s in slots}
    assert local(monday, 12) not in starts and local(monday, 13) in starts and local(monday, 14, 30) in starts
    assert local(monday, 15) not in starts  # 15:00 would end after closing
    assert not any(s.starts_at.astimezone(ZONE).date() == date(2031, 6, 3) for s in slots)  # the holiday
    assert local(date(2031, 6, 10), 9) in starts  # the next Tuesday is open
    assert max(starts) < MONDAY + timedelta(days=14)  # the horizon
    assert not any(s.starts_at.astimezone(ZONE).weekday() >= 2 for s in slots)  # Wednesday to Sunday closed


@pytest.mark.parametrize(
    ("starts_at", "message"),
    [
        (local(date(2031, 6, 2), 9, 30), "less than 120 minutes from now"),
        (local(date(2031, 6, 23), 9), "beyond the 14-day booking horizon"),
        (local(date(2031, 6, 3), 9), "is not a slot of hall test-hall"),  # closed day
        (local(date(2031, 6, 2), 12, 0), "is not a slot of hall test-hall"),  # lunch
        (local(date(2031, 6, 2), 10, 10), "is not a slot of hall test-hall"),  # off the 30-minute grid
    ],
)
def test_bookings_outside_the_rules_are_refused_saying_why(session, hall, starts_at, message):
    with pytest.raises(appointment_service.BadBooking, match=message) as refused:
        appointment_service.create_booking(session, booking(starts_at), MONDAY)
    assert refused.value.public  # the resident sees a translated reason


def test_booking_gives_a_code_a_link_and_a_confirmation_without_storing_the_id_number(session, hall):
    starts = local(date(2031, 6, 2), 10)
    booked = appointment_service.create_booking(session, booking(starts), MONDAY)
    row = session.get(Booking, booked.booking.id)
    assert len(row.code) == 9 and row.code[4] == "-"
    assert "110101199003071234" not in {row.person_hash, row.token_hash, row.name, row.phone}
    assert appointment_service.get_by_token(session, booked.token).booking.id == row.id
    [mail] = mail_service.messages_about(session, f"appointment:{row.id}")
    assert row.code in mail.subject and booked.token in mail.body and "Test hall" in mail.body
    free = {s.starts_at: s.free for s in appointment_service.available_slots(session, hall, MONDAY)}
    assert free[starts] == 1


def test_one_booking_per_person_per_slot_even_with_the_number_written_differently(session, hall):
    starts = local(date(2031, 6, 2), 10)
    appointment_service.create_booking(session, booking(starts, "11010119900307123x"), MONDAY)
    with pytest.raises(appointment_service.AlreadyBooked, match="already has a booking"):
        appointment_service.create_booking(session, booking(starts, " 110101 19900307 123X "), MONDAY)
    # The refused attempt did not take a seat.
    assert {s.starts_at: s.free for s in appointment_service.available_slots(session, hall, MONDAY)}[starts] == 1
    # Another slot is fine for the same person.
    appointment_service.create_booking(session, booking(starts + timedelta(minutes=30), "11010119900307123X"), MONDAY)


def test_a_full_slot_is_refused_and_a_cancellation_frees_the_seat(session, hall):
    starts = local(date(2031, 6, 2), 10)
    first = appointment_service.create_booking(session, booking(starts, "A1234567"), MONDAY)
    appointment_service.create_booking(session, booking(starts, "B1234567"), MONDAY)
    with pytest.raises(appointment_service.FullyBooked, match="fully booked"):
        appointment_service.create_booking(session, booking(starts, "C1234567"), MONDAY)
    appointment_service.cancel(session, first.token, MONDAY)
    assert appointment_service.get_by_token(session, first.token).booking.status == "cancelled"
    appointment_service.create_booking(session, booking(starts, "C1234567"), MONDAY)
    # The cancelled person may book the same slot again only if a seat is free.
    with pytest.raises(appointment_service.FullyBooked):
        appointment_service.create_booking(session, booking(starts, "A1234567"), MONDAY)
    # A cancelled booking cannot be cancelled twice.
    with pytest.raises(appointment_service.BookingClosed):
        appointment_service.cancel(session, first.token, MONDAY)


def test_the_database_itself_refuses_more_bookings_than_seats(session, hall):
    booked = appointment_service.create_booking(session, booking(local(date(2031, 6, 2), 10)), MONDAY)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            text("UPDATE appt_slots SET booked = capacity + 1 WHERE id = :id"), {"id": booked.booking.slot_id}
        )


def test_reschedule_moves_the_seat_and_keeps_the_link(session, hall):
    old, new = local(date(2031, 6, 2), 10), local(date(2031, 6, 9), 13, 30)
    booked = appointment_service.create_booking(session, booking(old), MONDAY)
    moved = appointment_service.reschedule(session, booked.token, new, MONDAY)
    assert moved.starts_at == new and moved.booking.code == booked.booking.code
    free = {s.starts_at: s.free for s in appointment_service.available_slots(session, hall, MONDAY)}
    assert free[old] == 2 and free[new] == 1
    # Moving onto a full slot leaves the booking where it was.
    appointment_service.create_booking(session, booking(old, "P1234567"), MONDAY)
    appointment_service.create_booking(session, booking(old, "Q1234567"), MONDAY)
    with pytest.raises(appointment_service.FullyBooked, match="unchanged"):
        appointment_service.reschedule(session, booked.token, old, MONDAY)
    assert appointment_service.get_by_token(session, booked.token).starts_at == new


def test_unknown_or_tampered_links_find_nothing(session, hall):
    booked = appointment_service.create_booking(session, booking(local(date(2031, 6, 2), 10)), MONDAY)
    for token in ("x" * 32, booked.token[:-1] + ("A" if booked.token[-1] != "A" else "B")):
        with pytest.raises(appointment_service.BookingNotFound):
            appointment_service.get_by_token(session, token)


def test_check_in_gives_queue_numbers_in_arrival_order(session, hall):
    starts = local(date(2031, 6, 2), 10)
    a = appointment_service.create_booking(session, booking(starts, "A1234567"), MONDAY)
    b = appointment_service.create_booking(session, booking(starts, "B1234567"), MONDAY)
    with pytest.raises(Conflict, match="check-in is open from 2031-06-02 09:00"):
        appointment_service.check_in(session, staff(), "test-hall", a.booking.code, starts - timedelta(hours=2))
    at = starts - timedelta(minutes=10)
    # Staff may scan or type the code in any case, with or without the dash.
    first = appointment_service.check_in(session, staff(), "test-hall", b.booking.code.replace("-", "").lower(), at)
    second = appointment_service.check_in(session, staff(), "test-hall", a.booking.code, at)
    again = appointment_service.check_in(session, staff(), "test-hall", a.booking.code, at)
    assert (first.queue_number, second.queue_number, again.queue_number, again.already) == (1, 2, 2, True)
    with pytest.raises(NotFound, match="no booking 'ZZZZ-ZZZZ' at hall test-hall"):
        appointment_service.check_in(session, staff(), "test-hall", "zzzz-zzzz", at)
    day = appointment_service.hall_day(session, staff(), "test-hall", at)
    assert [row[0].code for row in day.queue] == [b.booking.code, a.booking.code]


def test_without_the_hall_permission_check_in_is_refused(session, hall):
    nobody = Principal(kind="user", name="analyst1", roles=frozenset({"analyst"}), permissions=frozenset())
    with pytest.raises(Exception, match="does not allow portal:hall"):
        appointment_service.check_in(session, nobody, "test-hall", "ABCD-EFGH", MONDAY)


def test_no_shows_after_grace_and_three_in_90_days_block_booking_for_30_days(session, hall):
    person = "N1234567"
    now = MONDAY
    for week in range(3):
        monday = (MONDAY + timedelta(weeks=week)).astimezone(ZONE).date()
        starts = local(monday, 10)
        appointment_service.create_booking(session, booking(starts, person), now)
        end = starts + timedelta(minutes=30)
        # Not yet a no-show within the grace period ...
        assert appointment_service.mark_no_shows(session, end + timedelta(minutes=10)) == 0
        # ... but after it; and running the job again changes nothing.
        now = end + timedelta(minutes=16)
        assert appointment_service.mark_no_shows(session, now) == 1
        assert appointment_service.mark_no_shows(session, now) == 0
    next_monday = date(2031, 6, 23)
    with pytest.raises(appointment_service.BookingBlocked, match="blocked until") as blocked:
        appointment_service.create_booking(session, booking(local(next_monday, 10), person), now)
    assert blocked.value.params["until"] == local(date(2031, 6, 16), 10, 30) + timedelta(days=30)
    # Someone else books as usual, and the block ends after 30 days.
    appointment_service.create_booking(session, booking(local(next_monday, 10), "OTHER1234"), now)
    later = local(date(2031, 7, 16), 11)
    assert (
        appointment_service.person_blocked_until(session, appointment_service.person_hash(session, person), later)
        is None
    )


def test_block_rule_counts_only_no_shows_within_the_window():
    day = datetime(2031, 1, 1, tzinfo=UTC)
    spread = [day, day + timedelta(days=60), day + timedelta(days=120)]
    assert appointment_service.blocked_until(spread, day + timedelta(days=121)) is None
    close = [day, day + timedelta(days=45), day + timedelta(days=90)]
    assert appointment_service.blocked_until(close, day + timedelta(days=91)) == day + timedelta(days=120)
    assert appointment_service.blocked_until(close, day + timedelta(days=120)) is None


def test_reminders_reach_the_smtp_server_once_the_day_before(session, hall):
    starts = local(date(2031, 6, 9), 10)
    booked = appointment_service.create_booking(session, booking(starts, email="remind@example.org"), MONDAY)
    topic = f"appointment:{booked.booking.id}"
    assert appointment_service.send_reminders(session, starts - timedelta(hours=25)) == 0
    day_before = starts - timedelta(hours=23)
    assert appointment_service.send_reminders(session, day_before) == 1
    assert appointment_service.send_reminders(session, day_before + timedelta(hours=1)) == 0  # idempotent
    config = mail_service.SmtpConfig(host="127.0.0.1", port=0, sender="noreply@city.example", timeout_s=2)
    with smtp_server() as (inbox, port):
        run = mail_service.deliver_due(
            session, mail_service.SmtpConfig(**{**config.__dict__, "port": port}), day_before
        )
        received = inbox.wait_for(2)
    assert run.sent == 2 and len(mail_service.messages_about(session, topic)) == 2
    reminder = next(m for m in received if m["Subject"].startswith("Reminder"))
    assert reminder["To"] == "remind@example.org"
    assert booked.booking.code in reminder["Subject"] and "Test hall" in reminder.get_content()


def test_reminders_are_written_in_the_residents_language(session, hall):
    starts = local(date(2031, 6, 9), 10)
    booked = appointment_service.create_booking(session, booking(starts, lang="zh"), MONDAY)
    appointment_service.send_reminders(session, starts - timedelta(hours=20))
    subjects = [m.subject for m in mail_service.messages_about(session, f"appointment:{booked.booking.id}")]
    assert subjects == [f"您的预约{booked.booking.code}已成功", f"提醒：您明天有预约{booked.booking.code}"]


def test_a_booking_made_the_day_before_gets_no_separate_reminder(session, hall):
    starts = local(date(2031, 6, 3 + 6), 10)
    now = starts - timedelta(hours=20)
    appointment_service.create_booking(session, booking(starts), now)
    assert appointment_service.send_reminders(session, now) == 0
    assert session.scalar(select(Slot.booked).where(Slot.starts_at == starts)) == 1
