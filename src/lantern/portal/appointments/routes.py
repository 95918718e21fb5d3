"""Appointment pages: residents book, change and cancel (public); hall staff check residents in."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from lantern.errors import DomainError
from lantern.portal.appointments import service as appointment_service
from lantern.portal.appointments.service import Booked, BookingCreate, Refused
from lantern.portal.i18n import Formats
from lantern.portal.i18n import mark as _
from lantern.portal.web import Lang, portal_render
from lantern.security.policy import Principal
from lantern.web.auth import public, require
from lantern.web.deps import RuntimeDep, SessionDep
from lantern.web.templating import render

router = APIRouter(prefix="/portal/appointments", include_in_schema=False, dependencies=[public()])
staff_router = APIRouter(prefix="/halls", include_in_schema=False)
HallStaff = Annotated[Principal, require("portal:hall")]
HallCode = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z0-9\-]+$")]
Token = Annotated[str, Path(min_length=16, max_length=100, pattern=r"^[A-Za-z0-9_\-]+$")]


def _problem(error: DomainError, fmt: Formats) -> tuple[str, dict[str, Any]]:
    """A refusal as (catalogue message id, its values formatted for the reader); others as they are."""
    if isinstance(error, Refused):
        params = {k: fmt.datetime(v, "short") if isinstance(v, datetime) else v for k, v in error.params.items()}
        return error.public, params
    return error.message, {}


def _day(value: str, days: list[date]) -> date | None:
    try:
        wanted = date.fromisoformat(value)
    except ValueError:
        return days[0] if days else None
    return wanted if wanted in days else (days[0] if days else None)


def _slot_choice(
    request: Request, runtime: RuntimeDep, session: SessionDep, booked_hall: Any, day: str
) -> dict[str, Any]:
    """The days that have free slots, the chosen day, and its slots."""
    slots = appointment_service.available_slots(session, booked_hall, runtime.clock.now())
    zone = appointment_service.city_zone(session)
    by_day: dict[date, list[appointment_service.SlotView]] = {}
    for slot in slots:
        by_day.setdefault(slot.starts_at.astimezone(zone).date(), []).append(slot)
    days = [d for d, day_slots in by_day.items() if any(s.free for s in day_slots)]
    chosen = _day(day, days)
    return {"days": days, "day": chosen, "slots": by_day.get(chosen, []) if chosen else []}


@router.get("", response_class=HTMLResponse)
def halls_page(request: Request, session: SessionDep) -> HTMLResponse:
    halls = appointment_service.list_halls(session)
    return portal_render(
        request,
        "portal/appointments.html",
        active="appointments",
        halls=halls,
        services=appointment_service.SERVICES,
        kinds=appointment_service.KINDS,
    )


def _book_page(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    code: str,
    day: str,
    status_code: int = 200,
    problem: tuple[str, dict[str, Any]] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    hall = appointment_service.get_hall_or_raise(session, code)
    return portal_render(
        request,
        "portal/appointment_book.html",
        status_code=status_code,
        active="appointments",
        hall=hall,
        services=appointment_service.SERVICES,
        kinds=appointment_service.KINDS,
        rules=appointment_service.RULES,
        problem=problem,
        form=form or {},
        **_slot_choice(request, runtime, session, hall, day),
    )


@router.get("/{code}", response_class=HTMLResponse)
def book_page(
    request: Request, runtime: RuntimeDep, session: SessionDep, code: HallCode, day: str = ""
) -> HTMLResponse:
    return _book_page(request, runtime, session, code, day)


@router.post("/{code}", response_class=HTMLResponse)
def book(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    lang: Lang,
    code: HallCode,
    starts_at: Annotated[str, Form(max_length=40)] = "",
    service: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    id_number: Annotated[str, Form(max_length=60)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    day: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    form = {"service": service, "name": name, "email": email, "phone": phone, "starts_at": starts_at}
    fmt = Formats(lang, runtime.settings.city_timezone)
    try:
        start = datetime.fromisoformat(starts_at) if starts_at else None
    except ValueError:
        start = None
    if start is None or start.tzinfo is None:
        problem = (_("Please choose a time."), {})
        return _book_page(request, runtime, session, code, day, 422, problem, form)
    booking_in = BookingCreate(
        hall_code=code,
        service=service,
        starts_at=start,
        name=name,
        id_number=id_number,
        email=email,
        phone=phone,
        lang=lang.code,
    )
    try:
        # A savepoint: a refused booking leaves the request's transaction usable for the page.
        with session.begin_nested():
            booked = appointment_service.create_booking(session, booking_in, runtime.clock.now())
    except DomainError as error:
        return _book_page(request, runtime, session, code, day, error.status_code, _problem(error, fmt), form)
    return RedirectResponse(f"{appointment_service.manage_path(booked.token)}?done=booked", status_code=303)


def _qr(code: str) -> Markup:
    # The QR code holds only the booking code: what the hall's scanner types into the check-in field.
    return Markup(segno.make(code, error="m").svg_inline(scale=5, border=2, dark="#1b2430", light="#ffffff"))  # noqa: S704


def _manage_page(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    booked: Booked,
    day: str = "",
    done: str = "",
    status_code: int = 200,
    problem: tuple[str, dict[str, Any]] | None = None,
) -> HTMLResponse:
    now = runtime.clock.now()
    changeable = booked.booking.status == "booked" and booked.starts_at > now
    choice = _slot_choice(request, runtime, session, booked.hall, day) if changeable else {}
    return portal_render(
        request,
        "portal/appointment_manage.html",
        status_code=status_code,
        active="appointments",
        booked=booked,
        booking=booked.booking,
        hall=booked.hall,
        services=appointment_service.SERVICES,
        qr=_qr(booked.booking.code),
        changeable=changeable,
        done=done if done in {"booked", "cancelled", "rescheduled"} else "",
        problem=problem,
        **choice,
    )


@router.get("/manage/{token}", response_class=HTMLResponse)
def manage_page(
    request: Request, runtime: RuntimeDep, session: SessionDep, lang: Lang, token: Token, day: str = "", done: str = ""
) -> HTMLResponse:
    try:
        booked = appointment_service.get_by_token(session, token)
    except DomainError as error:
        fmt = Formats(lang, runtime.settings.city_timezone)
        return portal_render(
            request,
            "portal/appointment_gone.html",
            status_code=404,
            active="appointments",
            problem=_problem(error, fmt),
        )
    return _manage_page(request, runtime, session, booked, day, done)


@router.post("/manage/{token}/cancel", response_class=HTMLResponse)
def cancel(request: Request, runtime: RuntimeDep, session: SessionDep, lang: Lang, token: Token) -> Response:
    try:
        with session.begin_nested():
            appointment_service.cancel(session, token, runtime.clock.now())
    except DomainError as error:
        booked = appointment_service.get_by_token(session, token)
        fmt = Formats(lang, runtime.settings.city_timezone)
        return _manage_page(request, runtime, session, booked, "", "", error.status_code, _problem(error, fmt))
    return RedirectResponse(f"{appointment_service.manage_path(token)}?done=cancelled", status_code=303)


@router.post("/manage/{token}/reschedule", response_class=HTMLResponse)
def reschedule(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    lang: Lang,
    token: Token,
    starts_at: Annotated[str, Form(max_length=40)] = "",
    day: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    fmt = Formats(lang, runtime.settings.city_timezone)
    try:
        start = datetime.fromisoformat(starts_at)
        if start.tzinfo is None:
            raise ValueError(starts_at)
    except ValueError:
        booked = appointment_service.get_by_token(session, token)
        problem = (_("Please choose a time."), {})
        return _manage_page(request, runtime, session, booked, day, "", 422, problem)
    try:
        with session.begin_nested():
            appointment_service.reschedule(session, token, start, runtime.clock.now())
    except DomainError as error:
        booked = appointment_service.get_by_token(session, token)
        return _manage_page(request, runtime, session, booked, day, "", error.status_code, _problem(error, fmt))
    return RedirectResponse(f"{appointment_service.manage_path(token)}?done=rescheduled", status_code=303)


# ---------------------------------------------------------------- staff


@staff_router.get("", response_class=HTMLResponse)
def staff_halls(request: Request, session: SessionDep, principal: HallStaff) -> HTMLResponse:
    return render(request, "portal_halls.html", halls=appointment_service.list_halls(session), day=None)


def _hall_page(
    request: Request, runtime: RuntimeDep, session: SessionDep, principal: Principal, code: str, **extra: Any
) -> HTMLResponse:
    view = appointment_service.hall_day(session, principal, code, runtime.clock.now())
    return render(
        request,
        "portal_hall.html",
        status_code=extra.pop("status_code", 200),
        view=view,
        services=appointment_service.SERVICES,
        grace=timedelta(minutes=appointment_service.RULES.grace_minutes),
        **extra,
    )


@staff_router.get("/{code}", response_class=HTMLResponse)
def staff_hall(
    request: Request, runtime: RuntimeDep, session: SessionDep, principal: HallStaff, code: HallCode
) -> HTMLResponse:
    return _hall_page(request, runtime, session, principal, code)


@staff_router.post("/{code}/check-in", response_class=HTMLResponse)
def staff_check_in(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    principal: HallStaff,
    code: HallCode,
    booking_code: Annotated[str, Form(max_length=40)] = "",
) -> HTMLResponse:
    try:
        with session.begin_nested():
            done = appointment_service.check_in(session, principal, code, booking_code, runtime.clock.now())
    except DomainError as error:
        return _hall_page(
            request, runtime, session, principal, code, status_code=error.status_code, error=error.message
        )
    return _hall_page(request, runtime, session, principal, code, checked=done)
