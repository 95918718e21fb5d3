"""Lost-and-found pages: residents search found items, report a loss and follow it (public, both
languages); staff register items, judge match suggestions and record hand-overs (English)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lantern.errors import DomainError
from lantern.portal.i18n import mark as _
from lantern.portal.lostfound import service as lostfound_service
from lantern.portal.lostfound.service import FoundCreate, LostForm
from lantern.portal.web import Lang, portal_render, translator
from lantern.security.policy import Principal
from lantern.web.auth import public, require
from lantern.web.deps import RuntimeDep, SessionDep
from lantern.web.templating import render

router = APIRouter(prefix="/portal/lost-found", include_in_schema=False, dependencies=[public()])
staff_router = APIRouter(prefix="/lost-and-found", include_in_schema=False)
Desk = Annotated[Principal, require(lostfound_service.PERMISSION)]
RowId = Annotated[int, Path(ge=1, le=2**31)]
Text = Annotated[str, Form(max_length=4000)]


def _zone(runtime: RuntimeDep) -> ZoneInfo:
    return ZoneInfo(runtime.settings.city_timezone)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# ------------------------------------------------------------------ residents


@router.get("", response_class=HTMLResponse)
def found_list(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    category: str = Query("", max_length=30),
    since: str = Query("", max_length=10),
    until: str = Query("", max_length=10),
) -> HTMLResponse:
    found_from, found_to = _date(since), _date(until)
    bad = [
        name for name, raw, parsed in (("since", since, found_from), ("until", until, found_to)) if raw and not parsed
    ]
    items = lostfound_service.public_items(session, category, found_from, found_to, zone=_zone(runtime))
    return portal_render(
        request,
        "portal/lostfound.html",
        status_code=422 if bad else 200,
        active="lost-found",
        items=items,
        categories=lostfound_service.CATEGORIES,
        category=category if category in lostfound_service.CATEGORIES else "",
        since=since,
        until=until,
        bad=bad,
        limit=lostfound_service.PUBLIC_LIST_LIMIT,
    )


def _report_page(
    request: Request, session: SessionDep, form: LostForm, problems: Any = (), status: int = 200
) -> HTMLResponse:
    t = translator(request)
    errors: dict[str, list[str]] = {}
    for p in problems:
        errors.setdefault(p.field, []).append(t.gettext(p.message, **p.params))
    # The summary lists problems in the order of the fields on the page, each linking to its field.
    order = lostfound_service.LOST_FORM_FIELDS
    summary = sorted(
        ((name, message) for name, messages in errors.items() for message in messages),
        key=lambda p: order.index(p[0]) if p[0] in order else len(order),
    )
    return portal_render(
        request,
        "portal/lostfound_report.html",
        status_code=status,
        active="lost-found",
        form=form,
        errors=errors,
        summary=summary,
        categories=lostfound_service.CATEGORIES,
        districts=lostfound_service.districts(session),
    )


@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request, session: SessionDep, lang: Lang) -> HTMLResponse:
    return _report_page(request, session, LostForm(lang=lang.code))


@router.post("/report", response_class=HTMLResponse)
def report(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    lang: Lang,
    category: Annotated[str, Form(max_length=30)] = "",
    description: Text = "",
    lost_on: Annotated[str, Form(max_length=20)] = "",
    lost_until: Annotated[str, Form(max_length=20)] = "",
    lost_place: Annotated[str, Form(max_length=1000)] = "",
    district: Annotated[str, Form(max_length=40)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    form = LostForm(category, description, lost_on, lost_until, lost_place, district, email, lang.code)
    try:
        # A savepoint: a refused form leaves the request's transaction usable for the page.
        with session.begin_nested():
            filed = lostfound_service.report_lost_form(session, form, _zone(runtime), runtime.clock.now())
    except lostfound_service.LostRejected as error:
        return _report_page(request, session, form, error.problems, status=422)
    return RedirectResponse(f"/portal/lost-found/track/{filed.tracking_code}?filed=1", status_code=303)


@router.get("/track", response_class=HTMLResponse)
def track_form(request: Request, code: str = Query("", max_length=40)) -> Response:
    if code.strip():
        normal = "".join(code.split()).upper()
        return RedirectResponse(f"/portal/lost-found/track/{normal}", status_code=303)
    return portal_render(request, "portal/lostfound_track.html", active="lost-found", code="", report=None)


@router.get("/track/{code}", response_class=HTMLResponse)
def track(
    request: Request, session: SessionDep, code: Annotated[str, Path(max_length=40)], filed: int = 0
) -> HTMLResponse:
    try:
        found = lostfound_service.track(session, code)
    except DomainError:
        error = translator(request).gettext(_("We have no lost-item report with this code; check it and type it again"))
        return portal_render(
            request,
            "portal/lostfound_track.html",
            status_code=404,
            active="lost-found",
            code=code,
            report=None,
            error=error,
        )
    return portal_render(
        request,
        "portal/lostfound_track.html",
        active="lost-found",
        code=found.tracking_code,
        report=found,
        filed=bool(filed),
        categories=lostfound_service.CATEGORIES,
        statuses=lostfound_service.STATUSES,
    )


# ------------------------------------------------------------------ staff


@staff_router.get("", response_class=HTMLResponse)
def desk(request: Request, runtime: RuntimeDep, session: SessionDep, principal: Desk) -> HTMLResponse:
    view = lostfound_service.desk(session, principal)
    now = runtime.clock.now()
    return render(
        request,
        "lostfound_desk.html",
        active="lostfound",
        items=[(item, lostfound_service.is_unclaimed(item, now)) for item in view.items],
        reports=view.reports,
        categories=lostfound_service.CATEGORIES,
        statuses=lostfound_service.STATUSES,
        keep_days=lostfound_service.UNCLAIMED_AFTER.days,
    )


def _register_page(
    request: Request, session: SessionDep, form: dict[str, str], error: str = "", status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "lostfound_register.html",
        status_code=status,
        active="lostfound",
        form=form,
        error=error,
        categories=lostfound_service.CATEGORIES,
        districts=lostfound_service.districts(session),
    )


@staff_router.get("/items/new", response_class=HTMLResponse)
def register_form(request: Request, session: SessionDep, principal: Desk) -> HTMLResponse:
    return _register_page(request, session, {})


@staff_router.post("/items/new", response_class=HTMLResponse)
def register(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    principal: Desk,
    category: Annotated[str, Form(max_length=30)] = "",
    description: Text = "",
    found_at: Annotated[str, Form(max_length=30)] = "",
    found_place: Annotated[str, Form(max_length=1000)] = "",
    district: Annotated[str, Form(max_length=40)] = "",
    storage_place: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    form = {
        "category": category,
        "description": description,
        "found_at": found_at,
        "found_place": found_place,
        "district": district,
        "storage_place": storage_place,
    }
    try:
        when = datetime.fromisoformat(found_at).replace(tzinfo=_zone(runtime))  # datetime-local: the city's time
    except ValueError:
        return _register_page(request, session, form, "field `found_at`: give the date and time it was found", 422)
    item_in = FoundCreate(category, description, when, found_place, storage_place, district)
    try:
        with session.begin_nested():
            item = lostfound_service.register_found(session, principal, item_in, runtime.clock.now())
    except DomainError as error:
        return _register_page(request, session, form, error.message, error.status_code)
    return RedirectResponse(f"/lost-and-found/items/{item.id}?done=registered", status_code=303)


DONE = {
    "registered": "Registered. Write the code on the item's label.",
    "likely": "Marked as a likely match; the resident is e-mailed to come with their ID.",
    "ruled_out": "Ruled out; it stays listed as ruled out.",
    "handed_over": "Hand-over recorded.",
}


def _item_page(
    request: Request, runtime: RuntimeDep, session: SessionDep, principal: Principal, found_id: int, **extra: Any
) -> HTMLResponse:
    item, suggested = lostfound_service.item_suggestions(session, principal, found_id)
    return render(
        request,
        "lostfound_item.html",
        status_code=extra.pop("status_code", 200),
        active="lostfound",
        item=item,
        suggested=suggested,
        unclaimed=lostfound_service.is_unclaimed(item, runtime.clock.now()),
        categories=lostfound_service.CATEGORIES,
        statuses=lostfound_service.STATUSES,
        district=dict(lostfound_service.districts(session)).get(item.district_code, ""),
        **extra,
    )


@staff_router.get("/items/{found_id}", response_class=HTMLResponse)
def item_page(
    request: Request, runtime: RuntimeDep, session: SessionDep, principal: Desk, found_id: RowId, done: str = ""
) -> HTMLResponse:
    return _item_page(request, runtime, session, principal, found_id, done=DONE.get(done, ""))


@staff_router.get("/reports/{lost_id}", response_class=HTMLResponse)
def report_page(request: Request, session: SessionDep, principal: Desk, lost_id: RowId, done: str = "") -> HTMLResponse:
    lost, suggested = lostfound_service.suggestions(session, principal, lost_id)
    return render(
        request,
        "lostfound_lost.html",
        active="lostfound",
        report=lost,
        suggested=suggested,
        categories=lostfound_service.CATEGORIES,
        statuses=lostfound_service.STATUSES,
        district=dict(lostfound_service.districts(session)).get(lost.district_code, ""),
        done=DONE.get(done, ""),
    )


def _back(back: str, lost_id: int, found_id: int, done: str) -> str:
    page = f"/lost-and-found/reports/{lost_id}" if back == "report" else f"/lost-and-found/items/{found_id}"
    return f"{page}?done={done}"


@staff_router.post("/reports/{lost_id}/items/{found_id}/likely", response_class=HTMLResponse)
def mark_likely(
    runtime: RuntimeDep,
    session: SessionDep,
    principal: Desk,
    lost_id: RowId,
    found_id: RowId,
    back: Annotated[str, Form(max_length=10)] = "item",
) -> Response:
    lostfound_service.mark_likely(session, principal, lost_id, found_id, runtime.clock.now())
    return RedirectResponse(_back(back, lost_id, found_id, "likely"), status_code=303)


@staff_router.post("/reports/{lost_id}/items/{found_id}/rule-out", response_class=HTMLResponse)
def rule_out(
    runtime: RuntimeDep,
    session: SessionDep,
    principal: Desk,
    lost_id: RowId,
    found_id: RowId,
    back: Annotated[str, Form(max_length=10)] = "item",
) -> Response:
    lostfound_service.rule_out(session, principal, lost_id, found_id, runtime.clock.now())
    return RedirectResponse(_back(back, lost_id, found_id, "ruled_out"), status_code=303)


@staff_router.post("/items/{found_id}/hand-over", response_class=HTMLResponse)
def hand_over(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    principal: Desk,
    found_id: RowId,
    handed_to_name: Annotated[str, Form(max_length=1000)] = "",
    id_checked: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        with session.begin_nested():
            lostfound_service.hand_over(
                session, principal, found_id, handed_to_name, id_checked == "yes", runtime.clock.now()
            )
    except DomainError as error:
        return _item_page(
            request, runtime, session, principal, found_id, status_code=error.status_code, error=error.message
        )
    return RedirectResponse(f"/lost-and-found/items/{found_id}?done=handed_over", status_code=303)
