"""Appointment rules: opening hours, horizon and notice, booking, cancel, reschedule, check-in, no-shows.

The database guarantees the two things that must never go wrong under concurrency: a slot is
never booked beyond its capacity (conditional UPDATE of ``appt_slots.booked`` plus a CHECK),
and one person holds at most one booking per slot (unique (active_slot_id, person_hash)).
Everything here only decides *which* slot to ask for and explains refusals.
"""

from __future__ import annotations

import secrets
import tomllib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lantern.errors import Conflict, DomainError, NotFound, ValidationFailed
from lantern.mail import service as mail_service
from lantern.models.appointments import Booking, Hall, HallClosedDay, HallHours
from lantern.portal.appointments import repository
from lantern.portal.i18n import LANGUAGES, Formats, Translator
from lantern.portal.i18n import mark as _
from lantern.security import access, context
from lantern.security.policy import Principal

SERVICES: dict[str, str] = {
    "id_card": _("ID card"),
    "exit_entry": _("Exit-entry permits (passport, travel permits)"),
    "traffic": _("Traffic violations and driving licences"),
    "household": _("Household registration"),
}
KINDS = {"hall": _("Service hall"), "self_service": _("24-hour self-service point")}
WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud at a counter
LINK_KIND = "appointment-link"
PERSON_KIND = "appointment-person"
DEFAULT_TIMEZONE = "Europe/Helsinki"  # Settings.city_timezone's default, for sessions without settings


@dataclass(frozen=True)
class Rules:
    early_minutes: int
    grace_minutes: int
    no_show_limit: int
    window_days: int
    block_days: int
    reminder_hours: int


def load_rules() -> Rules:
    """The shared booking rules from ``appointments/rules.toml``."""
    raw = tomllib.loads((resources.files("lantern.portal.appointments") / "rules.toml").read_text("utf-8"))
    return Rules(
        early_minutes=raw["check_in"]["early_minutes"],
        grace_minutes=raw["check_in"]["grace_minutes"],
        no_show_limit=raw["no_show"]["limit"],
        window_days=raw["no_show"]["window_days"],
        block_days=raw["no_show"]["block_days"],
        reminder_hours=raw["reminder"]["hours_before"],
    )


RULES = load_rules()


class Refused(DomainError):
    """A refusal a resident reads: ``public`` is a catalogue message id, ``params`` fill it in."""

    def __init__(self, message: str, public: str, **params: Any) -> None:
        super().__init__(message)
        self.public = public
        self.params = params


class FullyBooked(Refused, Conflict):
    code = "fully_booked"


class AlreadyBooked(Refused, Conflict):
    code = "already_booked"


class BookingBlocked(Refused, Conflict):
    code = "booking_blocked"


class BadBooking(Refused, ValidationFailed):
    pass


class BookingNotFound(Refused, NotFound):
    pass


class BookingClosed(Refused, Conflict):
    code = "booking_closed"


# ---------------------------------------------------------------- halls


@dataclass(frozen=True)
class HallCreate:
    code: str
    kind: str
    name_zh: str
    name_en: str
    address_zh: str
    address_en: str
    services: list[str]
    slot_minutes: int
    capacity: int
    horizon_days: int
    min_notice_minutes: int
    hours: dict[int, list[tuple[int, int]]]  # weekday -> [(opens_min, closes_min)] local time
    closed_days: list[date] = field(default_factory=list)


def _minutes(text: str, where: str) -> int:
    try:
        hours, minutes = (int(part) for part in text.split(":"))
    except ValueError:
        raise ValidationFailed(f"{where}: {text!r} is not a time like 09:30") from None
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or hours * 60 + minutes > 24 * 60:
        raise ValidationFailed(f"{where}: {text!r} is outside 00:00-24:00")
    return hours * 60 + minutes


def parse_hours(spec: dict[str, list[str]], where: str = "hours") -> dict[int, list[tuple[int, int]]]:
    """``{"mon": ["09:00-12:00", "13:30-17:30"]}`` -> ``{0: [(540, 720), (810, 1050)]}``; missing days are closed."""
    parsed: dict[int, list[tuple[int, int]]] = {}
    for day, ranges in spec.items():
        if day not in WEEKDAYS:
            raise ValidationFailed(f"{where}: {day!r} is not a weekday; use one of {', '.join(WEEKDAYS)}")
        for text in ranges:
            opens, _sep, closes = text.partition("-")
            start, end = _minutes(opens, f"{where}.{day}"), _minutes(closes, f"{where}.{day}")
            if end <= start:
                raise ValidationFailed(f"{where}.{day}: {text!r} closes before it opens")
            parsed.setdefault(WEEKDAYS[day], []).append((start, end))
    return parsed


def create_hall(session: Session, hall_in: HallCreate) -> Hall:
    """Register a hall with its hours and closed days."""
    unknown = sorted(set(hall_in.services) - set(SERVICES))
    if unknown:
        raise ValidationFailed(f"hall {hall_in.code}, field `services`: unknown {unknown}; known: {sorted(SERVICES)}")
    if hall_in.kind not in KINDS:
        raise ValidationFailed(f"hall {hall_in.code}, field `kind`: {hall_in.kind!r} is not one of {sorted(KINDS)}")
    for name in ("slot_minutes", "capacity", "horizon_days"):
        if getattr(hall_in, name) < 1:
            raise ValidationFailed(f"hall {hall_in.code}, field `{name}`: must be at least 1")
    if repository.hall_by_code(session, hall_in.code):
        raise Conflict(f"hall {hall_in.code!r} already exists")
    hall = Hall(
        code=hall_in.code,
        kind=hall_in.kind,
        name_zh=hall_in.name_zh,
        name_en=hall_in.name_en,
        address_zh=hall_in.address_zh,
        address_en=hall_in.address_en,
        services=list(hall_in.services),
        slot_minutes=hall_in.slot_minutes,
        capacity=hall_in.capacity,
        horizon_days=hall_in.horizon_days,
        min_notice_minutes=max(0, hall_in.min_notice_minutes),
        active=True,
    )
    repository.add(session, hall)
    for weekday, ranges in hall_in.hours.items():
        for opens, closes in ranges:
            repository.add(session, HallHours(hall_id=hall.id, weekday=weekday, opens_min=opens, closes_min=closes))
    for day in hall_in.closed_days:
        repository.add(session, HallClosedDay(hall_id=hall.id, day=day, reason=""))
    return hall


def seed_halls(session: Session) -> int:
    """Create the demo halls of ``demo_halls.toml`` that do not exist yet; returns how many."""
    raw = tomllib.loads((resources.files("lantern.portal.appointments") / "demo_halls.toml").read_text("utf-8"))
    created = 0
    for spec in raw["hall"]:
        if repository.hall_by_code(session, spec["code"]):
            continue
        hours = parse_hours(spec.pop("hours"), f"hall {spec['code']}")
        create_hall(session, HallCreate(**spec, hours=hours))
        created += 1
    return created


def list_halls(session: Session) -> Sequence[Hall]:
    """Active halls, staffed halls first."""
    return repository.halls(session)


def get_hall_or_raise(session: Session, code: str) -> Hall:
    hall = repository.hall_by_code(session, code)
    if hall is None or not hall.active:
        raise BookingNotFound(f"no service hall with code {code!r}", _("This service hall does not exist."))
    return hall


def city_zone(session: Session) -> ZoneInfo:
    return ZoneInfo(context.setting(session, "city_timezone", DEFAULT_TIMEZONE))


# ---------------------------------------------------------------- slots


@dataclass(frozen=True)
class SlotView:
    starts_at: datetime
    ends_at: datetime
    capacity: int
    free: int


def day_slot_starts(
    hall: Hall, hours: Sequence[HallHours], day: date, closed: set[date], zone: ZoneInfo
) -> list[datetime]:
    """Slot starts (UTC) of one local day: each opening range cut into whole slots; none on closed days."""
    if day in closed:
        return []
    starts = []
    for row in hours:
        if row.weekday != day.weekday():
            continue
        minute = row.opens_min
        while minute + hall.slot_minutes <= row.closes_min:
            local = datetime.combine(day, time(0), tzinfo=zone) + timedelta(minutes=minute)
            starts.append(local.astimezone(UTC))
            minute += hall.slot_minutes
    return sorted(starts)


def bookable_window(hall: Hall, now: datetime) -> tuple[datetime, datetime]:
    """[earliest, latest) start a resident may book now: minimum notice and booking horizon."""
    return now + timedelta(minutes=hall.min_notice_minutes), now + timedelta(days=hall.horizon_days)


def available_slots(session: Session, hall: Hall, now: datetime) -> list[SlotView]:
    """Every bookable slot from now + notice to now + horizon, with the seats still free."""
    zone = city_zone(session)
    earliest, latest = bookable_window(hall, now)
    first, last = earliest.astimezone(zone).date(), latest.astimezone(zone).date()
    closed = repository.closed_days(session, hall.id, first, last)
    hours = repository.hours(session, hall.id)
    taken = repository.booked_counts(session, hall.id, earliest, latest)
    slots = []
    day = first
    while day <= last:
        for start in day_slot_starts(hall, hours, day, closed, zone):
            if earliest <= start < latest:
                free = hall.capacity - taken.get(start, 0)
                slots.append(SlotView(start, start + timedelta(minutes=hall.slot_minutes), hall.capacity, max(0, free)))
        day += timedelta(days=1)
    return slots


def _check_start(session: Session, hall: Hall, starts_at: datetime, now: datetime) -> datetime:
    """The slot's end if ``starts_at`` is a bookable slot of ``hall`` now; else a refusal saying why."""
    zone = city_zone(session)
    starts_at = starts_at.astimezone(UTC)
    earliest, latest = bookable_window(hall, now)
    if starts_at < earliest:
        raise BadBooking(
            f"field `starts_at`: {starts_at.isoformat()} is less than {hall.min_notice_minutes} minutes from now "
            f"(hall {hall.code}); choose a later time",
            _("Appointments must be booked at least %(minutes)s minutes in advance. Please choose a later time."),
            minutes=hall.min_notice_minutes,
        )
    if starts_at >= latest:
        raise BadBooking(
            f"field `starts_at`: {starts_at.isoformat()} is beyond the {hall.horizon_days}-day booking horizon "
            f"of hall {hall.code}",
            _("Appointments can be booked at most %(days)s days ahead."),
            days=hall.horizon_days,
        )
    day = starts_at.astimezone(zone).date()
    closed = repository.closed_days(session, hall.id, day, day)
    if starts_at not in day_slot_starts(hall, repository.hours(session, hall.id), day, closed, zone):
        raise BadBooking(
            f"field `starts_at`: {starts_at.isoformat()} is not a slot of hall {hall.code} "
            f"(closed then, or not on a {hall.slot_minutes}-minute boundary of its opening hours)",
            _("The hall is closed at that time. Please choose one of the times shown."),
        )
    return starts_at + timedelta(minutes=hall.slot_minutes)


# ---------------------------------------------------------------- no-shows


def blocked_until(no_shows: Sequence[datetime], now: datetime, rules: Rules = RULES) -> datetime | None:
    """When online booking opens again for someone who missed these appointments (None: not blocked).

    ``limit`` no-shows within ``window_days`` block booking for ``block_days`` after the last of them.
    """
    ordered = sorted(no_shows)
    until = None
    for index in range(rules.no_show_limit - 1, len(ordered)):
        first, last = ordered[index - rules.no_show_limit + 1], ordered[index]
        if last - first <= timedelta(days=rules.window_days):
            end = last + timedelta(days=rules.block_days)
            if end > now and (until is None or end > until):
                until = end
    return until


def person_blocked_until(session: Session, person_hash: str, now: datetime) -> datetime | None:
    since = now - timedelta(days=RULES.window_days + RULES.block_days)
    return blocked_until(repository.no_show_times(session, person_hash, since), now)


def mark_no_shows(session: Session, now: datetime) -> int:
    """Bookings not checked in by slot end + grace become no-shows; idempotent."""
    count = 0
    for booking in repository.overdue_bookings(session, now - timedelta(minutes=RULES.grace_minutes)):
        booking.status = "no_show"
        booking.no_show_at = now
        count += 1
    session.flush()
    return count


# ---------------------------------------------------------------- booking


@dataclass(frozen=True)
class BookingCreate:
    hall_code: str
    service: str
    starts_at: datetime
    name: str
    id_number: str
    email: str = ""
    phone: str = ""
    lang: str = "zh"


@dataclass(frozen=True)
class Booked:
    booking: Booking
    hall: Hall
    starts_at: datetime
    ends_at: datetime
    token: str = ""  # the manage-link secret; only known right after booking (we keep its hash)


def normalise_id_number(raw: str) -> str:
    """Upper-case, no spaces or dashes, full-width digits made ASCII."""
    text = unicodedata.normalize("NFKC", raw).upper()
    return "".join(ch for ch in text if ch.isalnum())


def person_hash(session: Session, id_number: str) -> str:
    """Keyed pseudonym of an ID number: equal numbers link, the number itself is never stored."""
    return context.keyring(session).pseudonym(normalise_id_number(id_number), PERSON_KIND)


def _token_hash(session: Session, token: str) -> str:
    return context.keyring(session).pseudonym(token, LINK_KIND)


def _new_code(session: Session) -> str:
    while True:
        raw = "".join(secrets.choice(CODE_ALPHABET) for _i in range(8))
        code = f"{raw[:4]}-{raw[4:]}"
        if not repository.code_taken(session, code):
            return code


def normalise_code(raw: str) -> str:
    """What staff type or scan ("abcd efgh", "ABCDEFGH") -> "ABCD-EFGH"."""
    text = "".join(ch for ch in unicodedata.normalize("NFKC", raw).upper() if ch.isalnum())
    return f"{text[:4]}-{text[4:]}" if len(text) == 8 else text


def _validate(booking_in: BookingCreate, hall: Hall) -> tuple[str, str, str]:
    name = " ".join(booking_in.name.split())
    if not 1 <= len(name) <= 100:
        raise BadBooking("field `name`: give a name of 1 to 100 characters", _("Please enter your name."))
    if booking_in.service not in hall.services:
        raise BadBooking(
            f"field `service`: {booking_in.service!r} is not offered at hall {hall.code} ({', '.join(hall.services)})",
            _("Please choose a service this hall offers."),
        )
    number = normalise_id_number(booking_in.id_number)
    if not 6 <= len(number) <= 30:
        raise BadBooking(
            "field `id_number`: an ID number has 6 to 30 letters and digits",
            _("Please enter your ID number (6 to 30 letters and digits)."),
        )
    email = booking_in.email.strip()
    if email:
        try:
            email = mail_service.check_address(email)
        except ValidationFailed:
            raise BadBooking(
                f"field `email`: {email!r} is not an e-mail address", _("Please check your e-mail address.")
            ) from None
    phone = "".join(ch for ch in booking_in.phone if ch.isdigit() or ch == "+")
    if booking_in.phone.strip() and not 5 <= len(phone) <= 20:
        raise BadBooking(
            f"field `phone`: {booking_in.phone!r} is not a phone number", _("Please check your phone number.")
        )
    if not email and not phone:
        raise BadBooking(
            "fields `email`/`phone`: give at least one way to reach you",
            _("Please give an e-mail address or a phone number."),
        )
    return name, email, phone


def create_booking(session: Session, booking_in: BookingCreate, now: datetime) -> Booked:
    """Book a seat; the database refuses a full slot or a second booking of one person in one slot."""
    hall = get_hall_or_raise(session, booking_in.hall_code)
    name, email, phone = _validate(booking_in, hall)
    ends_at = _check_start(session, hall, booking_in.starts_at, now)
    starts_at = booking_in.starts_at.astimezone(UTC)
    who = person_hash(session, booking_in.id_number)
    until = person_blocked_until(session, who, now)
    if until is not None:
        raise BookingBlocked(
            f"online booking is blocked until {until.isoformat()} after {RULES.no_show_limit} missed appointments "
            f"within {RULES.window_days} days",
            _(
                "Online booking is blocked until %(until)s because %(limit)s appointments within %(days)s days "
                "were missed. Please visit a hall in person."
            ),
            until=until,
            limit=RULES.no_show_limit,
            days=RULES.window_days,
        )
    token = secrets.token_urlsafe(24)
    booking = Booking(
        code=_new_code(session),
        token_hash=_token_hash(session, token),
        hall_id=hall.id,
        service=booking_in.service,
        name=name,
        email=email,
        phone=phone,
        person_hash=who,
        lang=booking_in.lang if booking_in.lang in LANGUAGES else "zh",
        status="booked",
        created_at=now,
        checked_in_by="",
        reschedules=0,
    )
    # A booking made inside the reminder window needs no reminder: its confirmation is recent.
    if starts_at - now <= timedelta(hours=RULES.reminder_hours):
        booking.reminder_sent_at = now
    try:
        # One savepoint for seat and row: a refusal leaves no seat taken, whatever the caller does next.
        with session.begin_nested():
            slot_id = repository.ensure_slot(session, hall.id, starts_at, ends_at, hall.capacity)
            if not repository.take_seat(session, slot_id):
                raise FullyBooked(
                    f"the slot at {starts_at.isoformat()} of hall {hall.code} is fully booked; choose another time",
                    _("This time is fully booked. Please choose another time."),
                )
            booking.slot_id = booking.active_slot_id = slot_id
            repository.add(session, booking)
    except IntegrityError:
        raise AlreadyBooked(
            f"this ID number already has a booking at {starts_at.isoformat()} at hall {hall.code}",
            _("You already have a booking at this time. One booking per person per time slot."),
        ) from None
    booked = Booked(booking, hall, starts_at, ends_at, token)
    if email:
        _mail(session, booked, "confirmation", now)
    return booked


def get_by_token(session: Session, token: str) -> Booked:
    """The booking behind a manage link; the same answer for unknown and malformed tokens."""
    booking = repository.booking_by_token_hash(session, _token_hash(session, token[:100]))
    if booking is None:
        raise BookingNotFound(
            "no booking for this link", _("This link is not valid. Check that you copied the whole link.")
        )
    hall = session.get(Hall, booking.hall_id)
    assert hall is not None
    starts_at, ends_at = repository.slot_times(session, booking.slot_id)
    return Booked(booking, hall, starts_at, ends_at, token)


def _must_be_open(booked: Booked, now: datetime, action: str) -> None:
    if booked.booking.status != "booked":
        raise BookingClosed(
            f"booking {booked.booking.code} is {booked.booking.status}; it cannot be {action}",
            _("This booking can no longer be changed."),
        )
    if booked.starts_at <= now:
        raise BookingClosed(
            f"booking {booked.booking.code} started at {booked.starts_at.isoformat()}; it cannot be {action}",
            _("This appointment has already started and can no longer be changed."),
        )


def cancel(session: Session, token: str, now: datetime) -> Booked:
    """Cancel through the manage link; the seat is free again at once."""
    booked = get_by_token(session, token)
    _must_be_open(booked, now, "cancelled")
    booking = booked.booking
    repository.release_seat(session, booking.slot_id)
    booking.status = "cancelled"
    booking.cancelled_at = now
    booking.active_slot_id = None
    session.flush()
    if booking.email:
        _mail(session, booked, "cancellation", now)
    return booked


def reschedule(session: Session, token: str, starts_at: datetime, now: datetime) -> Booked:
    """Move a booking to another slot of its hall: the new seat is taken before the old one is freed."""
    booked = get_by_token(session, token)
    _must_be_open(booked, now, "rescheduled")
    booking, hall = booked.booking, booked.hall
    ends_at = _check_start(session, hall, starts_at, now)
    starts_at = starts_at.astimezone(UTC)
    if starts_at == booked.starts_at:
        return booked
    try:
        with session.begin_nested():
            slot_id = repository.ensure_slot(session, hall.id, starts_at, ends_at, hall.capacity)
            if not repository.take_seat(session, slot_id):
                raise FullyBooked(
                    f"the slot at {starts_at.isoformat()} of hall {hall.code} is fully booked; "
                    "your booking is unchanged",
                    _("This time is fully booked. Your booking is unchanged; please choose another time."),
                )
            repository.release_seat(session, booking.slot_id)
            booking.slot_id = slot_id
            booking.active_slot_id = slot_id
            booking.reschedules += 1
            booking.reminder_sent_at = now if starts_at - now <= timedelta(hours=RULES.reminder_hours) else None
            session.flush()
    except IntegrityError:
        session.refresh(booking)
        raise AlreadyBooked(
            f"this ID number already has a booking at {starts_at.isoformat()} at hall {hall.code}",
            _("You already have a booking at this time. One booking per person per time slot."),
        ) from None
    moved = Booked(booking, hall, starts_at, ends_at, token)
    if booking.email:
        _mail(session, moved, "rescheduled", now)
    return moved


# ---------------------------------------------------------------- at the hall


@dataclass(frozen=True)
class CheckIn:
    booking: Booking
    starts_at: datetime
    queue_number: int
    already: bool


def check_in(session: Session, principal: Principal, hall_code: str, code: str, now: datetime) -> CheckIn:
    """Staff scan or type a booking code: the resident gets the day's next queue number."""
    access.guard(principal, "portal:hall", "appointment_hall", hall_code)
    hall = get_hall_or_raise(session, hall_code)
    wanted = normalise_code(code)
    booking = repository.booking_by_code(session, hall.id, wanted)
    if booking is None:
        raise NotFound(f"no booking {wanted!r} at hall {hall.code}; check the code or the hall")
    starts_at, ends_at = repository.slot_times(session, booking.slot_id)
    if booking.status == "checked_in":
        assert booking.queue_number is not None
        return CheckIn(booking, starts_at, booking.queue_number, already=True)
    if booking.status != "booked":
        raise Conflict(f"booking {wanted} is {booking.status.replace('_', '-')}; it cannot be checked in")
    opens = starts_at - timedelta(minutes=RULES.early_minutes)
    closes = ends_at + timedelta(minutes=RULES.grace_minutes)
    if not opens <= now <= closes:
        zone = city_zone(session)
        raise Conflict(
            f"booking {wanted} is for {starts_at.astimezone(zone):%Y-%m-%d %H:%M}; check-in is open from "
            f"{opens.astimezone(zone):%Y-%m-%d %H:%M} to {closes.astimezone(zone):%H:%M}"
        )
    day = now.astimezone(city_zone(session)).date()
    booking.queue_day = day
    booking.queue_number = repository.last_queue_number(session, hall.id, day) + 1
    booking.status = "checked_in"
    booking.checked_in_at = now
    booking.checked_in_by = principal.name
    session.flush()
    access.audit(session, principal, "alter", "appointment", booking.code, details={"hall": hall.code})
    return CheckIn(booking, starts_at, booking.queue_number, already=False)


@dataclass(frozen=True)
class HallDay:
    hall: Hall
    day: date
    rows: list[tuple[Booking, datetime, datetime]]
    queue: list[tuple[Booking, datetime, datetime]]


def hall_day(session: Session, principal: Principal, hall_code: str, now: datetime) -> HallDay:
    """Today's bookings of a hall (local day) and its queue of checked-in residents."""
    access.guard(principal, "portal:hall", "appointment_hall", hall_code)
    hall = get_hall_or_raise(session, hall_code)
    zone = city_zone(session)
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    rows = [
        (row[0], row[1], row[2])
        for row in repository.bookings_between(session, hall.id, start, start + timedelta(days=1))
    ]
    queue = sorted((r for r in rows if r[0].status == "checked_in"), key=lambda r: r[0].queue_number or 0)
    access.audit(session, principal, "consult", "appointment_hall_day", hall.code, details={"day": day.isoformat()})
    return HallDay(hall, day, rows, queue)


# ---------------------------------------------------------------- e-mail


def manage_path(token: str) -> str:
    return f"/portal/appointments/manage/{token}"


def _mail(session: Session, booked: Booked, kind: str, now: datetime) -> None:
    booking, hall = booked.booking, booked.hall
    language = LANGUAGES.get(booking.lang, LANGUAGES["zh"])
    t = Translator(language)
    fmt = Formats(language, str(city_zone(session)))
    hall_name = hall.name_zh if language.code == "zh" else hall.name_en
    address = hall.address_zh if language.code == "zh" else hall.address_en
    when = f"{fmt.date(booked.starts_at, 'full')} {fmt.time(booked.starts_at)}–{fmt.time(booked.ends_at)}"
    subjects = {
        "confirmation": _("Your appointment %(code)s is booked"),
        "rescheduled": _("Your appointment %(code)s has a new time"),
        "cancellation": _("Your appointment %(code)s is cancelled"),
        "reminder": _("Reminder: your appointment %(code)s is tomorrow"),
    }
    lines = [
        t.gettext("Booking code: %(code)s", code=booking.code),
        t.gettext("Service: %(service)s", service=t.gettext(SERVICES[booking.service])),
        t.gettext("Where: %(hall)s, %(address)s", hall=hall_name, address=address),
        t.gettext("When: %(when)s", when=when),
    ]
    if kind != "cancellation" and booked.token:
        base = str(context.setting(session, "public_url", "") or "").rstrip("/")
        lines += [
            "",
            t.gettext("Show the booking code or its QR code at the hall. Bring your ID card."),
            t.gettext("To cancel or change the time: %(link)s", link=base + manage_path(booked.token)),
        ]
    subject = t.gettext(subjects[kind], code=booking.code)
    mail_service.queue(
        session, booking.email, subject, "\n".join(lines) + "\n", topic=f"appointment:{booking.id}", now=now
    )


def send_reminders(session: Session, now: datetime) -> int:
    """Queue the day-before reminder of every booking starting within the reminder window; idempotent.

    The reminder carries no manage link: only the link's hash is stored, so the booking code and
    the hall are repeated instead (the confirmation e-mail has the link).
    """
    count = 0
    for booking, starts_at, ends_at in repository.reminders_due(
        session, now, now + timedelta(hours=RULES.reminder_hours)
    ):
        hall = session.get(Hall, booking.hall_id)
        assert hall is not None
        _mail(session, Booked(booking, hall, starts_at, ends_at), "reminder", now)
        booking.reminder_sent_at = now
        count += 1
    session.flush()
    return count
