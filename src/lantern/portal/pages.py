"""Portal pages that belong to no single service: the home page and the accessibility statement."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lantern.portal.web import portal_render
from lantern.web.auth import public

# Every portal page is open to anyone; forms are still CSRF-checked (the anonymous cookie).
router = APIRouter(prefix="/portal", include_in_schema=False, dependencies=[public()])


@router.get("", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return portal_render(request, "portal/home.html")


@router.get("/accessibility", response_class=HTMLResponse)
def accessibility(request: Request) -> HTMLResponse:
    return portal_render(request, "portal/accessibility.html")
