"""Jinja2 templates with the filters and context every page uses."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from lantern import __version__
from lantern.kit.time import to_local
from lantern.security.policy import Principal

TEMPLATE_DIR = Path(str(resources.files("lantern") / "templates"))
STATIC_DIR = Path(str(resources.files("lantern") / "static"))


def make_templates(city_timezone: str) -> Jinja2Templates:
    """Templates whose ``localtime`` filter shows UTC values in the city's zone."""
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    # Portal pages pass per-request gettext callables (lantern.portal.web); staff pages are in
    # English, which the null translations give.
    templates.env.add_extension("jinja2.ext.i18n")
    templates.env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]

    def localtime(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        # JSON-shaped service results carry ISO strings; models carry datetimes.
        if isinstance(value, str):
            value = datetime.fromisoformat(value) if value else None
        return "" if value is None else to_local(value, city_timezone).strftime(fmt)

    templates.env.filters["localtime"] = localtime
    templates.env.globals["version"] = __version__
    templates.env.globals["city_timezone"] = city_timezone
    return templates


def csrf_token_for(request: Request) -> str:
    """The token forms must echo: the session's when signed in, else the anonymous cookie's."""
    principal = getattr(request.state, "principal", None)
    if isinstance(principal, Principal) and principal.csrf_token:
        return principal.csrf_token
    return str(getattr(request.state, "csrf_cookie", ""))


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the shared layout context (settings, principal, CSRF token)."""
    runtime = request.app.state.runtime
    principal = getattr(request.state, "principal", None) or Principal.anonymous()
    context.setdefault("settings", runtime.settings)
    context.setdefault("principal", principal)
    context.setdefault("csrf_token", csrf_token_for(request))
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status_code
    )
    return response
