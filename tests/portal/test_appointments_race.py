"""The booking race: 20 residents ask for the last place of a slot at the same moment, each in
its own thread, connection and transaction on a real database -> exactly one gets it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from lantern.db import make_engine, make_session_factory, transaction
from lantern.errors import DomainError
from lantern.kit.time import FakeClock
from lantern.models.appointments import Booking, Slot
from lantern.portal.appointments import service as appointment_service
from lantern.portal.appointments.service import BookingCreate, HallCreate
from lantern.security.crypto import new_keyring
from lantern.store import upgrade

CLIENTS = 20
NOW = datetime(2031, 6, 2, 5, 0, tzinfo=UTC)  # Monday 08:00 in Helsinki
SLOT = datetime(2031, 6, 2, 9, 0, tzinfo=UTC)  # Monday 12:00 in Helsinki


@pytest.fixture
def sessions(fresh_database):
    # A pool big enough that all 20 transactions are open at once (PostgreSQL) instead of queueing for a connection.
    engine = make_engine(fresh_database, pool_size=CLIENTS + 2, max_overflow=0)
    upgrade(engine)
    factory = make_session_factory(engine, info={"keyring": new_keyring(None), "clock": FakeClock(NOW)})
    with transaction(factory) as session:
        appointment_service.create_hall(
            session,
            HallCreate(
                code="race",
                kind="self_service",
                name_zh="自助点",
                name_en="Kiosk",
                address_zh="",
                address_en="",
                services=["id_card"],
                slot_minutes=30,
                capacity=3,
                horizon_days=14,
                min_notice_minutes=60,
                hours=appointment_service.parse_hours({"mon": ["09:00-18:00"]}),
            ),
        )
    yield factory
    engine.dispose()


def _request(index: int, id_number: str | None = None) -> BookingCreate:
    return BookingCreate(
        hall_code="race",
        service="id_card",
        starts_at=SLOT,
        name=f"Resident {index}",
        id_number=id_number or f"RACE{index:08d}",
        phone=f"1380000{index:04d}",
    )


def _storm(factory, requests: list[BookingCreate]) -> list[str]:
    """Send every request at once from its own thread; each result is "ok" or the error's code."""
    start = threading.Barrier(len(requests))

    def attempt(booking_in: BookingCreate) -> str:
        start.wait()
        try:
            with transaction(factory) as session:
                appointment_service.create_booking(session, booking_in, NOW)
        except DomainError as error:
            return error.code
        return "ok"

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(attempt, requests))


def test_twenty_concurrent_requests_for_the_last_place_exactly_one_succeeds(sessions):
    # Two of the three places are taken before the race.
    with transaction(sessions) as session:
        for index in (100, 101):
            appointment_service.create_booking(session, _request(index), NOW)

    results = _storm(sessions, [_request(index) for index in range(CLIENTS)])

    assert results.count("ok") == 1, results
    assert results.count("fully_booked") == CLIENTS - 1, results
    with transaction(sessions) as session:
        slot = session.scalars(select(Slot).where(Slot.starts_at == SLOT)).one()
        booked = session.scalars(select(Booking).where(Booking.slot_id == slot.id)).all()
    assert (slot.booked, slot.capacity, len(booked)) == (3, 3, 3)


def test_twenty_concurrent_requests_of_one_person_for_one_slot_book_it_once(sessions):
    results = _storm(sessions, [_request(index, id_number="SAMEPERSON1") for index in range(CLIENTS)])

    assert results.count("ok") == 1, results
    assert set(results) == {"ok", "already_booked"}, results
    with transaction(sessions) as session:
        slot = session.scalars(select(Slot).where(Slot.starts_at == SLOT)).one()
    # The refused attempts gave their seats back: two places are still free.
    assert slot.booked == 1


def test_racing_for_a_slot_nobody_booked_yet_creates_it_once(sessions):
    later = SLOT + timedelta(hours=2)
    requests = [BookingCreate(**{**_request(i).__dict__, "starts_at": later}) for i in range(CLIENTS)]
    results = _storm(sessions, requests)
    assert results.count("ok") == 3 and results.count("fully_booked") == CLIENTS - 3, results
    with transaction(sessions) as session:
        assert len(session.scalars(select(Slot).where(Slot.starts_at == later)).all()) == 1
    assert date(2031, 6, 2).weekday() == 0  # the hall opens on Mondays only
