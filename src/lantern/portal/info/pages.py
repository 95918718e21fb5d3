"""Public information pages: traffic and safety alerts, fraud advice, complaints about officers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from lantern.errors import NotFound
from lantern.portal.forms import Problem
from lantern.portal.info import service as info_service
from lantern.portal.info.service import ComplaintForm
from lantern.portal.web import portal_render, translator
from lantern.web.auth import PrincipalDep, public
from lantern.web.deps import SessionDep

router = APIRouter(prefix="/portal", include_in_schema=False, dependencies=[public()])


@router.get("/traffic", response_class=HTMLResponse)
def traffic(request: Request, session: SessionDep) -> HTMLResponse:
    info = info_service.traffic_info(session)
    return portal_render(request, "portal/info_traffic.html", active="traffic", info=info)


@router.get("/fraud-advice", response_class=HTMLResponse)
def fraud_advice(request: Request, session: SessionDep) -> HTMLResponse:
    patterns = info_service.scam_patterns(session)
    return portal_render(request, "portal/info_fraud.html", active="fraud-advice", patterns=patterns)


# --- complaints about officers ------------------------------------------------------------


async def _form(request: Request) -> ComplaintForm:
    form = await request.form(max_files=0, max_fields=20)

    def text(name: str) -> str:
        value = form.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    return ComplaintForm(
        category=text("category"), what=text("what"), when=text("when"), where=text("where"), officer=text("officer")
    )


def _new_page(request: Request, form: ComplaintForm, problems: list[Problem], status: int = 200) -> HTMLResponse:
    t = translator(request)
    errors: dict[str, str] = {}
    for p in problems:
        errors[p.field] = t.gettext(p.message)
    return portal_render(
        request,
        "portal/info_complaint_new.html",
        status_code=status,
        form=form,
        errors=errors,
        categories=info_service.CATEGORIES,
        max_what=info_service.MAX_WHAT,
    )


@router.get("/complaints/new", response_class=HTMLResponse)
def new_complaint(request: Request) -> HTMLResponse:
    return _new_page(request, ComplaintForm(), [])


@router.post("/complaints/new", response_class=HTMLResponse)
def file_complaint(
    request: Request, session: SessionDep, principal: PrincipalDep, form: Annotated[ComplaintForm, Depends(_form)]
) -> HTMLResponse:
    try:
        code = info_service.file_complaint(session, principal, form)
    except info_service.ComplaintRejected as exc:
        return _new_page(request, form, exc.problems, status=422)
    timeline = info_service.complaint_timeline(session, code)
    # Every page is sent with Cache-Control: no-store (web.middleware), so the code stays out of caches.
    return portal_render(request, "portal/info_complaint_filed.html", code=code, timeline=timeline)


@router.get("/complaints/track", response_class=HTMLResponse)
def track_form(request: Request) -> HTMLResponse:
    return portal_render(request, "portal/info_complaint_track.html", code="", error="", timeline=None)


@router.post("/complaints/track", response_class=HTMLResponse)
def track(request: Request, session: SessionDep, code: Annotated[str, Form(max_length=40)] = "") -> HTMLResponse:
    """The code comes in a POST body, so it stays out of the address bar, history and server logs."""
    try:
        timeline = info_service.complaint_timeline(session, code)
    except NotFound:
        message = translator(request).gettext(
            "No complaint has this tracking code. Check the 12 letters and digits you were given, e.g. 7K3M-QX9D-2HPA."
        )
        return portal_render(
            request, "portal/info_complaint_track.html", status_code=404, code=code, error=message, timeline=None
        )
    return portal_render(request, "portal/info_complaint_track.html", code="", error="", timeline=timeline)
