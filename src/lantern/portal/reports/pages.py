"""Report pages: residents file and track reports (public, both languages); staff triage them (English)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from lantern.city import service as city_service
from lantern.errors import DomainError, ValidationFailed
from lantern.portal.forms import Problem
from lantern.portal.i18n import mark as _
from lantern.portal.reports import codes, photos
from lantern.portal.reports import service as report_service
from lantern.portal.reports.schemas import ReportIn
from lantern.portal.web import language, portal_render, translator
from lantern.security.policy import Principal
from lantern.web.auth import PrincipalDep, PurposeDep, public, require
from lantern.web.deps import SessionDep
from lantern.web.templating import render

router = APIRouter(prefix="/portal", include_in_schema=False, dependencies=[public()])
staff = APIRouter(prefix="/portal-admin/reports", include_in_schema=False)
Triage = Annotated[Principal, require("portal:triage")]
ReportId = Annotated[int, Path(ge=1, le=2**31)]


async def _form(request: Request) -> AsyncIterator[FormData]:
    form = await request.form(max_files=photos.MAX_PHOTOS + 2, max_fields=60)
    try:
        yield form
    finally:
        await form.close()  # uploaded files are spooled to disk; close them when the request is done


FormDep = Annotated[FormData, Depends(_form)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


async def _photos(form: FormData) -> list[tuple[str, bytes]]:
    found = []
    for value in form.getlist("media"):
        if isinstance(value, UploadFile) and (value.filename or value.size):
            # One byte over the limit is enough to refuse; a bigger file is never read whole.
            found.append((value.filename or "photo", await value.read(photos.MAX_BYTES + 1)))
    return found


async def _report_in(request: Request, form: FormDep) -> ReportIn:
    return ReportIn(
        service_code=_text(form, "service_code"),
        description=_text(form, "description"),
        lat=_text(form, "lat"),
        long=_text(form, "long"),
        address_string=_text(form, "address_string"),
        email=_text(form, "email"),
        attributes={
            key[len("attribute[") : -1]: str(value)
            for key, value in form.multi_items()
            if key.startswith("attribute[") and key.endswith("]") and isinstance(value, str)
        },
        language=language(request).code,
        photos=await _photos(form),
    )


def _city_bounds(session: SessionDep) -> list[float] | None:
    city = city_service.get(session)
    return [city.min_lon, city.min_lat, city.max_lon, city.max_lat] if city else None


def _anchor(field: str) -> str:
    """The id of the element a problem of ``field`` is shown at."""
    if field.startswith("attribute["):
        return "attr-" + field[len("attribute[") : -1]
    return "address_string" if field in ("lat", "long") else field


def _order(field: str) -> int:
    page = ("attribute", "address_string", "description", "media", "email")
    anchor = _anchor(field)
    return next((n for n, prefix in enumerate(page) if anchor.startswith(prefix[:4])), len(page))


def _form_page(
    request: Request, session: SessionDep, report_in: ReportIn, problems: Any = (), status: int = 200
) -> HTMLResponse:
    t = translator(request)
    errors: dict[str, list[str]] = {}
    for p in problems:
        errors.setdefault(p.field, []).append(t.gettext(p.message, **p.params))
    # The summary lists problems in the order of the fields on the page, each linking to its field.
    summary = sorted(
        ((field, message) for field, messages in errors.items() for message in messages), key=lambda p: _order(p[0])
    )
    return portal_render(
        request,
        "portal/report_new.html",
        status_code=status,
        active="report",
        services=report_service.services(),
        report=report_in,
        errors=errors,
        summary=summary,
        bounds=_city_bounds(session),
        max_description=report_service.MAX_DESCRIPTION,
        max_photos=photos.MAX_PHOTOS,
        anchor=_anchor,
    )


# ------------------------------------------------------------------ residents


@router.get("/reports/new", response_class=HTMLResponse)
def new_report(request: Request, session: SessionDep, service: str = Query("", max_length=40)) -> HTMLResponse:
    return _form_page(request, session, ReportIn(service_code=service, language=language(request).code))


@router.post("/reports/new", response_class=HTMLResponse)
def file_report(
    request: Request, session: SessionDep, principal: PrincipalDep, report_in: Annotated[ReportIn, Depends(_report_in)]
) -> Response:
    try:
        filed = report_service.create(session, principal, report_in)
    except report_service.ReportRejected as exc:
        report_in.photos = []  # browsers cannot refill a file input: the resident chooses again
        return _form_page(request, session, report_in, exc.problems, status=422)
    return RedirectResponse(f"/portal/track/{filed.code}?filed=1", status_code=303)


@router.get("/reports/where")
def where(session: SessionDep, lat: float = Query(ge=-90, le=90), lon: float = Query(ge=-180, le=180)) -> JSONResponse:
    """The registered address nearest to a point picked on the map (to fill the address field)."""
    try:
        match, _district = city_service.reverse(session, lat, lon)
    except DomainError:
        return JSONResponse({"address": None})
    near = match.distance_m <= report_service.NEAREST_ADDRESS_M
    return JSONResponse({"address": match.address.text if near else None, "distance_m": match.distance_m})


@router.get("/reports/roads.geojson")
def roads(session: SessionDep) -> JSONResponse:
    """The city's roads for the report map (public OpenStreetMap data; no tile server needed)."""
    return JSONResponse(city_service.roads_geojson(session), headers={"Cache-Control": "public, max-age=3600"})


@router.get("/track", response_class=HTMLResponse)
def track_form(request: Request, code: str = Query("", max_length=40)) -> Response:
    error = ""
    if code.strip():
        normal = codes.normalise(code)
        if normal is not None:
            return RedirectResponse(f"/portal/track/{normal}", status_code=303)
        error = translator(request).gettext("This is not a tracking code; check it and type it again")
    return portal_render(
        request, "portal/track.html", status_code=422 if error else 200, active="track", code=code, error=error
    )


def _status_page(request: Request, session: SessionDep, report: Any, **extra: Any) -> HTMLResponse:
    lang = language(request).code
    service = report_service.service_or_raise(report.service_code)
    events = report_service.timeline(session, report)
    return portal_render(
        request,
        "portal/report_status.html",
        active="track",
        report=report,
        service=service,
        lang_code=lang,
        code=codes.display(report.tracking_code),
        state=report_service.open_or_closed(report.status),
        status_label=report_service.STATUS_LABELS[report.status],
        events=[(e, report_service.STATUS_LABELS[e.status], report_service.public_note(e)) for e in events],
        **extra,
    )


@router.get("/track/{code}", response_class=HTMLResponse)
def track(
    request: Request,
    session: SessionDep,
    code: Annotated[str, Path(max_length=40)],
    filed: int = 0,
    subscribed: int = 0,
) -> Response:
    try:
        report = report_service.by_code_or_raise(session, code)
    except DomainError as exc:
        message = translator(request).gettext(exc.message)
        return portal_render(request, "portal/track.html", status_code=404, active="track", code=code, error=message)
    return _status_page(request, session, report, filed=bool(filed), subscribed=bool(subscribed))


@router.post("/track/{code}/subscribe", response_class=HTMLResponse)
def subscribe(
    request: Request, session: SessionDep, code: Annotated[str, Path(max_length=40)], form: FormDep
) -> Response:
    report = report_service.by_code_or_raise(session, code)
    email = _text(form, "email")
    try:
        if not email:
            raise report_service.ReportRejected([Problem("email", _("Type your e-mail address"))])
        report_service.subscribe(session, report, email, language(request).code)
    except report_service.ReportRejected as exc:
        t = translator(request)
        problem = exc.problems[0]
        error = t.gettext(problem.message, **problem.params)
        return _status_page(request, session, report, email=email, email_error=error)
    return RedirectResponse(f"/portal/track/{report.tracking_code}?subscribed=1", status_code=303)


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_confirm(request: Request, token: Annotated[str, Path(max_length=80)]) -> HTMLResponse:
    # A GET only asks: mail scanners open links, and must not unsubscribe anybody.
    return portal_render(request, "portal/unsubscribe.html", token=token, done=False)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, session: SessionDep, token: Annotated[str, Path(max_length=80)]) -> HTMLResponse:
    try:
        report = report_service.unsubscribe(session, token)
    except DomainError as exc:
        message = translator(request).gettext(exc.message)
        return portal_render(
            request, "portal/unsubscribe.html", status_code=404, token=token, done=False, error=message
        )
    return portal_render(request, "portal/unsubscribe.html", token=token, done=True, code=report.tracking_code)


# ------------------------------------------------------------------ staff


@staff.get("", response_class=HTMLResponse)
def queue_page(
    request: Request, session: SessionDep, principal: Triage, show: str = Query("open", pattern="^(open|closed|all)$")
) -> HTMLResponse:
    statuses = {
        "open": report_service.OPEN,
        "closed": report_service.CLOSED,
        "all": report_service.STATUSES,
    }[show]
    reports = report_service.queue(session, principal, statuses)
    counts = report_service.photo_counts(session, [r.id for r in reports])
    names = {s.code: s.text("name", "en") for s in report_service.services()}
    return render(
        request,
        "portal_admin_reports.html",
        reports=reports,
        counts=counts,
        names=names,
        show=show,
        labels=report_service.STATUS_LABELS,
    )


@staff.get("/{report_id}", response_class=HTMLResponse)
def report_page(
    request: Request, session: SessionDep, principal: Triage, purpose: PurposeDep, report_id: ReportId, done: str = ""
) -> HTMLResponse:
    report = report_service.for_staff(session, principal, report_id)
    report_service.record_view(session, principal, report_id)
    emails = None
    if purpose is not None:
        emails = report_service.subscriber_emails(session, principal, purpose, report_id)
    service = report_service.service_or_raise(report.service_code)
    return render(
        request,
        "portal_admin_report.html",
        report=report,
        service=service,
        photos=report_service.photos_of(session, principal, report_id),
        events=report_service.timeline(session, report),
        labels=report_service.STATUS_LABELS,
        staff_statuses=report_service.STAFF_STATUSES,
        state=report_service.open_or_closed(report.status),
        subscribers=report_service.subscriber_count(session, report),
        emails=emails,
        done=done[:200],
        code=codes.display(report.tracking_code),
    )


@staff.get("/{report_id}/photos/{photo_id}")
def photo(session: SessionDep, principal: Triage, report_id: ReportId, photo_id: ReportId) -> Response:
    found = report_service.photo(session, principal, report_id, photo_id)
    return Response(found.data, media_type=found.content_type, headers={"Cache-Control": "private, no-store"})


def _back(report_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(f"/portal-admin/reports/{report_id}?done={quote(done)}", status_code=303)


@staff.post("/{report_id}/status")
def set_status(session: SessionDep, principal: Triage, report_id: ReportId, form: FormDep) -> Response:
    status = _text(form, "status")
    report_service.change_status(
        session, principal, report_id, status, _text(form, "note"), agency=_text(form, "agency")
    )
    return _back(
        report_id, f"Status set to {report_service.STATUS_LABELS.get(status, status)}; subscribers are e-mailed."
    )


@staff.post("/{report_id}/duplicate")
def duplicate(session: SessionDep, principal: Triage, report_id: ReportId, form: FormDep) -> Response:
    original = _text(form, "original")
    if not (original.isascii() and original.isdigit()) or len(original) > 9:
        raise ValidationFailed(f"field `original`: {original[:20]!r} is not a report number")
    report = report_service.mark_duplicate(session, principal, report_id, int(original), _text(form, "note"))
    return _back(report_id, f"Marked as a duplicate of report {report.duplicate_of_id}.")


@staff.post("/{report_id}/incident")
def incident(session: SessionDep, principal: Triage, report_id: ReportId, form: FormDep) -> Response:
    created = report_service.to_incident(session, principal, report_id, _text(form, "note"))
    return _back(report_id, f"Incident {created.natural_key} opened.")


@staff.post("/{report_id}/task")
def task(session: SessionDep, principal: Triage, report_id: ReportId, form: FormDep) -> Response:
    alert_id = report_service.to_task(session, principal, report_id, _text(form, "note"))
    return _back(report_id, f"Task {alert_id} is on the alert queue.")
