"""Application factory: routers, pages, static files and the one error handler."""

from __future__ import annotations

import html
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from lantern import __version__
from lantern.city import routes as city_routes
from lantern.config import Settings, get_settings
from lantern.errors import DomainError
from lantern.incidents import routes as incident_routes
from lantern.runtime import Runtime, build_runtime
from lantern.web import pages
from lantern.web.middleware import RequestIdMiddleware
from lantern.web.templating import STATIC_DIR, make_templates

log = logging.getLogger(__name__)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not request.url.path.startswith("/api")


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """Build the web application; tests pass their own settings or runtime."""
    settings = settings or (runtime.settings if runtime else get_settings())
    runtime = runtime or build_runtime(settings)
    app = FastAPI(
        title="Lantern",
        version=__version__,
        description="Public-safety operations and analytics platform. "
        "Map data © OpenStreetMap contributors (ODbL).",
    )
    app.state.runtime = runtime
    app.state.templates = make_templates(settings.city_timezone)
    app.add_middleware(RequestIdMiddleware)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.include_router(pages.router)
    app.include_router(city_routes.router)
    app.include_router(incident_routes.router)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if _wants_html(request):
            return app.state.templates.TemplateResponse(
                request,
                "error.html",
                {"settings": settings, "status": exc.status_code, "error": exc},
                status_code=exc.status_code,
            )
        return JSONResponse(exc.to_dict(), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"where": ".".join(str(p) for p in err["loc"]), "problem": err["msg"]} for err in exc.errors()
        ]
        message = "; ".join(f"{p['where']}: {p['problem']}" for p in problems)
        if _wants_html(request):
            return HTMLResponse(f"<p>Bad request: {html.escape(message)}</p>", status_code=422)
        return JSONResponse(
            {"error": "validation_failed", "message": message, "details": problems}, status_code=422
        )

    return app
