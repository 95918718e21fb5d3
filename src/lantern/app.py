"""Application factory: middleware, routers, pages, static files and the one error handler."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlparse

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError

from lantern import __version__
from lantern.alerts import routes as alert_routes
from lantern.audit import routes as audit_routes
from lantern.audit import service as audit_service
from lantern.city import routes as city_routes
from lantern.config import Settings, get_settings
from lantern.crime import routes as crime_routes
from lantern.crowd import pages as crowd_pages
from lantern.crowd import routes as crowd_routes
from lantern.db import transaction
from lantern.dispatch import pages as dispatch_pages
from lantern.dispatch import routes as dispatch_routes
from lantern.drones import pages as drone_pages
from lantern.drones import routes as drone_routes
from lantern.errors import DomainError
from lantern.fraud import pages as fraud_pages
from lantern.fraud import routes as fraud_routes
from lantern.hazmat import pages as hazmat_pages
from lantern.hazmat import routes as hazmat_routes
from lantern.incidents import routes as incident_routes
from lantern.live import routes as live_routes
from lantern.monitor import pages as monitor_pages
from lantern.monitor import routes as monitor_routes
from lantern.monitor import runner as monitor_runner
from lantern.oversight import pages as oversight_pages
from lantern.oversight import routes as oversight_routes
from lantern.people import routes as people_routes
from lantern.portal import pages as portal_pages
from lantern.portal.appointments import routes as appointment_routes
from lantern.portal.info import pages as portal_info_pages
from lantern.portal.lostfound import routes as lostfound_routes
from lantern.portal.reports import pages as report_pages
from lantern.portal.reports import routes as open311_routes
from lantern.runtime import Runtime, build_runtime
from lantern.scheduler import Scheduler, default_jobs
from lantern.security import routes as security_routes
from lantern.sim.fleet import DemoFleet
from lantern.traffic import pages as traffic_pages
from lantern.traffic import routes as traffic_routes
from lantern.web import pages
from lantern.web.auth import login_redirect
from lantern.web.middleware import (
    CsrfCookieMiddleware,
    RejectNulMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
)
from lantern.web.templating import STATIC_DIR, make_templates, render

log = logging.getLogger(__name__)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not request.url.path.startswith("/api")


def create_app(
    settings: Settings | None = None, runtime: Runtime | None = None, *, scheduler: bool | None = None
) -> FastAPI:
    """Build the web application; tests pass their own settings or runtime."""
    settings = settings or (runtime.settings if runtime else get_settings())
    runtime = runtime or build_runtime(settings)
    run_scheduler = settings.scheduler_enabled if scheduler is None else scheduler

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        jobs = Scheduler(runtime, default_jobs(settings.demo_live)) if run_scheduler else None
        if jobs:
            jobs.start()
        gateway = monitor_runner.build_gateway(runtime) if settings.monitor_gateway_port else None
        trucks = None
        if gateway:
            port = await gateway.start(settings.monitor_gateway_host, settings.monitor_gateway_port)
            if settings.demo_live:
                trucks = asyncio.get_running_loop().create_task(
                    DemoFleet(runtime, settings.monitor_gateway_host, port).run()
                )
        app.state.gateway = gateway
        yield
        if trucks:
            trucks.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await trucks
        if gateway:
            await gateway.stop()
        if jobs:
            await jobs.stop()

    app = FastAPI(
        title="Lantern",
        version=__version__,
        description="Public-safety operations and analytics platform. Machine clients authenticate with "
        "`Authorization: Bearer <token>`; reading personal fields needs `X-Lantern-Purpose-Ref` and "
        "`X-Lantern-Purpose-Reason`. Map data © OpenStreetMap contributors (ODbL).",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.templates = make_templates(settings.city_timezone)
    tile_origin = ""
    if settings.map_tile_url:
        parsed = urlparse(settings.map_tile_url)
        tile_origin = f"{parsed.scheme}://{parsed.netloc}"
    # Added innermost first: request ids wrap everything, so every log line carries one.
    app.add_middleware(RejectNulMiddleware)
    app.add_middleware(CsrfCookieMiddleware, https=settings.https)
    app.add_middleware(SecurityHeadersMiddleware, https=settings.https, tile_origin=tile_origin)
    app.add_middleware(RequestIdMiddleware)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for router in (
        pages.router,
        security_routes.router,
        city_routes.router,
        crime_routes.router,
        incident_routes.router,
        people_routes.router,
        audit_routes.router,
        dispatch_routes.router,
        dispatch_pages.router,
        alert_routes.router,
        live_routes.router,
        monitor_routes.router,
        monitor_routes.hotlist_router,
        monitor_pages.router,
        drone_routes.router,
        drone_pages.router,
        crowd_routes.router,
        crowd_pages.router,
        hazmat_routes.router,
        fraud_routes.router,
        fraud_pages.router,
        hazmat_pages.router,
        oversight_routes.router,
        oversight_pages.router,
        traffic_routes.router,
        traffic_pages.router,
        portal_pages.router,
        report_pages.router,
        report_pages.staff,
        open311_routes.router,
        appointment_routes.router,
        appointment_routes.staff_router,
        portal_info_pages.router,
        lostfound_routes.router,
        lostfound_routes.staff_router,
    ):
        app.include_router(router)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        event = getattr(exc, "audit_event", None)
        if event is not None:
            # The request's own transaction was rolled back; the refusal is recorded on its own.
            with transaction(runtime.sessions) as session:
                audit_service.record(session, event, runtime.clock.now())
        if _wants_html(request):
            target = login_redirect(request, exc)
            if target:
                return RedirectResponse(target, status_code=303)
            return render(request, "error.html", status_code=exc.status_code, status=exc.status_code, error=exc)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(ValidationError)
    async def model_invalid(request: Request, exc: ValidationError) -> Response:
        # A schema built inside a handler from query values (e.g. the intake check) failed.
        return await request_invalid(request, RequestValidationError(exc.errors()))

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [{"where": ".".join(str(p) for p in err["loc"]), "problem": err["msg"]} for err in exc.errors()]
        message = "; ".join(f"{p['where']}: {p['problem']}" for p in problems)
        if _wants_html(request):
            return HTMLResponse(f"<p>Bad request: {html.escape(message)}</p>", status_code=422)
        return JSONResponse({"error": "validation_failed", "message": message, "details": problems}, status_code=422)

    return app
